from __future__ import annotations

import numpy as np
import pytest
from imagenet_x.aggregate import estimated_calibration_error

from fovkit.metrics import CalibrationGroups, calibration_gaps, confidence_bins, expected_calibration_error


def test_bins_follow_the_reference_rule_at_edges():
    # bin b holds (b/15, (b+1)/15]; 0 falls in bin 0; 1 in the last bin
    assert confidence_bins(np.array([0.0, 1 / 15 + 1e-6, 0.5, 1.0]), 15).tolist() == [0, 1, 7, 14]


@pytest.mark.parametrize("multi", [False, True])
def test_ece_per_group_matches_reference_function(multi: bool):
    rng = np.random.default_rng(2)
    n, models, groups = 400, 3, 5
    confidence = rng.random((n, models)).astype(np.float32)
    correct = rng.random((n, models)) < confidence
    mask = rng.random((n, groups)) < (0.5 if multi else 0.0)
    mask[np.arange(n), rng.integers(0, groups, n)] = True
    samples, group_ids = np.nonzero(mask)
    gaps = calibration_gaps(correct, confidence, CalibrationGroups.from_pairs(samples, group_ids, n, groups))
    ece = expected_calibration_error(gaps, mask.sum(axis=0)[None, :].astype(float))
    for model in range(models):
        for group in range(groups):
            rows = mask[:, group]
            expected = estimated_calibration_error(
                correct[rows, model].astype(float), confidence[rows, model].astype(np.float64)
            )
            assert ece[model, group] == pytest.approx(expected, abs=1e-9)
