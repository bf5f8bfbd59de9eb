"""Pure functions from (factor table, predictions) count states to factor metrics."""

from fovkit.metrics.accuracy import error_ratio, worst_k_group_accuracy
from fovkit.metrics.calibration import (
    CalibrationGroups,
    calibration_gaps,
    confidence_bins,
    expected_calibration_error,
)
from fovkit.metrics.correlation import spearman_matrix
from fovkit.metrics.counts import GroupCounts, count_by_group, group_membership
from fovkit.metrics.prevalence import prevalence, prevalence_shift
from fovkit.metrics.stats import alexander_govern_by_column, holm_adjust

__all__ = [
    "CalibrationGroups",
    "GroupCounts",
    "alexander_govern_by_column",
    "calibration_gaps",
    "confidence_bins",
    "count_by_group",
    "error_ratio",
    "expected_calibration_error",
    "group_membership",
    "holm_adjust",
    "prevalence",
    "prevalence_shift",
    "spearman_matrix",
    "worst_k_group_accuracy",
]
