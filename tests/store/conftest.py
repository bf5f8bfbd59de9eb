"""Fixtures of the store tests: a small dataset written through the writer, and a byte flipper."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from store_samples import write_dataset

from fovkit.store import ShardedDataset


@pytest.fixture
def stored(tmp_path: Path) -> ShardedDataset:
    """The three-shard, twelve-image test dataset in a fresh folder."""
    return write_dataset(tmp_path / "data")


@pytest.fixture
def flip_bytes() -> Callable[[Path], None]:
    """Flip bytes in the middle of a file, as a bad disk would (the size stays the same)."""

    def flip(path: Path, count: int = 8) -> None:
        data = bytearray(path.read_bytes())
        middle = len(data) // 2
        data[middle : middle + count] = bytes(byte ^ 0xFF for byte in data[middle : middle + count])
        path.write_bytes(bytes(data))

    return flip
