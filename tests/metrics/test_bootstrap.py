from __future__ import annotations

import numpy as np

from fovkit.metrics.bootstrap import bootstrap_intervals


def make_data(seed: int = 5):
    rng = np.random.default_rng(seed)
    correct = rng.random((2000, 2)) < np.array([0.6, 0.9])
    membership = rng.random((2000, 3)) < 0.3
    return correct, membership, np.ones(2000, bool)


def test_same_seed_same_intervals_and_different_seed_differs():
    correct, membership, scored = make_data()
    first = bootstrap_intervals(correct, membership, scored, 50, seed=0)
    again = bootstrap_intervals(correct, membership, scored, 50, seed=0)
    other = bootstrap_intervals(correct, membership, scored, 50, seed=1)
    np.testing.assert_array_equal(first.accuracy_low, again.accuracy_low)
    assert not np.array_equal(first.accuracy_low, other.accuracy_low)


def test_intervals_bracket_the_estimate_and_shrink_with_more_data():
    correct, membership, scored = make_data()
    result = bootstrap_intervals(correct, membership, scored, 200, seed=0)
    estimate = (correct[:, :, None] & membership[:, None, :]).sum(0) / membership.sum(0)
    assert np.all(result.accuracy_low <= estimate) and np.all(estimate <= result.accuracy_high)
    overall = correct.mean(axis=0)
    assert np.all(result.overall_low <= overall) and np.all(overall <= result.overall_high)
    width = result.overall_high - result.overall_low
    # binomial standard error * 2 * 1.96 at n=2000, within 30%
    expected = 2 * 1.96 * np.sqrt(overall * (1 - overall) / 2000)
    np.testing.assert_allclose(width, expected, rtol=0.3)
    assert np.all(result.error_ratio_low <= result.error_ratio_high)
