from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fovkit.metrics import spearman_matrix


def test_matches_pairwise_scipy_and_handles_constant_columns():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(rng.integers(0, 2, size=(200, 3)), columns=["a", "b", "c"])
    frame["d"] = 1
    rho, p = spearman_matrix(frame)
    for left in "abc":
        for right in "abc":
            expected = stats.spearmanr(frame[left], frame[right])
            assert rho.loc[left, right] == pytest.approx(expected.statistic)
            if left != right:
                assert p.loc[left, right] == pytest.approx(expected.pvalue)
    assert rho["d"].isna().all()
