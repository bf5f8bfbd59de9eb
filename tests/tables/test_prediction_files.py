"""Every prediction format reads to the same Predictions, and every bad input fails with one precise error."""

from __future__ import annotations

import gzip
import os
import pickle
import shlex
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


# --- hostile files: compressed, other encodings, binary, links, code in pickles, object arrays -------------------

TINY = SampleUniverse(pd.Index(["a.JPEG", "b.JPEG", "c.JPEG"]), "the three test images")
TINY_NAMES = ["c.JPEG", "a.JPEG", "b.JPEG"]


def tiny_logits() -> np.ndarray:
    logits = np.zeros((3, NUM_CLASSES), dtype=np.float32)
    logits[[0, 1, 2], [7, 8, 9]] = 5.0  # c -> 7, a -> 8, b -> 9
    return logits


def assert_one_clean_line(error: InputError, path: Path, field: str | None) -> None:
    assert error.path == path
    assert error.field == field
    assert str(error).isprintable(), str(error)  # no newline, control character or raw byte
    assert str(path) in str(error)


@pytest.mark.parametrize("name", ["model.csv", "model.csv.gz"])
def test_gzip_csv_is_read_by_content(prediction_frame: pd.DataFrame, val_universe: SampleUniverse, tmp_path, name):
    plain = write_csv(prediction_frame, tmp_path, "plain.csv")
    path = tmp_path / "gz" / name
    path.parent.mkdir()
    path.write_bytes(gzip.compress(plain.read_bytes()))
    assert expand_prediction_paths([path.parent]) == [path]
    predictions = load([plain, path], val_universe)
    assert predictions.models == ("plain", "model")
    np.testing.assert_array_equal(predictions.predicted[0], predictions.predicted[1])


@pytest.mark.parametrize(
    ("encode", "message"),
    [
        (lambda text: text.encode("utf-16"), "the file is UTF-16 encoded; save it as UTF-8"),
        (lambda text: text.encode("utf-16-le"), "UTF-16 encoded \\(without a byte-order mark\\)"),
        (lambda text: b"\x1b[2J\x00\x00" + text.encode(), "binary, not text \\(a NUL byte at offset 4\\)"),
        (lambda text: b"PK\x03\x04" + text.encode(), "ZIP archive"),
    ],
)
def test_csv_in_another_encoding_is_refused_in_one_clean_line(val_universe: SampleUniverse, tmp_path, encode, message):
    path = tmp_path / "model.csv"
    path.write_bytes(encode("file_name,predicted_class\nILSVRC2012_val_00000001.JPEG,65\n"))
    with pytest.raises(InputError, match=message) as caught:
        load([path], val_universe)
    assert_one_clean_line(caught.value, path, "format")


def test_raw_bytes_inside_a_csv_never_reach_the_message(
    prediction_frame: pd.DataFrame, val_universe: SampleUniverse, tmp_path: Path
):
    text = write_csv(prediction_frame, tmp_path, "text.csv").read_bytes()
    not_utf8 = tmp_path / "not_utf8.csv"
    not_utf8.write_bytes(text + b"ab\x8b\x1b[31mcd.JPEG,1,0.5\n")
    with pytest.raises(
        InputError, match=r"1 sample ids are not UTF-8 text: \[b'ab\\x8b\\x1b\[31mcd\.JPEG'\]"
    ) as caught:
        load([not_utf8], val_universe)
    assert_one_clean_line(caught.value, not_utf8, "file_name")
    assert f"at rows [{len(prediction_frame)}]" in str(caught.value)
    ragged = tmp_path / "ragged.csv"
    ragged.write_bytes(text + b"\x1b[31m\x8b\x07,1,0.5,extra\n")
    with pytest.raises(InputError, match="CSV parse error") as caught:
        load([ragged], val_universe)
    assert_one_clean_line(caught.value, ragged, None)
    assert "\\x1b[31m" in str(caught.value)  # the row is quoted, escaped


def test_long_offending_values_are_cut(prediction_frame: pd.DataFrame, val_universe: SampleUniverse, tmp_path: Path):
    path = write_csv(
        prediction_frame.assign(
            file_name=prediction_frame["file_name"].where(prediction_frame.index != 2, "x" * 100_000)
        ),
        tmp_path,
    )
    with pytest.raises(
        InputError, match=r"not in the ImageNet-X val annotations .*: \['x{60}\.\.\.'\] at rows \[2\]"
    ) as caught:
        load([path], val_universe)
    assert len(str(caught.value)) < 500


def test_symbolic_link_loops_and_broken_links_are_named(tmp_path: Path):
    (tmp_path / "a.csv").symlink_to(tmp_path / "b.csv")
    (tmp_path / "b.csv").symlink_to(tmp_path / "a.csv")
    (tmp_path / "broken.csv").symlink_to(tmp_path / "deleted.csv")
    for path, message in (
        (tmp_path / "a.csv", "is a symbolic link loop"),
        (tmp_path / "broken.csv", "is a broken symbolic link to"),
    ):
        with pytest.raises(InputError, match=message) as caught:
            expand_prediction_paths([path])
        assert_one_clean_line(caught.value, path, None)
    with pytest.raises(InputError, match=r"symbolic link loop|broken symbolic link"):
        expand_prediction_paths([tmp_path])  # links inside a folder are not skipped silently
    with pytest.raises(InputError, match="is a symbolic link loop") as caught:
        load([tmp_path / "a.csv"], TINY)  # the library call without expand_prediction_paths
    assert caught.value.path == tmp_path / "a.csv"


def test_a_pickle_that_runs_code_is_refused_and_never_runs(tmp_path: Path):
    marker = tmp_path / "pwned"

    class RunsShell:
        def __reduce__(self):
            return os.system, (f"touch {shlex.quote(str(marker))}",)

    path = tmp_path / "model.pickle"
    path.write_bytes(pickle.dumps({"model": "m", "logits": RunsShell()}))
    with pytest.raises(InputError, match=r"refers to 'posix\.system'.*restricted unpickler") as caught:
        load([path], TINY)
    assert_one_clean_line(caught.value, path, "format")
    assert not marker.exists()


def test_testbed_pickle_with_file_names_loads(tmp_path: Path):
    path = tmp_path / "testbed.pkl"
    path.write_bytes(pickle.dumps({"model": "vit", "logits": tiny_logits(), "file_names": TINY_NAMES}, protocol=2))
    predictions = load([path], TINY)
    assert predictions.models == ("vit",)
    np.testing.assert_array_equal(predictions.predicted[0], [8, 9, 7])


@pytest.mark.parametrize(
    ("content", "field", "message"),
    [
        (
            {"model": "a\x1b[2Jb", "logits": np.zeros((3, 1000))},
            "model",
            r"printable, non-empty name, got \['a\\x1b\[2Jb'\]",
        ),
        ({"model": 3, "logits": np.zeros((3, 1000))}, "model", "printable, non-empty name, got \\[3\\]"),
        ({"model": "m", "logits": [["x"] * 1000] * 3}, "logits", "logits must be numbers, got an array of dtype <U1"),
        (
            {"model": "m", "logits": np.zeros((3, 1000)), "file_names": [["a.JPEG"]] * 3},
            "file_names",
            "one list of names",
        ),
    ],
)
def test_bad_pickle_content_is_named(tmp_path: Path, content: dict, field: str, message: str):
    path = tmp_path / "model.pickle"
    content.setdefault("file_names", TINY_NAMES)
    path.write_bytes(pickle.dumps(content))
    with pytest.raises(InputError, match=message) as caught:
        load([path], TINY)
    assert_one_clean_line(caught.value, path, field)


def test_npz_and_npy_with_fixed_width_names_load(tmp_path: Path):
    npz = tmp_path / "npz_model.npz"
    np.savez(npz, logits=tiny_logits(), file_names=TINY_NAMES)  # a list of str of mixed length: fixed-width <U6
    npy = tmp_path / "npy_model.npy"
    np.save(npy, tiny_logits())
    npy.with_suffix(".txt").write_text("\n".join(TINY_NAMES) + "\n")
    predictions = load([npz, npy], TINY)
    np.testing.assert_array_equal(predictions.predicted, [[8, 9, 7], [8, 9, 7]])


@pytest.mark.parametrize(
    ("names", "field", "fix"),
    [
        (lambda: pd.Series(TINY_NAMES), "file_names", r"np\.asarray\(names, dtype=str\)"),
        (lambda: np.array(TINY_NAMES, dtype=object), "file_names", r"np\.asarray\(names, dtype=str\)"),
    ],
)
def test_npz_object_names_are_explained_never_unpickled(tmp_path: Path, names, field: str, fix: str):
    path = tmp_path / "model.npz"
    np.savez(path, logits=tiny_logits(), file_names=names())
    with pytest.raises(InputError, match=f"stored as Python objects .*never unpickled; save it as {fix}") as caught:
        load([path], TINY)
    assert_one_clean_line(caught.value, path, field)


def test_npy_object_logits_are_explained_never_unpickled(tmp_path: Path):
    path = tmp_path / "model.npy"
    np.save(path, tiny_logits().astype(object), allow_pickle=True)
    with pytest.raises(
        InputError, match=r"never unpickled; save it as np\.asarray\(logits, dtype=np\.float32\)"
    ) as caught:
        load([path], TINY, file_names=write_names(tmp_path))
    assert_one_clean_line(caught.value, path, "logits")


def write_names(folder: Path) -> Path:
    path = folder / "order.txt"
    path.write_text("\n".join(TINY_NAMES) + "\n")
    return path


def saved_npz(folder: Path) -> bytes:
    path = folder / "source.npz"
    np.savez(path, logits=tiny_logits(), file_names=TINY_NAMES)
    return path.read_bytes()


def saved_npy(folder: Path) -> bytes:
    path = folder / "source.npy"
    np.save(path, tiny_logits())
    return path.read_bytes()


@pytest.mark.parametrize(
    ("suffix", "content", "field", "message"),
    [
        (".npz", lambda folder: saved_npz(folder)[:2000], "format", "NPZ archive is truncated or damaged"),
        (".npz", lambda folder: saved_npz(folder)[:-200], "format", "NPZ archive is truncated or damaged"),
        (".npz", lambda folder: b"hello world", "format", r"not an NPZ archive .*: it starts with b'hello world'"),
        (".npz", lambda folder: saved_npy(folder), "format", "not an NPZ archive .*a NumPy .npy array"),
        (".npz", lambda folder: b"", "format", "not an NPZ archive"),
        (".npy", lambda folder: saved_npy(folder)[:500], "logits", "'logits' is not a readable .npy array, truncated"),
        (".npy", lambda folder: saved_npz(folder), "format", r"not a \.npy array .*ZIP archive"),
        (".npy", lambda folder: b"\x93NUMPY\x01\x00\x10\x00{'descr': garbage", "logits", "not a readable .npy array"),
    ],
)
def test_damaged_logit_files_are_one_clean_line(tmp_path: Path, suffix: str, content, field: str, message: str):
    path = tmp_path / f"model{suffix}"
    path.write_bytes(content(tmp_path))
    with pytest.raises(InputError, match=message) as caught:
        load([path], TINY, file_names=write_names(tmp_path))
    assert_one_clean_line(caught.value, path, field)


def test_npz_with_wrong_arrays_is_named(tmp_path: Path):
    strings = tmp_path / "strings.npz"
    np.savez(strings, logits=np.full((3, NUM_CLASSES), "x"), file_names=TINY_NAMES)
    with pytest.raises(InputError, match="logits must be numbers, got an array of dtype <U1") as caught:
        load([strings], TINY)
    assert_one_clean_line(caught.value, strings, "logits")
    grid = tmp_path / "grid.npz"
    np.savez(grid, logits=tiny_logits(), file_names=np.array([TINY_NAMES, TINY_NAMES]))
    with pytest.raises(InputError, match=r"one list of names, got shape \(2, 3\)") as caught:
        load([grid], TINY)
    assert_one_clean_line(caught.value, grid, "file_names")


def test_file_name_list_in_utf16_is_refused(tmp_path: Path):
    npy = tmp_path / "model.npy"
    np.save(npy, tiny_logits())
    sidecar = npy.with_suffix(".txt")
    sidecar.write_text("\n".join(TINY_NAMES), encoding="utf-16")
    with pytest.raises(InputError, match="UTF-16 encoded; save it as UTF-8") as caught:
        load([npy], TINY)
    assert_one_clean_line(caught.value, sidecar, "format")
    sidecar.write_bytes("\n".join(TINY_NAMES).encode() + b"\n\xff\xfe.JPEG\n")
    with pytest.raises(InputError, match=r"not UTF-8 text \(byte b'\\xff' at offset 21\)") as caught:
        load([npy], TINY)
    assert_one_clean_line(caught.value, sidecar, "format")
