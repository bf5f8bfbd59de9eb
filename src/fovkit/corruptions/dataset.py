"""Corrupt a dataset into the shared store: every source image under each corruption and severity, as factors.

The source is a dataset folder written by fovkit (a render, or any stored dataset, optionally filtered by rows) or a
folder of image files (a user's photos, or ImageNet val in class folders). Each output row is one source image
under one corruption at one severity, with the source's own columns (its factors, labels, split...) kept and two
factors added: `corruption` (canonical `none`) and `severity` (canonical 0). With `clean` on, the clean images are
stored too (corruption `none`, severity 0), so accuracies, error ratios and gaps relative to clean come out of
`fovkit analyze` like any other factor's.

A shard is a pure function of (config, source, shard): images are drawn from one generator per (seed, corruption,
severity, source id), so the same seed gives the same bytes however the shards are scheduled. Shards are written,
verified and resumed by the store (`fovkit.store.writer`), on forked local processes or Ray tasks.
"""

from __future__ import annotations

import bisect
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator

from fovkit.corruptions.registry import ALL, SEVERITIES, check_severity, get_corruption
from fovkit.engine import Engine
from fovkit.errors import InputError, preview
from fovkit.runs import atomic_output_dir, check_output_folder, fovkit_command, write_run_record
from fovkit.store import codec
from fovkit.store import manifest as store_manifest
from fovkit.store.loader import ShardedDataset
from fovkit.store.manifest import MANIFEST, RECORDS, ImageSpec, Manifest, ShardRecord, read_json_object
from fovkit.store.writer import ShardLayout, image_table, write_shards
from fovkit.tables import FactorSpec

COMMAND = "fovkit corrupt"
KIND = "corrupted"
CONFIG = "config.json"
CLEAN = "none"
SOURCE_ID = "source_id"
ADDED_COLUMNS = ("sample_id", SOURCE_ID, "corruption", "severity")
FOLDER_SIZE = 224
"""Side of the images corrupted from a folder of files: ImageNet-C's view (shorter side to 256, centre crop 224)."""
FOLDER_CROP = 224 / 256
READ_BATCH = 32
LAYOUT = ShardLayout(partition="corruption", fix="delete that shard file and run the same command again to resume")
CATEGORICAL_COLUMNS = ("corruption", "class_name", "class_dir", "design", "split", "background_type")
INT32_COLUMNS = ("severity",)
VERSIONED = ("fovkit", "numpy", "pyarrow", "pillow", "torch", "numba")


class CorruptConfig(BaseModel):
    """What `fovkit corrupt` writes: which corruptions at which severities, the seed, image size and format."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    corruptions: tuple[str, ...] = ALL
    """Corruption names (`fovkit.corruptions.get_corruption_names('all')`); all 19 by default."""
    severities: tuple[int, ...] = SEVERITIES
    """Severities 1-5."""
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    clean: bool = True
    """Also store the clean images (corruption `none`, severity 0), the canonical rows of the analysis."""
    size: Annotated[int, Field(ge=32, le=4096)] | None = None
    """Square side the images are brought to before corrupting (shorter side scaled, centre crop); by default a
    stored dataset keeps its size and image files get ImageNet-C's 224 (shorter side to 256, centre crop)."""
    image_format: Literal["png", "jpeg", "webp"] = "png"
    """How corrupted images are stored; PNG (lossless) keeps exactly what the corruption produced."""
    shard_size: Annotated[int, Field(ge=1, le=100_000)] = 1000

    @field_validator("corruptions")
    @classmethod
    def _known_corruptions(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        for name in names:
            get_corruption(name)
        return _distinct(names, "corruptions")

    @field_validator("severities")
    @classmethod
    def _valid_severities(cls, severities: tuple[int, ...]) -> tuple[int, ...]:
        for severity in severities:
            check_severity(severity, "severities")
        return tuple(sorted(_distinct(severities, "severities")))


def _distinct(values: tuple, field: str) -> tuple:
    if not values:
        raise InputError("give at least one value", field=field)
    repeated = sorted({value for value in values if values.count(value) > 1}, key=str)
    if repeated:
        raise InputError(f"values given more than once: {preview(repeated)}", field=field)
    return values


@dataclass(frozen=True)
class CorruptTask:
    """Source rows `start`..`stop`-1 under one corruption and severity, written as one shard."""

    corruption: str
    severity: int
    shard: int
    start: int
    stop: int

    @property
    def name(self) -> str:
        """File name of the shard."""
        return f"{self.corruption}-s{self.severity}-{self.shard:05d}.parquet"

    @property
    def partition(self) -> str:
        """The corruption: the manifest counts rows by it."""
        return self.corruption

    @property
    def size(self) -> int:
        """Rows of the shard."""
        return self.stop - self.start


@dataclass(frozen=True)
class SourceRef:
    """How a worker reopens the source: its folder and row filter (picklable, so Ray tasks can carry it)."""

    path: str
    rows: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def filter(self) -> dict[str, list[str]] | None:
        """The row filter as `open_source` takes it."""
        return {column: list(values) for column, values in self.rows} or None


def corrupt_dataset(
    source: str | Path,
    out_dir: str | Path,
    config: CorruptConfig = CorruptConfig(),  # noqa: B008 - frozen, never mutated
    rows: dict[str, Sequence[str]] | None = None,
    workers: int | None = None,
    progress: bool = True,
    engine: Engine = "local",
    address: str | None = None,
    overwrite: bool = False,
) -> list[ShardRecord]:
    """Write every source image under every corruption and severity of `config` into `out_dir` (resuming).

    A new or empty `out_dir` is written into; one holding this config's output for the same source resumes (every
    finished shard checked against its SHA-256); other fovkit outputs are replaced only with `overwrite`, and the
    current folder, the source, folders around or inside it and folders holding a user's files are refused.

    Raises:
        InputError: For anything the user can fix, before anything is written when it can be found then.

    """
    from fovkit.predict.sources import open_source

    out_dir = Path(out_dir)
    ref = SourceRef(
        str(Path(source)), tuple((column, tuple(map(str, values))) for column, values in (rows or {}).items())
    )
    opened = open_source(source, ref.filter())
    columns = source_columns(opened)
    clash = sorted(set(columns) & set(ADDED_COLUMNS[1:]))
    if clash:
        raise InputError(
            f"the source already has columns {clash} (is it a corrupted dataset?); corrupt the original instead",
            path=source,
            field="SOURCE",
        )
    side = _side(opened, config)
    facts = {
        "source": {**opened.describe(), "fingerprint": opened.fingerprint()},
        "image_size": side,
        "classes": source_classes(opened),
    }
    started = not _resumes(config, facts, out_dir, overwrite, Path(source))
    if started:
        _start(config, facts, out_dir, overwrite, Path(source))
    try:
        existing = _existing_manifest(out_dir)
        records = write_shards(
            partial(corrupt_shard, config, ref, side),
            shard_tasks(config, len(opened)),
            out_dir,
            LAYOUT,
            existing=existing,
            workers=workers,
            progress=progress,
            description="Corrupting",
            engine=engine,
            address=address,
        )
        factors = (
            *source_factors(opened),
            FactorSpec("corruption", "categorical", CLEAN),
            FactorSpec("severity", "scalar", 0),
        )
        store_manifest.write_manifest(
            out_dir,
            kind=KIND,
            partition=LAYOUT.partition,
            factors=factors,
            image=ImageSpec(config.image_format, side, side),
            records=records,
            extra={"config": config.model_dump(mode="json"), **facts},
            packages=VERSIONED,
            existing=existing,
        )
    except BaseException:
        if started and not any((out_dir / RECORDS).glob("*.json")):
            shutil.rmtree(out_dir, ignore_errors=True)
        raise
    return records


def shard_tasks(config: CorruptConfig, count: int) -> list[CorruptTask]:
    """Every shard: the clean images first (if kept), then each corruption and severity, in the config's order.

    Each (corruption, severity) holds the `count` source rows in order, cut into shards of at most `shard_size`.
    """
    chunks = [(begin, min(begin + config.shard_size, count)) for begin in range(0, count, config.shard_size)]
    pairs = ([(CLEAN, 0)] if config.clean else []) + [
        (name, severity) for name in config.corruptions for severity in config.severities
    ]
    return [
        CorruptTask(name, severity, shard, begin, stop)
        for name, severity in pairs
        for shard, (begin, stop) in enumerate(chunks)
    ]


def read_spans(start: int, stop: int, boundaries: Sequence[int], size: int = READ_BATCH) -> list[tuple[int, int]]:
    """Rows `start`..`stop`-1 as reads of at most `size` rows that cross no source boundary (a source shard's end)."""
    cuts = sorted({start, stop, *(int(cut) for cut in boundaries if start < cut < stop)})
    return [(begin, min(begin + size, end)) for first, end in pairwise(cuts) for begin in range(first, end, size)]


def corrupt_shard(config: CorruptConfig, ref: SourceRef, side: int, task: CorruptTask) -> pa.Table:
    """The Arrow table of one shard: the source rows' metadata, the two factors and the corrupted images."""
    import torch

    from fovkit.corruptions.api import corrupt_batch
    from fovkit.predict.sources import ImageFiles
    from fovkit.seeding import rng

    source = _open(ref)
    preprocessing = _view(side, isinstance(source, ImageFiles))
    spans = read_spans(task.start, task.stop, source.boundaries())
    metadata = pd.concat([source_rows(source, begin, end) for begin, end in spans], ignore_index=True)
    ids = metadata[SOURCE_ID].astype(str).tolist()
    encoded: list[bytes] = []
    with torch.inference_mode():
        for begin, end in spans:
            batch = source.read(begin, end, preprocessing)
            if batch.error is not None:
                raise batch.error
            images = batch.images.mul(255.0).round_().to(torch.uint8)
            if task.corruption != CLEAN:
                generators = [
                    rng(config.seed, "corrupt", task.corruption, task.severity, source_id)
                    for source_id in ids[begin - task.start : end - task.start]
                ]
                images = corrupt_batch(images, task.corruption, task.severity, generators)
            encoded.extend(codec.encode(image, config.image_format) for image in images.permute(0, 2, 3, 1).numpy())
    sample_ids = [f"{task.corruption}/{task.severity}/{source_id}" for source_id in ids]
    frame = metadata.assign(sample_id=sample_ids, corruption=task.corruption, severity=np.int32(task.severity))
    frame = frame[[*ADDED_COLUMNS, *(column for column in frame.columns if column not in ADDED_COLUMNS)]]
    extension = codec.extension(config.image_format)
    return image_table(frame, encoded, [f"{sample_id}.{extension}" for sample_id in sample_ids])


def source_columns(source: object) -> list[str]:
    """The metadata columns of a stored source, which its rows carry into the corrupted dataset."""
    from fovkit.predict.sources import StoredImages

    if isinstance(source, StoredImages):
        return [name for name in source.dataset.schema.names if name not in ("image", "shard", "row")]
    return []  # a folder of files has no columns of its own: `source_rows` names its images


def source_rows(source: object, start: int, stop: int) -> pd.DataFrame:
    """Metadata of source rows `start`..`stop`-1 (within one source shard), with `source_id` naming each image."""
    from fovkit.predict.sources import StoredImages

    if isinstance(source, StoredImages):
        shard = bisect.bisect_right(source.starts, start) - 1
        offset = source.starts[shard]
        rows = _stored_rows(source, source.shards[shard]).iloc[start - offset : stop - offset]
        rows = rows.drop(columns=[column for column in ("shard", "row") if column in rows])
        rows = rows.rename(columns={"sample_id": SOURCE_ID})
        if "background" in factor_names(source) and {"background_type", "background_index"} <= set(rows.columns):
            # a render's background factor is `type/index` (`RenderedDataset.factor_table`)
            rows["background"] = rows["background_type"].astype(str) + "/" + rows["background_index"].astype(str)
        return rows.astype(
            {column: object for column in rows.columns if isinstance(rows[column].dtype, pd.CategoricalDtype)}
        ).reset_index(drop=True)
    frame = pd.DataFrame({SOURCE_ID: [source.file_name(index) for index in range(start, stop)]})
    if source.labels is not None:
        frame["label"] = source.labels[start:stop].astype(np.int64)
        frame["class_dir"] = [source.files[index].partition("/")[0] for index in range(start, stop)]
    return frame


@lru_cache(maxsize=2)
def _stored_rows(source: object, shard: str) -> pd.DataFrame:
    """Every metadata column of one source shard's rows (those passing its filter), read and verified once."""
    frames = list(source.dataset.iter_samples(None, filter=source.rows, shards={shard}))
    return pd.concat(frames, ignore_index=True)


def source_classes(source: object) -> dict:
    """What the labels count: `{"space": "dataset" | "imagenet-1k" | None, "names": [...]}`.

    Names are those of the dataset's own classes; ImageNet-1k's are the models', so none are stored.
    """
    from fovkit.predict.sources import StoredImages

    if isinstance(source, StoredImages):
        if "label" not in source.columns:
            return {"space": None, "names": []}
        if source.dataset.manifest.kind == "render":
            from fovkit.render.store import RenderedDataset

            return {"space": "dataset", "names": list(RenderedDataset.open(source.root).class_names)}
        classes = source.dataset.manifest.get("classes")
        names = classes.get("names", []) if isinstance(classes, dict) else []
        return {"space": "dataset", "names": [str(name) for name in names]}
    if source.labels is None:
        return {"space": None, "names": []}
    if source.label_space == "imagenet-1k":
        return {"space": "imagenet-1k", "names": []}
    return {"space": "dataset", "names": list(source.classes)}


def factor_names(source: object) -> list[str]:
    """Names of the source's own factors."""
    return [spec.name for spec in source_factors(source)]


def source_factors(source: object) -> tuple[FactorSpec, ...]:
    """The source's own factors (a stored dataset's manifest factors; none for image files)."""
    from fovkit.predict.sources import StoredImages

    return tuple(source.dataset.manifest.factors) if isinstance(source, StoredImages) else ()


@lru_cache(maxsize=2)
def _open(ref: SourceRef) -> object:
    """The source, opened once per process."""
    from fovkit.predict.sources import open_source

    return open_source(ref.path, ref.filter())


@lru_cache(maxsize=4)
def _view(side: int, files: bool) -> object:
    """How images reach `side` x `side` before corrupting.

    Files get ImageNet-C's view (shorter side to side / 0.875, centre crop); a stored dataset's images only have
    their shorter side scaled and the centre cropped, which leaves them untouched at their own size.
    """
    from fovkit.models.base import Preprocessing

    return Preprocessing(input_size=side, crop_pct=FOLDER_CROP if files else 1.0)


def _side(source: object, config: CorruptConfig) -> int:
    from fovkit.predict.sources import StoredImages

    if config.size is not None:
        return config.size
    if isinstance(source, StoredImages):
        image = source.dataset.manifest.image
        return min(image.height, image.width)
    return FOLDER_SIZE


def _existing_manifest(out_dir: Path) -> Manifest | None:
    if not (out_dir / MANIFEST).exists():
        return None
    return ShardedDataset.open(out_dir, kind=KIND).manifest


def _resumes(config: CorruptConfig, facts: dict, out_dir: Path, overwrite: bool, source: Path) -> bool:
    """True when `out_dir` holds this config's output of this source to resume; False to (re)start; else refused."""
    check_output_folder(out_dir, overwrite=True, inputs=[source])
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return False
    command = fovkit_command(out_dir)
    if command != COMMAND:
        if overwrite:
            return False
        raise InputError(
            f"the folder holds the output of `{command}`, not a corrupted dataset; choose another --out, or pass "
            "--overwrite to replace it",
            path=out_dir,
            field="--out",
        )
    if overwrite:
        return False
    pinned = read_json_object(out_dir / CONFIG, "restore it, or pass --overwrite to write the dataset again")
    current = _pinned(config, facts)
    if pinned != current:
        changed = sorted(key for key in set(pinned) | set(current) if pinned.get(key) != current.get(key))
        raise InputError(
            f"the folder holds a dataset corrupted with another config or source (differs in {changed}); resume with "
            "the same ones, choose another --out, or pass --overwrite to replace it",
            path=out_dir / CONFIG,
            field="--out",
        )
    return True


def _start(config: CorruptConfig, facts: dict, out_dir: Path, overwrite: bool, source: Path) -> None:
    with atomic_output_dir(out_dir, overwrite=overwrite, inputs=[source]) as staging:
        (staging / CONFIG).write_text(json.dumps(_pinned(config, facts), indent=2) + "\n")
        (staging / RECORDS).mkdir()
        write_run_record(staging, COMMAND, config, extra=facts)


def _pinned(config: CorruptConfig, facts: dict) -> dict:
    return json.loads(json.dumps({**config.model_dump(mode="json"), **facts}))
