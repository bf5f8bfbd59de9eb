"""Read a stored dataset: verified shards, metadata streamed with filter pushdown, images batch by batch.

Every read of a shard hashes its bytes, compares them with the manifest's SHA-256 and parses Parquet from those
same bytes (`pyarrow.dataset` fragments over the verified buffer), so what is used is what was verified. Metadata
is read shard by shard and row group by row group: shards whose partition a filter excludes are skipped from the
manifest alone, row groups whose statistics exclude the filter are skipped by `pyarrow.dataset`, and the image
column is read only for the rows whose images are asked for.

Metadata frames are kept light for datasets of millions of rows: `shard` (and any string columns the dataset names
as categorical) are pandas categoricals whose categories are sorted, and `row` (and any
integer columns it names) is int32; the values are those stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from fovkit.errors import InputError, preview
from fovkit.store import codec
from fovkit.store.manifest import MANIFEST, Manifest, read_manifest
from fovkit.tables import FactorTable

IMAGE_COLUMN = "image"
LOCATION_COLUMNS = ("shard", "row")
"""Columns `samples` adds: the shard file and the row in it that hold each sample's image."""
READ_FIX = "delete that shard file and run the command that wrote the dataset again (it resumes) to write it again"
CACHED_SHARDS = 4
"""Shards whose image column `image_bytes` keeps in memory, so random access in shard order stays cheap."""

Filter = ds.Expression | Mapping[str, object] | None
"""A row filter: a pyarrow compute expression, or {column: value or list of values} (all must hold)."""


def verified_bytes(path: Path, sha256: str, fix: str) -> bytes:
    """The bytes of a shard file, after checking that they hash to its recorded `sha256` (else an InputError)."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the shard ({error.strerror or error}); {fix}", path=path) from error
    if hashlib.sha256(data).hexdigest() != sha256:
        raise InputError(
            f"the shard's SHA-256 differs from the one recorded when it was written: the file was changed, "
            f"truncated or damaged; {fix}",
            path=path,
        )
    return data


def parse_shard(data: bytes | pa.Buffer, path: Path, fix: str) -> pq.ParquetFile:
    """A Parquet reader over verified shard bytes (`verified_bytes`); unreadable Parquet is an InputError."""
    try:
        return pq.ParquetFile(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as error:
        raise InputError(f"the shard is not readable Parquet ({error}); {fix}", path=path) from error


@dataclass(frozen=True)
class ImageBatch:
    """Decoded images (N x H x W x 3 uint8) and their metadata rows (with `shard` and `row`), in the same order."""

    rows: pd.DataFrame
    images: np.ndarray


@dataclass(frozen=True)
class _Shard:
    """One shard's verified bytes, parsed: the Parquet reader and a `pyarrow.dataset` fragment over the same buffer."""

    name: str
    parquet: pq.ParquetFile
    fragment: ds.ParquetFileFragment


class ShardedDataset:
    """A folder of Parquet shards with a `manifest.json`: verified reads, filtered metadata, images, factor table.

    Args:
        folder: The dataset folder.
        manifest: Its validated manifest (`read_manifest`).
        fix: What to do about a damaged shard, for error messages.
        categorical: String columns with few distinct values, returned as categoricals (besides `shard`, which
            always is).
        int32: Integer columns whose values fit in int32, returned as int32 (besides `row`, which always is); a
            value that does not fit is an error, never wrapped.

    """

    def __init__(
        self,
        folder: Path,
        manifest: Manifest,
        fix: str = READ_FIX,
        categorical: Collection[str] = (),
        int32: Collection[str] = (),
    ) -> None:
        self.folder = Path(folder)
        self.manifest = manifest
        self.fix = fix
        self.categorical = frozenset({"shard", *categorical})
        self.int32 = frozenset(int32)
        self._image_columns: dict[str, pa.Array] = {}

    @classmethod
    def open(cls, folder: str | Path, kind: str | None = None, verify: bool = False) -> ShardedDataset:
        """Open a dataset folder (manifest validated, shards present); `verify` also checks every shard's SHA-256."""
        folder = Path(folder)
        if not (folder / MANIFEST).exists():
            raise InputError("no manifest.json: not a stored dataset, or its writing has not finished", path=folder)
        fix = "the dataset is damaged: write it again with the command that made it"
        dataset = cls(folder, read_manifest(folder / MANIFEST, fix, kind))
        dataset.check(verify)
        return dataset

    def check(self, verify: bool = False) -> None:
        """Refuse a dataset whose listed shards are missing; with `verify`, check every shard's bytes now."""
        missing = [record.name for record in self.manifest.shards if not (self.folder / record.name).is_file()]
        if missing:
            raise InputError(
                f"shards listed in the manifest are missing: {preview(missing)}; {self.fix}", path=self.manifest.path
            )
        if verify:
            for record in self.manifest.shards:
                verified_bytes(self.folder / record.name, record.sha256, self.fix)

    @property
    def extension(self) -> str:
        """File extension of the stored images."""
        return codec.extension(self.manifest.image.format)

    @cached_property
    def schema(self) -> pa.Schema:
        """The shards' Arrow schema (read from the first shard, verified)."""
        return self._shard(self.manifest.shards[0].name).parquet.schema_arrow

    @cached_property
    def _checksums(self) -> dict[str, str]:
        return {record.name: record.sha256 for record in self.manifest.shards}

    def _shard(self, name: str) -> _Shard:
        """The shard's bytes, read once, checked against the manifest's SHA-256 and parsed."""
        checksum = self._checksums.get(name)
        if checksum is None:
            raise InputError(f"shard {name!r} is not in the dataset's manifest", path=self.folder, field="shard")
        path = self.folder / name
        data = pa.py_buffer(verified_bytes(path, checksum, self.fix))
        parquet = parse_shard(data, path, self.fix)
        return _Shard(name, parquet, ds.ParquetFileFormat().make_fragment(pa.BufferReader(data)))

    # Metadata -------------------------------------------------------------------------------------------------------

    def samples(self, columns: Sequence[str] | None = None, filter: Filter = None) -> pd.DataFrame:
        """Metadata of the samples that pass `filter` (all columns but the image by default), with `shard` and `row`.

        Only the columns asked for are read; repeated strings are categoricals (see the module's notes).
        Example: `samples(columns=["sample_id", "label"], filter={"design": "single", "split": ["train"]})`.
        """
        parts = [part for _, _, part in self._scan(columns, filter)]
        if parts:
            return _frame(pa.concat_tables(parts).unify_dictionaries())
        names = [name for name in self.schema.names if name != IMAGE_COLUMN] if columns is None else list(columns)
        empty = self.schema.empty_table().select(names)
        empty = empty.append_column("shard", pa.array([], pa.string()))
        return _frame(self._compact(empty.append_column("row", pa.array([], pa.int64()))))

    def iter_samples(
        self, columns: Sequence[str] | None = None, filter: Filter = None, shards: Collection[str] | None = None
    ) -> Iterator[pd.DataFrame]:
        """`samples`, one frame per row group (about one per shard), for selections too large to hold at once.

        `shards` limits the reads to those shard files (None: every shard).
        """
        for _, _, part in self._scan(columns, filter, shards):
            yield _frame(part)

    def iter_batches(
        self,
        columns: Sequence[str] | None = None,
        filter: Filter = None,
        batch_size: int = 256,
        shards: Collection[str] | None = None,
    ) -> Iterator[ImageBatch]:
        """Decoded images of the samples that pass `filter`, with their metadata, shard by shard in stored order.

        At most one shard's encoded image column and `batch_size` decoded images are held at a time, so a selection
        of any size streams. `shards` limits the reads to those shard files (None: every shard), e.g. one per task.
        """
        if batch_size < 1:
            raise InputError(f"batch_size must be at least 1, got {batch_size}", field="batch_size")
        for shard, group, part in self._scan(columns, filter, shards):
            if part.num_rows == 0:
                continue
            encoded = shard.parquet.read_row_group(group, columns=[IMAGE_COLUMN]).column(IMAGE_COLUMN)
            positions = part.column("row").to_numpy() - _group_start(shard.parquet, group)
            data = pc.struct_field(encoded.combine_chunks(), "bytes").take(pa.array(positions))
            frame = _frame(part)
            for begin in range(0, len(frame), batch_size):
                chunk = data[begin : begin + batch_size]
                images = np.stack([self._decode(item.as_py()) for item in chunk])
                yield ImageBatch(frame.iloc[begin : begin + batch_size].reset_index(drop=True), images)

    def _scan(
        self, columns: Sequence[str] | None, filter: Filter, shards: Collection[str] | None = None
    ) -> Iterator[tuple[_Shard, int, pa.Table]]:
        """(shard, row group, matching metadata rows with `shard` and `row`) for every row group that may match."""
        expression, partitions = self._expression(filter)
        unknown = sorted(set(shards or ()) - set(self._checksums))
        if unknown:
            raise InputError(f"shards {preview(unknown)} are not in the dataset's manifest", path=self.folder)
        for record in self.manifest.shards:
            if (partitions is not None and record.partition not in partitions) or (
                shards is not None and record.name not in shards
            ):
                continue
            shard = self._shard(record.name)
            names = [name for name in shard.parquet.schema_arrow.names if name != IMAGE_COLUMN]
            wanted = names if columns is None else list(columns)
            unknown = [name for name in wanted if name not in names]
            if unknown:
                raise InputError(
                    f"unknown columns {preview(unknown)}; the dataset's columns are {names}",
                    path=self.folder,
                    field="columns",
                )
            groups = range(shard.parquet.num_row_groups)
            if expression is not None:
                split = partial(shard.fragment.split_by_row_group, expression, shard.parquet.schema_arrow)
                fragments = self._guard(split, names)
                groups = [fragment.row_groups[0].id for fragment in fragments]
            for group in groups:
                table = shard.parquet.read_row_group(group, columns=names)
                start = _group_start(shard.parquet, group)
                table = table.append_column("row", pa.array(np.arange(start, start + table.num_rows, dtype=np.int32)))
                if expression is not None:
                    table = self._guard(partial(table.filter, expression), names)
                names_of_rows = pa.DictionaryArray.from_arrays(
                    pa.array(np.zeros(table.num_rows, dtype=np.int32)), pa.array([record.name], pa.string())
                )
                located = table.select(wanted).append_column("shard", names_of_rows)
                yield shard, group, self._compact(located.append_column("row", table.column("row")))

    def _compact(self, table: pa.Table) -> pa.Table:
        """`table` with the dataset's categorical string columns dictionary-encoded and its int32 columns cast."""
        for index, field in enumerate(table.schema):
            if field.name in self.categorical and (
                pa.types.is_string(field.type) or pa.types.is_large_string(field.type)
            ):
                table = table.set_column(index, field.name, pc.dictionary_encode(table.column(index)))
            elif (field.name in self.int32 or field.name == "row") and pa.types.is_integer(field.type):
                table = table.set_column(index, field.name, table.column(index).cast(pa.int32()))
        return table

    def _expression(self, filter: Filter) -> tuple[ds.Expression | None, set[str] | None]:
        """The filter as an expression, and the partition values it allows (None: any) to skip shards early."""
        if filter is None or isinstance(filter, ds.Expression):
            return filter, None
        if not isinstance(filter, Mapping) or not filter:
            raise InputError(
                f"a filter is a pyarrow expression or a non-empty {{column: value or values}} dict, got {filter!r}",
                field="filter",
            )
        parts = []
        partitions = None
        for column, value in filter.items():
            values = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
            parts.append(ds.field(column).isin(values) if len(values) != 1 else ds.field(column) == values[0])
            if column == self.manifest.partition:
                partitions = {str(item) for item in values}
        expression = parts[0]
        for part in parts[1:]:
            expression = expression & part
        return expression, partitions

    def _guard(self, action: Callable[[], object], names: list[str]) -> object:
        """Run an Arrow filter step; a filter naming unknown columns or comparing wrong types is an InputError."""
        try:
            return action()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
            raise InputError(
                f"the filter does not apply to this dataset ({error}); its columns are {names}",
                path=self.folder,
                field="filter",
            ) from error

    def factor_table(self, frame: pd.DataFrame | None = None) -> FactorTable:
        """A FactorTable of `frame` (default: every sample) with the manifest's factor specification."""
        frame = self.samples() if frame is None else frame
        return FactorTable(frame.reset_index(drop=True), self.manifest.factors, source=str(self.folder))

    def contents(self) -> str:
        """What the dataset holds, counted by partition (and split when there is one): `single/train: 1,200, ...`."""
        keys = [self.manifest.partition, *(["split"] if "split" in self.schema.names else [])]
        counts = self.samples(columns=keys).groupby(keys, observed=True).size()
        parts = [(key if isinstance(key, tuple) else (key,), count) for key, count in counts.items()]
        return ", ".join(f"{'/'.join(map(str, key))}: {count:,}" for key, count in parts)

    # Images ---------------------------------------------------------------------------------------------------------

    def image_bytes(self, rows: pd.DataFrame) -> Iterator[bytes]:
        """Encoded images of the given sample rows (from `samples`), in their order."""
        for shard, row in zip(rows["shard"], rows["row"], strict=True):
            yield self._image_column(shard)[int(row)].as_py()

    def images(self, rows: pd.DataFrame) -> Iterator[np.ndarray]:
        """Decoded RGB images (H x W x 3 uint8) of the given rows, in their order."""
        for data in self.image_bytes(rows):
            yield self._decode(data)

    def _decode(self, data: bytes) -> np.ndarray:
        image = self.manifest.image
        return codec.decode(data, image.format, image.shape)

    def _image_column(self, shard: str) -> pa.Array:
        """Encoded images of one shard, the last few shards kept in memory."""
        if shard not in self._image_columns:
            if len(self._image_columns) >= CACHED_SHARDS:
                self._image_columns.pop(next(iter(self._image_columns)))
            column = self._shard(shard).parquet.read(columns=[IMAGE_COLUMN]).column(IMAGE_COLUMN).combine_chunks()
            self._image_columns[shard] = column.field("bytes")
        return self._image_columns[shard]


def _frame(table: pa.Table) -> pd.DataFrame:
    """`table` as pandas, dictionary columns as categoricals with sorted categories (groupby orders as strings do)."""
    frame = table.to_pandas()
    for name, column in frame.items():
        if isinstance(column.dtype, pd.CategoricalDtype) and not column.cat.categories.is_monotonic_increasing:
            frame[name] = column.cat.reorder_categories(column.cat.categories.sort_values())
    return frame


def _group_start(parquet: pq.ParquetFile, group: int) -> int:
    """Index in the shard of the first row of row group `group`."""
    return sum(parquet.metadata.row_group(index).num_rows for index in range(group))


class ImageSource(Protocol):
    """Anything that decodes the images of sample rows: a `ShardedDataset` or a `RenderedDataset`."""

    def images(self, rows: pd.DataFrame) -> Iterator[np.ndarray]:
        """Decoded images (H x W x 3 uint8) of the rows, in their order."""


class ShardImageDataset:
    """A torch-style Dataset over selected rows: `(image tensor CxHxW float in [0, 1], label)`.

    Images are decoded on access; `transform` (e.g. torchvision transforms) replaces the default tensor conversion.
    """

    def __init__(
        self, dataset: ImageSource, rows: pd.DataFrame, transform: Callable[[np.ndarray], object] | None = None
    ) -> None:
        self.dataset = dataset
        self.rows = rows.reset_index(drop=True)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> tuple[object, int]:
        row = self.rows.iloc[[index]]
        image = next(self.dataset.images(row))
        label = int(row["label"].iloc[0])
        if self.transform is not None:
            return self.transform(image), label
        import torch

        return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float() / 255.0, label
