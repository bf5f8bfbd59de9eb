"""Which source a folder is, the order and names of its images, and a clear error for every folder that is none."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from predict_samples import PREPROCESSING

from fovkit.errors import InputError
from fovkit.models.imagenet import imagenet_labels
from fovkit.predict.sources import IMAGE_FOLDER, IMAGENET_VAL, STORE, ImageFiles, load_image, open_source


def test_flat_folder_lists_images_in_path_order_and_ignores_other_files(tmp_path: Path, write_images):
    write_images(tmp_path, ["b.png", "a.JPG", "c.webp", "d.bmp"])
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden.png").write_bytes(b"skipped, even though it is no image")
    source = open_source(tmp_path)
    assert isinstance(source, ImageFiles) and source.kind == IMAGE_FOLDER
    assert source.files == ("a.JPG", "b.png", "c.webp", "d.bmp")
    assert source.labels is None and "labels" not in source.describe()
    batch = source.read(1, 4, PREPROCESSING)
    assert batch.images.shape == (3, 3, 16, 16) and batch.file_names == ["b.png", "c.webp", "d.bmp"]
    assert batch.labels is None and batch.class_dirs is None and batch.error is None


def test_class_folders_give_sorted_labels_and_relative_names(tmp_path: Path, write_images):
    write_images(tmp_path, ["dog/x.png", "cat/deep/y.png", "cat/z.jpeg", "dog/.cache/w.png"])
    source = open_source(tmp_path)
    assert source.kind == IMAGE_FOLDER and source.classes == ("cat", "dog")
    assert source.files == ("cat/deep/y.png", "cat/z.jpeg", "dog/x.png")
    batch = source.read(0, 3, PREPROCESSING)
    assert batch.file_names == ["cat/deep/y.png", "cat/z.jpeg", "dog/x.png"]
    assert batch.labels.tolist() == [0, 0, 1] and batch.class_dirs == ["cat", "cat", "dog"]
    assert source.describe()["labels"] == "class folders"


def test_wordnet_class_folders_are_labelled_by_their_imagenet_index(tmp_path: Path, write_images):
    ids = imagenet_labels().ids
    write_images(tmp_path, [f"{ids[281]}/a.png", f"{ids[7]}/b.png"])
    source = open_source(tmp_path)
    assert source.describe()["labels"] == "imagenet-1k"
    assert source.read(0, 2, PREPROCESSING).labels.tolist() == [7, 281]


def test_imagenet_val_folder_is_named_by_base_names_flat_or_in_class_folders(tmp_path: Path, write_images):
    names = ["ILSVRC2012_val_00000002.JPEG", "ILSVRC2012_val_00000001.JPEG"]
    flat = open_source(write_images(tmp_path / "flat", names))
    assert flat.kind == IMAGENET_VAL and flat.read(0, 2, PREPROCESSING).file_names == sorted(names)
    nested = open_source(write_images(tmp_path / "nested", [f"n01440764/{names[0]}", f"n01443537/{names[1]}"]))
    assert nested.kind == IMAGENET_VAL
    batch = nested.read(0, 2, PREPROCESSING)
    assert batch.file_names == names and batch.labels.tolist() == [0, 1]
    write_images(tmp_path / "twice", [f"n01440764/{names[0]}", f"n01443537/{names[0]}"])
    with pytest.raises(InputError, match="found twice"):
        open_source(tmp_path / "twice")


def test_stored_dataset_is_read_shard_by_shard(tiny_dataset):
    source = open_source(tiny_dataset.folder)
    assert source.kind == STORE and len(source) == len(tiny_dataset.samples)
    assert source.boundaries()[-1] == len(source) and len(source.boundaries()) == len(tiny_dataset.manifest.shards)
    first = source.boundaries()[0]
    batch = source.read(first - 2, first, PREPROCESSING)
    expected = tiny_dataset.samples.iloc[first - 2 : first]
    assert batch.file_names == expected["sample_id"].astype(str).tolist()
    assert batch.labels.tolist() == expected["label"].tolist()
    image = next(tiny_dataset.images(expected.iloc[[1]]))
    direct = PREPROCESSING.prepare(torch.from_numpy(image).permute(2, 0, 1).float() / 255)
    torch.testing.assert_close(batch.images[1], direct)
    assert source.describe()["dataset"] == "render" and source.describe()["labels"] == "dataset"


def test_grey_rgba_and_cmyk_images_decode_to_rgb(tmp_path: Path):
    pixels = np.random.default_rng(3).integers(0, 256, (10, 12, 4), dtype=np.uint8)
    Image.fromarray(pixels[..., 0]).save(tmp_path / "grey.png")
    Image.fromarray(pixels).save(tmp_path / "rgba.png")
    Image.fromarray(pixels, mode="CMYK").save(tmp_path / "cmyk.jpg")
    for name in ("grey.png", "rgba.png", "cmyk.jpg"):
        image, error = load_image(tmp_path / name)
        assert error is None and image.shape == (3, 10, 12) and image.min() >= 0 and image.max() <= 1
    grey, _ = load_image(tmp_path / "grey.png")
    torch.testing.assert_close(grey[0], torch.from_numpy(pixels[..., 0]).float() / 255)
    assert torch.equal(grey[0], grey[2])


def test_an_undecodable_image_is_an_error_naming_it(tmp_path: Path, write_images):
    write_images(tmp_path, ["a.png"])
    (tmp_path / "b.jpg").write_bytes(b"\xff\xd8\xff not really a JPEG")
    batch = open_source(tmp_path).read(0, 2, PREPROCESSING)
    assert isinstance(batch.error, InputError) and batch.error.path == tmp_path / "b.jpg"
    assert "Pillow cannot decode" in str(batch.error)


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ("missing", "no such file or folder"),
        ("file", "is a file, not a folder"),
        ("empty", "holds no images"),
        ("mixed", "mixes images"),
        ("broken-link", "broken symbolic link"),
        ("loop", "symbolic link loop"),
    ],
)
def test_folders_that_are_no_source_are_refused_by_name(tmp_path: Path, write_images, layout: str, message: str):
    root = tmp_path / "source"
    if layout == "file":
        root.write_text("x")
    elif layout != "missing":
        root.mkdir()
    if layout == "empty":
        (root / "notes.txt").write_text("no images here")
    elif layout == "mixed":
        write_images(root, ["a.png", "cats/b.png"])
    elif layout == "broken-link":
        write_images(root, ["a.png"])
        os.symlink(tmp_path / "gone.png", root / "b.png")
    elif layout == "loop":
        write_images(root, ["cats/a.png"])
        os.symlink(root, root / "cats" / "again")
    with pytest.raises(InputError, match=message) as raised:
        open_source(root)
    assert str(root) in str(raised.value)


def test_links_to_images_outside_the_folder_are_followed(tmp_path: Path, write_images):
    outside = write_images(tmp_path / "elsewhere", ["real.png"])
    root = tmp_path / "source"
    root.mkdir()
    os.symlink(outside / "real.png", root / "linked.png")
    source = open_source(root)
    assert source.files == ("linked.png",) and source.read(0, 1, PREPROCESSING).error is None
