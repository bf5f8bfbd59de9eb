"""Write a sharded Parquet dataset: a pure "task -> Arrow table" function run per shard, atomic and resumable.

A shard is written to a temporary name and renamed when complete, then its SHA-256 is recorded in
`checksums/<shard>.json`. A job killed at any point resumes by writing only the shards without a record (a
half-written temporary file is removed, a shard renamed but not yet recorded is written again and must come out
with the same bytes) and by checking every recorded shard's bytes against its SHA-256. Shards run on
`fovkit.engine.map_ordered`: forked local processes or Ray tasks, with a progress bar.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol, TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fovkit.engine import Engine, map_ordered
from fovkit.errors import InputError
from fovkit.runs import atomic_file
from fovkit.store.loader import IMAGE_COLUMN, LOCATION_COLUMNS, parse_shard, verified_bytes
from fovkit.store.manifest import RECORDS, Manifest, ShardRecord, read_json_object, valid_entry

IMAGE_FEATURE = {"_type": "Image"}


class ShardTask(Protocol):
    """What the writer needs of a task: the shard's file name, its partition value and its expected row count."""

    @property
    def name(self) -> str:
        """The shard's file name (`<letters, digits, _ or ->.parquet`)."""

    @property
    def partition(self) -> str:
        """The value of the dataset's partition column that every row of the shard holds."""

    @property
    def size(self) -> int:
        """Rows the shard will hold (the progress bar's weight)."""


T = TypeVar("T", bound=ShardTask)


@dataclass(frozen=True)
class ShardLayout:
    """How a dataset kind names its shards' partition column, and what to tell the user about a damaged shard."""

    partition: str
    fix: str
    """The fix for a finished shard whose bytes are wrong (e.g. delete it and resume)."""


def write_shard(
    build: Callable[[T], pa.Table],
    task: T,
    out_dir: Path,
    layout: ShardLayout,
    recorded: Mapping[str, str] | None = None,
) -> ShardRecord:
    """Write one shard into `out_dir`, or verify the finished one there; record it and return its record.

    Args:
        build: The shard's content: a pure function of the task (same task, same bytes).
        task: The shard.
        out_dir: Dataset folder.
        layout: The dataset kind's partition name and fix.
        recorded: SHA-256 of the shards finished earlier, by name (`recorded_checksums`). A shard file without one
            is written again (its job was killed before recording it); one whose bytes differ from it is an
            InputError naming the shard, and so is a shard written again whose bytes differ from it.

    """
    target = Path(out_dir) / task.name
    expected = (recorded or {}).get(task.name)
    if expected is not None and target.exists():
        data = verified_bytes(target, expected, layout.fix)
        rows = parse_shard(data, target, layout.fix).metadata.num_rows
        record = ShardRecord(task.name, task.partition, rows, expected)
    else:
        table = build(task)
        _check_table(table, task.name)
        stream = pa.BufferOutputStream()
        pq.write_table(table, stream, compression="zstd")
        data = stream.getvalue()
        record = ShardRecord(task.name, task.partition, table.num_rows, hashlib.sha256(data).hexdigest())
        if expected is not None and record.sha256 != expected:
            raise InputError(
                "writing this shard again gave bytes whose SHA-256 differs from the one recorded when it was first "
                "written, so this machine produces different bytes (another driver or package version); write the "
                "whole dataset here with --overwrite, or resume on the machine that started it",
                path=target,
            )
        with atomic_file(target) as staging:
            staging.write_bytes(memoryview(data))
    _write_record(Path(out_dir), record, layout.partition)
    return record


def write_shards(
    build: Callable[[T], pa.Table],
    tasks: Sequence[T],
    out_dir: Path,
    layout: ShardLayout,
    existing: Manifest | None = None,
    workers: int | None = None,
    progress: bool = True,
    description: str = "Writing",
    engine: Engine = "local",
    address: str | None = None,
) -> list[ShardRecord]:
    """Write (or resume) every shard of `tasks` into the existing folder `out_dir`; return their records in order.

    Args:
        build: Task -> Arrow table; a module-level function or a `functools.partial` of one (Ray ships it).
        tasks: The shards, in the order of the manifest.
        out_dir: Dataset folder (it must exist; with Ray on a cluster, a path every node shares).
        layout: Partition name and the fix for damaged shards.
        existing: The folder's manifest if it has one (a finished dataset being checked again).
        workers: Shards written at once (default: one per core, or what the Ray cluster schedules).
        progress: Show a progress bar, advancing by each task's `size`.
        description: Label of the progress bar.
        engine: `"local"` (forked processes) or `"ray"` (Ray tasks).
        address: Ray cluster to connect to.

    """
    out_dir = Path(out_dir)
    recorded = recorded_checksums(out_dir, layout, existing)
    for stale in [*out_dir.glob(".*.partial"), *(out_dir / RECORDS).glob(".*.partial")]:  # of a killed job
        stale.unlink(missing_ok=True)
    function = partial(write_shard, build, out_dir=out_dir, layout=layout, recorded=recorded)
    results = map_ordered(
        function,
        tasks,
        workers,
        description,
        weight=lambda task: task.size,
        progress=progress,
        engine=engine,
        address=address,
    )
    return list(results)


def recorded_checksums(out_dir: Path, layout: ShardLayout, existing: Manifest | None = None) -> dict[str, str]:
    """SHA-256 of the finished shards by name, from their records and the manifest (which must agree)."""
    checksums = {}
    for path in sorted((Path(out_dir) / RECORDS).glob("*.json")):
        fix = "delete this record file, and its shard is written again"
        entry = read_json_object(path, fix)
        if not valid_entry(entry, layout.partition) or path.name != f"{entry['name']}.json":
            raise InputError(f"not a shard record (name, {layout.partition}, rows, sha256); {fix}", path=path)
        checksums[entry["name"]] = entry["sha256"]
    for record in existing.shards if existing is not None else ():
        if checksums.setdefault(record.name, record.sha256) != record.sha256:
            raise InputError(
                f"{RECORDS}/{record.name}.json and manifest.json record different SHA-256 for this shard; the folder "
                "is inconsistent: write the dataset again with --overwrite",
                path=Path(out_dir) / record.name,
            )
    return checksums


def _check_table(table: pa.Table, name: str) -> None:
    """A shard table needs an `image` column of encoded images (`image_table`) and no column the loader adds."""
    reserved = [column for column in LOCATION_COLUMNS if column in table.column_names]
    image = table.schema.field(IMAGE_COLUMN).type if IMAGE_COLUMN in table.column_names else None
    if reserved or image is None or not pa.types.is_struct(image) or image.get_field_index("bytes") < 0:
        raise ValueError(
            f"the table built for shard {name} needs an '{IMAGE_COLUMN}' column of encoded images (build it with "
            f"fovkit.store.image_table) and no column named {list(LOCATION_COLUMNS)}; got {table.column_names}"
        )


def _write_record(out_dir: Path, record: ShardRecord, partition: str) -> None:
    path = out_dir / RECORDS / f"{record.name}.json"
    text = json.dumps(record.to_json(partition), indent=2) + "\n"
    if not path.exists() or path.read_text() != text:
        with atomic_file(path) as staging:
            staging.write_text(text)


def image_table(frame: pd.DataFrame, images: Sequence[bytes], paths: Sequence[str]) -> pa.Table:
    """A shard table: the metadata columns of `frame` plus an `image` column of encoded images.

    The image column is the Hugging Face `Image` layout (struct of `bytes` and `path`), and the schema carries
    Hugging Face `datasets` feature metadata, so its Parquet loader decodes it as images. Strings are stored as
    `string`, not `large_string`, the type those features map to.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.cast(pa.schema([_plain_string(field) for field in table.schema]))
    path_array = pa.array(list(paths), type=pa.string())
    image = pa.StructArray.from_arrays([pa.array(images, type=pa.binary()), path_array], names=["bytes", "path"])
    table = table.append_column(IMAGE_COLUMN, image)
    return table.replace_schema_metadata({b"huggingface": json.dumps(_hf_features(table.schema)).encode()})


def _plain_string(field: pa.Field) -> pa.Field:
    return field.with_type(pa.string()) if pa.types.is_large_string(field.type) else field


def _hf_features(schema: pa.Schema) -> dict:
    """Hugging Face `datasets` feature metadata, so its Parquet loader decodes `image` as an image column."""
    features = {}
    for field in schema:
        if field.name == IMAGE_COLUMN:
            features[field.name] = IMAGE_FEATURE
        elif pa.types.is_list(field.type):
            features[field.name] = {
                "feature": {"dtype": str(field.type.value_type), "_type": "Value"},
                "_type": "Sequence",
            }
        else:
            dtype = (
                "string" if pa.types.is_string(field.type) or pa.types.is_large_string(field.type) else str(field.type)
            )
            features[field.name] = {"dtype": "bool" if dtype == "bool" else dtype, "_type": "Value"}
    return {"info": {"features": features}}
