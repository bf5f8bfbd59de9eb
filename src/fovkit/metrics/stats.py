"""Significance tests between groups of models: Alexander-Govern per column with Holm's step-down correction."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd


def holm_adjust(p_values: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (family-wise error control); NaN entries are left out of the family."""
    p_values = np.asarray(p_values, dtype=np.float64)
    adjusted = np.full_like(p_values, np.nan)
    present = np.flatnonzero(~np.isnan(p_values))
    order = present[np.argsort(p_values[present], kind="stable")]
    m = len(order)
    scaled = p_values[order] * (m - np.arange(m))
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted


def alexander_govern_by_column(values: pd.DataFrame, groups: pd.Series, alpha: float = 0.05) -> pd.DataFrame:
    """Test, for each column, whether its mean differs between groups of rows (heteroscedastic one-way test).

    Args:
        values: Rows are models, columns are factors (e.g. error ratios).
        groups: Group name per row of `values` (same index); groups with fewer than two rows are left out.
        alpha: Significance level applied to the Holm-adjusted p-values.

    Returns:
        Index = columns; `statistic`, `pvalue`, `pvalue_holm`, `significant` (missing where no test could run:
        fewer than two groups of two models, or no variation), `n_groups`.

    """
    from scipy import stats  # imported on use (slow to load; only runs with model groups)

    aligned = groups.reindex(values.index)
    sizes = aligned.value_counts()
    kept = sorted(sizes[sizes >= 2].index)
    matrix = values.to_numpy(dtype=np.float64)
    samples = [matrix[(aligned == group).to_numpy()] for group in kept]
    statistic = np.full(matrix.shape[1], np.nan)
    pvalue = np.full(matrix.shape[1], np.nan)
    n_groups = np.full(matrix.shape[1], len(samples))
    complete = ~np.isnan(matrix).any(axis=0)
    if len(samples) >= 2 and complete.any():
        with warnings.catch_warnings():  # constant columns: scipy warns, then rightly returns NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            result = stats.alexandergovern(*(sample[:, complete] for sample in samples), axis=0)
        statistic[complete], pvalue[complete] = result.statistic, result.pvalue
    for column in np.flatnonzero(~complete):
        present = [sample[:, column][~np.isnan(sample[:, column])] for sample in samples]
        present = [sample for sample in present if len(sample) >= 2]
        n_groups[column] = len(present)
        if len(present) >= 2:
            result = stats.alexandergovern(*present)
            statistic[column], pvalue[column] = result.statistic, result.pvalue
    table = pd.DataFrame(
        {"statistic": statistic, "pvalue": pvalue, "n_groups": n_groups}, index=pd.Index(values.columns, name="factor")
    )
    table["pvalue_holm"] = holm_adjust(table["pvalue"].to_numpy())
    table["significant"] = (table["pvalue_holm"] <= alpha).astype("boolean").mask(table["pvalue_holm"].isna())
    return table[["statistic", "pvalue", "pvalue_holm", "significant", "n_groups"]]
