"""Fixtures of the store tests: a small dataset written through the writer (flip_bytes is in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_samples import write_dataset

from fovkit.store import ShardedDataset


@pytest.fixture
def stored(tmp_path: Path) -> ShardedDataset:
    """The three-shard, twelve-image test dataset in a fresh folder."""
    return write_dataset(tmp_path / "data")
