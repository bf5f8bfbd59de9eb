"""What `fovkit predict` reads: a stored dataset, an ImageNet val folder or any image folder, one batch at a time.

Three kinds of source, told apart by their contents:

- `store`: a folder with `manifest.json` written by fovkit's store (a rendered, corrupted or counterfactual dataset).
  Rows follow the manifest's shards in stored order; every shard read is checked against its SHA-256. `file_name` is
  the `sample_id`, and `label` the dataset's own label.
- `imagenet-val`: every image is named `ILSVRC2012_val_XXXXXXXX.JPEG`, flat or in class folders; `file_name` is the
  base name, exactly the ids of the ImageNet-X annotations.
- `image-folder`: any other folder: images directly in it (flat), or in class folders (ImageFolder layout), never
  both. `file_name` is the path relative to the folder with `/` separators.

Class folders give a `class_dir` column and a `label`: the folder's index in sorted order (torchvision's ImageFolder),
or, when every class folder is named by an ImageNet-1k WordNet id (`n01440764`), its ImageNet-1k index, so that labels
and an ImageNet classifier's predictions count the same classes.

Image files end in .jpg, .jpeg, .png, .bmp, .webp, .tif or .tiff (any case) and are decoded with Pillow to RGB;
other files are ignored, and so are hidden files and folders (names starting with '.'). A file Pillow cannot decode
stops the run with an InputError naming it: nothing is skipped silently. Symbolic links are followed, also to
files and folders outside the source (reading never changes them); a broken link to an image and a link loop are
InputErrors naming the link. Files are listed in sorted path order, which is the order of the predictions.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import torch
from PIL import Image

from fovkit.errors import InputError, preview, printable
from fovkit.models.base import Preprocessing
from fovkit.store.loader import ShardedDataset
from fovkit.store.manifest import MANIFEST
from fovkit.tables.sniff import path_problem

STORE = "store"
IMAGENET_VAL = "imagenet-val"
IMAGE_FOLDER = "image-folder"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
VAL_NAME = re.compile(r"ILSVRC2012_val_\d{8}\.JPEG")
WORDNET_ID = re.compile(r"n\d{8}")
ID_COLUMN = "sample_id"
LABEL_COLUMN = "label"
FIELD = "SOURCE"


@dataclass(frozen=True)
class Batch:
    """Prepared images (N x 3 x S x S float in [0, 1]) with their file names, labels and class folders, in order.

    `error` holds the InputError of an image that could not be read (raised by the caller: a worker process returns
    it whole instead of raising it as a traceback).
    """

    images: torch.Tensor
    file_names: list[str]
    labels: np.ndarray | None = None
    class_dirs: list[str] | None = None
    error: InputError | None = None


class ImageSource(Protocol):
    """A source of images in a fixed order, read by row ranges (what `fovkit.predict.predict` needs)."""

    root: Path
    kind: str

    def __len__(self) -> int:
        """Number of images."""

    def boundaries(self) -> list[int]:
        """Row positions a batch should not cross (shard ends), for reads of one shard at a time."""

    def fingerprint(self) -> str:
        """SHA-256 identifying the source's contents, so an interrupted run resumes only on the same images."""

    def describe(self) -> dict:
        """What the source is, for the output's metadata: path, kind, images, what its labels mean."""

    def read(self, begin: int, end: int, preprocessing: Preprocessing) -> Batch:
        """Images `begin`..`end - 1`, each brought to the evaluation view by `preprocessing.prepare`."""


def open_source(path: str | Path, rows: Mapping[str, Sequence[str]] | None = None) -> ImageSource:
    """The source at `path`: a stored dataset (it has `manifest.json`), else a folder of image files.

    `rows` keeps the rows of a stored dataset whose columns hold one of the given values, e.g.
    `{"split": ["held_out"]}` (values as text, converted to each column's type); folders of files take none.

    Raises:
        InputError: For a path that does not exist or is not a folder, a folder without images, a mix of images and
            class folders, duplicate ImageNet val names, a broken link or a link loop, each naming the path.

    """
    path = Path(path)
    wanted = "give a folder of images or a dataset folder written by fovkit"
    if not path.exists():
        raise InputError(f"{path_problem(path) or 'cannot be opened'}; {wanted}", path=path, field=FIELD)
    if not path.is_dir():
        raise InputError(f"is a file, not a folder; {wanted}", path=path, field=FIELD)
    if (path / MANIFEST).exists():
        return StoredImages.open(path, rows)
    if rows:
        raise InputError(
            f"row filters ({', '.join(rows)}) apply to datasets written by fovkit only; this is a folder of files",
            path=path,
            field="--filter",
        )
    return ImageFiles.scan(path)


# Image files ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageFiles:
    """Image files of a folder, flat or in class folders, in sorted path order (see the module's notes).

    Attributes:
        root: The folder.
        kind: `imagenet-val` or `image-folder`.
        files: Paths relative to `root`, with `/` separators.
        classes: The class folders in sorted order, or None for a flat folder.
        labels: The label of each file (see the module's notes), or None for a flat folder.
        label_space: What the labels count: `imagenet-1k` or `class folders`; None for a flat folder.

    """

    root: Path
    kind: str
    files: tuple[str, ...]
    classes: tuple[str, ...] | None = None
    labels: np.ndarray | None = field(default=None, repr=False)
    label_space: str | None = None

    @classmethod
    def scan(cls, root: Path) -> ImageFiles:
        """List the images under `root` and tell its kind and layout."""
        files = list_images(root)
        if not files:
            raise InputError(
                f"the folder holds no images ({', '.join(IMAGE_SUFFIXES)}), neither directly nor in class folders",
                path=root,
                field=FIELD,
            )
        nested = [name for name in files if "/" in name]
        if nested and len(nested) < len(files):
            flat = [name for name in files if "/" not in name]
            raise InputError(
                f"the folder mixes images ({preview(flat, 3)}) and class folders ({preview(nested, 3)}); put every "
                "image in a class folder (ImageFolder layout) or none",
                path=root,
                field=FIELD,
            )
        names = [name.rpartition("/")[2] for name in files]
        kind = IMAGENET_VAL if all(VAL_NAME.fullmatch(name) for name in names) else IMAGE_FOLDER
        if kind == IMAGENET_VAL:
            repeated = sorted({name for name in pd.Index(names)[pd.Index(names).duplicated()]})
            if repeated:
                raise InputError(
                    f"ImageNet val images found twice (in two class folders): {preview(repeated)}; keep one copy",
                    path=root,
                    field=FIELD,
                )
        if not nested:
            return cls(root, kind, tuple(files))
        folders = [name.partition("/")[0] for name in files]
        classes = tuple(sorted(set(folders)))
        labels, space = class_labels(classes)
        position = dict(zip(classes, labels, strict=True))
        return cls(root, kind, tuple(files), classes, np.array([position[name] for name in folders]), space)

    def __len__(self) -> int:
        return len(self.files)

    def boundaries(self) -> list[int]:
        """None: any rows may share a batch."""
        return []

    def file_name(self, index: int) -> str:
        """The `file_name` of file `index`: the base name for ImageNet val images, else the relative path."""
        name = self.files[index]
        return name.rpartition("/")[2] if self.kind == IMAGENET_VAL else name

    def fingerprint(self) -> str:
        """SHA-256 of every file's relative path, size and modification time (contents are not hashed: too slow)."""
        digest = hashlib.sha256()
        for name in self.files:
            path = self.root / name
            try:
                status = path.stat()
            except OSError as error:
                raise InputError(f"cannot read the image ({printable(error.strerror)})", path=path) from None
            digest.update(f"{name}\0{status.st_size}\0{status.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    def describe(self) -> dict:
        """Path, kind, number of images and, for class folders, what the labels count and the folders."""
        facts = {"path": str(self.root.resolve()), "kind": self.kind, "images": len(self)}
        if self.classes is not None:
            facts.update(labels=self.label_space, class_dirs=list(self.classes))
        return facts

    def read(self, begin: int, end: int, preprocessing: Preprocessing) -> Batch:
        """Decode files `begin`..`end - 1` with Pillow (RGB) and prepare each; the first unreadable one is the error."""
        images = []
        for index in range(begin, end):
            path = self.root / self.files[index]
            image, error = load_image(path)
            if error is not None:
                return Batch(torch.empty(0), [], error=error)
            images.append(preprocessing.prepare(image))
        names = [self.file_name(index) for index in range(begin, end)]
        labels = None if self.labels is None else self.labels[begin:end]
        class_dirs = None if self.classes is None else [name.partition("/")[0] for name in self.files[begin:end]]
        return Batch(torch.stack(images), names, labels, class_dirs)


def list_images(root: Path) -> list[str]:
    """Relative paths (with `/`) of the image files under `root`, links followed, hidden entries skipped, sorted."""
    found: list[str] = []
    _visit(root, "", (root.resolve(),), found)
    return found


def _visit(folder: Path, prefix: str, chain: tuple[Path, ...], found: list[str]) -> None:
    """Add the images of `folder` and its subfolders; `chain` holds the real folders above, to catch link loops."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as error:
        raise InputError(f"cannot list the folder ({printable(error.strerror)})", path=folder, field=FIELD) from None
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        image = path.suffix.lower() in IMAGE_SUFFIXES
        if entry.is_dir():
            real = path.resolve()
            if real in chain:
                raise InputError(
                    f"a symbolic link loop: the folder leads back to {real}; remove or fix the link", path=path
                )
            _visit(path, f"{prefix}{entry.name}/", (*chain, real), found)
        elif entry.is_file():
            if image:
                found.append(f"{prefix}{entry.name}")
        elif image and entry.is_symlink():
            raise InputError(path_problem(path) or "is a broken symbolic link; fix or remove it", path=path)


def class_labels(classes: tuple[str, ...]) -> tuple[list[int], str]:
    """The label of each class folder and what they count: ImageNet-1k indices for WordNet ids, else sorted indices."""
    if all(WORDNET_ID.fullmatch(name) for name in classes):
        from fovkit.models.imagenet import IMAGENET_1K, imagenet_labels

        position = {wordnet_id: index for index, wordnet_id in enumerate(imagenet_labels().ids)}
        if all(name in position for name in classes):
            return [position[name] for name in classes], IMAGENET_1K
    return list(range(len(classes))), "class folders"


def load_image(path: Path) -> tuple[torch.Tensor | None, InputError | None]:
    """An image file as float 3 x H x W in [0, 1] (grey, RGBA, CMYK... converted to RGB), or the InputError why not."""
    try:
        with Image.open(path) as opened:
            array = np.array(opened.convert("RGB"))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        message = f"Pillow cannot decode the image ({printable(error, 160)}); convert it or move it out of the folder"
        return None, InputError(message, path=path, field=FIELD)
    return torch.from_numpy(array).permute(2, 0, 1).float().div_(255.0), None


# Stored datasets --------------------------------------------------------------------------------------------------


class StoredImages:
    """A dataset written by fovkit's store, read shard by shard (each read checked against the manifest's SHA-256).

    A batch never crosses a shard (`boundaries`); each process keeps the metadata of the last shard it read, and
    the store keeps the encoded images of its last few shards, so reading in order reads each shard once.
    """

    kind = STORE

    def __init__(self, root: Path, dataset: ShardedDataset, rows: dict[str, list] | None = None) -> None:
        self.root = Path(root)
        self.dataset = dataset
        self.rows = rows or None
        counts = {record.name: record.rows for record in dataset.manifest.shards}
        if self.rows is not None:
            kept = dataset.samples(columns=[ID_COLUMN], filter=self.rows)["shard"].astype(str).value_counts()
            counts = {name: int(kept[name]) for name in counts if name in kept.index}
        self.shards = list(counts)
        self.starts = np.cumsum([0, *counts.values()]).tolist()
        self.columns = [ID_COLUMN, *([LABEL_COLUMN] if LABEL_COLUMN in dataset.schema.names else [])]
        self._rows: tuple[str, pd.DataFrame] | None = None

    @classmethod
    def open(cls, root: Path, rows: Mapping[str, Sequence[str]] | None = None) -> StoredImages:
        """Open the dataset (manifest checked, shards present); it needs a `sample_id` column and an image."""
        dataset = ShardedDataset.open(root)
        typed = typed_filter(dataset, rows, root) if rows else None
        if ID_COLUMN not in dataset.schema.names:
            raise InputError(
                f"the dataset has no '{ID_COLUMN}' column to name its images; its columns are "
                f"{preview(dataset.schema.names, 12)}",
                path=root,
                field=FIELD,
            )
        source = cls(root, dataset, typed)
        if not len(source):
            what = "no row passes the filter" if typed else "every shard is empty"
            raise InputError(f"the dataset holds no images to predict ({what})", path=root, field=FIELD)
        return source

    def __len__(self) -> int:
        return self.starts[-1]

    def boundaries(self) -> list[int]:
        """The row where each shard ends."""
        return self.starts[1:]

    def fingerprint(self) -> str:
        """SHA-256 of the manifest (which records every shard's SHA-256) and of the row filter."""
        digest = hashlib.sha256((self.root / MANIFEST).read_bytes())
        digest.update(json.dumps(self.rows, sort_keys=True, default=str).encode())
        return digest.hexdigest()

    def describe(self) -> dict:
        """Path, kind, the dataset's kind, the row filter, number of images and what `label` is."""
        facts = {"path": str(self.root.resolve()), "kind": self.kind, "dataset": self.dataset.manifest.kind}
        if self.rows is not None:
            facts["filter"] = {column: [str(value) for value in values] for column, values in self.rows.items()}
        facts["images"] = len(self)
        if LABEL_COLUMN in self.columns:
            facts["labels"] = "dataset"
        return facts

    def read(self, begin: int, end: int, preprocessing: Preprocessing) -> Batch:
        """Rows `begin`..`end - 1` (within one shard) decoded from the store and prepared."""
        shard = bisect.bisect_right(self.starts, begin) - 1
        offset = self.starts[shard]
        try:
            rows = self._shard_rows(shard).iloc[begin - offset : end - offset]
            images = [
                preprocessing.prepare(torch.from_numpy(image).permute(2, 0, 1).float().div_(255.0))
                for image in self.dataset.images(rows)
            ]
        except InputError as error:
            return Batch(torch.empty(0), [], error=error)
        labels = rows[LABEL_COLUMN].to_numpy(np.int64) if LABEL_COLUMN in rows else None
        return Batch(torch.stack(images), rows[ID_COLUMN].astype(str).tolist(), labels)

    def _shard_rows(self, shard: int) -> pd.DataFrame:
        """The metadata (`sample_id`, `label`, `shard`, `row`) of one shard in stored order, kept for the next read."""
        name = self.shards[shard]
        if self._rows is None or self._rows[0] != name:
            frames = list(self.dataset.iter_samples(self.columns, filter=self.rows, shards={name}))
            rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=self.columns)
            expected = self.starts[shard + 1] - self.starts[shard]
            if len(rows) != expected:
                raise InputError(
                    f"shard {name} holds {len(rows)} rows but the manifest records {expected}; {self.dataset.fix}",
                    path=self.root / name,
                )
            self._rows = (name, rows)
        return self._rows[1]


def typed_filter(dataset: ShardedDataset, rows: Mapping[str, Sequence[str]], root: Path) -> dict[str, list]:
    """Filter values given as text, converted to their columns' types; unknown columns and bad values refused."""
    schema = dataset.schema
    typed: dict[str, list] = {}
    for column, values in rows.items():
        if column not in schema.names or column == "image":
            names = [name for name in schema.names if name != "image"]
            raise InputError(
                f"unknown filter column {column!r}; the dataset's columns are {preview(names, 20)}",
                path=root,
                field="--filter",
            )
        kind = schema.field(column).type
        convert = int if pa.types.is_integer(kind) else float if pa.types.is_floating(kind) else str
        if pa.types.is_boolean(kind):
            convert = _boolean
        try:
            typed[column] = [convert(value) for value in values]
        except ValueError:
            raise InputError(
                f"filter values {preview(list(values))} of column {column!r} are not {kind} values",
                path=root,
                field="--filter",
            ) from None
    return typed


def _boolean(value: str) -> bool:
    """`true/1/yes` or `false/0/no` (any case) as a bool."""
    text = str(value).strip().lower()
    if text not in ("true", "1", "yes", "false", "0", "no"):
        raise ValueError(value)
    return text in ("true", "1", "yes")
