"""Accuracy-derived metrics: error ratio and accuracy over each model's k worst groups."""

from __future__ import annotations

import numpy as np

from fovkit.metrics.counts import GroupCounts


def error_ratio(group_accuracy: np.ndarray, overall_accuracy: np.ndarray) -> np.ndarray:
    """ImageNet-X error ratio (1 - acc_group) / (1 - acc_overall); >1 means the group is harder than average.

    Args:
        group_accuracy: (models x groups) accuracies.
        overall_accuracy: (models,) accuracies over all scored samples; a perfect model gives NaN ratios.

    """
    overall_error = 1.0 - np.asarray(overall_accuracy, dtype=np.float64)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (1.0 - group_accuracy) / overall_error
    return np.where(overall_error > 0, ratio, np.nan)


def worst_k_group_accuracy(counts: GroupCounts, k: int) -> np.ndarray:
    """Per model, the accuracy over all samples of its `k` lowest-accuracy groups (e.g. worst 100 classes).

    Ties are broken by group index (stable sort), so the result is deterministic.
    """
    accuracy = np.where(counts.total > 0, counts.accuracy, np.inf)
    k = min(k, accuracy.shape[1])
    kth = np.partition(accuracy, k - 1, axis=1)[:, k - 1 : k]  # a partial sort: no full sort of every row
    below, tied = accuracy < kth, accuracy == kth
    room = k - below.sum(axis=1, keepdims=True)
    chosen = below | (tied & (np.cumsum(tied, axis=1) <= room))  # ties: lowest group indices first
    return (counts.correct * chosen).sum(axis=1) / (counts.total * chosen).sum(axis=1)
