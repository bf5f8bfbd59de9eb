"""Prevalence of factors among samples and its shift among a model's mistakes (ImageNet-X section 4)."""

from __future__ import annotations

import numpy as np


def prevalence(factor_counts: np.ndarray) -> np.ndarray:
    """Share of each factor among all factor occurrences along the last axis (rows sum to 1; NaN if empty)."""
    counts = np.asarray(factor_counts, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return counts / counts.sum(axis=-1, keepdims=True)


def prevalence_shift(mistake_counts: np.ndarray, factor_counts: np.ndarray) -> np.ndarray:
    """Relative change of each factor's prevalence among mistakes vs among all samples.

    (prevalence among mistakes - prevalence overall) / prevalence overall: +1.0 means the factor appears twice
    as often among the mistakes. NaN where the factor never occurs, or where there are no mistakes.

    Args:
        mistake_counts: (..., factors) occurrences of each factor among misclassified samples.
        factor_counts: (..., factors) occurrences of each factor among all scored samples; broadcasts.

    """
    overall = prevalence(factor_counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (prevalence(mistake_counts) - overall) / overall
