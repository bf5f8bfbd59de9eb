"""Experiment 5.2: a fraction of the training instances is seen varying in one factor."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from fovkit.protocols import summaries
from fovkit.protocols.config import ExperimentConfig
from fovkit.protocols.experiments.registry import TrainingSet, register_experiment
from fovkit.protocols.experiments.run import ExperimentResult
from fovkit.render import splits


def summarize_instances(result: ExperimentResult) -> dict:
    """Gap curves and slopes, plus one cross-factor slope heat map per protocol (Figure 5)."""
    tables = summaries.curve_tables(result)
    protocols = sorted(result.runs["protocol"].unique())
    tables["heatmaps"] = {protocol: summaries.slope_heatmap(tables["slopes"], protocol) for protocol in protocols}
    return tables


@register_experiment(
    "instances", "5.2", "a fraction of the training instances is seen varying in one factor", summarize_instances
)
def select_instances(
    samples: pd.DataFrame, factors: list[str], config: ExperimentConfig, seed: int
) -> Iterator[TrainingSet]:
    """Per factor and fraction: that fraction of each class's train instances seen varying, the others canonical."""
    for factor in factors:
        for fraction in config.fractions:
            yield TrainingSet(factor, fraction, seed, splits.varying_instances_set(samples, [factor], fraction, seed))
