"""ImageNet-X annotations shipped offline by the `imagenet-x` package, as FactorTables and label look-ups."""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pa_json

from fovkit.cache import cached_array, cached_frame
from fovkit.errors import InputError
from fovkit.tables import FactorSpec, FactorTable
from fovkit.tables.alignment import SampleUniverse

WhichFactor = Literal["top", "multi"]
Partition = Literal["val", "train"]

FACTORS: tuple[str, ...] = (
    "pose",
    "background",
    "pattern",
    "color",
    "smaller",
    "shape",
    "partial_view",
    "subcategory",
    "texture",
    "larger",
    "darker",
    "object_blocking",
    "person_blocking",
    "style",
    "brighter",
    "multiple_objects",
)
"""The 16 factors, in the column order of the reference toolkit's tables."""

METACLASSES: tuple[str, ...] = (
    "device",
    "dog",
    "commodity",
    "bird",
    "structure",
    "covering",
    "wheeled_vehicle",
    "food",
    "equipment",
    "insect",
    "vehicle",
    "furniture",
    "primate",
    "vessel",
    "snake",
    "natural_object",
    "other",
)
"""The 17 meta-labels of the paper; classes outside the first 16 fall in `other`."""

NUM_CLASSES = 1000
MISSING_FIX = "predict every sample (or pick the matching --partition)"
TRAIN_NAME = re.compile(r"^n\d{8}_\d+\.JPEG$")
VAL_PREFIX, VAL_SUFFIX = b"ILSVRC2012_val_", b".JPEG"


@cache
def annotation_dir() -> Path:
    """Folder of the annotation files inside the installed `imagenet-x` package (found without importing it)."""
    spec = importlib.util.find_spec("imagenet_x")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the imagenet-x package is not installed; run `pip install imagenet-x==0.0.7`")
    folder = Path(next(iter(spec.submodule_search_locations))) / "annotations"
    if not (folder / "filename_label.csv").exists():
        raise InputError(f"the imagenet-x package has no annotations in {folder}; reinstall imagenet-x==0.0.7")
    return folder


@cache
def class_metaclass() -> np.ndarray:
    """Meta-label name of each of the 1000 classes (index = class id)."""
    mapping = pd.read_csv(annotation_dir() / "imagenet_1k_classes_to_100_metaclasses.csv")
    names = mapping["name"].to_numpy(dtype=object)
    return np.where(np.isin(names, METACLASSES), names, "other")


@cache
def class_names() -> tuple[str, ...]:
    """Human-readable name of each of the 1000 classes."""
    labels = pd.read_csv(annotation_dir() / "imagenet_labels.txt", names=["wnid", "label"])
    return tuple(labels["label"])


@cache
def val_file_names() -> pd.Index:
    """The 50,000 ImageNet validation file names in the reference toolkit's row order (imagenet-testbed order)."""
    path = annotation_dir() / "filename_label.csv"
    frame = cached_frame("imagenet-x/val_file_names", [path], lambda: pd.read_csv(path, usecols=["file_name"]))
    return pd.Index(frame["file_name"], name="file_name")


@cache
def _annotation_frame(which_factor: WhichFactor, partition: Partition, keep_prototypes: bool) -> pd.DataFrame:
    path = annotation_dir() / f"imagenet_x_{partition}_{which_factor}_factor.jsonl"
    prototypes = annotation_dir() / "prototypical_paths.csv"
    name = f"imagenet-x/{path.stem}{'' if keep_prototypes else '_without_prototypes'}"
    return cached_frame(name, [path, prototypes], lambda: _parse_annotations(path, keep_prototypes))


def _parse_annotations(path: Path, keep_prototypes: bool) -> pd.DataFrame:
    frame = pa_json.read_json(path).to_pandas()
    frame = frame.rename(columns={"file_name": "sample_id", "class": "label"})
    if not keep_prototypes:
        frame = frame[~frame["sample_id"].isin(prototype_file_names())].reset_index(drop=True)
    frame["metaclass"] = class_metaclass()[frame["label"].to_numpy()]
    ordered = ["sample_id", "label", "metaclass", *FACTORS]
    return frame[ordered + [column for column in frame.columns if column not in ordered]]


@cache
def prototype_file_names() -> frozenset[str]:
    """The 3,000 class-prototype validation images (the annotators' references), left out by default."""
    return frozenset(pd.read_csv(annotation_dir() / "prototypical_paths.csv")["file_name"])


def load_factor_table(
    which_factor: WhichFactor = "top", partition: Partition = "val", keep_prototypes: bool = False
) -> FactorTable:
    """ImageNet-X annotations as a FactorTable: binary factors (canonical 0), `metaclass` and the free text.

    Args:
        which_factor: "top" (one main factor per image) or "multi" (every factor the annotator selected).
        partition: "val" (48,868 annotated validation images) or "train" (11,233 training images).
        keep_prototypes: Keep the class-prototype images that annotators compared against (left out by default,
            as in the reference toolkit).

    """
    factors = tuple(FactorSpec(name, "binary", 0) for name in FACTORS)
    frame = _annotation_frame(which_factor, partition, keep_prototypes).copy(deep=False)  # callers may add columns
    return FactorTable(frame, factors, source=f"imagenet-x {partition} {which_factor}-factor")


def real_label_matrix(sample_ids: pd.Index) -> np.ndarray:
    """ReaL labels (Beyer et al. 2020) of validation images as rows padded with -1; an all -1 row has no ReaL label."""
    matrix = _real_label_matrix()
    numbers = val_numbers(sample_ids)
    if numbers is None or not ((numbers >= 1) & (numbers <= len(matrix))).all():
        names = pd.Index(sample_ids)
        outside = names[~names.isin(val_file_names())][:5].tolist()
        raise InputError(f"ReaL labels exist only for the 50,000 validation images; got {outside}", field="partition")
    return matrix[numbers - 1]


def val_numbers(sample_ids: pd.Index | np.ndarray | pa.Array) -> np.ndarray | None:
    """The number of each `ILSVRC2012_val_NNNNNNNN.JPEG` name (1-based), or None if any name has another form.

    Reads the fixed-width names as a byte matrix instead of running a regex per name (8x faster on 50k names).
    """
    names = sample_ids if isinstance(sample_ids, pa.Array) else pa.array(sample_ids, type=pa.large_string())
    if names.null_count or not (pa.types.is_string(names.type) or pa.types.is_large_string(names.type)):
        return None
    _, offsets, data = names.buffers()
    offset_type = np.int64 if pa.types.is_large_string(names.type) else np.int32
    starts = np.frombuffer(offsets, dtype=offset_type)[names.offset : names.offset + len(names) + 1]
    width = len(VAL_PREFIX) + 8 + len(VAL_SUFFIX)
    if not len(names) or not (np.diff(starts) == width).all():
        return None
    rows = np.frombuffer(data, dtype=np.uint8)[starts[0] : starts[-1]].reshape(-1, width)
    digits = rows[:, len(VAL_PREFIX) : len(VAL_PREFIX) + 8].astype(np.int64) - ord("0")
    if (
        (rows[:, : len(VAL_PREFIX)] != np.frombuffer(VAL_PREFIX, dtype=np.uint8)).any()
        or (rows[:, width - len(VAL_SUFFIX) :] != np.frombuffer(VAL_SUFFIX, dtype=np.uint8)).any()
        or ((digits < 0) | (digits > 9)).any()
    ):
        return None
    return digits @ (10 ** np.arange(7, -1, -1, dtype=np.int64))


def _is_val_image(names: np.ndarray) -> np.ndarray:
    """True for names of the 50,000 ImageNet validation images."""
    numbers = val_numbers(names)
    if numbers is not None:
        return (numbers >= 1) & (numbers <= len(val_file_names()))
    return np.asarray(pd.Index(names).isin(val_file_names()))


@cache
def _real_label_matrix() -> np.ndarray:
    """ReaL lists of the 50,000 val images in val-number order (ILSVRC2012_val_00000001 first), padded with -1."""
    path = annotation_dir() / "imagenet_real_labels.jsonl"
    return cached_array("imagenet-x/real_labels", [path], lambda: _parse_real_labels(path))


def _parse_real_labels(path: Path) -> np.ndarray:
    with path.open() as handle:
        lists = json.load(handle)
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    rows = np.repeat(np.arange(len(lists)), lengths)
    columns = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    padded = np.full((len(lists), max(lengths.max(), 1)), -1, dtype=np.int16)
    padded[rows, columns] = np.fromiter(itertools.chain.from_iterable(lists), dtype=np.int16, count=lengths.sum())
    return padded


def sample_universe(table: FactorTable, partition: Partition) -> SampleUniverse:
    """What prediction files must cover (the table's samples) and may also carry (other images of the partition)."""
    if partition == "val":
        return SampleUniverse(
            target=table.sample_ids,
            description="the ImageNet-X val annotations or the 50,000 ImageNet val images",
            is_known_extra=_is_val_image,
            default_order=val_file_names(),
            integer_ids=val_numbers,
            missing_fix=MISSING_FIX,
        )
    return SampleUniverse(
        target=table.sample_ids,
        description="the ImageNet train images (names like n01440764_10026.JPEG)",
        is_known_extra=lambda names: np.array([bool(TRAIN_NAME.match(str(name))) for name in names], dtype=bool),
        missing_fix=MISSING_FIX,
    )
