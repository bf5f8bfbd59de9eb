from __future__ import annotations

import numpy as np

from fovkit.metrics import bootstrap
from fovkit.metrics.bootstrap import GroupRows, bootstrap_intervals, multinomial_draws, resampled_accuracies


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


def test_draw_counts_are_multinomial_resamples():
    draws = multinomial_draws(np.random.default_rng(0), 40, 300)
    assert draws.shape == (40, 300)
    np.testing.assert_array_equal(draws.sum(axis=1), 300)
    assert draws.min() >= 0 and np.all(draws == np.round(draws))
    # each sample is drawn once per resample on average
    assert abs(draws.mean() - 1.0) < 1e-9 and 0.9 < draws.var() < 1.1


def test_resampled_accuracies_equal_a_weighted_count_per_resample():
    correct, membership, _ = make_data()
    scored = np.random.default_rng(1).random(len(correct)) < 0.8
    membership[:, 2] = False  # an empty group gives NaN
    draws = multinomial_draws(np.random.default_rng(3), 7, len(correct))
    hits = (correct & scored[:, None]).astype(np.float32)
    group_acc, overall = resampled_accuracies(draws, hits, scored.astype(np.float32), GroupRows.of(membership))
    for resample, weights in enumerate(draws.astype(np.float64)):
        for model in range(correct.shape[1]):
            right = weights * (correct[:, model] & scored)
            assert overall[resample, model] == right.sum() / (weights * scored).sum()
            for group in range(2):
                inside = membership[:, group]
                expected = right[inside].sum() / (weights * scored)[inside].sum()
                assert group_acc[resample, model, group] == expected
            assert np.isnan(group_acc[resample, model, 2])


def test_cached_and_freshly_drawn_resamples_give_the_same_intervals(monkeypatch):
    correct, membership, scored = make_data()
    cached = bootstrap_intervals(correct, membership, scored, 120, seed=4)
    monkeypatch.setattr(bootstrap, "DRAW_CACHE_BYTES", 0)
    drawn = bootstrap_intervals(correct, membership, scored, 120, seed=4)
    for name in ("accuracy_low", "accuracy_high", "overall_low", "error_ratio_high"):
        np.testing.assert_array_equal(getattr(cached, name), getattr(drawn, name))
