"""Experiment 5.3: a fraction of the training images varies in all factors together."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from fovkit.metrics.gaps import ALL_FACTORS
from fovkit.protocols import summaries
from fovkit.protocols.config import ExperimentConfig
from fovkit.protocols.experiments.registry import TrainingSet, register_experiment
from fovkit.protocols.experiments.run import ExperimentResult
from fovkit.render import splits


def summarize_all_factors(result: ExperimentResult) -> dict:
    """The change of every gap against training without variability (Figure 6)."""
    return {"changes": summaries.gap_changes(result.runs)}


@register_experiment(
    "all-factors", "5.3", "a fraction of the training images varies in all factors together", summarize_all_factors
)
def select_all_factors(
    samples: pd.DataFrame, factors: list[str], config: ExperimentConfig, seed: int
) -> Iterator[TrainingSet]:
    """Per fraction: that fraction of the train instances' all-factor images, plus the canonical ones."""
    for fraction in config.fractions:
        yield TrainingSet(ALL_FACTORS, fraction, seed, splits.all_factors_set(samples, fraction, seed))
