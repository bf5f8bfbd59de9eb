import warnings

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from fovkit.errors import InputError
from fovkit.protocols.linear_probe import LinearProbe, sklearn_C, validation_split


def make_problem(
    n: int = 3000, dim: int = 64, n_classes: int = 10, n_test: int = 2000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Overlapping Gaussian classes with correlated noise, feature offsets and scales (not separable)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_classes, dim)) * 0.1
    mixing = rng.normal(size=(dim, dim)) / np.sqrt(dim)
    offset, scale = rng.normal(size=dim) * 3, np.exp(rng.normal(size=dim))

    def draw(m: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.integers(0, n_classes, m)
        x = (rng.normal(size=(m, dim)) @ mixing + centres[labels]) * scale + offset
        return x.astype(np.float32), labels

    return *draw(n), *draw(n_test)


@pytest.fixture(scope="module")
def problem() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return make_problem()


def sklearn_reference(x: np.ndarray, y: np.ndarray, weight_decay: float) -> tuple[LogisticRegression, StandardScaler]:
    """scikit-learn on standardised features at the equivalent C, converged tightly."""
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=sklearn_C(weight_decay, len(x)), tol=1e-8, max_iter=5000)
    return model.fit(scaler.transform(x).astype(np.float64), y), scaler


def test_sklearn_C_is_the_inverse_of_decay_times_samples():
    assert sklearn_C(1e-3, 1000) == pytest.approx(1.0)
    assert sklearn_C(0.5, 4) == pytest.approx(0.5)


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_matches_sklearn_accuracy_and_coefficients(problem, precision):
    x, y, x_test, y_test = problem
    decay = 1e-3
    reference, scaler = sklearn_reference(x, y, decay)
    probe = LinearProbe(weight_decays=[decay], precision=precision, tol=1e-5).fit(x, y)
    assert probe.converged_ and probe.precision_ == precision
    ours, theirs = probe.score(x_test, y_test), reference.score(scaler.transform(x_test), y_test)
    assert 0.6 < theirs < 0.95  # the problem is neither trivial nor hopeless
    assert abs(ours - theirs) <= 0.005
    coef = reference.coef_ / scaler.scale_  # scikit-learn's model in the original feature space
    intercept = reference.intercept_ - coef @ scaler.mean_
    tolerance = 2e-3 if precision == "float32" else 2e-2
    assert np.linalg.norm(probe.coef_ - coef) <= tolerance * np.linalg.norm(coef)
    assert np.abs(probe.intercept_ - intercept).max() <= tolerance * np.abs(intercept).max() + 1e-3


def test_coefficients_live_in_the_original_feature_space(problem):
    x, y, x_test, _ = problem
    probe = LinearProbe(weight_decays=[1e-2]).fit(x, y)
    logits = probe.decision_function(x_test)
    assert logits.dtype == np.float32 and logits.shape == (len(x_test), 10)
    direct = x_test.astype(np.float64) @ probe.coef_.T + probe.intercept_
    np.testing.assert_allclose(logits, direct, rtol=1e-4, atol=1e-3)
    probs = probe.predict_proba(x_test)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(probe.predict(x_test), probs.argmax(axis=1))


def test_chosen_decay_has_the_best_validation_accuracy(problem):
    x, y, _, _ = problem
    grid = (1e-5, 1e-3, 1e-1, 1.0)
    probe = LinearProbe(weight_decays=grid).fit(x, y)
    accuracy = probe.validation_accuracy_
    assert list(accuracy) == sorted(grid, reverse=True)  # fitted strongest first
    best = max(accuracy.values())
    assert probe.weight_decay_ == max(d for d, value in accuracy.items() if value == best)  # ties: the stronger
    assert accuracy[1.0] < best  # the grid spans a real choice
    # scikit-learn on the same split agrees that the chosen decay is (near) the best
    held = validation_split(y, 0.2, seed=0)
    reference = {}
    for decay in grid:
        model, scaler = sklearn_reference(x[~held], y[~held], decay)
        reference[decay] = model.score(scaler.transform(x[held]), y[held])
        assert abs(reference[decay] - accuracy[decay]) <= 0.02
    assert reference[probe.weight_decay_] >= max(reference.values()) - 0.01


def test_validation_split_holds_out_whole_groups_of_every_class():
    rng = np.random.default_rng(3)
    labels = np.repeat(np.arange(4), 50)
    groups = np.repeat(np.arange(20), 10)  # five instances per class, ten rows each
    order = rng.permutation(len(labels))
    labels, groups = labels[order], groups[order]
    held = validation_split(labels, 0.4, seed=0, groups=groups)
    for group in np.unique(groups):
        assert len(np.unique(held[groups == group])) == 1  # a group never straddles the split
    for value in range(4):
        assert held[labels == value].sum() == 20  # round(0.4 * 5) = 2 of 5 instances held out
    np.testing.assert_array_equal(held, validation_split(labels, 0.4, seed=0, groups=groups))
    assert not np.array_equal(held, validation_split(labels, 0.4, seed=1, groups=groups))
    unseen = LinearProbe(weight_decays=(1e-3, 1e-1)).fit(rng.normal(size=(200, 5)), labels, groups=groups)
    assert set(unseen.validation_accuracy_) == {1e-3, 1e-1}


def test_stratified_split_without_groups():
    labels = np.repeat([5, 9], [30, 70])
    held = validation_split(labels, 0.2, seed=0)
    assert held[labels == 5].sum() == 6 and held[labels == 9].sum() == 14


@pytest.mark.parametrize("values", [np.array([3, 7, 11]), np.array(["cup", "mug", "pan"])])
def test_arbitrary_class_values_round_trip(values):
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 3, 600)
    x = rng.normal(size=(600, 8)) + codes[:, None] * 2.0
    probe = LinearProbe(weight_decays=(1e-4, 1e-2)).fit(x, values[codes])
    np.testing.assert_array_equal(probe.classes_, values)
    predicted = probe.predict(x)
    assert set(predicted) <= set(values)
    assert probe.score(x, values[codes]) > 0.9


def test_same_inputs_and_seed_give_identical_coefficients(problem):
    x, y, _, _ = problem
    first = LinearProbe(weight_decays=(1e-4, 1e-2), seed=0).fit(x, y)
    second = LinearProbe(weight_decays=(1e-4, 1e-2), seed=0).fit(x, y)
    np.testing.assert_array_equal(first.coef_, second.coef_)
    np.testing.assert_array_equal(first.intercept_, second.intercept_)
    assert first.validation_accuracy_ == second.validation_accuracy_


def test_torch_inputs_and_constant_features(problem):
    x, y, x_test, _ = problem
    x = x.copy()
    x[:, 0] = 5.0  # a constant feature keeps scale 1 and gets no weight
    probe = LinearProbe(weight_decays=[1e-2]).fit(torch.from_numpy(x), torch.from_numpy(y))
    assert probe.scale_[0] == 1.0 and np.abs(probe.coef_[:, 0]).max() < 1e-6
    assert np.isfinite(probe.coef_).all()
    np.testing.assert_array_equal(probe.predict(torch.from_numpy(x_test)), probe.predict(x_test))


def test_max_iter_reached_warns(problem):
    x, y, _, _ = problem
    with pytest.warns(RuntimeWarning, match="stopped before tol"):
        probe = LinearProbe(weight_decays=[1e-4], max_iter=1).fit(x, y)
    assert probe.n_iter_ == 1 and not probe.converged_


@pytest.mark.parametrize(
    ("features", "labels", "field", "message"),
    [
        (
            np.zeros(10),
            np.zeros(10, dtype=int),
            "features",
            "expected a 2-D (samples x features) array, got shape (10,)",
        ),
        (np.zeros((2, 3, 4)), np.zeros(2, dtype=int), "features", "got shape (2, 3, 4)"),
        (np.zeros((10, 3)), np.zeros(9, dtype=int), "labels", "expected 10 labels (one per row of features), got"),
        (np.zeros((10, 3)), np.zeros(10, dtype=float), "labels", "expected integer or string class values"),
        (np.zeros((10, 3), dtype=complex), np.arange(10) % 2, "features", "expected real-valued features"),
        (np.zeros((10, 3)), np.full(10, 4), "labels", "expected at least 2 classes, got 1: [4]"),
    ],
)
def test_bad_inputs_name_the_field_and_the_received_value(features, labels, field, message):
    with pytest.raises(InputError, match=None) as error:
        LinearProbe(weight_decays=[1e-3]).fit(features, labels)
    assert error.value.field == field
    assert message in str(error.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_features_are_rejected_with_their_rows(bad):
    x = np.ones((20, 3))
    x[[4, 11], 1] = bad
    with pytest.raises(InputError, match=r"expected finite values, got NaN or inf in rows \[4, 11\]") as error:
        LinearProbe(weight_decays=[1e-3]).fit(x, np.arange(20) % 2)
    assert error.value.field == "features"


def test_a_split_that_would_leave_a_class_out_is_rejected():
    x, labels = np.random.default_rng(0).normal(size=(21, 2)), np.array([0] * 10 + [1] * 10 + [2])
    with pytest.raises(InputError, match="class 2 has 1 sample; the validation split needs at least 2 samples"):
        LinearProbe(weight_decays=(1e-3, 1e-2)).fit(x, labels)
    LinearProbe(weight_decays=[1e-3]).fit(x, labels)  # a single decay needs no split
    groups = np.array([0] * 10 + [1] * 10 + [2])
    with pytest.raises(InputError, match="class 0 has 1 group; ") as error:
        LinearProbe(weight_decays=(1e-3, 1e-2)).fit(x, labels, groups=groups)
    assert error.value.field == "groups"
    mixed = np.array([0] * 5 + [1] * 5 + [2] * 5 + [3] * 5 + [3])  # class 2's only row sits in class 1's group 3
    with pytest.raises(InputError, match="class 2 has 0 groups \\(its rows all sit in groups where another class"):
        validation_split(labels, 0.5, seed=0, groups=mixed)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"weight_decays": [1e-3, -1.0]}, "weight_decays"),
        ({"weight_decays": []}, "weight_decays"),
        ({"weight_decays": ["strong"]}, "weight_decays"),
        ({"validation_fraction": 1.5}, "validation_fraction"),
        ({"max_iter": 0}, "max_iter"),
        ({"tol": 0.0}, "tol"),
        ({"precision": "float16"}, "precision"),
    ],
)
def test_bad_parameters_are_rejected_at_fit(params, field):
    probe = LinearProbe(**params)  # __init__ only stores
    with pytest.raises(InputError) as error:
        probe.fit(np.zeros((10, 2)), np.arange(10) % 2)
    assert error.value.field == field


def test_unfitted_probe_and_wrong_width_are_clear_errors(problem):
    x, y, _, _ = problem
    probe = LinearProbe()
    for method in (probe.predict, probe.decision_function, probe.predict_proba):
        with pytest.raises(InputError, match="not fitted yet; call fit"):
            method(x)
    probe = LinearProbe(weight_decays=[1e-2]).fit(x, y)
    with pytest.raises(InputError, match="expected 64 features per row \\(as in fit\\), got 3"):
        probe.predict(x[:, :3])
    with pytest.raises(InputError, match="expected 5 labels"):
        probe.score(x[:5], y[:4])


def test_fit_returns_self_and_init_only_stores():
    probe = LinearProbe(weight_decays=(0.1,), seed=0)
    assert not any(name.endswith("_") for name in vars(probe))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert probe.fit(np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2) is probe


def test_float32_is_the_default_on_every_machine_and_the_fit_records_it(problem):
    x, y = problem[:2]
    probe = LinearProbe(weight_decays=[1e-3]).fit(x, y)
    assert (probe.precision, probe.precision_, probe.device_) == ("float32", "float32", "cpu")
    with pytest.raises(InputError, match="precision"):
        LinearProbe(precision="auto").fit(x, y)
