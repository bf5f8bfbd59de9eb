"""Experiment 5.4: half of the classes are seen varying in one factor (half of their instances)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from fovkit.protocols import summaries
from fovkit.protocols.config import ExperimentConfig
from fovkit.protocols.experiments.registry import TrainingSet, register_experiment
from fovkit.protocols.experiments.run import ExperimentResult
from fovkit.render import splits


def summarize_classes(result: ExperimentResult) -> dict:
    """Gaps of the classes seen varying against the others (Table 3), and against class-name similarity (Fig. 7)."""
    from fovkit.text import load_sentence_encoder

    runs = result.runs
    similarity = summaries.class_similarity(runs, result.class_names, load_sentence_encoder(num_threads=None))
    return {
        "class_gaps": summaries.class_gaps(runs),
        "similarity": similarity,
        "similarity_bins": summaries.similarity_bins(similarity),
    }


@register_experiment(
    "classes",
    "5.4",
    "half of the classes are seen varying in one factor (half of their instances)",
    summarize_classes,
    by_class=True,
)
def select_classes(
    samples: pd.DataFrame, factors: list[str], config: ExperimentConfig, seed: int
) -> Iterator[TrainingSet]:
    """Per factor: `class_fraction` of the classes seen varying in it (`instance_fraction` of their instances)."""
    for factor in factors:
        rows, labels = splits.varying_classes_set(
            samples, [factor], config.class_fraction, seed, instance_fraction=config.instance_fraction
        )
        yield TrainingSet(factor, config.class_fraction, seed, rows, tuple(labels))
