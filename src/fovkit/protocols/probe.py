"""`fovkit probe`: the gap table of the robustness-limits paper (Table 1) for backbones x protocols on a dataset.

Each backbone is trained on the canonical images of the dataset's train instances (linear probe, finetuning) or used
as is (zero-shot), then predicts every held-out image; the gap of a factor is the held-out accuracy where only that
factor varies minus the held-out canonical accuracy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from fovkit.errors import InputError
from fovkit.metrics.gaps import ALL_FACTORS, CANONICAL, gap_table
from fovkit.models.base import Backbone
from fovkit.protocols.backbones import backbones
from fovkit.protocols.config import BackboneSpec, Protocol, ProtocolSettings
from fovkit.protocols.features import dataset_digest
from fovkit.protocols.runner import ProtocolRunner
from fovkit.render.splits import canonical_training_set
from fovkit.render.store import RenderedDataset
from fovkit.tables import Predictions
from fovkit.tables.markdown import markdown_table


class ProbeConfig(BaseModel):
    """What `fovkit probe` evaluates: a rendered dataset, backbones, protocols and their settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset: Path = Field(description="folder of a rendered dataset (`fovkit render run`)")
    backbones: tuple[BackboneSpec, ...] = (BackboneSpec(),)
    protocols: tuple[Protocol, ...] = Field(("linear",), min_length=1)
    settings: ProtocolSettings = ProtocolSettings()
    seed: int = 0


@dataclass(frozen=True)
class ProbeResult:
    """Gap table (one row per backbone x protocol), the full per-group accuracies, predictions and model cards."""

    gaps: pd.DataFrame
    details: pd.DataFrame
    predictions: Predictions
    cards: dict[str, dict]
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
    samples = dataset.samples
    train = canonical_training_set(samples)
    evaluate = samples[samples["split"] == "held_out"]
    if evaluate.empty:
        raise InputError("the dataset has no held-out instances to evaluate", path=dataset.folder, field="split")
    names, predicted, train_accuracy, cards = [], [], {}, {}
    for backbone in backbones(config.backbones, modules, progress):
        cards[backbone.card.id] = backbone.card.to_dict()
        runner = ProtocolRunner(backbone, dataset, config.settings, work=work, progress=progress)
        for protocol in config.protocols:
            name = f"{backbone.card.id}/{protocol}"
            outcome = runner.run(protocol, train, evaluate, seed=config.seed, tag=_tag(name, config.seed))
            names.append(name)
            predicted.append(outcome.predicted)
            train_accuracy[name] = 100 * outcome.train_accuracy
    predictions = Predictions(tuple(names), pd.Index(evaluate["sample_id"]), np.stack(predicted).astype(np.int16))
    table = dataset.factor_table()
    details = gap_table(table, predictions)
    details.insert(1, "train_accuracy", details["model"].map(train_accuracy))
    return ProbeResult(paper_table(details, table.factor_names), details, predictions, cards, dataset_digest(dataset))


def paper_table(details: pd.DataFrame, factors: Sequence[str]) -> pd.DataFrame:
    """The gap table laid out like the paper's Table 1: index (backbone, protocol), accuracies and gaps in points.

    `details` is `gap_table`'s output for models named `<backbone id>/<protocol>`.
    """
    parts = details["model"].str.rsplit("/", n=1, expand=True)
    columns = {
        "train_accuracy": "train_accuracy",
        f"{CANONICAL}_accuracy": "held_out_accuracy",
        **{f"{name}_gap": f"{name}_gap" for name in factors},
        "average_gap": "average_gap",
        f"{ALL_FACTORS}_gap": "all_factors_gap",
    }
    frame = details[list(columns)].rename(columns=columns)
    frame.index = pd.MultiIndex.from_arrays([parts[0], parts[1]], names=["backbone", "protocol"])
    return frame


def write_probe_outputs(result: ProbeResult, folder: Path) -> list[Path]:
    """Write the gap table (CSV, Parquet, Markdown), per-group details and predictions into `folder`."""
    written = [folder / name for name in ("gap_table.csv", "gap_table.parquet", "gap_table.md")]
    result.gaps.to_csv(written[0])
    result.gaps.to_parquet(written[1])
    written[2].write_text(markdown_table(result.gaps))
    result.details.to_csv(folder / "gap_details.csv", index=False)
    result.predictions.to_frame().to_parquet(folder / "predictions.parquet", index=False)
    (folder / "models.json").write_text(json.dumps(result.cards, indent=2) + "\n")
    return [*written, folder / "gap_details.csv", folder / "predictions.parquet", folder / "models.json"]


def _tag(name: str, seed: int) -> str:
    return f"{name.replace('/', '_').replace(':', '-')}-seed{seed}"
