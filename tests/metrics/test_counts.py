from __future__ import annotations

import numpy as np

from fovkit.metrics import count_by_group, group_membership


def test_counts_match_a_direct_loop():
    rng = np.random.default_rng(0)
    correct = rng.random((50, 4)) < 0.6
    mask = rng.random((50, 6)) < 0.3
    samples, groups = np.nonzero(mask)
    scored = rng.random(50) < 0.8
    counts, unmasked = count_by_group([correct, correct], group_membership(samples, groups, 50, 6), [scored, None])
    for model in range(4):
        for group in range(6):
            members = mask[:, group] & scored
            assert counts.correct[model, group] == correct[members, model].sum()
            assert counts.total[model, group] == members.sum()
    np.testing.assert_array_equal(counts.mistakes, counts.total - counts.correct)
    np.testing.assert_array_equal(unmasked.total[0], mask.sum(axis=0))


def test_empty_group_has_nan_accuracy():
    [counts] = count_by_group([np.ones((3, 1), bool)], group_membership(np.array([0]), np.array([0]), 3, 2), [None])
    assert counts.accuracy[0, 0] == 1.0
    assert np.isnan(counts.accuracy[0, 1])
