"""Sources as specs: a rendered dataset (gap table of its objects) and user tables with and without canonical values."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fovkit.analysis import analyze
from fovkit.analysis.config import AnalyzeConfig
from fovkit.analysis.sources import rendered_spec
from fovkit.errors import InputError
from fovkit.jobs.analyze import load_spec
from fovkit.metrics.gaps import gap_intervals
from fovkit.render.store import object_ids
from fovkit.tables import Predictions


def random_predictions(spec, models=("a", "b"), seed=0) -> Predictions:
    rng = np.random.default_rng(seed)
    labels = spec.table.labels
    right = rng.random((len(models), len(labels))) < 0.7
    predicted = np.where(right, labels, (labels + 1) % spec.num_classes).astype(np.int16)
    return Predictions(tuple(models), spec.table.sample_ids, predicted)


def test_rendered_dataset_gives_factor_tables_and_the_probe_gap_table(tiny_dataset):
    spec = rendered_spec(tiny_dataset.folder, split="held_out")
    assert set(spec.table.frame["split"]) == {"held_out"}
    assert spec.factor_names == tuple(tiny_dataset.config.factors)
    predictions = random_predictions(spec)
    result = analyze(spec, predictions, AnalyzeConfig(bootstrap=20))
    expected = gap_intervals(spec.table, predictions, object_ids(spec.table.frame), n_resamples=20, designs=("single",))
    pd.testing.assert_frame_equal(result.gaps, expected)
    varies = spec.table.varies()
    right = predictions.predicted[0] == spec.table.labels
    pose = spec.factor_names[0]
    assert result.criteria["class"].factor_accuracies.loc["a", pose] == pytest.approx(right[varies[:, 0]].mean())


def test_rendered_dataset_split_must_be_known(tiny_dataset):
    with pytest.raises(InputError, match="unknown split"):
        rendered_spec(tiny_dataset.folder, split="test")


def test_user_table_without_canonical_values_has_no_gap_table(user_files):
    spec = load_spec(user_files.factors, AnalyzeConfig(factor_columns=("lighting", "distance_m")), user_files.classes)
    assert spec.gaps is None
    assert spec.varies.shape == (len(spec.table), 0)


def test_user_table_gap_table_names_the_factors_it_leaves_out(user_files):
    spec = load_spec(user_files.factors, AnalyzeConfig(canonical={"lighting": "day"}), user_files.classes)
    assert spec.gaps.factors == ("occluded", "lighting")
    assert "distance_m" not in spec.notes[0] and "occluded, lighting" in spec.notes[0]


def test_a_folder_that_is_not_a_rendered_dataset_is_refused(tmp_path: Path):
    with pytest.raises(InputError, match="rendered dataset"):
        load_spec(tmp_path, AnalyzeConfig())


def test_split_applies_to_rendered_datasets_only(user_files):
    with pytest.raises(InputError, match="--split"):
        load_spec(user_files.factors, AnalyzeConfig(split="train"), user_files.classes)


def test_acceptable_labels_become_a_criterion(tmp_path: Path, user_files):
    frame = pd.read_csv(user_files.factors)
    frame["ok"] = frame["label"] + ";" + np.where(frame["kind"] == "animal", "cat", "car")
    frame.loc[:4, "ok"] = ""
    path = tmp_path / "factors.csv"
    frame.to_csv(path, index=False)
    spec = load_spec(path, AnalyzeConfig(acceptable_column="ok"), user_files.classes)
    assert [criterion.name for criterion in spec.criteria] == ["class", "acceptable"]
    assert spec.criteria[1].scored.sum() == len(frame) - 5
