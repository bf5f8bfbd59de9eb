"""Read a rendered dataset: its factor table, filtered selections, images, a torch Dataset and exports."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from PIL import Image

from fovkit.errors import InputError, preview
from fovkit.progress import progress_bar
from fovkit.render.config import RenderConfig
from fovkit.render.dataset import MANIFEST, parse_shard, read_manifest, verified_bytes
from fovkit.runs import atomic_output_dir, write_run_record
from fovkit.tables import FactorSpec, FactorTable

META_COLUMNS_EXCLUDED = ("image",)
SPLITS = ("train", "held_out")
EXPORT_COMMAND = "fovkit render export"
READ_FIX = (
    "delete that shard file and resume the render (`fovkit render run` with the dataset's config and --out set to "
    "its folder) to render it again"
)
LOCATION_COLUMNS = ("sample_id", "label", "class_name", "split", "shard", "row")


@dataclass
class RenderedDataset:
    """A folder written by `render_dataset`: manifest, config and Parquet shards.

    Every read of a shard (`samples`, `image_bytes`, `images`, exports) checks its bytes against the SHA-256 in the
    manifest first and parses the bytes it checked; a changed or damaged shard is an InputError naming it.
    """

    folder: Path
    manifest: dict = field(repr=False)
    _image_columns: dict[str, object] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, folder: str | Path, verify: bool = False) -> RenderedDataset:
        """Open a dataset folder (its manifest checked); `verify` also checks every shard's SHA-256 now."""
        folder = Path(folder)
        path = folder / MANIFEST
        if not path.exists():
            raise InputError("no manifest.json: not a rendered dataset, or its rendering has not finished", path=folder)
        manifest = read_manifest(path)
        dataset = cls(folder, manifest)
        missing = [shard["name"] for shard in manifest["shards"] if not (folder / shard["name"]).is_file()]
        if missing:
            raise InputError(f"shards listed in the manifest are missing: {preview(missing)}; {READ_FIX}", path=path)
        if verify:
            for shard in manifest["shards"]:
                verified_bytes(folder / shard["name"], shard["sha256"], READ_FIX)
        return dataset

    @cached_property
    def config(self) -> RenderConfig:
        """The config the dataset was rendered with."""
        return RenderConfig(**self.manifest["config"])

    @cached_property
    def samples(self) -> pd.DataFrame:
        """Every sample's metadata (all columns but the image), with `shard` and `row` locating its image."""
        parts = []
        for shard in self.manifest["shards"]:
            parquet = self._parquet(shard["name"])
            columns = [name for name in parquet.schema_arrow.names if name not in META_COLUMNS_EXCLUDED]
            frame = parquet.read(columns=columns).to_pandas()
            frame["shard"] = shard["name"]
            frame["row"] = np.arange(len(frame))
            parts.append(frame)
        return pd.concat(parts, ignore_index=True)

    @cached_property
    def class_names(self) -> list[str]:
        """Class names by label number."""
        names = self.samples.drop_duplicates("label").set_index("label")["class_name"].sort_index()
        return names.tolist()

    def factor_table(self, designs: Sequence[str] | None = None) -> FactorTable:
        """The samples as a FactorTable: scalar factors with their canonical values, background as `type/index`."""
        frame = self.samples if designs is None else self.samples[self.samples["design"].isin(designs)]
        frame = frame.assign(background=frame["background_type"] + "/" + frame["background_index"].astype(str))
        kind, index = self.config.canonical_background
        specs = [FactorSpec(name, "scalar", axis.canonical) for name, axis in self.config.axes.items()]
        specs.append(FactorSpec("background", "categorical", f"{kind}/{index}"))
        return FactorTable(frame.reset_index(drop=True), tuple(specs), source=str(self.folder))

    def select(
        self,
        varies: Sequence[str] = (),
        others_canonical: bool = True,
        design: str | None = None,
        split: str | None = None,
    ) -> pd.DataFrame:
        """Samples where the `varies` factors may vary and (by default) every other factor is canonical.

        Example: `select(varies=["pose"], split="held_out")` is "pose varies, all else canonical" on held-out
        instances. Unknown factors, designs and splits are InputErrors naming the valid ones.
        """
        factors = self.config.factors
        unknown = [name for name in varies if name not in factors]
        if unknown:
            raise InputError(f"unknown factors {unknown}; this dataset's factors are {factors}", field="varies")
        if design is not None and design not in self.config.designs:
            raise InputError(
                f"unknown design {design!r}; this dataset's designs are {list(self.config.designs)}", field="design"
            )
        if split is not None and split not in SPLITS:
            raise InputError(f"unknown split {split!r}; the splits are {list(SPLITS)}", field="split")
        frame = self.samples
        keep = np.ones(len(frame), dtype=bool)
        if others_canonical:
            for name in factors:
                if name not in varies:
                    keep &= ~frame[f"varies_{name}"].to_numpy()
        if design is not None:
            keep &= frame["design"].to_numpy() == design
        if split is not None:
            keep &= frame["split"].to_numpy() == split
        return frame[keep]

    def image_bytes(self, rows: pd.DataFrame) -> Iterator[bytes]:
        """Encoded images of the given sample rows (from `samples` or `select`), in their order."""
        for shard, row in zip(rows["shard"], rows["row"], strict=True):
            yield self._image_column(shard)[int(row)].as_py()

    def _image_column(self, shard: str) -> object:
        """Encoded images of one shard, the last few shards kept in memory (random access stays cheap)."""
        if shard not in self._image_columns:
            if len(self._image_columns) >= 4:
                self._image_columns.pop(next(iter(self._image_columns)))
            column = self._parquet(shard).read(columns=["image"]).column("image").combine_chunks()
            self._image_columns[shard] = column.field("bytes")
        return self._image_columns[shard]

    def _parquet(self, shard: str) -> pq.ParquetFile:
        """A reader over the shard's bytes, read once and checked against the manifest's SHA-256."""
        checksum = self._checksums.get(shard)
        if checksum is None:
            raise InputError(f"shard {shard!r} is not in the dataset's manifest", path=self.folder, field="shard")
        path = self.folder / shard
        return parse_shard(verified_bytes(path, checksum, READ_FIX), path, READ_FIX)

    @cached_property
    def _checksums(self) -> dict[str, str]:
        return {entry["name"]: entry["sha256"] for entry in self.manifest["shards"]}

    def images(self, rows: pd.DataFrame) -> Iterator[np.ndarray]:
        """Decoded RGB images (HxWx3 uint8) of the given rows."""
        size = self.config.image_size
        for data in self.image_bytes(rows):
            yield decode(data, self.config.image_format, size)


def decode(data: bytes, image_format: str, size: int) -> np.ndarray:
    """Decode one stored image to an HxWx3 uint8 array."""
    if image_format == "raw":
        return np.frombuffer(data, dtype=np.uint8).reshape(size, size, 3)
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def export_imagefolder(
    dataset: RenderedDataset,
    rows: pd.DataFrame,
    out: Path,
    overwrite: bool = False,
    progress: bool = True,
    selection: dict | None = None,
) -> int:
    """Write `out/<split>/<class_name>/<sample_id>.<ext>` image files (torchvision ImageFolder layout).

    Like `export_webdataset`, the export is assembled under a temporary name and renamed to `out` when complete,
    with a `run.json`; see `export_webdataset` for the arguments.

    Returns:
        The number of images written.

    """

    def write(folder: Path, advance: Callable[[int], None]) -> None:
        extension = _extension(dataset.config.image_format)
        for (_, row), data in zip(rows.iterrows(), dataset.image_bytes(rows), strict=True):
            path = folder / row["split"] / row["class_name"] / f"{row['sample_id']}.{extension}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            advance(1)

    _export(dataset, rows, out, "imagefolder", write, overwrite, progress, selection)
    return len(rows)


def export_webdataset(
    dataset: RenderedDataset,
    rows: pd.DataFrame,
    out: Path,
    shard_size: int = 1000,
    overwrite: bool = False,
    progress: bool = True,
    selection: dict | None = None,
) -> list[Path]:
    """Write WebDataset tar shards: per sample `<key>.<ext>` (image), `<key>.cls` (label) and `<key>.json` (factors).

    Args:
        dataset: The rendered dataset.
        rows: Sample rows from `dataset.samples` or `dataset.select`; each sample once, at least one.
        out: A new or empty folder (or, with `overwrite`, an earlier fovkit output); not inside the dataset.
        shard_size: Samples per tar file.
        overwrite: Replace `out` if an earlier fovkit command wrote it.
        progress: Show a progress bar with the time remaining.
        selection: What the rows are (e.g. `{"design": "single", "varies": ["pose"]}`), for messages and run.json.

    Returns:
        The tar files, in `out`.

    """
    names = [f"shard-{number:06d}.tar" for number in range(-(-len(rows) // shard_size))]

    def write(folder: Path, advance: Callable[[int], None]) -> None:
        extension = _extension(dataset.config.image_format)
        metadata = [column for column in rows.columns if column not in ("shard", "row")]
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

    _export(dataset, rows, out, "webdataset", write, overwrite, progress, selection)
    return [Path(out) / name for name in names]


def _export(
    dataset: RenderedDataset,
    rows: pd.DataFrame,
    out: Path,
    layout: str,
    write: Callable[[Path, Callable[[int], None]], None],
    overwrite: bool,
    progress: bool,
    selection: dict | None,
) -> None:
    """Check the rows, then `write` them into a staging folder with a progress bar; rename it to `out` when done."""
    _check_rows(dataset, rows, selection or {})
    with atomic_output_dir(out, overwrite=overwrite, inputs=[dataset.folder]) as staging:
        with progress_bar(progress) as bar:
            task = bar.add_task(f"Exporting ({layout})", total=len(rows))
            write(staging, lambda count: bar.advance(task, count))
        settings = {"format": layout, "dataset": str(dataset.folder), "images": len(rows), "selection": selection}
        write_run_record(staging, EXPORT_COMMAND, settings, inputs=[dataset.folder / MANIFEST])


def _check_rows(dataset: RenderedDataset, rows: pd.DataFrame, selection: dict) -> None:
    """Refuse rows that are not samples, an empty selection and repeated samples."""
    missing = [column for column in LOCATION_COLUMNS if column not in rows.columns]
    if missing:
        raise InputError(
            f"rows lack the columns {missing}; pass rows from RenderedDataset.samples or .select", field="rows"
        )
    if rows.empty:
        chosen = ", ".join(f"{name}={value!r}" for name, value in selection.items() if value)
        counts = dataset.samples.groupby(["design", "split"]).size()
        held = ", ".join(f"{design}/{split}: {count:,}" for (design, split), count in counts.items())
        raise InputError(
            f"the selection holds no images{f' ({chosen})' if chosen else ''}, so there is nothing to export; the "
            f"dataset's images by design/split: {held}",
            field="selection",
        )
    repeated = rows["sample_id"][rows["sample_id"].duplicated()].unique().tolist()
    if repeated:
        raise InputError(
            f"samples repeat: {preview(repeated)}; an export holds each image once (drop_duplicates('sample_id'))",
            field="rows",
        )


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def _extension(image_format: str) -> str:
    return {"jpeg": "jpg", "png": "png", "webp": "webp", "raw": "rgb"}[image_format]


class ShardImageDataset:
    """A torch-style Dataset over selected rows: `(image tensor CxHxW float in [0, 1], label)`.

    Images are decoded on access; `transform` (e.g. torchvision transforms) replaces the default tensor conversion.
    """

    def __init__(
        self, dataset: RenderedDataset, rows: pd.DataFrame, transform: Callable[[np.ndarray], object] | None = None
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
