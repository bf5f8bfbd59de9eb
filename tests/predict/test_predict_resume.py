"""Interrupted prediction runs resume after their last complete part and give the bytes of an uninterrupted run."""

from __future__ import annotations

from pathlib import Path

import pytest
from predict_samples import CrashingNet, tiny_classifier

from fovkit.errors import InputError
from fovkit.predict import predict

IMAGES = [f"{index:02d}.png" for index in range(10)]
OPTIONS = {"batch_size": 2, "part_size": 4, "workers": 0, "progress": False}


def crash(source: Path, out: Path, at: int, **options) -> Path:
    """Run until the model crashes on its `at`-th batch; return the work folder it left."""
    with pytest.raises(RuntimeError, match="model crashed"):
        predict(tiny_classifier(network=CrashingNet(3, at)), source, out, **{**OPTIONS, **options})
    return out.parent / f".{out.name}.parts"


def test_an_interrupted_run_resumes_and_writes_the_same_bytes(tmp_path: Path, write_images):
    source = write_images(tmp_path / "images", IMAGES)
    whole = predict(tiny_classifier(), source, tmp_path / "whole.parquet", **OPTIONS)
    out = tmp_path / "resumed.parquet"
    work = crash(source, out, at=4)  # batches 1-2 made part 0 (4 rows); part 1 was half done
    assert sorted(path.name for path in work.glob("part-*")) == ["part-00000.json", "part-00000.parquet"]
    assert not out.exists()
    resumed = predict(tiny_classifier(), source, out, **OPTIONS)
    assert resumed.resumed == 4 and resumed.images == 10
    assert out.read_bytes() == whole.path.read_bytes()
    assert not work.exists()


def test_a_damaged_part_is_computed_again(tmp_path: Path, write_images, flip_bytes):
    source = write_images(tmp_path / "images", IMAGES)
    whole = predict(tiny_classifier(), source, tmp_path / "whole.parquet", **OPTIONS)
    out = tmp_path / "resumed.parquet"
    work = crash(source, out, at=5)  # parts 0 and 1 done
    flip_bytes(work / "part-00001.parquet")
    assert predict(tiny_classifier(), source, out, **OPTIONS).resumed == 4
    assert out.read_bytes() == whole.path.read_bytes()


def test_other_settings_or_images_refuse_to_resume_until_overwrite(tmp_path: Path, write_images):
    source = write_images(tmp_path / "images", IMAGES)
    out = tmp_path / "out.parquet"
    work = crash(source, out, at=3)
    with pytest.raises(InputError, match=r"but their settings differ .* pass --overwrite"):
        predict(tiny_classifier(), source, out, **{**OPTIONS, "top_k": 2})
    write_images(source, ["10.png"])
    with pytest.raises(InputError, match="their source images differ"):
        predict(tiny_classifier(), source, out, **OPTIONS)
    assert (work / "part-00000.parquet").is_file()  # kept for a resume with the first arguments
    result = predict(tiny_classifier(), source, out, **{**OPTIONS, "overwrite": True})
    assert (result.resumed, result.images) == (0, 11) and not work.exists()


def test_an_unreadable_image_mid_run_leaves_nothing(tmp_path: Path, write_images):
    source = write_images(tmp_path / "images", IMAGES)
    (source / "07.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    out = tmp_path / "new" / "out.parquet"
    with pytest.raises(InputError, match=r"07\.png.*Pillow cannot decode"):
        predict(tiny_classifier(), source, out, **OPTIONS)
    assert not (tmp_path / "new").exists()


def test_an_existing_file_is_replaced_only_with_overwrite_and_only_if_fovkit_wrote_it(tmp_path, write_images):
    source = write_images(tmp_path / "images", IMAGES[:2])
    out = tmp_path / "out.parquet"
    predict(tiny_classifier(), source, out, **OPTIONS)
    first = out.read_bytes()
    with pytest.raises(InputError, match="exists; choose another path, or pass --overwrite"):
        predict(tiny_classifier(), source, out, **{**OPTIONS, "top_k": 1})
    assert out.read_bytes() == first
    predict(tiny_classifier(), source, out, **{**OPTIONS, "top_k": 1, "overwrite": True})
    assert out.read_bytes() != first
    theirs = tmp_path / "theirs.parquet"
    theirs.write_bytes(b"a user's own file")
    with pytest.raises(InputError, match="not a prediction file fovkit wrote"):
        predict(tiny_classifier(), source, theirs, **{**OPTIONS, "overwrite": True})
    assert theirs.read_bytes() == b"a user's own file"


@pytest.mark.parametrize(
    ("out", "message"),
    [("predictions.csv", "must be a Parquet file ending in .parquet"), ("images/p.parquet", "inside the source")],
)
def test_output_paths_that_are_no_new_parquet_file_are_refused(tmp_path: Path, write_images, out: str, message: str):
    source = write_images(tmp_path / "images", IMAGES[:2])
    with pytest.raises(InputError, match=message):
        predict(tiny_classifier(), source, tmp_path / out, **OPTIONS)
    assert sorted(path.name for path in tmp_path.rglob("*")) == sorted(["images", *IMAGES[:2]])
