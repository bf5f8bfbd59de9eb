"""Percentile bootstrap intervals for group accuracies and error ratios, resampling samples with replacement."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
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


RESAMPLE_BLOCK = 50
"""Resamples drawn and scored together: one (block x samples) matrix of draw counts (~9 MB at ImageNet-X scale)."""
DRAW_CACHE_BYTES = 256 << 20
"""Largest table of draw counts (resamples x samples, one byte each) kept for reuse within a process."""


def bootstrap_intervals(
    correct: np.ndarray,
    membership: np.ndarray,
    scored: np.ndarray,
    n_resamples: int,
    seed: int,
    confidence: float = 0.95,
    progress: bool = False,
) -> BootstrapIntervals:
    """Percentile intervals from `n_resamples` resamples of the samples (one multinomial draw count per sample).

    Resamples are scored a block at a time: each group's resampled counts are one matrix product of the block's
    draw counts with that group's rows, so the cost grows with the group memberships, not samples x groups.

    Args:
        correct: Boolean (samples x models).
        membership: Boolean (samples x groups).
        scored: Boolean (samples,) mask of the samples the criterion scores.
        n_resamples: Number of bootstrap resamples (>= 2).
        seed: Seed of the resampling generator; the same seed gives the same intervals.
        confidence: Central coverage of the interval.
        progress: Show a progress bar.

    """
    n_samples, n_models = correct.shape
    hits = (correct & scored[:, None]).astype(np.float32)
    counted = scored.astype(np.float32)
    groups = GroupRows.of(np.asarray(membership, dtype=bool))
    group_acc = np.empty((n_resamples, n_models, groups.n_groups), dtype=np.float64)
    overall = np.empty((n_resamples, n_models), dtype=np.float64)
    blocks = track(
        _draw_blocks(seed, n_resamples, n_samples),
        total=-(-n_resamples // RESAMPLE_BLOCK),
        description="Bootstrap",
        disable=not progress,
        transient=True,
    )
    start = 0
    for draws in blocks:
        block = slice(start, start + len(draws))
        group_acc[block], overall[block] = resampled_accuracies(draws, hits, counted, groups)
        start += len(draws)
    ratios = error_ratio(group_acc.reshape(-1, groups.n_groups), overall.reshape(-1))
    ratios = ratios.reshape(group_acc.shape)
    tail = 100 * (1 - confidence) / 2
    bounds = (tail, 100 - tail)
    accuracy_low, accuracy_high = _nan_percentile(group_acc, bounds)
    overall_low, overall_high = _nan_percentile(overall, bounds)
    ratio_low, ratio_high = _nan_percentile(ratios, bounds)
    return BootstrapIntervals(accuracy_low, accuracy_high, overall_low, overall_high, ratio_low, ratio_high)


@dataclass(frozen=True)
class GroupRows:
    """The rows of each group, concatenated group after group (`bounds[g]:bounds[g + 1]` are group g's)."""

    rows: np.ndarray
    bounds: np.ndarray

    @classmethod
    def of(cls, membership: np.ndarray) -> GroupRows:
        """From a boolean (samples x groups) membership matrix."""
        group_of, rows = np.nonzero(membership.T)
        return cls(rows, np.searchsorted(group_of, np.arange(membership.shape[1] + 1)))

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return len(self.bounds) - 1


def _draw_blocks(seed: int, n_resamples: int, n_samples: int) -> Iterator[np.ndarray]:
    """The draw counts of every resample, a block at a time (float32); the same for the same seed and sizes.

    Every chunk of models and every criterion resamples the same samples with the same seed, so the counts are
    drawn once per process and kept (one byte per sample and resample: 46 MB for 1,000 resamples of ImageNet-X)
    unless that would exceed DRAW_CACHE_BYTES; drawing them costs more than scoring them.
    """
    if n_resamples * n_samples > DRAW_CACHE_BYTES:
        yield from _fresh_draw_blocks(seed, n_resamples, n_samples)
        return
    counts = _all_draw_counts(seed, n_resamples, n_samples)
    for start in range(0, n_resamples, RESAMPLE_BLOCK):
        yield counts[start : start + RESAMPLE_BLOCK].astype(np.float32)


def _fresh_draw_blocks(seed: int, n_resamples: int, n_samples: int) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(seed)
    for start in range(0, n_resamples, RESAMPLE_BLOCK):
        yield multinomial_draws(rng, min(RESAMPLE_BLOCK, n_resamples - start), n_samples)


@functools.lru_cache(maxsize=1)
def _all_draw_counts(seed: int, n_resamples: int, n_samples: int) -> np.ndarray:
    """Every resample's draw counts in one byte each (a count above 255 has odds far below 1e-300)."""
    counts = np.empty((n_resamples, n_samples), dtype=np.uint8)
    start = 0
    for block in _fresh_draw_blocks(seed, n_resamples, n_samples):
        if block.max(initial=0) > np.iinfo(np.uint8).max:
            raise ValueError("a sample was drawn more than 255 times in one resample")
        counts[start : start + len(block)] = block
        start += len(block)
    return counts


def multinomial_draws(rng: np.random.Generator, n_resamples: int, n_samples: int) -> np.ndarray:
    """How often each sample is drawn in each resample of `n_samples` draws with replacement.

    Returns:
        (resamples x samples) float32 counts; each row sums to `n_samples`.

    """
    draws = rng.integers(0, n_samples, size=(n_resamples, n_samples))
    draws += np.arange(n_resamples)[:, None] * n_samples
    counts = np.bincount(draws.ravel(), minlength=n_resamples * n_samples)
    return counts.reshape(n_resamples, n_samples).astype(np.float32)


def resampled_accuracies(
    draws: np.ndarray, hits: np.ndarray, counted: np.ndarray, groups: GroupRows
) -> tuple[np.ndarray, np.ndarray]:
    """Accuracy per (resample, model, group) and per (resample, model) under the given draw counts.

    Products of whole-number float32 values stay exact below 2**24, so the result does not depend on the BLAS.

    Args:
        draws: (resamples x samples) draw counts (see `multinomial_draws`).
        hits: (samples x models) 1.0 where a scored sample is predicted right.
        counted: (samples,) 1.0 for scored samples.
        groups: Rows of each group.

    """
    member_draws = draws[:, groups.rows]
    right = np.empty((len(draws), groups.n_groups, hits.shape[1]), dtype=np.float64)
    total = np.empty((len(draws), groups.n_groups), dtype=np.float64)
    for group in range(groups.n_groups):
        rows = slice(groups.bounds[group], groups.bounds[group + 1])
        right[:, group] = member_draws[:, rows] @ hits[groups.rows[rows]]
        total[:, group] = member_draws[:, rows] @ counted[groups.rows[rows]]
    with np.errstate(invalid="ignore", divide="ignore"):
        group_acc = (right / total[:, :, None]).transpose(0, 2, 1)
        overall = (draws @ hits).astype(np.float64) / (draws @ counted).astype(np.float64)[:, None]
    return group_acc, overall


def _nan_percentile(values: np.ndarray, bounds: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Percentiles along axis 0 that stay NaN (without a warning) where every resample is NaN."""
    finite = np.where(np.isfinite(values), values, np.nan)
    empty = np.isnan(finite).all(axis=0)
    filled = np.where(empty[None], 0.0, finite)
    low, high = np.nanpercentile(filled, bounds, axis=0)
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)
