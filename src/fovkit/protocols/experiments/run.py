"""Run any registered variability experiment: every backbone x protocol x seed on each of its training sets.

Each run trains on one training selection and evaluates every held-out image, giving one gap table per run in long
form; the experiment's own summary function (see the registry) turns the runs into the paper's tables and figures.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rich.progress import Progress

from fovkit.errors import InputError
from fovkit.metrics.gaps import ALL_FACTORS, CANONICAL, gap_table
from fovkit.models.base import Backbone
from fovkit.protocols.backbones import backbones
from fovkit.protocols.config import ExperimentConfig
from fovkit.protocols.experiments.registry import NO_VARIATION, TrainingSet, get_experiment
from fovkit.protocols.features import dataset_digest
from fovkit.protocols.probe import evaluation_rows
from fovkit.protocols.registry import Outcome
from fovkit.protocols.runner import ProtocolRunner
from fovkit.render import splits
from fovkit.render.store import RenderedDataset
from fovkit.tables import Predictions

ExperimentName = str
"""A registered experiment name (`fovkit.protocols.experiments.list_experiments()`)."""


@dataclass(frozen=True)
class ExperimentResult:
    """Every run's gaps in long form (one row per run x evaluation group [x class]) and the model cards."""

    name: str
    runs: pd.DataFrame
    factors: list[str]
    class_names: list[str]
    cards: dict[str, dict]
    dataset_digest: str


def run_experiment(
    name: ExperimentName,
    config: ExperimentConfig,
    work: Path | None = None,
    progress: bool = True,
    modules: Sequence[Backbone] = (),
) -> ExperimentResult:
    """Train every backbone x protocol x seed on each training set of experiment `name` and collect the gaps.

    `modules` are backbone objects evaluated after the named ones (see `fovkit.protocols.probe.probe`).
    """
    spec = get_experiment(name)
    dataset = RenderedDataset.open(config.dataset)
    samples = dataset.samples
    factors = _factors(config, dataset.config.factors)
    table = dataset.factor_table()
    evaluate = evaluation_rows(samples, dataset.config.factors)
    if evaluate.empty:
        raise InputError("the dataset has no held-out instances to evaluate", path=dataset.folder, field="split")
    sets = [training for seed in config.seeds for training in training_sets(name, samples, factors, config, seed)]
    parts, cards = [], {}
    total = (len(config.backbones) + len(modules)) * len(config.protocols) * len(sets)
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task(f"experiment {name}", total=total)
        for backbone in backbones(config.backbones, modules, progress):
            cards[backbone.card.id] = backbone.card.to_dict()
            runner = ProtocolRunner(backbone, dataset, config.settings, work=work, progress=False)
            for protocol in config.protocols:
                for training in sets:
                    tag = f"{name}-{training.train_factor}-{training.fraction:g}-seed{training.seed}"
                    outcome = runner.run(protocol, training.rows, evaluate, seed=training.seed, tag=tag)
                    model = f"{backbone.card.id}/{protocol}"
                    predictions = Predictions((model,), pd.Index(evaluate["sample_id"]), outcome.predicted[None])
                    gaps = gap_table(
                        table, predictions, by="label" if spec.by_class else None, designs=config.gap_designs
                    )
                    parts.append(_long(gaps, table.factor_names, backbone.card.id, protocol, training, outcome))
                    bar.advance(task)
    runs = pd.concat(parts, ignore_index=True)
    return ExperimentResult(name, runs, factors, dataset.class_names, cards, dataset_digest(dataset))


def training_sets(
    name: ExperimentName, samples: pd.DataFrame, factors: list[str], config: ExperimentConfig, seed: int
) -> Iterator[TrainingSet]:
    """The baseline (canonical training set) and every training selection of experiment `name` for one seed."""
    yield TrainingSet(NO_VARIATION, 0.0, seed, splits.canonical_training_set(samples))
    yield from get_experiment(name).select(samples, factors, config, seed)


def summarize(result: ExperimentResult) -> dict:
    """The summary tables of `result`'s experiment, from its registered summary function."""
    return get_experiment(result.name).summarize(result)


def _factors(config: ExperimentConfig, known: list[str]) -> list[str]:
    unknown = [name for name in config.factors if name not in known]
    if unknown:
        raise InputError(f"unknown factors {unknown}; the dataset's factors are {known}", field="factors")
    return list(config.factors) or known


def _long(
    gaps: pd.DataFrame, factors: list[str], backbone: str, protocol: str, training: TrainingSet, outcome: Outcome
) -> pd.DataFrame:
    """One row per evaluation group (x class): accuracy, gap and sample count, with the run's identity."""
    groups = [CANONICAL, *factors, ALL_FACTORS]
    keys = ["label"] if "label" in gaps else []
    rows = []
    for group in groups:
        part = gaps[keys].copy()
        part["group"] = group
        part["accuracy"] = gaps[f"{group}_accuracy"]
        part["gap"] = 0.0 if group == CANONICAL else gaps[f"{group}_gap"]
        part["n"] = gaps[f"n_{group}"]
        rows.append(part)
    frame = pd.concat(rows, ignore_index=True)
    frame.insert(0, "backbone", backbone)
    frame.insert(1, "protocol", protocol)
    frame.insert(2, "seed", training.seed)
    frame.insert(3, "train_factor", training.train_factor)
    frame.insert(4, "fraction", training.fraction)
    if keys:
        frame["varying_class"] = np.isin(frame["label"], training.varying_classes)
    frame["train_accuracy"] = 100 * outcome.train_accuracy
    frame["n_train"] = len(training.rows)
    frame["device"], frame["precision"] = outcome.details["device"], outcome.details["precision"]
    return frame
