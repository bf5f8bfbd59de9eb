"""CE, mCE and relative CE against values computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fovkit.errors import InputError
from fovkit.metrics.corruption_errors import (
    ALEXNET_MEAN_ERRORS,
    ALEXNET_SEVERITY_ERRORS,
    COMMON_CORRUPTIONS,
    baseline_from_model,
    corruption_errors,
    mean_corruption_error,
    mean_errors,
    relative_corruption_errors,
)


def _errors(model: str, by_corruption: dict[str, list[float]]) -> pd.DataFrame:
    rows = [
        (model, name, severity, error)
        for name, errors in by_corruption.items()
        for severity, error in enumerate(errors, start=1)
    ]
    return pd.DataFrame(rows, columns=["model", "corruption", "severity", "error"])


def test_alexnet_constants_are_the_published_normalisers():
    assert ALEXNET_MEAN_ERRORS["gaussian_noise"] == pytest.approx(0.886428)
    assert ALEXNET_MEAN_ERRORS["brightness"] == pytest.approx(0.564592)
    assert ALEXNET_MEAN_ERRORS["jpeg_compression"] == pytest.approx(0.6065)
    assert set(ALEXNET_SEVERITY_ERRORS) == set(COMMON_CORRUPTIONS)
    assert len(ALEXNET_MEAN_ERRORS) == 19


def test_ce_is_the_ratio_of_summed_errors():
    errors = _errors("m", {"fog": [0.1, 0.2, 0.3, 0.4, 0.5], "snow": [0.5] * 5})
    ce = corruption_errors(errors, {"fog": 0.6, "snow": 0.25})
    assert ce.loc["m", "fog"] == pytest.approx(1.5 / 3.0)
    assert ce.loc["m", "snow"] == pytest.approx(2.0)


def test_mce_of_alexnet_against_itself_is_one():
    rows = {name: list(errors) for name, errors in ALEXNET_SEVERITY_ERRORS.items()}
    ce = corruption_errors(_errors("alexnet", rows), ALEXNET_MEAN_ERRORS)
    assert mean_corruption_error(ce).loc["alexnet"] == pytest.approx(1.0)


def test_mce_needs_all_common_corruptions():
    ce = corruption_errors(_errors("m", {"fog": [0.5] * 5}), ALEXNET_MEAN_ERRORS)
    with pytest.raises(InputError, match="gaussian_noise"):
        mean_corruption_error(ce)
    assert mean_corruption_error(ce, ["fog"]).loc["m"] == pytest.approx(0.5 / ALEXNET_MEAN_ERRORS["fog"])


def test_relative_ce_measures_degradation_from_clean():
    errors = _errors("m", {"fog": [0.3, 0.3, 0.3, 0.3, 0.3]})
    relative = relative_corruption_errors(errors, {"m": 0.1}, {"fog": 0.7}, 0.3)
    assert relative.loc["m", "fog"] == pytest.approx((0.3 - 0.1) / (0.7 - 0.3))


def test_baseline_of_the_users_choice():
    errors = pd.concat(
        [_errors("base", {"fog": [0.4] * 5, "snow": [0.8] * 5}), _errors("new", {"fog": [0.2] * 5, "snow": [0.2] * 5})]
    )
    baseline = baseline_from_model(errors, "base")
    ce = corruption_errors(errors, baseline)
    np.testing.assert_allclose(ce.loc["new"].to_numpy(), [0.5, 0.25])
    np.testing.assert_allclose(ce.loc["base"].to_numpy(), [1.0, 1.0])
    with pytest.raises(InputError, match="baseline model 'nope'"):
        baseline_from_model(errors, "nope")


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"model": ["m"], "corruption": ["fog"], "severity": [1]}), "lacks columns"),
        (_errors("m", {"fog": [1.5]}), "fractions"),
        (pd.concat([_errors("m", {"fog": [0.1]})] * 2), "repeated"),
        (pd.concat([_errors("m", {"fog": [0.1, 0.2]}), _errors("m", {"snow": [0.1]})]), "same severities"),
    ],
)
def test_bad_error_tables_are_refused(frame, message):
    with pytest.raises(InputError, match=message):
        mean_errors(frame)


def test_zero_baseline_is_refused():
    with pytest.raises(InputError, match="positive"):
        corruption_errors(_errors("m", {"fog": [0.1]}), {"fog": 0.0})


def test_common_corruptions_follow_the_registry():
    from fovkit.corruptions.registry import COMMON

    assert COMMON_CORRUPTIONS == COMMON
