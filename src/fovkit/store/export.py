"""Export selected samples of a stored dataset: ImageFolder (with a metadata file) or WebDataset tar shards.

Both are assembled in a staging folder beside `out`, with a progress bar, and renamed to `out` only when complete
(with a `run.json`), so a killed export leaves nothing that looks finished. Every image written is read through the
dataset's verified reads.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from fovkit.errors import InputError, preview
from fovkit.progress import progress_bar
from fovkit.runs import atomic_output_dir, write_run_record
from fovkit.store.loader import LOCATION_COLUMNS
from fovkit.store.manifest import MANIFEST

EXPORT_COMMAND = "fovkit store export"
REQUIRED_COLUMNS = ("sample_id", "label", *LOCATION_COLUMNS)
METADATA = "metadata"
"""ImageFolder metadata files: `metadata.csv` and `metadata.parquet`, one row per image, `file_name` relative to
the export folder (the column Hugging Face's imagefolder loader reads) and every other column of the rows."""


class ExportSource(Protocol):
    """What an export reads: a `ShardedDataset` or a `RenderedDataset`."""

    folder: Path

    @property
    def extension(self) -> str:
        """File extension of the stored images."""

    def image_bytes(self, rows: pd.DataFrame) -> Iterator[bytes]:
        """Encoded images of the rows, in their order (verified reads)."""

    def contents(self) -> str:
        """What the dataset holds, for the message about an empty selection."""


def export_imagefolder(
    dataset: ExportSource,
    rows: pd.DataFrame,
    out: Path,
    overwrite: bool = False,
    progress: bool = True,
    selection: dict | None = None,
    command: str = EXPORT_COMMAND,
) -> int:
    """Write `out/[<split>/]<class>/<sample_id>.<ext>` (torchvision ImageFolder layout) and `out/metadata.*`.

    The class folder is `class_name` when the rows have it, else `label`; the split level is there when the rows
    have a `split` column. `metadata.csv` and `metadata.parquet` keep every factor value of every image file. See
    `export_webdataset` for the arguments.

    Returns:
        The number of images written.

    """
    _check_rows(dataset, rows, selection or {})
    parts = [*(["split"] if "split" in rows.columns else []), "class_name" if "class_name" in rows.columns else "label"]
    _check_path_parts(rows, [*parts, "sample_id"])
    names = rows["sample_id"].astype(str) + "." + dataset.extension
    for part in reversed(parts):
        names = rows[part].astype(str) + "/" + names
    files = names.tolist()

    def write(folder: Path, advance: Callable[[int], None]) -> None:
        for name, data in zip(files, dataset.image_bytes(rows), strict=True):
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            advance(1)
        metadata = rows.drop(columns=list(LOCATION_COLUMNS)).reset_index(drop=True)
        metadata.insert(0, "file_name", files)
        metadata.to_csv(folder / f"{METADATA}.csv", index=False)
        metadata.to_parquet(folder / f"{METADATA}.parquet", index=False)

    _export(dataset, rows, out, "imagefolder", write, overwrite, progress, selection, command)
    return len(rows)


def export_webdataset(
    dataset: ExportSource,
    rows: pd.DataFrame,
    out: Path,
    shard_size: int = 1000,
    overwrite: bool = False,
    progress: bool = True,
    selection: dict | None = None,
    command: str = EXPORT_COMMAND,
) -> list[Path]:
    """Write WebDataset tar shards: per sample `<key>.<ext>` (image), `<key>.cls` (label) and `<key>.json` (factors).

    Args:
        dataset: The stored dataset.
        rows: Sample rows from the dataset's samples; each sample once, at least one.
        out: A new or empty folder (or, with `overwrite`, an earlier fovkit output); not inside the dataset.
        shard_size: Samples per tar file.
        overwrite: Replace `out` if an earlier fovkit command wrote it.
        progress: Show a progress bar with the time remaining.
        selection: What the rows are (e.g. `{"design": "single", "varies": ["pose"]}`), for messages and run.json.
        command: The command recorded in `run.json`.

    Returns:
        The tar files, in `out`.

    """
    if shard_size < 1:
        raise InputError(f"shard_size must be at least 1, got {shard_size}", field="shard_size")
    _check_rows(dataset, rows, selection or {})
    _check_path_parts(rows, ["sample_id"], dots=False)
    names = [f"shard-{number:06d}.tar" for number in range(-(-len(rows) // shard_size))]

    def write(folder: Path, advance: Callable[[int], None]) -> None:
        extension = dataset.extension
        metadata = [column for column in rows.columns if column not in LOCATION_COLUMNS]
        for name, start in zip(names, range(0, len(rows), shard_size), strict=True):
            part = rows.iloc[start : start + shard_size]
            with tarfile.open(folder / name, "w") as archive:
                for (_, row), data in zip(part.iterrows(), dataset.image_bytes(part), strict=True):
                    record = json.dumps({column: _plain(row[column]) for column in metadata}).encode()
                    for suffix, payload in ((extension, data), ("cls", str(row["label"]).encode()), ("json", record)):
                        info = tarfile.TarInfo(f"{row['sample_id']}.{suffix}")
                        info.size, info.mtime = len(payload), 0
                        archive.addfile(info, io.BytesIO(payload))
                    advance(1)

    _export(dataset, rows, out, "webdataset", write, overwrite, progress, selection, command)
    return [Path(out) / name for name in names]


def _export(
    dataset: ExportSource,
    rows: pd.DataFrame,
    out: Path,
    layout: str,
    write: Callable[[Path, Callable[[int], None]], None],
    overwrite: bool,
    progress: bool,
    selection: dict | None,
    command: str,
) -> None:
    """`write` the checked rows into a staging folder with a progress bar; rename it to `out` when done."""
    with atomic_output_dir(out, overwrite=overwrite, inputs=[dataset.folder]) as staging:
        with progress_bar(progress) as bar:
            task = bar.add_task(f"Exporting ({layout})", total=len(rows))
            write(staging, lambda count: bar.advance(task, count))
        settings = {"format": layout, "dataset": str(dataset.folder), "images": len(rows), "selection": selection}
        write_run_record(staging, command, settings, inputs=[dataset.folder / MANIFEST])


def _check_rows(dataset: ExportSource, rows: pd.DataFrame, selection: dict) -> None:
    """Refuse rows that are not samples, an empty selection and repeated samples."""
    missing = [column for column in REQUIRED_COLUMNS if column not in rows.columns]
    if missing:
        raise InputError(f"rows lack the columns {missing}; pass rows from the dataset's samples", field="rows")
    if rows.empty:
        chosen = ", ".join(f"{name}={value!r}" for name, value in selection.items() if value)
        raise InputError(
            f"the selection holds no images{f' ({chosen})' if chosen else ''}, so there is nothing to export; the "
            f"dataset's images: {dataset.contents()}",
            field="selection",
        )
    repeated = rows["sample_id"][rows["sample_id"].duplicated()].unique().tolist()
    if repeated:
        raise InputError(
            f"samples repeat: {preview(repeated)}; an export holds each image once (drop_duplicates('sample_id'))",
            field="rows",
        )


def _check_path_parts(rows: pd.DataFrame, columns: list[str], dots: bool = True) -> None:
    """Refuse values that would not stay one plain file or folder name (separators, `..`, NUL; dots for tar keys)."""
    for column in columns:
        values = rows[column].astype(str)
        bad = values[
            values.isin(["", ".", ".."])
            | values.str.contains(r"[/\\\x00]", regex=True)
            | values.str.startswith(".")
            | (values.str.contains(".", regex=False) if not dots else False)
        ]
        if len(bad):
            rule = "no '.'" if not dots else "no leading '.'"
            raise InputError(
                f"values that cannot be file names in an export: {preview(bad.unique().tolist())}; they must be "
                f"plain names (no '/', '\\\\' or NUL, {rule})",
                field=column,
            )


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value
