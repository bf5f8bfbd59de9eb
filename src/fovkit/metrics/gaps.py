"""Generalization gaps (robustness-limits paper, Table 1): accuracy when factors vary minus canonical accuracy.

Samples fall into evaluation groups: `canonical` (no factor varies), one group per factor (that factor varies and
every other is canonical) and `all_factors` (the samples marked as the all-factor design, or where every factor
varies). A gap is a group's accuracy minus the canonical accuracy, in percentage points, so negative means worse.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fovkit.errors import InputError, preview
from fovkit.metrics.counts import count_by_group, group_membership
from fovkit.tables import FactorTable, Predictions

CANONICAL = "canonical"
ALL_FACTORS = "all_factors"


def gap_group_masks(table: FactorTable, combined: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Boolean sample masks of the evaluation groups, in table row order.

    Args:
        table: The evaluated samples.
        combined: Mask of the all-factor samples; by default the `design == "all"` rows when the table has a
            `design` column, else the rows where every factor varies.

    """
    varies = table.varies()
    count = varies.sum(axis=1)
    masks = {CANONICAL: count == 0}
    for column, name in enumerate(table.factor_names):
        masks[name] = varies[:, column] & (count == 1)
    if combined is None:
        frame = table.frame
        combined = frame["design"].to_numpy() == "all" if "design" in frame else count == len(table.factor_names)
    masks[ALL_FACTORS] = np.asarray(combined, dtype=bool)
    return masks


def gap_table(
    table: FactorTable, predictions: Predictions, by: str | None = None, combined: np.ndarray | None = None
) -> pd.DataFrame:
    """Accuracy per evaluation group and the gap of each factor, per model (and per value of column `by`).

    Returns:
        One row per model (x `by` value) with `canonical_accuracy`, `<factor>_accuracy` and `<factor>_gap` for
        every factor, `average_gap` (mean over factors), `all_factors_accuracy`, `all_factors_gap` and the
        sample count of every group (`n_<group>`); accuracies and gaps in percent.

    """
    rows = table.sample_ids.get_indexer(predictions.sample_ids)
    if (rows < 0).any():
        unknown = predictions.sample_ids[rows < 0].tolist()
        raise InputError(f"predictions for samples not in the factor table: {preview(unknown)}", field="sample_id")
    evaluated = table.subset(np.isin(np.arange(len(table)), rows))
    order = evaluated.sample_ids.get_indexer(predictions.sample_ids)
    masks = gap_group_masks(evaluated, None if combined is None else np.asarray(combined)[np.sort(rows)])
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
    correct = np.zeros((len(evaluated), len(predictions)), dtype=bool)
    correct[order] = (predictions.predicted == evaluated.labels[order][None, :]).T
    (counts,) = count_by_group([correct], membership, [None])
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
