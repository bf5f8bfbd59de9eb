"""Percentile bootstrap intervals for group accuracies and error ratios, resampling samples with replacement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fovkit.metrics.accuracy import error_ratio
from fovkit.metrics.intervals import central_bounds, finite_percentiles
from fovkit.seeding import Key, rng


@dataclass(frozen=True)
class BootstrapIntervals:
    """Lower and upper bounds, (models x groups) for groups and (models,) for the overall accuracy."""

    accuracy_low: np.ndarray
    accuracy_high: np.ndarray
    overall_low: np.ndarray
    overall_high: np.ndarray
    error_ratio_low: np.ndarray
    error_ratio_high: np.ndarray


@dataclass(frozen=True)
class CellDraws:
    """How many of each resample's draws land in each group's cells; drawn once, shared by every model."""

    seed: int
    streams: tuple[Key, ...]
    """Stream keys of this bootstrap; models draw from (`streams`, "correct", their right counts)."""
    sizes: np.ndarray
    """(groups,) scored samples in each group."""
    n_scored: int
    """Scored samples."""
    group: np.ndarray
    """(groups x resamples) draws of scored samples of the group."""
    rest: np.ndarray
    """(groups x resamples) draws of the other scored samples."""
    scored: np.ndarray
    """(resamples,) draws of scored samples, for the overall accuracy."""
    outside: np.ndarray | None = None
    """(resamples,) draws of scored samples in no group, when the groups are disjoint (one joint draw), else None."""


@dataclass(frozen=True)
class CorrectDraws:
    """How many of those draws one model predicts right, shaped like the draws of `CellDraws`."""

    group: np.ndarray
    rest: np.ndarray
    scored: np.ndarray


def draw_cells(
    membership: np.ndarray, scored: np.ndarray, n_resamples: int, seed: int, key: Sequence[Key] = ()
) -> CellDraws:
    """How many of the N draws of each resample land in each group's cells and among the scored samples.

    A bootstrap resample draws N samples with replacement; the draws falling in disjoint cells are Multinomial(N,
    cell sizes / N). When no sample is in two groups (e.g. ImageNet-X top factors), the cells are every group, the
    scored samples in no group and the unscored samples, drawn together from the stream (seed, "bootstrap", `key`,
    "cells"); a model then needs one binomial per cell. Otherwise each group is drawn against its complement (the
    group's scored samples, the other scored samples, the unscored samples) from (..., "cells", group).

    Args:
        membership: Boolean (samples x groups); groups may overlap.
        scored: Boolean (samples,) mask of the samples the criterion scores.
        n_resamples: Number of bootstrap resamples.
        seed: User seed.
        key: Stream keys naming what is bootstrapped (e.g. the scoring criterion).

    """
    scored = np.asarray(scored, dtype=bool)
    inside = np.asarray(membership, dtype=bool) & scored[:, None]
    sizes = inside.sum(axis=0)
    n_samples, n_scored, streams = len(scored), int(scored.sum()), ("bootstrap", *key)
    if (inside.sum(axis=1) <= 1).all():
        shares = np.array([*sizes, n_scored - sizes.sum(), n_samples - n_scored]) / n_samples
        counts = rng(seed, *streams, "cells").multinomial(n_samples, shares, size=n_resamples).T
        group, outside = counts[:-2], counts[-2]
        total = group.sum(axis=0) + outside
        return CellDraws(seed, streams, sizes, n_scored, group, total - group, total, outside)
    group, rest = np.empty((2, len(sizes), n_resamples), dtype=np.int64)
    for index, size in enumerate(sizes.tolist()):
        shares = np.array([size, n_scored - size, n_samples - n_scored]) / n_samples
        counts = rng(seed, *streams, "cells", index).multinomial(n_samples, shares, size=n_resamples)
        group[index], rest[index] = counts[:, 0], counts[:, 1]
    overall = rng(seed, *streams, "cells", "scored").binomial(n_samples, n_scored / n_samples, size=n_resamples)
    return CellDraws(seed, streams, sizes, n_scored, group, rest, overall)


def bootstrap_intervals(
    cells: CellDraws, right_inside: np.ndarray, right: np.ndarray, confidence: float = 0.95
) -> BootstrapIntervals:
    """Percentile bootstrap intervals, as from resampling the N samples with replacement, from right counts alone.

    Every bound is a percentile of one statistic of one model over the resamples: the accuracy of a group, the
    overall accuracy, or the error ratio of a group with the overall accuracy of the same resample. So only the law
    of that statistic matters, and it is drawn exactly without resampling every sample: given the draws of each
    cell (`draw_cells`), the model's right ones among n* draws of a cell are Binomial(n*, its accuracy in the
    cell). The cost is resamples x groups x models, independent of N. Groups may overlap: each is drawn against its
    own complement. Only the joint law across groups and models differs from a full resampling, which no bound
    depends on.

    A model's draws are keyed by its right counts, which with the cells determine its bootstrap law, so it gets the
    same intervals whatever other models are analysed with it, in whatever order or process.

    Args:
        cells: Draws of every group's cells, shared by every model (see `draw_cells`).
        right_inside: (models x groups) scored samples of each group that each model predicts right.
        right: (models,) scored samples that each model predicts right.
        confidence: Central coverage of the interval.

    """
    right_inside = np.rint(right_inside).astype(np.int64)
    right = np.rint(right).astype(np.int64)
    bounds = central_bounds(confidence)
    n_models, n_groups = right_inside.shape
    accuracy, ratio = np.empty((2, 2, n_models, n_groups))
    overall = np.empty((2, n_models))
    for model in range(n_models):
        generator = rng(cells.seed, *cells.streams, "correct", int(right[model]), *right_inside[model].tolist())
        group_acc, overall_acc, ratios = resampled_statistics(
            cells, draw_correct(generator, cells, right_inside[model], int(right[model]))
        )
        accuracy[:, model] = finite_percentiles(group_acc, bounds)
        overall[:, model] = finite_percentiles(overall_acc, bounds)
        ratio[:, model] = finite_percentiles(ratios, bounds)
    return BootstrapIntervals(*accuracy, *overall, *ratio)


def draw_correct(
    generator: np.random.Generator, cells: CellDraws, right_inside: np.ndarray, right: int
) -> CorrectDraws:
    """How many of each cell's draws one model predicts right: binomial in the model's accuracy in the cell.

    Args:
        generator: The model's generator.
        cells: Draws per cell (see `draw_cells`).
        right_inside: (groups,) scored samples of each group the model predicts right.
        right: Scored samples the model predicts right.

    """
    if cells.outside is not None:  # disjoint groups: one binomial per cell, the rest and the total are sums
        group = generator.binomial(cells.group, _rate(right_inside, cells.sizes)[:, None])
        outside_rate = _rate(right - right_inside.sum(), cells.n_scored - cells.sizes.sum())
        total = group.sum(axis=0) + generator.binomial(cells.outside, outside_rate)
        return CorrectDraws(group, total - group, total)
    return CorrectDraws(
        generator.binomial(cells.group, _rate(right_inside, cells.sizes)[:, None]),
        generator.binomial(cells.rest, _rate(right - right_inside, cells.n_scored - cells.sizes)[:, None]),
        generator.binomial(cells.scored, _rate(right, cells.n_scored)),
    )


def resampled_statistics(cells: CellDraws, draws: CorrectDraws) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One model's statistics in every resample: group accuracies, overall accuracy and error ratios.

    Returns:
        (groups x resamples) accuracies, NaN where a resample draws no scored sample of the group; (resamples,)
        overall accuracies; (groups x resamples) error ratios, each over the error on all scored samples of the
        same resample.

    """
    with np.errstate(invalid="ignore", divide="ignore"):
        group_acc = draws.group / cells.group
        overall_with_group = (draws.group + draws.rest) / (cells.group + cells.rest)
        overall = draws.scored / cells.scored
    ratios = error_ratio(group_acc.reshape(-1, 1), overall_with_group.reshape(-1)).reshape(group_acc.shape)
    return group_acc, overall, ratios


def _rate(right: np.ndarray | int, total: np.ndarray | int) -> np.ndarray:
    """The share `right / total`, 0 where a cell is empty (its draws are then always 0)."""
    total = np.asarray(total)
    return np.where(total > 0, right / np.maximum(total, 1), 0.0)
