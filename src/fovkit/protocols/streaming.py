"""Images of selected rows streamed from a stored dataset's shards, for selections too large to decode into memory.

A selection's rows are cut, shard by shard, into pieces of at most `piece_size` rows. An epoch's plan is a function
of (seed, epoch) alone: the pieces in a shuffled order, dealt into shuffle buffers of at most `buffer_size` rows (so
one buffer mixes pieces of several shards: rendered shards hold one class or two), each buffer's rows in a shuffled
order. Evaluation's plan is the stored order. A torch DataLoader decodes the buffers (`workers` processes, or the
calling one): worker w decodes buffers w, w + workers, ..., reading each of their shards once through the dataset's
verified reads and decoding only the selected rows, and the DataLoader hands buffers back in round-robin order, which
is the plan's order. The batches are therefore the same for any number of workers. At most `buffer_size` decoded
images per worker (twice that while prefetching) and one buffer in the caller are held at a time.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Protocol

import numpy as np
import pandas as pd
import torch

from fovkit.errors import InputError
from fovkit.seeding import rng
from fovkit.store.manifest import Manifest

PIECE_SIZE = 512
"""Rows of one shard that travel together; a shard is read once per piece (reads are cheap next to decoding)."""
BUFFER_SIZE = 4096
"""Decoded images per shuffle buffer: eight pieces, usually from eight shards."""
STREAM_WORKERS = max(0, min(8, (os.cpu_count() or 1) - 1))
"""Decoding processes of a stream by default: the spare cores, at most 8 (0 decodes in the calling process)."""


class StoredImages(Protocol):
    """A stored dataset whose images a stream reads: a `RenderedDataset` or a `fovkit.store.ShardedDataset`."""

    manifest: Manifest

    def images(self, rows: pd.DataFrame) -> Iterator[np.ndarray]:
        """Decoded images (H x W x 3 uint8) of rows located by `shard` and `row`, in their order."""


class StreamedImages:
    """The images of selected rows of a stored dataset, decoded buffer by buffer as they are used.

    Position i of the stream is row i of `rows`: batches come with the positions of their images, so labels and
    predictions are indexed as with in-memory images.

    Args:
        dataset: The stored dataset the rows come from.
        rows: Sample rows with the `shard` and `row` columns (from `samples` or `select`).
        workers: DataLoader processes that decode; 0 decodes in the calling process. The batches do not depend on it.
        piece_size: Rows of one shard that stay together in the shuffled order.
        buffer_size: Rows per shuffle buffer (at least `piece_size`).

    """

    def __init__(
        self,
        dataset: StoredImages,
        rows: pd.DataFrame,
        workers: int = STREAM_WORKERS,
        piece_size: int = PIECE_SIZE,
        buffer_size: int = BUFFER_SIZE,
    ) -> None:
        missing = [name for name in ("shard", "row") if name not in rows.columns]
        if missing:
            raise InputError(
                f"rows lack the columns {missing}; pass rows from RenderedDataset.samples or .select", field="rows"
            )
        for name, value, low in (("workers", workers, 0), ("piece_size", piece_size, 1)):
            if value < low:
                raise InputError(f"{name} must be at least {low}, got {value}", field=name)
        if buffer_size < piece_size:
            raise InputError(
                f"buffer_size ({buffer_size}) must be at least piece_size ({piece_size})", field="buffer_size"
            )
        self.dataset = dataset
        self.workers, self.piece_size, self.buffer_size = workers, piece_size, buffer_size
        codes, names = pd.factorize(rows["shard"], sort=True)
        self.shard_names = np.asarray(names, dtype=object)
        self.shards = codes.astype(np.int32)
        self.rows = rows["row"].to_numpy(dtype=np.int64)
        self.pieces = stored_pieces(self.shards, self.rows, piece_size)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """The shape of one image as the batches hold it: (3, H, W)."""
        height, width, channels = self.dataset.manifest.image.shape
        return channels, height, width

    def decoded_bytes(self) -> int:
        """Bytes the whole selection would take decoded (uint8), which the stream never holds at once."""
        return len(self) * int(np.prod(self.image_shape))

    def fingerprint(self) -> dict[str, object]:
        """What the shuffled order depends on besides (seed, epoch): recorded in finetuning checkpoints."""
        return {"images": "streamed", "piece_size": self.piece_size, "buffer_size": self.buffer_size}

    def decode(self, positions: np.ndarray) -> torch.Tensor:
        """uint8 images (N x 3 x H x W) at `positions`, in that order; each shard is read once, only these rows."""
        positions = np.asarray(positions, dtype=np.int64)
        stored = np.lexsort((self.rows[positions], self.shards[positions]))
        located = pd.DataFrame(
            {"shard": self.shard_names[self.shards[positions[stored]]], "row": self.rows[positions[stored]]}
        )
        images = np.empty((len(positions), *self.image_shape), dtype=np.uint8)
        expected = self.dataset.manifest.image.shape
        for index, image in enumerate(self.dataset.images(located)):
            if image.shape != expected:
                shard, row = located.iloc[index]
                raise InputError(f"image at shard {shard} row {row} has shape {image.shape}, expected {expected}")
            images[stored[index]] = image.transpose(2, 0, 1)
        return torch.from_numpy(images)

    def plan(self, seed: int | None = None, epoch: int = 0) -> list[np.ndarray]:
        """Positions per buffer, in visiting order: stored order when `seed` is None, else shuffled (seed, epoch)."""
        if seed is None:
            return pack_buffers(self.pieces, self.buffer_size)
        generator = rng(seed, "stream", "epoch", epoch)
        pieces = [self.pieces[index] for index in generator.permutation(len(self.pieces))]
        return [buffer[generator.permutation(len(buffer))] for buffer in pack_buffers(pieces, self.buffer_size)]

    def batches(
        self, batch_size: int, seed: int | None = None, epoch: int = 0, skip: int = 0, pin_memory: bool = False
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """(positions, uint8 images) of consecutive batches of `plan(seed, epoch)`, after its first `skip` rows.

        Every batch but the last holds `batch_size` images. Skipping reads nothing before the first kept row, so a
        resumed epoch starts where the interrupted one stopped, with the same batches.
        """
        if batch_size < 1:
            raise InputError(f"batch_size must be at least 1, got {batch_size}", field="batch_size")
        buffers = skip_rows(self.plan(seed, epoch), skip)
        loader = torch.utils.data.DataLoader(
            _Buffers(self, buffers),
            batch_size=None,
            num_workers=min(self.workers, len(buffers)),
            pin_memory=pin_memory,
        )
        return rebatch(_raising(loader), batch_size)


def stored_pieces(shards: np.ndarray, rows: np.ndarray, piece_size: int) -> list[np.ndarray]:
    """Positions sorted by (shard, row), cut at every shard change and every `piece_size` rows within a shard."""
    order = np.lexsort((rows, shards))
    if not len(order):
        return []
    sorted_shards = shards[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_shards)) + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    cuts = np.flatnonzero((rank % piece_size == 0)[1:]) + 1
    return np.split(order, cuts)


def pack_buffers(pieces: list[np.ndarray], buffer_size: int) -> list[np.ndarray]:
    """Consecutive pieces joined into buffers of at most `buffer_size` rows (a new buffer when the next won't fit)."""
    buffers: list[np.ndarray] = []
    current: list[np.ndarray] = []
    filled = 0
    for piece in pieces:
        if current and filled + len(piece) > buffer_size:
            buffers.append(np.concatenate(current))
            current, filled = [], 0
        current.append(piece)
        filled += len(piece)
    if current:
        buffers.append(np.concatenate(current))
    return buffers


def skip_rows(buffers: list[np.ndarray], skip: int) -> list[np.ndarray]:
    """The buffers without their first `skip` rows in all (whole buffers dropped, the next one cut)."""
    if skip < 0:
        raise InputError(f"skip must be non-negative, got {skip}", field="skip")
    kept = []
    for buffer in buffers:
        if skip >= len(buffer):
            skip -= len(buffer)
            continue
        kept.append(buffer[skip:])
        skip = 0
    return kept


def rebatch(
    buffers: Iterable[tuple[torch.Tensor, torch.Tensor]], batch_size: int
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Batches of exactly `batch_size` (the last one shorter) cut from a sequence of (positions, images) buffers."""
    positions = torch.empty(0, dtype=torch.int64)
    images: torch.Tensor | None = None
    for buffer_positions, buffer_images in buffers:
        if images is not None and len(positions):
            positions = torch.cat([positions, buffer_positions])
            images = torch.cat([images, buffer_images])
        else:
            positions, images = buffer_positions, buffer_images
        full = len(positions) - len(positions) % batch_size
        for start in range(0, full, batch_size):
            yield positions[start : start + batch_size], images[start : start + batch_size]
        positions, images = positions[full:], images[full:]
    if images is not None and len(positions):
        yield positions, images


def _raising(
    items: Iterable[tuple[torch.Tensor, torch.Tensor] | InputError],
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The buffers, raising an InputError a worker sent as an item (so it arrives whole, with path and field)."""
    for item in items:
        if isinstance(item, InputError):
            raise item
        yield item


class _Buffers(torch.utils.data.IterableDataset):
    """Decoded buffers of a plan, as (positions, uint8 images); DataLoader worker w decodes buffers w, w + k, ...

    A damaged shard's InputError is sent as an item: DataLoader would otherwise re-raise it as its message only.
    """

    def __init__(self, source: StreamedImages, buffers: list[np.ndarray]) -> None:
        self.source, self.buffers = source, buffers

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor] | InputError]:
        info = torch.utils.data.get_worker_info()
        worker, workers = (0, 1) if info is None else (info.id, info.num_workers)
        for buffer in self.buffers[worker::workers]:
            try:
                images = self.source.decode(buffer)
            except InputError as error:
                yield error
                return
            yield torch.from_numpy(buffer), images
