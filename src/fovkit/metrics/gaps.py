"""Generalization gaps (robustness-limits paper, Table 1): accuracy when factors vary minus canonical accuracy.

Samples fall into evaluation groups: `canonical` (no factor varies), one group per factor (that factor varies and
every other is canonical) and `all_factors` (the samples marked as the all-factor design, or where every factor
varies). A gap is a group's accuracy minus the canonical accuracy, in percentage points, so negative means worse.

Which rows form the canonical and one-factor groups is a choice (`designs`): the rows of the single-factor design
only (what `fovkit probe` uses), or every row where at most one factor varies, which pools in the paired design's
rows whose other factor sits at its canonical value. Images of one object are not independent, so `gap_intervals`
resamples whole objects (clusters) to give each gap its bootstrap interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from fovkit.errors import InputError, preview
from fovkit.metrics.counts import GroupCounts, count_by_group, group_membership
from fovkit.metrics.intervals import central_bounds, finite_percentiles
from fovkit.seeding import rng
from fovkit.tables import FactorTable, Predictions
from fovkit.tables.factor_table import varying_only

CANONICAL = "canonical"
ALL_FACTORS = "all_factors"
AVERAGE = "average"
"""The mean of the factor gaps: a row of `gap_intervals`, not a group of samples."""


def gap_group_masks(
    table: FactorTable, combined: np.ndarray | None = None, designs: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """Boolean sample masks of the evaluation groups, in table row order.

    Args:
        table: The evaluated samples.
        combined: Mask of the all-factor samples; by default the `design == "all"` rows when the table has a
            `design` column, else the rows where every factor varies.
        designs: Designs whose rows form the canonical and one-factor groups (needs a `design` column); None
            takes every row where at most one factor varies.

    """
    varies = table.varies()
    count = varies.sum(axis=1)
    frame = table.frame
    eligible = np.ones(len(table), dtype=bool)
    if designs is not None:
        if "design" not in frame:
            raise InputError("the table has no `design` column to choose gap designs from", field="designs")
        present = sorted(frame["design"].unique().tolist())
        unknown = [design for design in designs if design not in present]
        if unknown:
            raise InputError(f"designs {preview(unknown)} are not in the table; it has {present}", field="designs")
        eligible = frame["design"].isin(list(designs)).to_numpy()
    masks = {CANONICAL: varying_only(varies) & eligible}
    for column, name in enumerate(table.factor_names):
        masks[name] = varying_only(varies, [column]) & eligible
    if combined is None:
        combined = frame["design"].to_numpy() == "all" if "design" in frame else count == len(table.factor_names)
    masks[ALL_FACTORS] = np.asarray(combined, dtype=bool)
    return masks


def gap_table(
    table: FactorTable,
    predictions: Predictions,
    by: str | None = None,
    combined: np.ndarray | None = None,
    designs: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Accuracy per evaluation group and the gap of each factor, per model (and per value of column `by`).

    Returns:
        One row per model (x `by` value) with `canonical_accuracy`, `<factor>_accuracy` and `<factor>_gap` for
        every factor, `average_gap` (mean over factors), `all_factors_accuracy`, `all_factors_gap` and the
        sample count of every group (`n_<group>`); accuracies and gaps in percent.

    """
    evaluated, order, kept = _evaluated(table, predictions)
    masks = gap_group_masks(evaluated, None if combined is None else np.asarray(combined)[kept], designs)
    keys = ["<all>"] if by is None else sorted(evaluated.frame[by].unique().tolist())
    key_of_row = np.zeros(len(evaluated), dtype=np.int64)
    if by is not None:
        key_of_row = pd.Index(keys).get_indexer(evaluated.frame[by])
    names = list(masks)
    samples, groups = [], []
    for number, name in enumerate(names):
        members = np.flatnonzero(masks[name])
        samples.append(members)
        groups.append(key_of_row[members] * len(names) + number)
    membership = group_membership(
        np.concatenate(samples), np.concatenate(groups), len(evaluated), len(keys) * len(names)
    )
    (counts,) = count_by_group([_correct(evaluated, order, predictions)], membership, [None])
    accuracy = 100 * counts.accuracy.reshape(len(predictions), len(keys), len(names))
    totals = counts.total.reshape(len(predictions), len(keys), len(names))
    parts = []
    for model_number, model in enumerate(predictions.models):
        frame = pd.DataFrame({"model": model}, index=range(len(keys)))
        if by is not None:
            frame[by] = keys
        for number, name in enumerate(names):
            frame[f"{name}_accuracy"] = accuracy[model_number, :, number]
        canonical = frame[f"{CANONICAL}_accuracy"]
        for name in [*table.factor_names, ALL_FACTORS]:
            frame[f"{name}_gap"] = frame[f"{name}_accuracy"] - canonical
        frame["average_gap"] = frame[[f"{name}_gap" for name in table.factor_names]].mean(axis=1, skipna=False)
        for number, name in enumerate(names):
            frame[f"n_{name}"] = totals[model_number, :, number].astype(np.int64)
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def gap_intervals(
    table: FactorTable,
    predictions: Predictions,
    clusters: np.ndarray,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    pool: Sequence[str] | None = None,
    combined: np.ndarray | None = None,
    designs: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Every group's accuracy and gap with percentile intervals from a bootstrap over whole clusters (objects).

    Each resample draws the clusters with replacement and recomputes every group's accuracy from the drawn
    clusters' counts, so the intervals reflect how many independent objects a gap rests on, not how many images.

    Args:
        table: The factor table; `clusters` follows its row order.
        predictions: Predicted classes for (a subset of) the table's samples.
        clusters: (rows of `table`,) cluster id of each sample, e.g. one id per rendered object.
        n_resamples: Bootstrap resamples (0: point estimates only, NaN bounds).
        seed: Seed of the resampling.
        confidence: Central coverage of the intervals.
        pool: Output name of each prediction model; models sharing a name are pooled (their counts summed, e.g.
            several training seeds of one backbone and protocol). Default: each model on its own.
        combined: Mask of the all-factor samples (see `gap_group_masks`).
        designs: Designs of the canonical and one-factor groups (see `gap_group_masks`).

    Returns:
        One row per (model, group): `model`, `group`, `n` (samples), `clusters` (distinct clusters), `accuracy`,
        `accuracy_low`, `accuracy_high`, `gap`, `gap_low`, `gap_high`; accuracies and gaps in points, the
        canonical group's gap 0. A last row per model, group `average`, holds the mean of the factor gaps with its
        interval (`n`: images of the factor groups; no accuracy).

    """
    names = list(predictions.models) if pool is None else list(pool)
    if len(names) != len(predictions.models):
        raise InputError(
            f"pool names {len(names)} models; the predictions hold {len(predictions.models)}", field="pool"
        )
    clusters = np.asarray(clusters)
    if len(clusters) != len(table):
        raise InputError(f"clusters has {len(clusters)} entries for a table of {len(table)} rows", field="clusters")
    evaluated, order, kept = _evaluated(table, predictions)
    cells = gap_cells(evaluated, clusters[kept], None if combined is None else np.asarray(combined)[kept], designs)
    (counts,) = count_by_group([_correct(evaluated, order, predictions)], cells.membership, [None])
    return intervals_from_counts(counts, cells, names, n_resamples, seed, confidence)


@dataclass(frozen=True)
class GapCells:
    """The leaves a gap bootstrap counts: (cluster, group) pairs, as a sparse (samples x cells) membership."""

    groups: tuple[str, ...]
    n_clusters: int
    membership: sp.csc_array

    @property
    def n_cells(self) -> int:
        """Number of cluster x group cells."""
        return self.n_clusters * len(self.groups)


def gap_cells(
    table: FactorTable, clusters: np.ndarray, combined: np.ndarray | None = None, designs: Sequence[str] | None = None
) -> GapCells:
    """The cluster x group cells of the evaluation groups of `table` (see `gap_group_masks`)."""
    masks = gap_group_masks(table, combined, designs)
    cluster_of_row, cluster_ids = pd.factorize(np.asarray(clusters))
    samples, cells = _pairs(masks, cluster_of_row, len(masks))
    membership = group_membership(samples, cells, len(table), len(cluster_ids) * len(masks))
    return GapCells(tuple(masks), len(cluster_ids), membership)


def intervals_from_counts(
    counts: GroupCounts,
    cells: GapCells,
    names: Sequence[str],
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """`gap_intervals`' table from right counts per (model, cell); models sharing a name are pooled."""
    groups, n_clusters = list(cells.groups), cells.n_clusters
    outputs = list(dict.fromkeys(names))
    owner = pd.Index(outputs).get_indexer(list(names))
    correct = np.zeros((len(outputs), cells.n_cells))
    np.add.at(correct, owner, counts.correct)
    correct = correct.reshape(len(outputs), n_clusters, len(groups))
    total = np.bincount(owner)[:, None, None] * counts.total[0].reshape(1, n_clusters, len(groups))
    factors = slice(1, len(groups) - 1)  # the groups between canonical and all_factors
    accuracy = _accuracy(correct.sum(axis=1), total.sum(axis=1))
    gaps = _with_average(accuracy - accuracy[:, :1], factors)
    accuracy = np.concatenate([accuracy, np.full((len(outputs), 1), np.nan)], axis=1)
    bounds = np.full((4, *accuracy.shape), np.nan)  # accuracy low, high; gap low, high
    if n_resamples:
        draws = rng(seed, "gaps", "cluster_bootstrap").multinomial(
            n_clusters, np.full(n_clusters, 1 / n_clusters), size=n_resamples
        )
        weights = draws.astype(np.float64)
        resampled = _accuracy(np.einsum("bc,mcg->bmg", weights, correct), np.einsum("bc,mcg->bmg", weights, total))
        levels = central_bounds(confidence)
        bounds[:2, :, :-1] = finite_percentiles(np.moveaxis(resampled, 0, -1), levels)
        gaps_resampled = _with_average(resampled - resampled[..., :1], factors)
        bounds[2:] = finite_percentiles(np.moveaxis(gaps_resampled, 0, -1), levels)
    images = total.sum(axis=1) // np.bincount(owner)[:, None]
    objects = (total > 0).sum(axis=1)
    parts = []
    for number, model in enumerate(outputs):
        parts.append(
            pd.DataFrame(
                {
                    "model": model,
                    "group": [*groups, AVERAGE],
                    "n": [*images[number].astype(np.int64), int(images[number, factors].sum())],
                    "clusters": [*objects[number], int(objects[number, 0])],
                    "accuracy": accuracy[number],
                    "accuracy_low": bounds[0, number],
                    "accuracy_high": bounds[1, number],
                    "gap": gaps[number],
                    "gap_low": bounds[2, number],
                    "gap_high": bounds[3, number],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _evaluated(table: FactorTable, predictions: Predictions) -> tuple[FactorTable, np.ndarray, np.ndarray]:
    """The predicted rows of `table`, the row of each predicted sample in them, and their (sorted) rows in `table`."""
    rows = table.sample_ids.get_indexer(predictions.sample_ids)
    if (rows < 0).any():
        unknown = predictions.sample_ids[rows < 0].tolist()
        raise InputError(f"predictions for samples not in the factor table: {preview(unknown)}", field="sample_id")
    kept = np.sort(rows)
    evaluated = table.subset(np.isin(np.arange(len(table)), rows))
    return evaluated, evaluated.sample_ids.get_indexer(predictions.sample_ids), kept


def _correct(evaluated: FactorTable, order: np.ndarray, predictions: Predictions) -> np.ndarray:
    """Boolean (evaluated rows x models): the model predicted the row's label."""
    correct = np.zeros((len(evaluated), len(predictions)), dtype=bool)
    correct[order] = (predictions.predicted == evaluated.labels[order][None, :]).T
    return correct


def _pairs(masks: dict[str, np.ndarray], cluster: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """(sample, cluster x group) membership pairs."""
    samples, groups = [], []
    for number, mask in enumerate(masks.values()):
        members = np.flatnonzero(mask)
        samples.append(members)
        groups.append(cluster[members] * n_groups + number)
    return np.concatenate(samples), np.concatenate(groups)


def _with_average(gaps: np.ndarray, factors: slice) -> np.ndarray:
    """`gaps` (... x groups) with one more column: the mean of the factor groups' gaps (NaN if any is NaN)."""
    return np.concatenate([gaps, gaps[..., factors].mean(axis=-1, keepdims=True)], axis=-1)


def _accuracy(correct: np.ndarray, total: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100 * correct / total
