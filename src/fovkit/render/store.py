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
from fovkit.render.config import RenderConfig
from fovkit.render.dataset import MANIFEST
from fovkit.runs import file_checksum
from fovkit.tables import FactorSpec, FactorTable

META_COLUMNS_EXCLUDED = ("image",)


@dataclass
class RenderedDataset:
    """A folder written by `render_dataset`: manifest, config and Parquet shards."""

    folder: Path
    manifest: dict = field(repr=False)
    _image_columns: dict[str, object] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, folder: str | Path, verify: bool = False) -> RenderedDataset:
        """Open a dataset folder; `verify` checks every shard's SHA-256 against the manifest."""
        folder = Path(folder)
        path = folder / MANIFEST
        if not path.exists():
            raise InputError("no manifest.json: not a rendered dataset, or its rendering has not finished", path=folder)
        manifest = json.loads(path.read_text())
        dataset = cls(folder, manifest)
        missing = [shard["name"] for shard in manifest["shards"] if not (folder / shard["name"]).exists()]
        if missing:
            raise InputError(f"shards listed in the manifest are missing: {preview(missing)}", path=path)
        if verify:
            bad = [s["name"] for s in manifest["shards"] if file_checksum(folder / s["name"]) != s["sha256"]]
            if bad:
                raise InputError(f"shards whose checksum differs from the manifest: {preview(bad)}", path=path)
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
            parquet = pq.ParquetFile(self.folder / shard["name"])
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
        instances.
        """
        factors = self.config.factors
        unknown = [name for name in varies if name not in factors]
        if unknown:
            raise InputError(f"unknown factors {unknown}; this dataset's factors are {factors}", field="varies")
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
            column = pq.read_table(self.folder / shard, columns=["image"]).column("image").combine_chunks()
            self._image_columns[shard] = column.field("bytes")
        return self._image_columns[shard]

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


def export_imagefolder(dataset: RenderedDataset, rows: pd.DataFrame, out: Path) -> int:
    """Write `out/<split>/<class_name>/<sample_id>.<ext>` image files (torchvision ImageFolder layout)."""
    extension = _extension(dataset.config.image_format)
    count = 0
    for (_, row), data in zip(rows.iterrows(), dataset.image_bytes(rows), strict=True):
        path = Path(out) / row["split"] / row["class_name"] / f"{row['sample_id']}.{extension}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        count += 1
    return count


def export_webdataset(dataset: RenderedDataset, rows: pd.DataFrame, out: Path, shard_size: int = 1000) -> list[Path]:
    """Write WebDataset tar shards: per sample `<key>.<ext>` (image), `<key>.cls` (label) and `<key>.json` (factors)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    extension = _extension(dataset.config.image_format)
    metadata = [column for column in rows.columns if column not in ("shard", "row")]
    written = []
    for number, start in enumerate(range(0, len(rows), shard_size)):
        part = rows.iloc[start : start + shard_size]
        written.append(out / f"shard-{number:06d}.tar")
        with tarfile.open(written[-1], "w") as archive:
            for (_, row), data in zip(part.iterrows(), dataset.image_bytes(part), strict=True):
                record = json.dumps({name: _plain(row[name]) for name in metadata}).encode()
                for suffix, payload in ((extension, data), ("cls", str(row["label"]).encode()), ("json", record)):
                    info = tarfile.TarInfo(f"{row['sample_id']}.{suffix}")
                    info.size, info.mtime = len(payload), 0
                    archive.addfile(info, io.BytesIO(payload))
    return written


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
