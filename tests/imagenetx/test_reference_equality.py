"""fovkit's tables equal the imagenet_x reference toolkit's on the same predictions wherever definitions agree."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from imagenet_x import FACTORS as REFERENCE_FACTORS
from imagenet_x import METACLASSES as REFERENCE_METACLASSES
from imagenet_x.aggregate import (
    compute_factor_accuracies,
    compute_factor_metaclass_accuracies,
    error_ratio,
    estimated_calibration_error,
    worst_k_class_acc,
)
from imagenet_x.utils import augment_model_predictions, load_annotations, load_model_predictions

from fovkit.imagenetx.analysis import ImageNetXResult, analyze
from fovkit.imagenetx.annotations import (
    FACTORS,
    METACLASSES,
    NUM_CLASSES,
    load_factor_table,
    real_label_matrix,
    sample_universe,
)
from fovkit.imagenetx.config import ImageNetXConfig
from fovkit.tables import Predictions
from fovkit.tables.prediction_files import expand_prediction_paths, load_prediction_files


@cache
def reference_table(prediction_dir: Path, which_factor: str) -> pd.DataFrame:
    """The reference toolkit's merged (model x image) table for the prediction folder."""
    models, _ = load_model_predictions(str(prediction_dir))
    annotations = load_annotations(which_factor=which_factor, partition="val", filter_prototypes=True)
    return augment_model_predictions(annotations, models)


@cache
def fovkit_run(prediction_dir: Path, which_factor: str) -> tuple[Predictions, ImageNetXResult]:
    table = load_factor_table(which_factor, "val")
    paths = expand_prediction_paths([prediction_dir])
    predictions = load_prediction_files(paths, sample_universe(table, "val"), NUM_CLASSES, progress=False)
    return predictions, analyze(table, predictions, ImageNetXConfig(which_factor=which_factor, bootstrap=0))


def test_factor_and_metaclass_names_match_the_reference() -> None:
    assert list(FACTORS) == list(REFERENCE_FACTORS)
    assert list(METACLASSES) == list(REFERENCE_METACLASSES)


@pytest.mark.parametrize("which_factor", ["top", "multi"])
@pytest.mark.parametrize(("criterion", "error_type"), [("class", "is_correct"), ("metaclass", "is_metaclass_correct")])
def test_factor_accuracies_and_error_ratios_equal_reference(
    prediction_dir: Path, which_factor: str, criterion: str, error_type: str
) -> None:
    merged = reference_table(prediction_dir, which_factor)
    expected = compute_factor_accuracies(merged, REFERENCE_FACTORS, error_type).sort_index()
    expected_meta = compute_factor_metaclass_accuracies(merged, REFERENCE_FACTORS, error_type, REFERENCE_METACLASSES)
    tables = fovkit_run(prediction_dir, which_factor)[1].criteria[criterion]

    columns = [*FACTORS, "worst_factor", "average"]
    actual = tables.factor_accuracies[columns].sort_index()
    np.testing.assert_allclose(actual.to_numpy(), expected[columns].to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        tables.error_ratios.sort_index().to_numpy(), error_ratio(expected).to_numpy(), rtol=0, atol=1e-9
    )
    actual_meta = tables.hierarchy_accuracies[columns].reindex(expected_meta.index)
    np.testing.assert_allclose(actual_meta.to_numpy(), expected_meta[columns].to_numpy(), rtol=0, atol=1e-9)


def test_worst_100_classes_match_reference_up_to_ties(prediction_dir: Path) -> None:
    merged = reference_table(prediction_dir, "top")
    per_class = merged.groupby(["model", "class"])["is_correct"].agg(["mean", "size"])
    expected = worst_k_class_acc(merged, k=100)
    actual = fovkit_run(prediction_dir, "top")[1].criteria["class"].factor_accuracies["worst_100_classes"]
    for model in expected.index:
        classes = per_class.loc[model].sort_values("mean", kind="stable")
        if (classes["mean"] == classes["mean"].iloc[99]).sum() == 1:
            assert actual[model] == pytest.approx(expected[model], abs=1e-9)
        # Among tied classes the reference's choice is arbitrary; fovkit takes the lowest class ids.
        chosen = classes.iloc[:100]
        assert actual[model] == pytest.approx((chosen["mean"] * chosen["size"]).sum() / chosen["size"].sum(), abs=1e-9)


def test_prevalence_shift_matches_reference_formula(prediction_dir: Path) -> None:
    merged = reference_table(prediction_dir, "top")
    actual = fovkit_run(prediction_dir, "top")[1].criteria["class"].prevalence_shift
    for model, frame in merged.groupby("model"):
        mistakes = frame.loc[~frame["is_correct"], list(REFERENCE_FACTORS)].sum()
        totals = frame[list(REFERENCE_FACTORS)].sum()
        expected = (mistakes / mistakes.sum() - totals / totals.sum()) / (totals / totals.sum())
        np.testing.assert_allclose(actual.loc[model].to_numpy(), expected.to_numpy(), rtol=0, atol=1e-9)


def test_expected_calibration_error_matches_reference_function(prediction_dir: Path) -> None:
    predictions, result = fovkit_run(prediction_dir, "top")
    calibration = result.criteria["class"].calibration
    frame = load_factor_table("top", "val").frame
    for row, model in enumerate(predictions.models):
        correct = (predictions.predicted[row] == frame["label"].to_numpy()).astype(float)
        # float32 confidences, exactly as fovkit stores them, so both put each one in the same bin.
        confidence = predictions.probability[row].astype(np.float64)
        expected = estimated_calibration_error(correct, confidence)
        assert calibration.loc[model, "average"] == pytest.approx(expected, abs=1e-9)
        for factor in ("pose", "background", "texture"):
            mask = frame[factor].to_numpy() == 1
            expected = estimated_calibration_error(correct[mask], confidence[mask])
            assert calibration.loc[model, factor] == pytest.approx(expected, abs=1e-9)


def test_real_accuracy_leaves_out_empty_real_lists_unlike_reference(prediction_dir: Path) -> None:
    merged = reference_table(prediction_dir, "top")
    real = fovkit_run(prediction_dir, "top")[1].criteria["real"].factor_accuracies["average"].sort_index()
    names = pd.Index(merged["file_name"].unique())
    has_real = names[(real_label_matrix(names) >= 0).any(axis=1)]
    expected = merged[merged["file_name"].isin(has_real)].groupby("model")["is_correct_real"].mean()
    np.testing.assert_allclose(real.to_numpy(), expected.sort_index().to_numpy(), rtol=0, atol=1e-9)
    assert (real > merged.groupby("model")["is_correct_real"].mean().sort_index()).all()
