from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fovkit.cache import cached_array, cached_frame


@pytest.fixture
def cache_root(tmp_path, monkeypatch):
    monkeypatch.setenv("FOVKIT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_cached_frame_builds_once_and_keeps_types(tmp_path, cache_root):
    source = tmp_path / "source.txt"
    source.write_text("v1")
    frame = pd.DataFrame({"sample_id": ["a", "b"], "label": [3, 4], "score": [0.5, 0.25]})
    builds = []

    def build():
        builds.append(1)
        return frame

    first = cached_frame("table", [source], build)
    again = cached_frame("table", [source], build)
    assert len(builds) == 1
    pd.testing.assert_frame_equal(again, first)
    assert len(list(cache_root.iterdir())) == 2  # the entry and its checksum; no staging file left behind


def test_cached_frame_rebuilds_when_a_source_changes(tmp_path, cache_root):
    source = tmp_path / "source.txt"
    source.write_text("v1")
    cached_frame("table", [source], lambda: pd.DataFrame({"x": [1]}))
    source.write_text("version 2")
    os.utime(source, ns=(1, 1))
    assert cached_frame("table", [source], lambda: pd.DataFrame({"x": [2]}))["x"].tolist() == [2]


def test_a_corrupted_or_unrecorded_entry_is_rebuilt_not_used(tmp_path, cache_root):
    source = tmp_path / "source.txt"
    source.write_text("v1")
    cached_array("codes", [source], lambda: np.arange(1000))
    (entry,) = cache_root.glob("*.npy")
    data = bytearray(entry.read_bytes())
    data[-8:] = b"\xff" * 8  # same size, other values
    entry.write_bytes(bytes(data))
    assert cached_array("codes", [source], lambda: np.arange(1000) * 2)[-1] == 1998
    assert cached_array("codes", [source], lambda: np.zeros(1))[-1] == 1998  # the rebuilt entry is verified
    Path(f"{entry}.sha256").unlink()
    assert cached_array("codes", [source], lambda: np.ones(3)).tolist() == [1, 1, 1]


def test_the_suite_never_uses_the_users_cache():
    from fovkit.cache import cache_dir

    assert Path.home() / ".cache" not in cache_dir().parents
    assert cache_dir().name.startswith("fovkit-test-cache-")
