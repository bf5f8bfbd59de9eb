"""Percentile intervals from resampled statistics (the last step of every bootstrap in fovkit)."""

from __future__ import annotations

import numpy as np


def nan_percentiles(values: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Central `confidence` percentile bounds along axis 0 (resamples), ignoring NaN and infinite resamples.

    A statistic that is undefined in every resample (e.g. the accuracy of a group that no resample drew) stays NaN,
    without a warning.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    tail = 100 * (1 - confidence) / 2
    finite = np.where(np.isfinite(values), values, np.nan)
    empty = np.isnan(finite).all(axis=0)
    filled = np.where(empty[None], 0.0, finite)
    low, high = np.nanpercentile(filled, (tail, 100 - tail), axis=0)
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)
