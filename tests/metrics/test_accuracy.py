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


def test_worst_k_breaks_ties_by_group_index_when_totals_differ():
    rng = np.random.default_rng(3)
    total = rng.integers(1, 6, size=(50, 40)).astype(float) * 2
    correct = total / 2 * rng.integers(0, 3, size=(50, 40))  # accuracies 0, 0.5 or 1: many ties, unequal totals
    correct = np.minimum(correct, total)
    for k in (1, 7, 40):
        result = worst_k_group_accuracy(GroupCounts(correct, total), k=k)
        worst = np.argsort(correct / total, axis=1, kind="stable")[:, :k]
        expected = np.take_along_axis(correct, worst, 1).sum(1) / np.take_along_axis(total, worst, 1).sum(1)
        np.testing.assert_array_equal(result, expected)
