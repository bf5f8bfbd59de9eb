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
    with pytest.raises(InputError, match="rendered or corrupted dataset"):
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


def imagenet_guesses(spec, right_share=0.6, seed=0) -> Predictions:
    """ImageNet indices: a counterpart of the object's class for `right_share` of the samples, else class 0."""
    rng = np.random.default_rng(seed)
    lists = spec.criteria[0].lists
    right = rng.random(len(lists)) < right_share
    predicted = np.where(right, lists[:, 0], 0).astype(np.int16)
    return Predictions(("imagenet_model",), spec.table.sample_ids, predicted[None, :])


def test_imagenet_label_space_scores_against_each_class_counterparts(tiny_dataset):
    spec = rendered_spec(tiny_dataset.folder, label_space="imagenet-1k")
    assert spec.num_classes == 3 and spec.predicted_range == 1000
    assert spec.criteria[0].name == "imagenet"
    predictions = imagenet_guesses(spec)
    result = analyze(spec, predictions, AnalyzeConfig(bootstrap=0))
    right = predictions.predicted[0] != 0
    accuracies = result.criteria["imagenet"].factor_accuracies
    assert accuracies.loc["imagenet_model"].iloc[0] == pytest.approx(right[spec.factor_mask[:, 0]].mean())
    assert result.gaps is not None


def test_imagenet_label_space_leaves_out_classes_without_a_counterpart(tiny_dataset, monkeypatch):
    from fovkit.render import imagenet

    monkeypatch.delitem(imagenet.CATALOG_IMAGENET, "chair")
    spec = rendered_spec(tiny_dataset.folder, label_space="imagenet-1k")
    kept = set(spec.table.frame["class_name"])
    assert kept == {"mug", "car"}
    assert "left out, no ImageNet counterpart: chair" in spec.notes[0]
    every_id = tiny_dataset.samples["sample_id"].astype(str).to_numpy()
    assert spec.universe.is_known_extra(every_id).all()


def test_imagenet_label_space_needs_a_mapped_class_and_a_rendered_dataset(tiny_dataset, monkeypatch, user_files):
    from fovkit.render import imagenet

    for name in ("mug", "car", "chair"):
        monkeypatch.delitem(imagenet.CATALOG_IMAGENET, name)
    with pytest.raises(InputError, match="has an ImageNet-1k counterpart"):
        rendered_spec(tiny_dataset.folder, label_space="imagenet-1k")
    with pytest.raises(InputError, match="--label-space apply to rendered datasets only"):
        load_spec(user_files.factors, AnalyzeConfig(label_space="imagenet-1k"), user_files.classes)


def test_imagenet_predictions_file_goes_through_fovkit_analyze(tiny_dataset, tmp_path):
    from typer.testing import CliRunner

    from fovkit.cli.main import app

    spec = rendered_spec(tiny_dataset.folder, label_space="imagenet-1k")
    predictions = imagenet_guesses(spec, right_share=0.5, seed=3)
    frame = pd.DataFrame(
        {"file_name": spec.table.sample_ids, "predicted_class": predictions.predicted[0].astype(np.int64)}
    )
    frame.to_csv(tmp_path / "imagenet_model.csv", index=False)

    def run(out: str, *extra: str):
        args = ["analyze", str(tmp_path / "imagenet_model.csv"), "--factors", str(tiny_dataset.folder)]
        return CliRunner().invoke(app, [*args, "--out", str(tmp_path / out), "--bootstrap", "0", "--quiet", *extra])

    result = run("out", "--label-space", "imagenet-1k")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "report.html").is_file()
    wrong_space = run("out2")
    assert wrong_space.exit_code == 2 and "outside 0..2" in wrong_space.output


def test_rendered_dataset_rows_can_be_restricted_to_given_samples(tiny_dataset):
    held_out = tiny_dataset.samples[tiny_dataset.samples["split"] == "held_out"]
    chosen = held_out["sample_id"].astype(str).iloc[::3].tolist()
    spec = rendered_spec(tiny_dataset.folder, split="held_out", sample_ids=chosen)
    assert sorted(spec.table.sample_ids) == sorted(chosen)
    train_id = str(tiny_dataset.samples.loc[tiny_dataset.samples["split"] == "train", "sample_id"].iloc[0])
    with pytest.raises(InputError, match="not among the selected rows"):
        rendered_spec(tiny_dataset.folder, split="held_out", sample_ids=[*chosen, train_id])
