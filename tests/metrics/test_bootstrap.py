from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import norm

from fovkit.metrics import bootstrap
from fovkit.metrics.accuracy import error_ratio
from fovkit.metrics.bootstrap import (
    CellDraws,
    CorrectDraws,
    bootstrap_intervals,
    draw_cells,
    resampled_statistics,
)

BOUNDS = (2.5, 97.5)
BRUTE_RESAMPLES = 4000


def make_data(seed: int = 5):
    rng = np.random.default_rng(seed)
    correct = rng.random((2000, 2)) < np.array([0.6, 0.9])
    membership = rng.random((2000, 3)) < 0.3
    return correct, membership, np.ones(2000, bool)


def intervals_of(correct, membership, scored, n_resamples: int, seed: int, key=()):
    """Intervals of every model from its right counts, under cells drawn for these groups."""
    cells = bootstrap.draw_cells(membership, scored, n_resamples, seed, key)
    hits = (correct & scored[:, None]).astype(np.int64)
    return bootstrap_intervals(cells, hits.T @ membership.astype(np.int64), hits.sum(axis=0))


def test_same_seed_same_intervals_and_a_different_seed_or_key_differs():
    correct, membership, scored = make_data()
    first = intervals_of(correct, membership, scored, 50, seed=0, key=("class",))
    again = intervals_of(correct, membership, scored, 50, seed=0, key=("class",))
    other_seed = intervals_of(correct, membership, scored, 50, seed=1, key=("class",))
    other_key = intervals_of(correct, membership, scored, 50, seed=0, key=("real",))
    for name in ("accuracy_low", "overall_high", "error_ratio_low"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    assert not np.array_equal(first.accuracy_low, other_seed.accuracy_low)
    assert not np.array_equal(first.accuracy_low, other_key.accuracy_low)


def test_a_models_intervals_do_not_depend_on_the_other_models():
    correct, membership, scored = make_data()
    others = np.random.default_rng(9).random((len(correct), 5)) < 0.75
    together = intervals_of(np.hstack([others, correct]), membership, scored, 80, seed=3)
    for model in range(correct.shape[1]):
        alone = intervals_of(correct[:, model : model + 1], membership, scored, 80, seed=3)
        # Bit-identical by construction: integer draws keyed by the model's own counts, elementwise arithmetic.
        for name in alone.__dataclass_fields__:
            np.testing.assert_array_equal(getattr(alone, name)[0], getattr(together, name)[5 + model])


def test_intervals_bracket_the_estimate_and_shrink_with_more_data():
    correct, membership, scored = make_data()
    result = intervals_of(correct, membership, scored, 200, seed=0)
    estimate = (correct[:, :, None] & membership[:, None, :]).sum(0) / membership.sum(0)
    assert np.all(result.accuracy_low <= estimate) and np.all(estimate <= result.accuracy_high)
    overall = correct.mean(axis=0)
    assert np.all(result.overall_low <= overall) and np.all(overall <= result.overall_high)
    width = result.overall_high - result.overall_low
    # binomial standard error * 2 * 1.96 at n=2000, within 30%
    expected = 2 * 1.96 * np.sqrt(overall * (1 - overall) / 2000)
    np.testing.assert_allclose(width, expected, rtol=0.3)
    assert np.all(result.error_ratio_low <= result.error_ratio_high)


def test_empty_groups_and_perfect_models_give_nan_bounds():
    correct, membership, _ = make_data()
    correct[:, 1] = True
    scored = np.random.default_rng(1).random(len(correct)) < 0.8
    membership[:, 2] = ~scored  # scores nothing
    result = intervals_of(correct, membership, scored, 40, seed=0)
    assert np.isnan(result.accuracy_low[:, 2]).all() and np.isnan(result.error_ratio_high[:, 2]).all()
    assert np.isfinite(result.accuracy_low[:, :2]).all() and np.isfinite(result.error_ratio_low[0, :2]).all()
    assert np.isnan(result.error_ratio_low[1]).all()  # no error to divide by
    np.testing.assert_array_equal(result.overall_high[1], 1.0)


def test_cell_draws_split_every_resample_like_a_multinomial():
    sizes = np.array([300, 40, 0])
    scored = np.arange(1000) < 700
    membership = np.stack([np.arange(1000) < 300, np.arange(1000) >= 660, np.arange(1000) >= 700], axis=1)
    cells = draw_cells(membership, scored, 4000, seed=0)
    np.testing.assert_array_equal(cells.sizes, sizes)
    assert cells.group.shape == (3, 4000) and cells.scored.shape == (4000,)
    assert np.all(cells.group + cells.rest <= 1000) and np.all(cells.group[2] == 0)
    # means N p and variances N p (1 - p), within 5 standard errors of 4000 draws
    p = sizes / 1000
    assert np.all(np.abs(cells.group.mean(axis=1) - 1000 * p) <= 5 * np.sqrt(1000 * p * (1 - p) / 4000))
    np.testing.assert_allclose(cells.group[:2].var(axis=1), 1000 * p[:2] * (1 - p[:2]), rtol=0.1)
    assert abs(cells.scored.mean() - 700) < 5 * np.sqrt(1000 * 0.21 / 4000)


# Agreement with an independent brute-force bootstrap: explicit resamples of the samples, percentiles by numpy.


LAYOUTS = ("overlapping", "disjoint")


def brute_force_problem(layout: str = "overlapping"):
    """Scored and unscored samples, three groups (overlapping, or disjoint as ImageNet-X top factors with samples
    in none), one model whose accuracy differs strongly in group 0."""
    rng = np.random.default_rng(11)
    n = 3000
    if layout == "overlapping":
        membership = np.stack([rng.random(n) < 0.5, rng.random(n) < 0.2, rng.random(n) < 0.06], axis=1)
    else:
        membership = rng.choice(4, size=n, p=[0.5, 0.2, 0.06, 0.24])[:, None] == np.arange(3)
    scored = rng.random(n) < 0.55
    rate = np.where(membership[:, 0], 0.3, 0.9)
    correct = np.stack([rng.random(n) < rate, rng.random(n) < 0.7], axis=1)
    return correct, membership, scored


def brute_force_statistics(correct, membership, scored, n_resamples: int, seed: int):
    """Group accuracies, overall accuracies and error ratios of explicit resamples, (resamples x models x groups)."""
    rng = np.random.default_rng(seed)
    accuracy, overall, ratios = [], [], []
    for _ in range(n_resamples // 500):
        rows = rng.integers(0, len(correct), size=(500, len(correct)))
        hits = correct[rows] & scored[rows][..., None]
        inside = membership[rows] & scored[rows][..., None]
        group_acc = np.einsum("bnm,bng->bmg", hits, inside, dtype=np.float64) / inside.sum(axis=1)[:, None, :]
        overall_acc = hits.sum(axis=1) / scored[rows].sum(axis=1)[:, None]
        accuracy.append(group_acc)
        overall.append(overall_acc)
        ratios.append((1 - group_acc) / (1 - overall_acc[..., None]))  # the problem has no perfect resample
    return np.concatenate(accuracy), np.concatenate(overall), np.concatenate(ratios)


@pytest.fixture(scope="module", params=LAYOUTS)
def brute_force(request) -> tuple[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The layout and, per statistic, brute-force (low, high) bounds, (models [x groups]) each, and their tolerance."""
    correct, membership, scored = brute_force_problem(request.param)
    statistics = brute_force_statistics(correct, membership, scored, BRUTE_RESAMPLES, seed=0)
    # The statistics are ratios of counts: percentiles of two samples can differ by a step of their lattice.
    group_step = 1 / (membership & scored[:, None]).sum(axis=0)
    overall_error = 1 - (correct & scored[:, None]).sum(axis=0) / scored.sum()
    steps = (group_step, np.full(correct.shape[1], 1 / scored.sum()), group_step / overall_error[:, None])
    # Standard error of a sample percentile q of R draws of a near-normal statistic of deviation sigma:
    # sqrt(q (1 - q) / R) / phi(z_q) * sigma; the difference of two such estimates has sqrt(2) times that.
    q = BOUNDS[0] / 100
    standard_error = np.sqrt(2 * q * (1 - q) / BRUTE_RESAMPLES) / norm.pdf(norm.ppf(q))
    tables = {}
    for name, values, step in zip(("accuracy", "overall", "error_ratio"), statistics, steps, strict=True):
        tolerance = 4 * standard_error * np.nanstd(values, axis=0) + step
        tables[name] = (np.nanpercentile(values, BOUNDS, axis=0), tolerance)
    return request.param, tables


def assert_agrees_with_brute_force(intervals, brute_force) -> None:
    """Each bound within 4 standard errors of the brute-force bound, plus one lattice step."""
    for name, (expected, tolerance) in brute_force[1].items():
        for bound, reference in zip(("low", "high"), expected, strict=True):
            actual = getattr(intervals, f"{name}_{bound}")
            off = np.abs(actual - reference) > tolerance
            assert not off.any(), (
                f"{name} {bound}: {actual[off]} vs brute force {reference[off]} (tol {tolerance[off]})"
            )


def test_intervals_agree_with_an_explicit_resampling_bootstrap(brute_force):
    correct, membership, scored = brute_force_problem(brute_force[0])
    assert (draw_cells(membership, scored, 2, seed=0).outside is None) == (brute_force[0] == "overlapping")
    intervals = intervals_of(correct, membership, scored, BRUTE_RESAMPLES, seed=1)
    assert_agrees_with_brute_force(intervals, brute_force)


def fixed_group_sizes(membership, scored, n_resamples, seed, key=()) -> CellDraws:
    """Wrong: every resample draws each group's cells exactly their expected number of times."""
    right = draw_cells(membership, scored, n_resamples, seed, key)
    group = np.repeat(right.sizes[:, None], n_resamples, axis=1)
    return replace(right, group=group, rest=right.n_scored - group)


def overall_drawn_apart(cells: CellDraws, draws: CorrectDraws) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Wrong: error ratios over an overall accuracy drawn independently of the group's accuracy."""
    group_acc, overall, _ = resampled_statistics(cells, draws)
    apart = np.broadcast_to(overall, group_acc.shape)
    return group_acc, overall, error_ratio(group_acc.reshape(-1, 1), apart.reshape(-1)).reshape(group_acc.shape)


@pytest.mark.parametrize(
    ("stage", "wrong"), [("draw_cells", fixed_group_sizes), ("resampled_statistics", overall_drawn_apart)]
)
def test_the_brute_force_comparison_catches_a_wrong_generator(brute_force, stage, wrong, monkeypatch):
    if brute_force[0] == "disjoint" and wrong is overall_drawn_apart:
        pytest.skip("with disjoint groups the overall draw is the sum of the cells: the same resample, not apart")
    correct, membership, scored = brute_force_problem(brute_force[0])
    monkeypatch.setattr(bootstrap, stage, wrong)
    intervals = intervals_of(correct, membership, scored, BRUTE_RESAMPLES, seed=1)
    with pytest.raises(AssertionError):
        assert_agrees_with_brute_force(intervals, brute_force)
