"""`fovkit.predict.predict`: the file's columns and values against a direct forward pass, and its readers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from predict_samples import PREPROCESSING, tiny_classifier

from fovkit.analysis.sources import rendered_spec
from fovkit.errors import InputError
from fovkit.imagenetx.analysis import analyze_files
from fovkit.imagenetx.annotations import sample_universe
from fovkit.imagenetx.config import ImageNetXConfig
from fovkit.models.imagenet import imagenet_labels
from fovkit.predict import predict, read_metadata
from fovkit.predict.run import plan_parts
from fovkit.predict.sources import load_image
from fovkit.tables.prediction_files import PredictionFileReader

NAMES = ["b.png", "a.jpg", "c.webp", "d.png", "e.bmp"]


def direct_logits(classifier, paths: list[Path]) -> torch.Tensor:
    """The classifier's logits of each file, one image at a time, without fovkit.predict."""
    with torch.no_grad():
        return torch.cat([classifier(PREPROCESSING.prepare(load_image(path)[0])[None]) for path in paths])


def test_columns_top_k_and_logits_match_a_direct_forward_pass(tmp_path: Path, write_images, classifier):
    source = write_images(tmp_path / "images", NAMES)
    out = tmp_path / "out" / "predictions.parquet"
    result = predict(classifier, source, out, top_k=2, logits=True, batch_size=2, workers=0, progress=False)
    assert (result.images, result.resumed, result.top_k, result.source_kind) == (5, 0, 2, "image-folder")
    table = pq.read_table(out)
    assert table.column_names == [
        "file_name",
        "predicted_class",
        "predicted_probability",
        "predicted_name",
        "top_classes",
        "top_probabilities",
        "logits",
    ]
    top, logits = table.schema.field("top_classes").type, table.schema.field("logits").type
    assert pa.types.is_list(top) and top.value_type == pa.int64()
    assert pa.types.is_fixed_size_list(logits) and (logits.list_size, logits.value_type) == (3, pa.float32())
    frame = table.to_pandas()
    assert frame["file_name"].tolist() == sorted(NAMES)
    expected = direct_logits(classifier, [source / name for name in sorted(NAMES)])
    np.testing.assert_allclose(np.stack(frame["logits"]), expected.numpy(), rtol=1e-5, atol=1e-5)
    probabilities = torch.softmax(expected, dim=1).numpy()
    order = np.argsort(-probabilities, axis=1)[:, :2]
    assert np.stack(frame["top_classes"]).tolist() == order.tolist()
    np.testing.assert_allclose(
        np.stack(frame["top_probabilities"]), np.take_along_axis(probabilities, order, 1), atol=1e-6
    )
    assert frame["predicted_class"].tolist() == order[:, 0].tolist()
    assert frame["predicted_name"].tolist() == [classifier.labels.names[index] for index in order[:, 0]]
    np.testing.assert_allclose(frame["predicted_probability"], probabilities.max(axis=1), atol=1e-6)
    assert not list(out.parent.glob(".*"))  # the work folder is gone


def test_metadata_records_model_source_and_settings(tmp_path: Path, write_images, classifier):
    source = write_images(tmp_path / "images", ["cats/a.png", "dogs/b.png"])
    out = tmp_path / "predictions.parquet"
    predict(classifier, source, out, workers=0, progress=False)
    metadata = read_metadata(out)
    assert metadata["model"]["card"]["id"] == "module:tiny"
    assert metadata["model"]["labels"]["names"] == ["apple", "bear", "cloud"]
    assert metadata["source"]["kind"] == "image-folder" and metadata["source"]["class_dirs"] == ["cats", "dogs"]
    assert metadata["source"]["path"] == str(source.resolve()) and len(metadata["source"]["fingerprint"]) == 64
    assert metadata["settings"]["top_k"] == 3  # 5 by default, capped by the model's 3 classes
    assert metadata["settings"]["device"] == "cpu" and metadata["settings"]["precision"] == "float32"
    assert "fovkit" in metadata
    frame = pq.read_table(out).to_pandas()
    assert frame["label"].tolist() == [0, 1] and frame["class_dir"].tolist() == ["cats", "dogs"]
    assert frame["label"].dtype == np.int64


def test_worker_processes_give_the_same_rows_in_the_same_order(tmp_path: Path, write_images, classifier):
    source = write_images(tmp_path / "images", [f"{index:02d}.png" for index in range(11)])
    alone = predict(classifier, source, tmp_path / "alone.parquet", batch_size=3, workers=0, progress=False)
    pooled = predict(classifier, source, tmp_path / "pooled.parquet", batch_size=3, workers=2, progress=False)
    first, second = pq.read_table(alone.path).to_pandas(), pq.read_table(pooled.path).to_pandas()
    assert first["file_name"].tolist() == second["file_name"].tolist() == [f"{index:02d}.png" for index in range(11)]
    assert first["predicted_class"].tolist() == second["predicted_class"].tolist()
    np.testing.assert_allclose(first["predicted_probability"], second["predicted_probability"], atol=1e-6)


def test_rendered_dataset_predictions_are_a_prediction_file_of_fovkit_analyze(tmp_path: Path, tiny_dataset):
    out = tmp_path / "render.parquet"
    result = predict(tiny_classifier(), tiny_dataset.folder, out, batch_size=64, part_size=250, progress=False)
    samples = tiny_dataset.samples
    frame = pq.read_table(out).to_pandas()
    assert result.source_kind == "store" and len(frame) == len(samples)
    assert frame["file_name"].tolist() == samples["sample_id"].astype(str).tolist()
    assert frame["label"].tolist() == samples["label"].tolist()
    assert pq.ParquetFile(out).num_row_groups == 3  # parts of 250 rows
    spec = rendered_spec(tiny_dataset.folder)
    read = PredictionFileReader.for_universe(spec.universe, spec.num_classes).read(out)
    rows = frame.set_index("file_name").loc[spec.universe.target]
    assert read.predicted.tolist() == rows["predicted_class"].tolist()
    np.testing.assert_allclose(read.probability, rows["predicted_probability"], atol=1e-7)


def test_imagenet_val_predictions_are_analysed_by_imagenetx(tmp_path: Path, write_images, val_table):
    names = list(val_table.sample_ids[:4])
    source = write_images(tmp_path / "val", names)
    out = tmp_path / "model.parquet"
    result = predict(tiny_classifier(imagenet_labels()), source, out, batch_size=3, progress=False)
    assert result.source_kind == "imagenet-val"
    frame = pq.read_table(out).to_pandas().set_index("file_name").loc[names]
    subset = val_table.subset(np.arange(len(val_table)) < 4)
    read = PredictionFileReader.for_universe(sample_universe(subset, "val"), 1000).read(out)
    assert read.predicted.tolist() == frame["predicted_class"].tolist()
    assert frame["predicted_name"].tolist() == [imagenet_labels().names[index] for index in read.predicted]
    analysis = analyze_files(subset, [out], ImageNetXConfig(bootstrap=0), workers=1)
    expected = np.mean(frame["predicted_class"].to_numpy() == subset.labels)
    assert analysis.summary.loc["model", "accuracy"] == pytest.approx(expected)


def test_plan_parts_cuts_batches_at_parts_and_shard_ends():
    assert plan_parts(7, 4, [], 3) == [[(0, 3), (3, 4)], [(4, 7)]]
    assert plan_parts(7, 10, [2, 7], 3) == [[(0, 2), (2, 5), (5, 7)]]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"top_k": 4}, "top_k must be an integer from 1 to the model's 3 classes, got 4"),
        ({"batch_size": 0}, "batch_size must be an integer of at least 1"),
        ({"device": "tpu"}, "unknown device 'tpu'"),
    ],
)
def test_bad_settings_are_refused_before_anything_is_written(tmp_path, write_images, classifier, options, message):
    source = write_images(tmp_path / "images", ["a.png"])
    out = tmp_path / "deep" / "out.parquet"
    with pytest.raises(InputError, match=message):
        predict(classifier, source, out, progress=False, **options)
    assert not (tmp_path / "deep").exists()


def test_a_model_of_the_wrong_width_is_named(tmp_path: Path, write_images):
    source = write_images(tmp_path / "images", ["a.png"])
    classifier = tiny_classifier()
    classifier.network.fc = torch.nn.Linear(12, 4)
    out = tmp_path / "out.parquet"
    with pytest.raises(InputError, match=r"logits of shape \(1, 4\) for 1 images; expected \(1, 3\)"):
        predict(classifier, source, out, workers=0, progress=False)
    assert list(tmp_path.iterdir()) == [tmp_path / "images"]
