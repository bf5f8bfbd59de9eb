from __future__ import annotations

import numpy as np
import pandas as pd

from fovkit.metrics import GroupCounts, error_ratio, worst_k_group_accuracy


def test_error_ratio_definition_and_perfect_model():
    ratio = error_ratio(np.array([[0.5, 0.9], [1.0, 1.0]]), np.array([0.8, 1.0]))
    np.testing.assert_allclose(ratio[0], [2.5, 0.5])
    assert np.isnan(ratio[1]).all()


def test_worst_k_matches_pandas_with_stable_ties():
    rng = np.random.default_rng(1)
    correct = rng.integers(0, 10, size=(3, 20)).astype(float)
    total = np.full((3, 20), 10.0)
    result = worst_k_group_accuracy(GroupCounts(correct, total), k=5)
    for model in range(3):
        frame = pd.DataFrame({"acc": correct[model] / total[model], "c": correct[model], "t": total[model]})
        worst = frame.sort_values("acc", kind="stable").head(5)
        assert result[model] == worst["c"].sum() / worst["t"].sum()


def test_worst_k_skips_empty_groups():
    counts = GroupCounts(np.array([[0.0, 1.0, 2.0]]), np.array([[0.0, 2.0, 2.0]]))
    assert worst_k_group_accuracy(counts, k=1)[0] == 0.5
