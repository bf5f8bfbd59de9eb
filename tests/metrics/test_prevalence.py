from __future__ import annotations

import numpy as np

from fovkit.metrics import prevalence, prevalence_shift


def test_prevalence_rows_sum_to_one():
    np.testing.assert_allclose(prevalence(np.array([[1, 3], [2, 2]])).sum(axis=1), 1.0)


def test_shift_is_relative_change_of_share():
    # mistakes: shares 0.5/0.5 ; overall: 0.25/0.75 -> +1.0 and -1/3
    np.testing.assert_allclose(prevalence_shift(np.array([1, 1]), np.array([1, 3])), [1.0, -1 / 3])


def test_shift_is_nan_where_factor_never_occurs():
    shift = prevalence_shift(np.array([1, 0]), np.array([2, 0]))
    assert shift[0] == 0.0
    assert np.isnan(shift[1])
