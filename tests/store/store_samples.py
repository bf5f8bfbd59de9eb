"""The store tests' dataset: three shards of four 16 x 16 images written through the writer, no renderer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from fovkit.store import ImageSpec, ShardedDataset, ShardLayout, codec, image_table, write_manifest, write_shards
from fovkit.tables import FactorSpec

ROWS = 4
"""Rows per shard."""
PARTITIONS = ("fog", "fog", "snow")
"""The partition (here a corruption name) of each of the three shards."""
FACTORS = (
    FactorSpec("severity", "scalar", 0.0),
    FactorSpec("flipped", "binary", False),
    FactorSpec("colour", "categorical", "red"),
)
LAYOUT = ShardLayout(partition="corruption", fix="delete that shard file and write the dataset again")
IMAGE = ImageSpec("png", 16, 16)


@dataclass(frozen=True)
class Task:
    """Shard `number` of the test dataset."""

    number: int

    @property
    def name(self) -> str:
        return f"{self.partition}-{self.number:05d}.parquet"

    @property
    def partition(self) -> str:
        return PARTITIONS[self.number]

    @property
    def size(self) -> int:
        return ROWS


def pixel(index: int) -> np.ndarray:
    """The image of sample `index`: one flat grey level, so a decoded image tells which sample it is."""
    return np.full((16, 16, 3), 10 * index, dtype=np.uint8)


def build(task: Task) -> pa.Table:
    """A shard's table: ids, labels, a split, the three factors and the PNG images."""
    indices = np.arange(task.number * ROWS, (task.number + 1) * ROWS)
    frame = pd.DataFrame(
        {
            "sample_id": [f"s{index:04d}" for index in indices],
            "corruption": task.partition,
            "label": indices % 2,
            "class_name": np.where(indices % 2 == 0, "cat", "dog"),
            "split": np.where(indices < 6, "train", "test"),
            "severity": (indices % 3).astype(float),
            "flipped": indices % 4 == 0,
            "colour": np.where(indices % 5 == 0, "red", "blue"),
        }
    )
    images = [codec.encode(pixel(index), "png") for index in indices]
    return image_table(frame, images, [f"{sample}.png" for sample in frame["sample_id"]])


def write_dataset(folder: Path, builder: Callable[[Task], pa.Table] = build) -> ShardedDataset:
    """Write the three shards and the manifest into `folder` (created) and open the dataset."""
    folder.mkdir(parents=True, exist_ok=True)
    records = write_shards(builder, [Task(number) for number in range(3)], folder, LAYOUT, workers=1, progress=False)
    write_manifest(folder, "corruption", LAYOUT.partition, FACTORS, IMAGE, records)
    return ShardedDataset.open(folder, kind="corruption")
