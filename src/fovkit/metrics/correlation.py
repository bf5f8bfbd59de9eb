"""Spearman rank correlations between annotation columns, with p-values."""

from __future__ import annotations

import numpy as np
import pandas as pd


def spearman_matrix(columns: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Spearman rho and two-sided p-value for every pair of columns (NaN for constant columns).

    Returns:
        (rho, p_value), both square DataFrames indexed and labelled by the column names.

    """
    from scipy import stats  # imported on use: scipy.stats takes ~0.5 s to load, and the result is usually cached

    values = columns.to_numpy(dtype=np.float64)
    constant = values.min(axis=0) == values.max(axis=0)
    rho = np.full((values.shape[1],) * 2, np.nan)
    p_value = np.full_like(rho, np.nan)
    varying = np.flatnonzero(~constant)
    if len(varying) >= 2:
        result = stats.spearmanr(values[:, varying])
        rho[np.ix_(varying, varying)] = result.statistic
        p_value[np.ix_(varying, varying)] = result.pvalue
    names = list(columns.columns)
    return pd.DataFrame(rho, index=names, columns=names), pd.DataFrame(p_value, index=names, columns=names)
