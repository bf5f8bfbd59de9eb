"""Every prediction format reads to the same Predictions, and every bad input fails with one precise error."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import softmax

from fovkit.errors import InputError
from fovkit.imagenetx.annotations import NUM_CLASSES, val_file_names
from fovkit.tables.alignment import SampleUniverse
from fovkit.tables.prediction_files import (
    expand_prediction_paths,
    iter_prediction_chunks,
    load_prediction_files,
)


def load(paths: list[Path], universe: SampleUniverse, **options: object):
    return load_prediction_files(paths, universe, NUM_CLASSES, progress=False, **options)


def logits_for(frame: pd.DataFrame, seed: int = 0) -> np.ndarray:
    """Random logits whose argmax is the frame's predicted class."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(len(frame), NUM_CLASSES)).astype(np.float32)
    logits[np.arange(len(frame)), frame["predicted_class"].to_numpy()] += 10.0
    return logits


def test_csv_matches_the_file_by_name(prediction_frame: pd.DataFrame, val_universe: SampleUniverse, tmp_path: Path):
    path = tmp_path / "resnet.csv"
    prediction_frame.to_csv(path, index=False)
    predictions = load([path], val_universe)
    expected = prediction_frame.set_index("file_name").loc[val_universe.target]
    assert predictions.models == ("resnet",)
    np.testing.assert_array_equal(predictions.predicted[0], expected["predicted_class"].to_numpy())
    np.testing.assert_allclose(predictions.probability[0], expected["predicted_probability"].to_numpy(), rtol=1e-6)


def test_row_order_does_not_matter(prediction_frame: pd.DataFrame, val_universe: SampleUniverse, tmp_path: Path):
    prediction_frame.to_csv(tmp_path / "a.csv", index=False)
    prediction_frame.sample(frac=1.0, random_state=3).to_csv(tmp_path / "b.csv", index=False)
    predictions = load([tmp_path / "a.csv", tmp_path / "b.csv"], val_universe)
    np.testing.assert_array_equal(predictions.predicted[0], predictions.predicted[1])
    np.testing.assert_array_equal(predictions.probability[0], predictions.probability[1])


def test_every_format_reads_to_the_same_classes(
    prediction_frame: pd.DataFrame, val_universe: SampleUniverse, tmp_path: Path
):
    csv = tmp_path / "csv_model.csv"
    prediction_frame.to_csv(csv, index=False)
    parquet = tmp_path / "parquet_model.parquet"
    prediction_frame.to_parquet(parquet)
    logits = logits_for(prediction_frame)
    names = prediction_frame["file_name"].to_numpy().astype(str)
    npz = tmp_path / "npz_model.npz"
    np.savez(npz, logits=logits, file_names=names)
    npy = tmp_path / "npy_model.npy"
    np.save(npy, logits)
    npy.with_suffix(".txt").write_text("\n".join(names) + "\n")
    reordered = prediction_frame.set_index("file_name").loc[val_file_names()].reset_index()
    pickled = tmp_path / "testbed.pickle"
    with pickled.open("wb") as handle:
        pickle.dump({"model": "testbed_model", "logits": logits_for(reordered)}, handle)

    tables = load([csv, parquet], val_universe)
    logit_models = load([npz, npy, pickled], val_universe)
    assert tables.models == ("csv_model", "parquet_model")
    assert logit_models.models == ("npz_model", "npy_model", "testbed_model")
    for row in range(3):
        np.testing.assert_array_equal(logit_models.predicted[row], tables.predicted[0])
    rows = prediction_frame.set_index("file_name").index.get_indexer(val_universe.target)
    expected_probability = softmax(logits[rows].astype(np.float64), axis=1).max(axis=1)
    np.testing.assert_allclose(logit_models.probability[0], expected_probability, rtol=1e-5)


def test_npy_takes_the_shared_file_name_list(prediction_frame: pd.DataFrame, val_universe: SampleUniverse, tmp_path):
    npy = tmp_path / "model.npy"
    np.save(npy, logits_for(prediction_frame))
    names = tmp_path / "order.csv"
    names.write_text("file_name\n" + "\n".join(prediction_frame["file_name"]) + "\n")
    predictions = load([npy], val_universe, file_names=names)
    expected = prediction_frame.set_index("file_name").loc[val_universe.target, "predicted_class"]
    np.testing.assert_array_equal(predictions.predicted[0], expected.to_numpy())


def test_folders_expand_to_sorted_prediction_files(prediction_dir: Path, tmp_path: Path):
    (tmp_path / ".DS_Store").write_text("")
    assert [path.name for path in expand_prediction_paths([prediction_dir])] == [
        "model_0000.csv",
        "model_0001.csv",
        "model_0002.csv",
    ]
    with pytest.raises(InputError, match="folder holds no prediction files"):
        expand_prediction_paths([tmp_path])
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(InputError, match=r"unsupported file type '\.json'"):
        expand_prediction_paths([tmp_path / "x.json"])
    with pytest.raises(InputError, match="no such file"):
        expand_prediction_paths([tmp_path / "missing.csv"])


def test_chunks_stream_in_order(prediction_dir: Path, val_universe: SampleUniverse):
    paths = expand_prediction_paths([prediction_dir])
    chunks = list(iter_prediction_chunks(paths, val_universe, NUM_CLASSES, chunk_size=2, progress=False))
    assert [chunk.models for chunk in chunks] == [("model_0000", "model_0001"), ("model_0002",)]


# --- bad input: one error naming the file, the field and the first offending rows -------------------------------


def write_csv(frame: pd.DataFrame, folder: Path, name: str = "bad.csv") -> Path:
    path = folder / name
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("edit", "field", "message"),
    [
        (lambda f: f.drop(columns="predicted_class"), "predicted_class", r"missing column\(s\) \['predicted_class'\]"),
        (lambda f: f.drop(columns="file_name"), "file_name", r"missing column\(s\) \['file_name'\]"),
        (lambda f: pd.concat([f, f.iloc[[5]]]), "file_name", r"duplicate sample ids \['ILSVRC2012_val_\d+\.JPEG'\]"),
        (
            lambda f: f.assign(predicted_class=f["predicted_class"].where(f.index != 3, 1000)),
            "predicted_class",
            r"classes outside 0\.\.999: \[1000\] at rows \[3\]",
        ),
        (
            lambda f: f.assign(predicted_class=f["predicted_class"].where(f.index != 4, -1)),
            "predicted_class",
            r"classes outside 0\.\.999: \[-1\] at rows \[4\]",
        ),
        (
            lambda f: f.assign(predicted_class=f["predicted_class"].astype(float).where(f.index != 6)),
            "predicted_class",
            r"empty or NaN classes at rows \[6\]",
        ),
        (lambda f: f.assign(predicted_class=f["predicted_class"] + 0.5), "predicted_class", "whole numbers"),
        (
            lambda f: f.assign(predicted_probability=f["predicted_probability"].where(f.index != 2)),
            "predicted_probability",
            r"no NaN\): \[nan\] at rows \[2\]",
        ),
        (
            lambda f: f.assign(predicted_probability=f["predicted_probability"].where(f.index != 8, 1.5)),
            "predicted_probability",
            r"\[1\.5\] at rows \[8\]",
        ),
        (
            lambda f: f.assign(file_name=f["file_name"].where(f.index != 9, "cat.jpg")),
            "file_name",
            r"not in the ImageNet-X val annotations or the 50,000 ImageNet val images: \['cat\.jpg'\] at rows \[9\]",
        ),
        (lambda f: f.iloc[100:], "file_name", r"missing rows: \d+ of the 46110 samples"),
        (lambda f: f.assign(file_name=f["file_name"].where(f.index != 1)), "file_name", r"empty sample ids at rows"),
        (lambda f: f.assign(predicted_class="dog"), "predicted_class", "classes must be integers"),
    ],
)
def test_bad_csv_is_rejected_with_file_field_and_rows(
    prediction_frame: pd.DataFrame, val_universe: SampleUniverse, tmp_path: Path, edit, field: str, message: str
):
    path = write_csv(edit(prediction_frame.copy()), tmp_path)
    with pytest.raises(InputError, match=message) as caught:
        load([path], val_universe)
    assert caught.value.path == path
    assert caught.value.field == field
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("content", [b"", b"\x00\x01garbage\xff", b'file_name,predicted_class\n"unterminated,1\n'])
def test_unreadable_files_are_rejected(val_universe: SampleUniverse, tmp_path: Path, content: bytes):
    for suffix in (".csv", ".parquet", ".npz", ".pickle"):
        path = tmp_path / f"broken{suffix}"
        path.write_bytes(content)
        with pytest.raises(InputError) as caught:
            load([path], val_universe)
        assert caught.value.path == path


def test_same_model_name_twice_is_rejected(prediction_frame: pd.DataFrame, val_universe: SampleUniverse, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_csv(prediction_frame, tmp_path / "a", "resnet.csv")
    second = write_csv(prediction_frame, tmp_path / "b", "resnet.csv")
    with pytest.raises(InputError, match="model name 'resnet' is also given by"):
        load([first, second], val_universe)


def test_probabilities_for_some_models_only_are_rejected(prediction_frame: pd.DataFrame, val_universe, tmp_path):
    with_probability = write_csv(prediction_frame, tmp_path, "a.csv")
    without = write_csv(prediction_frame.drop(columns="predicted_probability"), tmp_path, "b.csv")
    with pytest.raises(InputError, match="give it for every model or for none") as caught:
        load([with_probability, without], val_universe)
    assert caught.value.field == "predicted_probability"


def test_logits_problems_are_named(prediction_frame: pd.DataFrame, val_universe: SampleUniverse, tmp_path: Path):
    logits = logits_for(prediction_frame)
    names = prediction_frame["file_name"].to_numpy().astype(str)
    no_names = tmp_path / "no_names.npy"
    np.save(no_names, logits)
    with pytest.raises(InputError, match="logits carry no file names"):
        load([no_names], val_universe)
    wrong_width = tmp_path / "wrong_width.npz"
    np.savez(wrong_width, logits=logits[:, :10], file_names=names)
    with pytest.raises(InputError, match=r"logits have shape \(50000, 10\), expected \(samples, 1000\)"):
        load([wrong_width], val_universe)
    short_names = tmp_path / "short_names.npz"
    np.savez(short_names, logits=logits, file_names=names[:10])
    with pytest.raises(InputError, match="50000 rows of logits but 10 file names"):
        load([short_names], val_universe)
    not_finite = logits.copy()
    not_finite[val_file_names().get_loc(val_universe.target[0])] = np.nan
    nan_logits = tmp_path / "nan_logits.npz"
    np.savez(nan_logits, logits=not_finite, file_names=val_file_names().to_numpy().astype(str))
    with pytest.raises(InputError, match="NaN or infinite logits") as caught:
        load([nan_logits], val_universe)
    assert caught.value.field == "logits"
    no_key = tmp_path / "no_key.npz"
    np.savez(no_key, scores=logits)
    with pytest.raises(InputError, match=r"no 'logits' array; the archive has \['scores'\]"):
        load([no_key], val_universe)
    not_a_dict = tmp_path / "list.pickle"
    not_a_dict.write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(InputError, match="expected a dict with 'model' and 'logits', got list"):
        load([not_a_dict], val_universe)


def test_duplicates_among_unannotated_images_are_rejected(
    prediction_frame: pd.DataFrame, val_universe: SampleUniverse, tmp_path: Path
):
    unannotated = prediction_frame[~prediction_frame["file_name"].isin(val_universe.target)].iloc[[0]]
    path = write_csv(pd.concat([prediction_frame, unannotated]), tmp_path)
    with pytest.raises(InputError, match="duplicate sample ids") as caught:
        load([path], val_universe)
    assert str(unannotated["file_name"].iloc[0]) in str(caught.value)
    assert f"{len(prediction_frame)}" in str(caught.value)
