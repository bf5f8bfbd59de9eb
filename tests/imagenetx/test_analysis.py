from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fovkit.errors import InputError
from fovkit.imagenetx.analysis import analyze, analyze_files, human_predictions
from fovkit.imagenetx.annotations import FACTORS, NUM_CLASSES, annotation_dir, load_factor_table, sample_universe
from fovkit.imagenetx.config import ImageNetXConfig
from fovkit.jobs.inputs import load_groups
from fovkit.tables import Predictions
from fovkit.tables.prediction_files import expand_prediction_paths, load_prediction_files

NO_BOOTSTRAP = ImageNetXConfig(bootstrap=0)


@pytest.fixture(scope="module")
def predictions(prediction_dir: Path, val_table, val_universe) -> Predictions:
    return load_prediction_files(expand_prediction_paths([prediction_dir]), val_universe, NUM_CLASSES, progress=False)


def test_human_baseline_is_original_labels_scored_against_real(val_table):
    result = analyze(val_table, [], ImageNetXConfig(human=True, bootstrap=0))
    assert list(result.criteria["real"].factor_accuracies.index) == ["human"]
    assert result.criteria["class"].factor_accuracies.empty
    lists = json.loads((annotation_dir() / "imagenet_real_labels.jsonl").read_text())
    hits = []
    for name, label in zip(val_table.sample_ids, val_table.labels, strict=True):
        real = lists[int(name[15:23]) - 1]
        if real:
            hits.append(label in real)
    assert result.criteria["real"].factor_accuracies.loc["human", "average"] == pytest.approx(np.mean(hits), abs=1e-12)
    assert result.summary.loc["human", "criterion"] == "real"


def test_streamed_chunks_equal_whole_matrix(val_table, predictions: Predictions):
    whole = analyze(val_table, predictions, NO_BOOTSTRAP)
    streamed = analyze(val_table, predictions.chunks(1), NO_BOOTSTRAP)
    for criterion in whole.criteria:
        for name in ("factor_accuracies", "error_ratios", "hierarchy_accuracies", "prevalence_shift", "calibration"):
            expected, actual = getattr(whole.criteria[criterion], name), getattr(streamed.criteria[criterion], name)
            if expected is not None:
                pd.testing.assert_frame_equal(actual, expected)


def test_bootstrap_is_reproducible_and_brackets_estimates(val_table, predictions: Predictions):
    config = ImageNetXConfig(bootstrap=30, seed=1)
    first = analyze(val_table, predictions, config).criteria["class"].intervals
    again = analyze(val_table, predictions.chunks(2), config).criteria["class"].intervals
    pd.testing.assert_frame_equal(first, again)
    finite = first.dropna()
    assert (finite["low"] <= finite["high"]).all()
    assert set(first["metric"]) == {"accuracy", "error_ratio"}


def test_metaclass_error_ratio_uses_the_metaclass_accuracy(val_table, predictions: Predictions):
    tables = analyze(val_table, predictions, NO_BOOTSTRAP).criteria["class"]
    accuracy = tables.hierarchy_accuracies
    expected = (1 - accuracy[list(FACTORS)]).div(1 - accuracy["average"], axis=0)
    pd.testing.assert_frame_equal(tables.hierarchy_error_ratios, expected)


def test_train_partition_has_no_real_criterion():
    table = load_factor_table("top", "train")
    rng = np.random.default_rng(0)
    predicted = np.where(rng.random(len(table)) < 0.7, table.labels, rng.integers(0, NUM_CLASSES, len(table)))
    predictions = Predictions(("m",), table.sample_ids, predicted[None].astype(np.int16))
    result = analyze(table, predictions, ImageNetXConfig(partition="train", bootstrap=0))
    assert set(result.criteria) == {"class", "metaclass"}
    assert result.summary.loc["m", "accuracy"] == pytest.approx((predicted == table.labels).mean())
    assert sample_universe(table, "train").default_order is None


def test_human_name_clash_and_unaligned_predictions_are_rejected(val_table, predictions: Predictions):
    clash = human_predictions(val_table, with_probability=False)
    with pytest.raises(InputError, match="already named 'human'"):
        analyze(val_table, [clash], ImageNetXConfig(human=True, bootstrap=0))
    shuffled = Predictions(predictions.models, predictions.sample_ids[::-1], predictions.predicted, None)
    with pytest.raises(InputError, match="not aligned"):
        analyze(val_table, shuffled, NO_BOOTSTRAP)
    with pytest.raises(InputError, match="no predictions to analyse"):
        analyze(val_table, [], NO_BOOTSTRAP)


def test_group_tests_flag_a_factor_that_really_differs(val_table, predictions: Predictions):
    rng = np.random.default_rng(3)
    labels = val_table.labels
    pose = val_table.frame["pose"].to_numpy() == 1
    models, rows = [], []
    for group, pose_error in (("robust", 0.1), ("fragile", 0.6)):
        for index in range(5):
            error = np.where(pose, pose_error, 0.2)
            wrong = rng.random(len(labels)) < error
            rows.append(np.where(wrong, (labels + 1) % NUM_CLASSES, labels))
            models.append(f"{group}_{index}")
    stacked = Predictions(tuple(models), val_table.sample_ids, np.stack(rows).astype(np.int16))
    groups = pd.Series([name.split("_")[0] for name in models], index=models)
    tests = analyze(val_table, stacked, NO_BOOTSTRAP, groups=groups).criteria["class"].group_tests
    assert tests.loc["pose", "significant"]
    assert tests.loc["pose", "pvalue_holm"] < 1e-6
    assert tests["significant"].sum() < len(FACTORS)


def test_metaclass_counts_add_up_to_the_factor_counts(val_table, predictions: Predictions):
    result = analyze(val_table, predictions, NO_BOOTSTRAP)
    counts = result.criteria["class"].hierarchy_counts
    np.testing.assert_array_equal(counts.sum(axis=0).to_numpy(), val_table.varies(FACTORS).sum(axis=0))
    real_counts = result.criteria["real"].hierarchy_counts
    assert (real_counts <= counts).all().all() and real_counts.to_numpy().sum() < counts.to_numpy().sum()


@pytest.mark.parametrize("workers", [1, 2])
def test_files_in_workers_equal_the_in_memory_analysis(prediction_dir: Path, val_table, predictions, workers: int):
    config = ImageNetXConfig(bootstrap=10, human=True)
    paths = expand_prediction_paths([prediction_dir])

    from_files = analyze_files(val_table, paths, config, workers=workers)
    in_memory = analyze(val_table, predictions, config)
    pd.testing.assert_frame_equal(from_files.summary, in_memory.summary)
    for criterion in in_memory.criteria:
        for name in ("factor_accuracies", "error_ratios", "hierarchy_error_ratios", "calibration", "intervals"):
            expected = getattr(in_memory.criteria[criterion], name)
            if expected is not None:
                pd.testing.assert_frame_equal(getattr(from_files.criteria[criterion], name), expected)


def test_files_named_human_clash_with_the_baseline(prediction_frame: pd.DataFrame, val_table, tmp_path: Path):

    path = tmp_path / "human.csv"
    prediction_frame.to_csv(path, index=False)
    with pytest.raises(InputError, match="already named 'human'") as caught:
        analyze_files(val_table, [path], ImageNetXConfig(human=True, bootstrap=0), workers=1)
    assert caught.value.path == path


def test_guided_shards_cover_every_file_once_and_shrink_at_the_end():
    from pathlib import Path

    from fovkit.analysis.engine import SHARD_SIZE, guided_shards

    paths = [Path(f"model_{number}.csv") for number in range(203)]
    shards = guided_shards(paths, workers=2)
    assert [path for shard in shards for path in shard] == paths
    sizes = [len(shard) for shard in shards]
    assert max(sizes) == SHARD_SIZE and sizes == sorted(sizes, reverse=True)
    assert sizes[-1] <= 2
    assert guided_shards(paths[:1], workers=4) == [(paths[0],)]


# --- groups CSV: every grouped model must be analysed; the file is checked like a prediction CSV -----------------


def write_groups(folder: Path, text: str, name: str = "groups.csv") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_grouped_models_that_are_not_analysed_are_refused(val_table, predictions: Predictions, tmp_path: Path):
    path = write_groups(
        tmp_path, "model,group\nmodel_0000,cnn\nmodel_0001,cnn\nmodel_0002,vit\nresnet_typo,cnn\nhuman,people\n"
    )
    with pytest.raises(InputError, match=r"grouped models that are not analysed: \['resnet_typo', 'human'\]") as caught:
        analyze(val_table, predictions, NO_BOOTSTRAP, groups=load_groups(path))
    message = str(caught.value)
    assert "The analysed models are ['model_0000', 'model_0001', 'model_0002']" in message
    assert caught.value.path == path
    assert caught.value.field == "model"
    assert message.isprintable()


def test_ungrouped_and_unknown_models_are_named_together(val_table, predictions: Predictions, tmp_path: Path):
    path = write_groups(tmp_path, "model,group\nmodel_0000,cnn\nmodel_0001,cnn\nmodel_2,vit\n")
    with pytest.raises(InputError, match=r"without a group: \['model_0002'\]; grouped .*: \['model_2'\]") as caught:
        analyze(val_table, predictions, NO_BOOTSTRAP, groups=load_groups(path))
    assert caught.value.path == path


def test_human_may_be_grouped_when_analysed(val_table, predictions: Predictions, tmp_path: Path):
    path = write_groups(tmp_path, "model,group\nmodel_0000,cnn\nmodel_0001,cnn\nmodel_0002,vit\nhuman,vit\n")
    result = analyze(val_table, predictions, ImageNetXConfig(human=True, bootstrap=0), groups=load_groups(path))
    assert result.criteria["class"].group_tests is not None


def test_groups_csv_may_be_gzip_compressed(tmp_path: Path):
    path = tmp_path / "groups.csv"
    path.write_bytes(gzip.compress(b"model,group\nresnet,cnn\nvit_b,vit\n"))
    groups = load_groups(path)
    assert groups.to_dict() == {"resnet": "cnn", "vit_b": "vit"}
    assert groups.attrs["path"] == str(path)


@pytest.mark.parametrize(
    ("content", "field", "message"),
    [
        ("model,group\nresnet,cnn\n".encode("utf-16"), "format", "the file is UTF-16 encoded; save it as UTF-8"),
        (b"\x1b[2J\x00\x8b\xff" * 20, "format", r"binary, not text \(a NUL byte at offset 4\)"),
        (b"PK\x03\x04\x00\x00", "format", "ZIP archive"),
        (b"model,group\nres\xffnet,cnn\n", None, "cannot read the groups CSV: .*UTF8"),
        (b"model,group\n\x1b[31m,a,b\n", None, r"cannot read the groups CSV: CSV parse error: .*\\x1b\[31m,a,b"),
        (b"", None, "cannot read the groups CSV: Empty CSV file"),
        (b"model,group,model\nresnet,cnn,vit\n", "model", "column 'model' appears more than once"),
        (
            b"name,team\nresnet,cnn\n",
            "model",
            r"missing column\(s\) \['model', 'group'\]; the file has \['name', 'team'\]",
        ),
    ],
)
def test_unreadable_groups_csv_is_one_clean_line(tmp_path: Path, content: bytes, field: str | None, message: str):
    path = tmp_path / "groups.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as caught:
        load_groups(path)
    assert caught.value.path == path
    assert caught.value.field == field
    assert str(caught.value).isprintable()


def test_groups_csv_behind_a_link_loop_is_named(tmp_path: Path):
    (tmp_path / "a.csv").symlink_to(tmp_path / "b.csv")
    (tmp_path / "b.csv").symlink_to(tmp_path / "a.csv")
    with pytest.raises(InputError, match="is a symbolic link loop") as caught:
        load_groups(tmp_path / "a.csv")
    assert caught.value.path == tmp_path / "a.csv"


def test_active_factors_count_every_annotated_factor_also_under_top_factor(val_table, predictions):
    result = analyze(val_table, predictions, NO_BOOTSTRAP)
    counts = result.active_factors.set_index("active")["images"]
    assert counts.sum() == len(val_table)
    assert counts.loc[1] < 0.5 * len(val_table)  # most images have several factors (paper, Figure 7)
    assert counts.index.max() >= 5
