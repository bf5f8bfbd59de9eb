"""Percentile intervals from resampled statistics (the last step of every bootstrap in fovkit)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def central_bounds(confidence: float) -> tuple[float, float]:
    """The percentiles (low, high) that enclose the central `confidence` share, e.g. (2.5, 97.5) for 0.95."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    tail = 100 * (1 - confidence) / 2
    return tail, 100 - tail


def finite_percentiles(values: np.ndarray, bounds: Sequence[float]) -> np.ndarray:
    """Percentiles along the last axis of the finite values only; NaN where none is finite.

    The linear interpolation of `np.nanpercentile`, from one sort instead of one partition per row (10x faster).

    Returns:
        (bounds x the other axes) percentiles.

    """
    ordered = np.sort(np.where(np.isfinite(values), values, np.nan), axis=-1)  # NaN sorts last
    count = np.isfinite(ordered).sum(axis=-1, keepdims=True)
    last = np.maximum(count - 1, 0)
    percentiles = []
    for bound in bounds:
        position = bound / 100 * last
        below = np.floor(position).astype(np.int64)
        low = np.take_along_axis(ordered, below, axis=-1)
        high = np.take_along_axis(ordered, np.minimum(below + 1, last), axis=-1)
        percentiles.append(np.where(count > 0, low + (high - low) * (position - below), np.nan)[..., 0])
    return np.array(percentiles)
