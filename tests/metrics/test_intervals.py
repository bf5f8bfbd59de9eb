from __future__ import annotations

import numpy as np
import pytest

from fovkit.metrics.intervals import central_bounds, finite_percentiles

BOUNDS = (2.5, 97.5)


def test_finite_percentiles_equal_numpy_nanpercentile():
    rng = np.random.default_rng(2)
    values = rng.normal(size=(6, 4, 301))
    values[values > 1.5] = np.nan
    values[0, 1] = np.nan
    values[1, 2, :-1] = np.nan
    values[2, 3, 7] = np.inf
    low, high = finite_percentiles(values, BOUNDS)
    finite = np.where(np.isfinite(values), values, np.nan)
    with pytest.warns(RuntimeWarning):
        expected = np.nanpercentile(finite, BOUNDS, axis=-1)
    np.testing.assert_allclose(low, expected[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(high, expected[1], rtol=0, atol=1e-12)
    assert np.isnan(low[0, 1]) and low[1, 2] == high[1, 2] == values[1, 2, -1]


def test_central_bounds():
    assert central_bounds(0.95) == pytest.approx(BOUNDS)
    with pytest.raises(ValueError, match="confidence"):
        central_bounds(1.0)
