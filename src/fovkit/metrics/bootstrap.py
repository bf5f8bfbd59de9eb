"""Percentile bootstrap intervals for group accuracies and error ratios, resampling samples with replacement."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from rich.progress import track

from fovkit.metrics.accuracy import error_ratio


@dataclass(frozen=True)
class BootstrapIntervals:
    """Lower and upper bounds, (models x groups) for groups and (models,) for the overall accuracy."""

    accuracy_low: np.ndarray
    accuracy_high: np.ndarray
    overall_low: np.ndarray
    overall_high: np.ndarray
    error_ratio_low: np.ndarray
    error_ratio_high: np.ndarray


def bootstrap_intervals(
    correct: np.ndarray,
    membership: np.ndarray,
    scored: np.ndarray,
    n_resamples: int,
    seed: int,
    confidence: float = 0.95,
    progress: bool = False,
) -> BootstrapIntervals:
    """Percentile intervals from `n_resamples` resamples of the samples (one multinomial weight vector each).

    Args:
        correct: Boolean (samples x models).
        membership: Boolean (samples x groups).
        scored: Boolean (samples,) mask of the samples the criterion scores.
        n_resamples: Number of bootstrap resamples (>= 2).
        seed: Seed of the resampling generator; the same seed gives the same intervals.
        confidence: Central coverage of the interval.
        progress: Show a progress bar.

    """
    rng = np.random.default_rng(seed)
    n_samples = correct.shape[0]
    weighted_correct = (correct & scored[:, None]).astype(np.float32)
    scored_weights = scored.astype(np.float32)
    member = sp.csr_array(np.asarray(membership, dtype=np.float32))
    group_acc = np.empty((n_resamples, correct.shape[1], membership.shape[1]), dtype=np.float64)
    overall = np.empty((n_resamples, correct.shape[1]), dtype=np.float64)
    steps = track(range(n_resamples), description="Bootstrap", disable=not progress, transient=True)
    for replicate in steps:
        weights = np.bincount(rng.integers(0, n_samples, n_samples), minlength=n_samples).astype(np.float32)
        resampled = sp.csc_array(member.multiply(weights[:, None]))
        with np.errstate(invalid="ignore", divide="ignore"):
            group_acc[replicate] = ((resampled.T @ weighted_correct) / (resampled.T @ scored_weights)[:, None]).T
            overall[replicate] = (weights @ weighted_correct) / (weights @ scored_weights)
    ratios = np.stack([error_ratio(group_acc[i], overall[i]) for i in range(n_resamples)])
    tail = 100 * (1 - confidence) / 2
    bounds = (tail, 100 - tail)
    accuracy_low, accuracy_high = _nan_percentile(group_acc, bounds)
    overall_low, overall_high = _nan_percentile(overall, bounds)
    ratio_low, ratio_high = _nan_percentile(ratios, bounds)
    return BootstrapIntervals(accuracy_low, accuracy_high, overall_low, overall_high, ratio_low, ratio_high)


def _nan_percentile(values: np.ndarray, bounds: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Percentiles along axis 0 that stay NaN (without a warning) where every resample is NaN."""
    finite = np.where(np.isfinite(values), values, np.nan)
    empty = np.isnan(finite).all(axis=0)
    filled = np.where(empty[None], 0.0, finite)
    low, high = np.nanpercentile(filled, bounds, axis=0)
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)
