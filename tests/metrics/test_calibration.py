from __future__ import annotations

import numpy as np
import pytest
from imagenet_x.aggregate import estimated_calibration_error

from fovkit.metrics import CalibrationGroups, calibration_gaps, confidence_bins, expected_calibration_error


def test_bins_follow_the_reference_rule_at_edges():
    # bin b holds (b/15, (b+1)/15]; 0 falls in bin 0; 1 in the last bin
    assert confidence_bins(np.array([0.0, 1 / 15 + 1e-6, 0.5, 1.0]), 15).tolist() == [0, 1, 7, 14]


@pytest.mark.parametrize(
    ("layout", "with_everyone"),
    [("one", False), ("multi", False), ("one", True), ("multi", True), ("sparse", True), ("sparse", False)],
)
def test_ece_per_group_matches_reference_function(layout: str, with_everyone: bool):
    """Every membership layout: one group per sample, several, rare groups, plus a group holding every sample."""
    rng = np.random.default_rng(2)
    n, models, groups = 400, 3, 5
    confidence = rng.random((n, models)).astype(np.float32)
    correct = rng.random((n, models)) < confidence
    if layout == "sparse":
        mask = rng.random((n, groups)) < 0.05
    else:
        mask = rng.random((n, groups)) < (0.5 if layout == "multi" else 0.0)
        mask[np.arange(n), rng.integers(0, groups, n)] = True
    if with_everyone:
        mask = np.hstack([np.ones((n, 1), dtype=bool), mask])
    samples, group_ids = np.nonzero(mask)
    membership = CalibrationGroups.from_pairs(samples, group_ids, n, mask.shape[1])
    assert membership.whole_groups == ((0,) if with_everyone else ())
    gaps = calibration_gaps(correct, confidence, membership)
    ece = expected_calibration_error(gaps, mask.sum(axis=0)[None, :].astype(float))
    for model in range(models):
        for group in np.flatnonzero(mask.any(axis=0)):
            rows = mask[:, group]
            expected = estimated_calibration_error(
                correct[rows, model].astype(float), confidence[rows, model].astype(np.float64)
            )
            assert ece[model, group] == pytest.approx(expected, abs=1e-9)
