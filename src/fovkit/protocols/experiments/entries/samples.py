"""Experiment 5.1: a fraction of every training object's images varies in one factor."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from fovkit.protocols.config import ExperimentConfig
from fovkit.protocols.experiments.registry import TrainingSet, register_experiment
from fovkit.protocols.summaries import curve_tables
from fovkit.render import splits


@register_experiment(
    "samples", "5.1", "a fraction of every training object's images varies in one factor", summarize=curve_tables
)
def select_samples(
    samples: pd.DataFrame, factors: list[str], config: ExperimentConfig, seed: int
) -> Iterator[TrainingSet]:
    """Per factor and fraction: every train object, that fraction of its images varying in the factor."""
    for factor in factors:
        for fraction in config.fractions:
            yield TrainingSet(factor, fraction, seed, splits.varying_samples_set(samples, factor, fraction, seed))
