"""Images of a rendered dataset decoded once into memory, and batched as float tensors for training and inference.

Selections whose decoded size exceeds a memory budget are streamed from the shards instead (`image_source`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pandas as pd
import torch
from rich.progress import track

from fovkit.errors import InputError, preview
from fovkit.protocols.streaming import STREAM_WORKERS, StreamedImages
from fovkit.render.store import RenderedDataset

DEFAULT_MEMORY_BUDGET = 2 * 2**30
"""Decoded bytes up to which a selection is decoded into memory; larger selections stream from the shards."""


def image_source(
    dataset: RenderedDataset,
    rows: pd.DataFrame,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    load: Callable[[pd.DataFrame], torch.Tensor] | None = None,
    workers: int = STREAM_WORKERS,
    progress: bool = False,
) -> torch.Tensor | StreamedImages:
    """The images of `rows`: decoded into memory when they fit `memory_budget` (bytes, uint8), else a stream.

    Training and prediction accept both. In memory, batches are gathered from one tensor (the exact path of
    selections of the main job's size); streamed, they are decoded from the shards as they are used (see
    `fovkit.protocols.streaming`), so a selection of any size fits.

    Args:
        dataset: The rendered dataset the rows come from.
        rows: Sample rows with `shard` and `row` (from `samples` or `select`).
        memory_budget: The largest decoded size, in bytes, kept in memory.
        load: Decodes a selection that fits (default `load_images`), e.g. a runner's cached evaluation images.
        workers: Decoding processes of a stream (its batches do not depend on them).
        progress: Show a progress bar while decoding into memory.

    """
    height, width, channels = dataset.manifest.image.shape
    if len(rows) * height * width * channels > memory_budget:
        return StreamedImages(dataset, rows, workers=workers)
    return load_images(dataset, rows, progress) if load is None else load(rows)


def image_mode(images: object) -> str:
    """How images are read, as results record it: "streamed" for `StreamedImages`, else "in-memory"."""
    return "streamed" if isinstance(images, StreamedImages) else "in-memory"


def load_images(dataset: RenderedDataset, rows: pd.DataFrame, progress: bool = False) -> torch.Tensor:
    """Decode the images of `rows` into one uint8 tensor (N x 3 x H x W), in the order of `rows`.

    Images are decoded shard by shard, sorted by (shard, row) so each shard is read once, and written back to their
    requested positions. At the sizes used here (tens of thousands of images at 64 to 96 pixels) the result fits in
    memory, so training decodes every image once rather than once per epoch.

    Args:
        dataset: The rendered dataset the rows come from.
        rows: Sample rows from `dataset.samples` or `dataset.select`; the `shard` and `row` columns locate each image.
        progress: Show a progress bar (on stderr) while decoding.

    Returns:
        The images as uint8 NCHW, row i of the tensor being row i of `rows`.

    """
    missing = [name for name in ("shard", "row") if name not in rows.columns]
    if missing:
        raise InputError(
            f"rows lack the columns {missing}; pass rows from RenderedDataset.samples or .select", field="rows"
        )
    size = dataset.config.image_size
    images = np.empty((len(rows), 3, size, size), dtype=np.uint8)
    located = pd.DataFrame({"shard": rows["shard"].to_numpy(), "row": rows["row"].to_numpy()})
    order = located.sort_values(["shard", "row"], kind="stable").index.to_numpy()
    decoded = track(dataset.images(located.iloc[order]), total=len(order), description="Decoding", disable=not progress)
    for position, image in zip(order, decoded, strict=True):
        if image.shape != (size, size, 3):
            shard, row = located.iloc[position]
            raise InputError(f"image at shard {shard} row {row} has shape {image.shape}, expected ({size}, {size}, 3)")
        images[position] = image.transpose(2, 0, 1)
    return torch.from_numpy(images)


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 images (0..255) as float32 in [0, 1]; floating images pass through unchanged."""
    if images.dtype == torch.uint8:
        return images.float().div_(255.0)
    return images


class TensorImageDataset(torch.utils.data.Dataset):
    """In-memory images (uint8 NCHW) and integer labels; items are `(float CHW image in [0, 1], label)`.

    Args:
        images: uint8 tensor N x 3 x H x W, e.g. from `load_images`.
        labels: N integer class indices.

    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor | np.ndarray | Sequence[int]) -> None:
        _check_uint8_images(images, "images")
        self.images = images
        self.labels = as_labels(labels, len(images))

    @classmethod
    def from_rows(cls, dataset: RenderedDataset, rows: pd.DataFrame, progress: bool = False) -> TensorImageDataset:
        """Decode the images of `rows` (see `load_images`) and pair them with the rows' `label` column."""
        if "label" not in rows.columns:
            raise InputError("rows lack the 'label' column; pass rows from RenderedDataset.samples", field="rows")
        return cls(load_images(dataset, rows, progress), rows["label"].to_numpy())

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return to_float(self.images[index]), int(self.labels[index])

    def batch(self, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The float images and labels at `indices`, gathered in one indexing operation."""
        return to_float(self.images[indices]), self.labels[indices]


class ImageBatches:
    """Batches of images from a uint8 tensor, a `TensorImageDataset` or any map-style dataset of images.

    Items of a general dataset are CHW image tensors (uint8, or float in [0, 1]) or `(image, label)` pairs, as
    `ShardImageDataset` returns; their labels are ignored here.

    Args:
        images: uint8 N x 3 x H x W tensor, or a dataset.

    """

    def __init__(self, images: torch.Tensor | torch.utils.data.Dataset) -> None:
        if isinstance(images, torch.Tensor):
            _check_uint8_images(images, "images")
        elif isinstance(images, np.ndarray):
            raise InputError(
                f"got a numpy array of shape {images.shape}; pass a uint8 tensor N x 3 x H x W, "
                "e.g. torch.from_numpy(array).permute(0, 3, 1, 2) for N x H x W x 3 images",
                field="images",
            )
        elif not (hasattr(images, "__getitem__") and hasattr(images, "__len__")):
            raise InputError(
                f"expected a uint8 tensor N x 3 x H x W or a map-style dataset, got {type(images).__name__}",
                field="images",
            )
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def take(self, indices: torch.Tensor, device: torch.device | str | None = None) -> torch.Tensor:
        """Float images in [0, 1] at `indices` on `device`; uint8 data moves to the device before conversion."""
        source = self.images
        if isinstance(source, TensorImageDataset):
            source = source.images
        if isinstance(source, torch.Tensor):
            batch = source[indices]
        else:
            batch = torch.stack([self._item(int(index)) for index in indices])
        return to_float(batch.to(device, non_blocking=True) if device is not None else batch)

    def batches(
        self, batch_size: int, device: torch.device | str | None = None, progress: bool = False
    ) -> Iterator[torch.Tensor]:
        """Consecutive batches of float images in [0, 1], in order (for inference)."""
        if batch_size < 1:
            raise InputError(f"batch_size must be at least 1, got {batch_size}", field="batch_size")
        starts = range(0, len(self), batch_size)
        for start in track(starts, description="Predicting", disable=not progress, transient=True):
            yield self.take(torch.arange(start, min(start + batch_size, len(self))), device)

    def _item(self, index: int) -> torch.Tensor:
        item = self.images[index]
        image = item[0] if isinstance(item, tuple | list) else item
        if not isinstance(image, torch.Tensor) or image.ndim != 3 or image.shape[0] != 3:
            shape = tuple(image.shape) if hasattr(image, "shape") else type(image).__name__
            raise InputError(
                f"dataset item {index} is {shape}; expected a 3 x H x W image tensor (or an (image, label) pair)",
                field="images",
            )
        return image


def iter_batches(
    images: torch.Tensor | torch.utils.data.Dataset,
    batch_size: int,
    device: torch.device | str | None = None,
    progress: bool = False,
) -> Iterator[torch.Tensor]:
    """Consecutive batches of float images in [0, 1] from uint8 images or a dataset (see `ImageBatches`)."""
    return ImageBatches(images).batches(batch_size, device, progress)


def as_labels(labels: torch.Tensor | np.ndarray | Sequence[int], count: int) -> torch.Tensor:
    """Labels as an int64 CPU tensor after checking they are one integer per image.

    Args:
        labels: Class indices, one per image.
        count: The number of images.

    """
    array = np.asarray(labels.detach().cpu() if isinstance(labels, torch.Tensor) else labels)
    if array.ndim != 1:
        raise InputError(f"labels must be one-dimensional, got shape {array.shape}", field="labels")
    if len(array) and not np.issubdtype(array.dtype, np.integer):
        raise InputError(f"labels must be integer class indices, got dtype {array.dtype}", field="labels")
    if len(array) != count:
        raise InputError(f"{len(array)} labels for {count} images; pass one label per image", field="labels")
    if len(array) and array.min() < 0:
        raise InputError(f"labels must be non-negative, got {preview(array[array < 0].tolist())}", field="labels")
    return torch.tensor(array, dtype=torch.int64)


def _check_uint8_images(images: torch.Tensor, name: str) -> None:
    if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8:
        received = images.dtype if isinstance(images, torch.Tensor) else type(images).__name__
        raise InputError(f"expected a uint8 tensor (e.g. from load_images), got {received}", field=name)
    if images.ndim != 4 or images.shape[1] != 3:
        raise InputError(f"expected shape N x 3 x H x W, got {tuple(images.shape)}", field=name)
