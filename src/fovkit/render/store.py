"""Read a rendered dataset: its factor table, filtered selections, images, a torch Dataset and exports.

A thin render-specific view over `fovkit.store.ShardedDataset` (verified reads, streaming, exports): it adds the
render config, the design/split vocabulary of `select` and the `fovkit render export` command.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from fovkit.errors import InputError
from fovkit.render.config import RenderConfig
from fovkit.render.dataset import MANIFEST, read_manifest
from fovkit.store import codec
from fovkit.store import export as store_export
from fovkit.store.loader import Filter, ImageBatch, ShardedDataset, ShardImageDataset
from fovkit.store.manifest import Manifest
from fovkit.tables import FactorTable
from fovkit.tables.factor_table import varying_only

__all__ = [
    "RenderedDataset",
    "ShardImageDataset",
    "decode",
    "export_imagefolder",
    "export_webdataset",
]

SPLITS = ("train", "held_out")
EXPORT_COMMAND = "fovkit render export"
READ_FIX = (
    "delete that shard file and resume the render (`fovkit render run` with the dataset's config and --out set to "
    "its folder) to render it again"
)
LOCATION_COLUMNS = ("sample_id", "label", "class_name", "split", "shard", "row")
CATEGORICAL_COLUMNS = ("design", "class_name", "split", "background_type")
"""String columns with few distinct values: categoricals in `samples` (with `shard`), about 1 byte a row each."""
INT32_COLUMNS = ("index", "instance", "background_index", "bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1")
"""Integer columns read as int32 (with `row`); `label` stays int64, the dtype of class indices everywhere."""


class RenderedDataset:
    """A folder written by `render_dataset`: manifest, config and Parquet shards.

    Every read of a shard (`samples`, `image_bytes`, `images`, `iter_batches`, exports) checks its bytes against the
    SHA-256 in the manifest first and parses the bytes it checked; a changed or damaged shard is an InputError
    naming it.
    """

    def __init__(self, folder: Path, manifest: Manifest) -> None:
        self.store = ShardedDataset(folder, manifest, READ_FIX, CATEGORICAL_COLUMNS, INT32_COLUMNS)
        self.folder = self.store.folder
        self.manifest = manifest

    def __repr__(self) -> str:
        return f"RenderedDataset(folder={str(self.folder)!r})"

    @classmethod
    def open(cls, folder: str | Path, verify: bool = False) -> RenderedDataset:
        """Open a dataset folder (its manifest checked); `verify` also checks every shard's SHA-256 now."""
        folder = Path(folder)
        if not (folder / MANIFEST).exists():
            raise InputError("no manifest.json: not a rendered dataset, or its rendering has not finished", path=folder)
        dataset = cls(folder, read_manifest(folder / MANIFEST))
        dataset.store.check(verify)
        return dataset

    @cached_property
    def config(self) -> RenderConfig:
        """The config the dataset was rendered with."""
        return RenderConfig(**self.manifest["config"])

    @cached_property
    def samples(self) -> pd.DataFrame:
        """Every sample's metadata (all columns but the image), with `shard` and `row` locating its image.

        Kept light for millions of rows: repeated strings are categoricals (`CATEGORICAL_COLUMNS`, `shard`) and small
        integers int32 (`INT32_COLUMNS`, `row`), about half the memory of plain strings and int64; the values are
        the stored ones. Group categoricals with `observed=True`; `.astype(str)` before string arithmetic.
        """
        return self.store.samples()

    @cached_property
    def class_names(self) -> list[str]:
        """Class names by label number."""
        names = self.samples.drop_duplicates("label").set_index("label")["class_name"].sort_index()
        return names.tolist()

    def factor_table(self, designs: Sequence[str] | None = None) -> FactorTable:
        """The samples as a FactorTable: scalar factors with their canonical values, background as `type/index`."""
        frame = self.samples if designs is None else self.samples[self.samples["design"].isin(designs)]
        frame = frame.assign(
            background=frame["background_type"].astype(str) + "/" + frame["background_index"].astype(str)
        )
        return self.store.factor_table(frame)

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
            others = [f"varies_{name}" for name in factors if name not in varies]
            keep &= varying_only(frame[others].to_numpy())
        if design is not None:
            keep &= frame["design"].to_numpy() == design
        if split is not None:
            keep &= frame["split"].to_numpy() == split
        return frame[keep]

    def iter_batches(
        self, columns: Sequence[str] | None = None, filter: Filter = None, batch_size: int = 256
    ) -> Iterator[ImageBatch]:
        """Decoded images with their metadata, streamed shard by shard (see `ShardedDataset.iter_batches`)."""
        return self.store.iter_batches(columns, filter, batch_size)

    def image_bytes(self, rows: pd.DataFrame) -> Iterator[bytes]:
        """Encoded images of the given sample rows (from `samples` or `select`), in their order."""
        return self.store.image_bytes(rows)

    def images(self, rows: pd.DataFrame) -> Iterator[np.ndarray]:
        """Decoded RGB images (HxWx3 uint8) of the given rows."""
        return self.store.images(rows)

    @property
    def extension(self) -> str:
        """File extension of the stored images."""
        return self.store.extension

    def contents(self) -> str:
        """The dataset's images counted by design/split, e.g. `single/train: 1,200`."""
        counts = self.samples.groupby(["design", "split"], observed=True).size()
        return ", ".join(f"{design}/{split}: {count:,}" for (design, split), count in counts.items())


def decode(data: bytes, image_format: str, size: int) -> np.ndarray:
    """Decode one stored image of a render (`size` x `size`) to an HxWx3 uint8 array."""
    return codec.decode(data, image_format, (size, size, 3))


def export_imagefolder(
    dataset: RenderedDataset,
    rows: pd.DataFrame,
    out: Path,
    overwrite: bool = False,
    progress: bool = True,
    selection: dict | None = None,
) -> int:
    """Write `out/<split>/<class_name>/<sample_id>.<ext>` image files and `out/metadata.{csv,parquet}`.

    See `fovkit.store.export.export_imagefolder`; rows come from `dataset.samples` or `dataset.select`.

    Returns:
        The number of images written.

    """
    _check_render_rows(rows)
    return store_export.export_imagefolder(dataset, rows, out, overwrite, progress, selection, EXPORT_COMMAND)


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

    See `fovkit.store.export.export_webdataset`; rows come from `dataset.samples` or `dataset.select`.
    """
    _check_render_rows(rows)
    return store_export.export_webdataset(
        dataset, rows, out, shard_size, overwrite, progress, selection, EXPORT_COMMAND
    )


def _check_render_rows(rows: pd.DataFrame) -> None:
    missing = [column for column in LOCATION_COLUMNS if column not in rows.columns]
    if missing:
        raise InputError(
            f"rows lack the columns {missing}; pass rows from RenderedDataset.samples or .select", field="rows"
        )


def object_ids(frame: pd.DataFrame) -> np.ndarray:
    """One id per rendered object (class, instance): the clusters of the gap intervals."""
    return (frame["label"].astype(str) + "/" + frame["instance"].astype(str)).to_numpy()
