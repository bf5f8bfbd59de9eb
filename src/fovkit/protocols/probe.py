"""`fovkit probe`: the gap table of the robustness-limits paper (Table 1) for backbones x protocols on a dataset.

Each backbone is trained on the canonical images of the dataset's train instances (linear probe, finetuning) or used
as is (zero-shot), once per seed, then predicts every distinct held-out image; the gap of a factor is the held-out
accuracy where only that factor varies minus the held-out canonical accuracy, pooled over the seeds, with a 95%
bootstrap interval over held-out objects and the number of images and objects it rests on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fovkit.errors import InputError
from fovkit.metrics.gaps import ALL_FACTORS, AVERAGE, CANONICAL, gap_intervals, gap_table
from fovkit.models.base import Backbone
from fovkit.protocols.backbones import backbones
from fovkit.protocols.config import ProbeConfig
from fovkit.protocols.features import dataset_digest
from fovkit.protocols.runner import ProtocolRunner
from fovkit.render.splits import canonical_training_set
from fovkit.render.store import RenderedDataset, object_ids
from fovkit.tables import Predictions
from fovkit.tables.markdown import markdown_table


@dataclass(frozen=True)
class ProbeResult:
    """The results of `probe`.

    Attributes:
        gaps: The paper's Table 1: one row per (backbone, protocol), accuracies and gaps in points, seeds pooled.
        intervals: One row per (backbone, protocol, group): `n` images, `clusters` objects, accuracy and gap with
            their 95% bootstrap intervals over objects (group `average` is the mean of the factor gaps).
        details: `gap_table` of every run (one row per backbone x protocol x seed).
        predictions: Every run's predicted classes (models named `<backbone>/<protocol>/seed<seed>`).
        cards: Model card of every backbone.
        fits: How every run was trained: backbone, protocol, seed, train accuracy, device, precision, ...
        dataset_digest: Checksum of the dataset's content.

    """

    gaps: pd.DataFrame
    intervals: pd.DataFrame
    details: pd.DataFrame
    predictions: Predictions
    cards: dict[str, dict]
    fits: list[dict]
    dataset_digest: str


def probe(
    config: ProbeConfig, work: Path | None = None, progress: bool = True, modules: Sequence[Backbone] = ()
) -> ProbeResult:
    """Train every backbone under every protocol on the canonical training set and compute the gap table.

    Args:
        config: Dataset, backbones (by name), protocols and settings.
        work: Folder for finetuning checkpoints (resumable); None keeps none.
        progress: Show progress bars.
        modules: Backbone objects evaluated after the named ones, e.g. `fovkit.models.from_module(net, ...)`.

    """
    dataset = RenderedDataset.open(config.dataset)
    train, evaluate, needed = probe_rows(dataset, config.held_out_objects)
    names, pool, predicted, fits, cards = [], [], [], [], {}
    for backbone in backbones(config.backbones, modules, progress):
        cards[backbone.card.id] = backbone.card.to_dict()
        runner = ProtocolRunner(backbone, dataset, config.settings, work=work, progress=progress, sample_ids=needed)
        for protocol in config.protocols:
            for seed in config.seeds:
                name = f"{backbone.card.id}/{protocol}"
                outcome = runner.run(protocol, train, evaluate, seed=seed, tag=_tag(name, seed))
                names.append(f"{name}/seed{seed}")
                pool.append(name)
                predicted.append(outcome.predicted)
                fits.append(
                    {
                        "backbone": backbone.card.id,
                        "protocol": protocol,
                        "seed": seed,
                        "train_accuracy": 100 * outcome.train_accuracy,
                        **outcome.details,
                    }
                )
    predictions = Predictions(tuple(names), pd.Index(evaluate["sample_id"]), np.stack(predicted).astype(np.int16))
    table = dataset.factor_table()
    details = gap_table(table, predictions, designs=config.gap_designs)
    intervals = gap_intervals(
        table,
        predictions,
        object_ids(table.frame),
        n_resamples=config.bootstrap,
        seed=config.seeds[0],
        pool=pool,
        designs=config.gap_designs,
    )
    intervals = _split_model(intervals)
    gaps = paper_table(intervals, pd.DataFrame(fits), table.factor_names)
    return ProbeResult(gaps, intervals, details, predictions, cards, fits, dataset_digest(dataset))


def probe_rows(
    dataset: RenderedDataset, held_out_objects: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Index | None]:
    """(training rows, evaluation rows, sample ids whose features are needed: None when that is every sample).

    Only these rows' features are extracted: at the paper's scale the varied images of training objects, which no
    protocol run reads, are about 80% of the dataset.
    """
    samples = dataset.samples
    train = canonical_training_set(samples)
    evaluate = evaluation_rows(samples, dataset.config.factors, held_out_objects)
    if evaluate.empty:
        raise InputError("the dataset has no held-out instances to evaluate", path=dataset.folder, field="split")
    needed = pd.Index(pd.concat([train, evaluate])["sample_id"]).unique()
    needed = None if len(needed) == len(samples) else needed
    return train, evaluate, needed


def evaluation_rows(samples: pd.DataFrame, factors: Sequence[str], objects: int | None = None) -> pd.DataFrame:
    """The held-out rows, one per distinct image: within a design, rows of one object with equal factor values.

    The single-factor design repeats the canonical image (each axis's grid holds its canonical value); counting it
    once per object keeps the canonical accuracy and its interval honest. `objects` keeps the first held-out
    instances of each class (by instance number), all by default.
    """
    held_out = samples[samples["split"] == "held_out"]
    if objects is not None:
        instances = held_out[["label", "instance"]].drop_duplicates().sort_values(["label", "instance"])
        kept = instances.groupby("label", observed=True).head(objects)
        held_out = held_out.merge(kept, on=["label", "instance"])
    values = [name for name in factors if name != "background"] + ["background_type", "background_index"]
    return held_out.drop_duplicates(["design", "label", "instance", *values])


def paper_table(intervals: pd.DataFrame, fits: pd.DataFrame, factors: Sequence[str]) -> pd.DataFrame:
    """The gap table laid out like the paper's Table 1: index (backbone, protocol), accuracies and gaps in points.

    Args:
        intervals: `ProbeResult.intervals` (columns backbone, protocol, group, accuracy, gap, ...).
        fits: One row per run with backbone, protocol and train_accuracy (averaged over seeds).
        factors: The factor names, in column order.

    """
    keys = ["backbone", "protocol"]
    gaps = intervals.pivot_table(index=keys, columns="group", values="gap", sort=False, dropna=False)
    accuracy = intervals[intervals["group"] == CANONICAL].set_index(keys)["accuracy"]
    frame = pd.DataFrame(
        {
            "train_accuracy": fits.groupby(keys, sort=False)["train_accuracy"].mean(),
            "held_out_accuracy": accuracy,
            **{f"{name}_gap": gaps[name] for name in factors},
            "average_gap": gaps[AVERAGE],
            "all_factors_gap": gaps[ALL_FACTORS],
        }
    )
    return frame.loc[accuracy.index]


def _split_model(intervals: pd.DataFrame) -> pd.DataFrame:
    """Replace `model` (`<backbone>/<protocol>`) by `backbone` and `protocol` columns."""
    parts = intervals["model"].str.rsplit("/", n=1, expand=True)
    return intervals.drop(columns="model").assign(backbone=parts[0], protocol=parts[1])[
        ["backbone", "protocol", *intervals.columns.drop("model")]
    ]


def write_probe_outputs(result: ProbeResult, folder: Path) -> list[Path]:
    """Write the gap table (CSV, Parquet, Markdown), per-group details and predictions into `folder`."""
    written = [folder / name for name in ("gap_table.csv", "gap_table.parquet", "gap_table.md")]
    result.gaps.to_csv(written[0])
    result.gaps.to_parquet(written[1])
    written[2].write_text(markdown_table(result.gaps))
    others = [folder / name for name in ("gap_intervals.csv", "gap_details.csv", "predictions.parquet", "models.json")]
    result.intervals.to_csv(others[0], index=False)
    result.details.to_csv(others[1], index=False)
    result.predictions.to_frame().to_parquet(others[2], index=False)
    others[3].write_text(json.dumps(_cards_with_fits(result), indent=2) + "\n")
    return [*written, *others]


def _cards_with_fits(result: ProbeResult) -> dict[str, dict]:
    """Each model card with the runs trained from it (protocol, seed, device, precision, ...)."""
    return {
        backbone: {**card, "fits": [fit for fit in result.fits if fit["backbone"] == backbone]}
        for backbone, card in result.cards.items()
    }


def _tag(name: str, seed: int) -> str:
    return f"{name.replace('/', '_').replace(':', '-')}-seed{seed}"
