from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fovkit.metrics import alexander_govern_by_column, holm_adjust


def brute_force_holm(p: list[float]) -> list[float]:
    """Holm by definition: adjusted p_(i) = max_{j<=i} min(1, (m-j+1) p_(j))."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    adjusted = [0.0] * len(p)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[index]))
        adjusted[index] = running
    return adjusted


@pytest.mark.parametrize("seed", range(5))
def test_holm_matches_definition(seed: int):
    p = np.random.default_rng(seed).random(12) ** 3
    np.testing.assert_allclose(holm_adjust(p), brute_force_holm(p.tolist()))


def test_holm_ignores_nan():
    adjusted = holm_adjust(np.array([0.01, np.nan, 0.04]))
    np.testing.assert_allclose(adjusted[[0, 2]], brute_force_holm([0.01, 0.04]))
    assert np.isnan(adjusted[1])


def test_alexander_govern_per_column_matches_scipy():
    rng = np.random.default_rng(3)
    models = [f"m{i}" for i in range(24)]
    groups = pd.Series(np.repeat(["a", "b", "c"], 8), index=models)
    values = pd.DataFrame(rng.normal(size=(24, 3)), index=models, columns=["x", "y", "z"])
    values.loc[groups == "c", "x"] += 5.0
    table = alexander_govern_by_column(values, groups)
    for column in values.columns:
        expected = stats.alexandergovern(*(values.loc[groups == g, column] for g in ["a", "b", "c"]))
        assert table.loc[column, "pvalue"] == pytest.approx(expected.pvalue)
    assert table.loc["x", "significant"]
    np.testing.assert_allclose(table["pvalue_holm"], brute_force_holm(table["pvalue"].tolist()))


def test_groups_with_one_model_are_left_out():
    values = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 9.0]}, index=list("abcde"))
    groups = pd.Series(["g", "g", "h", "h", "solo"], index=list("abcde"))
    assert alexander_govern_by_column(values, groups).loc["x", "n_groups"] == 2


def test_significance_is_missing_where_no_test_ran():
    values = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [1.0, 1.0, 1.0, 1.0]}, index=list("abcd"))
    groups = pd.Series(["g", "g", "h", "h"], index=list("abcd"))
    table = alexander_govern_by_column(values, groups)
    assert table.loc["x", "significant"] in (True, False)
    assert pd.isna(table.loc["y", "significant"])
