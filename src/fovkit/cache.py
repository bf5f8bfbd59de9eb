"""On-disk cache of tables derived from slow-to-parse sources (ImageNet-X JSON lines, statistics of annotations).

Tables are stored as uncompressed Arrow IPC files (about 8x faster to read than Parquet for the annotation table,
which every analysis loads first). Entries are keyed by the source file's size and modification time, written under
a temporary name and renamed, so a changed source or an interrupted write never yields a stale or partial entry.
Every entry has its SHA-256 beside it (`<entry>.sha256`) and is verified on every read: an entry that does not match
(corrupted on disk, edited, half-copied) is rebuilt, never used. Location: `$FOVKIT_CACHE`, else
`$XDG_CACHE_HOME/fovkit`, else `~/.cache/fovkit`. A cache that cannot be written is simply not used.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

from fovkit.runs import atomic_file


def cache_dir() -> Path:
    """Root folder of fovkit's cache."""
    if os.environ.get("FOVKIT_CACHE"):
        return Path(os.environ["FOVKIT_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fovkit"


def cached_frame(name: str, sources: list[Path], build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """`build()`, or its cached copy (Arrow IPC) if the `sources` are unchanged since it was stored."""
    path = _entry(name, sources, ".arrow")
    data = load_verified(path)
    if data is not None:
        return feather.read_table(pa.BufferReader(data)).to_pandas()
    frame = build()
    sink = pa.BufferOutputStream()
    feather.write_feather(pa.Table.from_pandas(frame, preserve_index=False), sink, compression="uncompressed")
    store_verified(path, sink.getvalue().to_pybytes())
    return frame


def cached_array(name: str, sources: list[Path], build: Callable[[], np.ndarray]) -> np.ndarray:
    """`build()`, or its cached copy (NPY) if the `sources` are unchanged since it was stored."""
    return _cached_npy(_entry(name, sources, ".npy"), build)


def cached_array_by_key(name: str, key: str, build: Callable[[], np.ndarray]) -> np.ndarray:
    """`build()`, or its cached copy (NPY) stored under `key`, e.g. a digest of the inputs it is computed from."""
    return _cached_npy(cache_dir() / f"{name}-{key}.npy", build)


def store_verified(path: Path, data: bytes) -> bool:
    """Write `data` to `path` and its SHA-256 to `<path>.sha256`, each atomically; False if it cannot be written."""
    try:
        with atomic_file(path) as staging:
            staging.write_bytes(data)
        with atomic_file(_digest_path(path)) as staging:
            staging.write_text(hashlib.sha256(data).hexdigest() + "\n")
    except OSError:
        return False
    return True


def load_verified(path: Path) -> bytes | None:
    """The bytes of a cache entry if they match its recorded SHA-256; None if missing, unrecorded or mismatched."""
    try:
        data = Path(path).read_bytes()
        recorded = _digest_path(path).read_text().strip()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == recorded else None


def npy_bytes(array: np.ndarray) -> bytes:
    """`array` serialised as an NPY file (no pickled objects)."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _cached_npy(path: Path, build: Callable[[], np.ndarray]) -> np.ndarray:
    data = load_verified(path)
    if data is not None:
        return np.load(io.BytesIO(data), allow_pickle=False)
    array = build()
    store_verified(path, npy_bytes(array))
    return array


def _entry(name: str, sources: list[Path], suffix: str) -> Path:
    stamps = "-".join(f"{stat.st_size}.{stat.st_mtime_ns}" for stat in (Path(source).stat() for source in sources))
    return cache_dir() / f"{name}-{stamps}{suffix}"


def _digest_path(path: Path) -> Path:
    return Path(path).with_name(Path(path).name + ".sha256")
