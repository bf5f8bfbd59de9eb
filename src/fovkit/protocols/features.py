"""Backbone features of a rendered dataset: extracted shard by shard on the engine, cached on disk, memory-mapped.

The cache key combines the backbone's identity (id, weights digest, preprocessing) with the dataset's manifest
checksum, so a changed model, weight file, preprocessing or dataset never reuses stale features. Under that key:

- `shards/<shard>.npy` (+ `.sha256`): one shard's features, computed by one engine task (a forked local worker, a
  Ray task, or this process with one worker) that streams the shard's images batch by batch, and written under a
  temporary name and renamed, so an interrupted extraction resumes where it stopped. Each file is verified against
  its SHA-256 whenever it is read: a damaged file is computed again, never used.
- `features.npy` (+ `.sha256`): every sample's features in `RenderedDataset.samples` order, one float32 array
  assembled from the verified shard files by plain appends (never all in memory). Its SHA-256 is computed over the
  bytes as they are written; every later call hashes the file again, streamed, before memory-mapping it (about
  2 s per GB), and a mismatch rebuilds it from the shard files. The FeatureSet reads rows from the map, so memory
  holds the rows a caller asks for, not the dataset.

Peak memory is bounded by a shard's features and a batch of images per worker, whatever the dataset's size.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from fovkit._memory import return_large_blocks
from fovkit.cache import cache_dir, load_verified, npy_bytes, store_verified
from fovkit.engine import Engine, map_ordered
from fovkit.errors import InputError
from fovkit.models.base import Backbone
from fovkit.render.store import RenderedDataset
from fovkit.runs import atomic_file, file_checksum

FEATURES = "features.npy"
"""The assembled, memory-mapped features of every sample."""

_INHERITED: dict[str, _Extraction] = {}
"""Extractions under way, by cache folder: forked local workers inherit them instead of unpickling the backbone."""


@dataclass(frozen=True)
class FeatureSet:
    """Features of every sample of a dataset, rows in `RenderedDataset.samples` order.

    `features` is a read-only memory map of `folder/features.npy` (float32, samples x feature_dim): rows are read from
    disk when indexed.
    """

    sample_ids: pd.Index
    features: np.ndarray
    folder: Path

    def rows(self, sample_ids: pd.Index | pd.Series) -> np.ndarray:
        """Features of the given samples, in their order (an in-memory float32 copy of those rows only)."""
        positions = self.sample_ids.get_indexer(pd.Index(sample_ids))  # the index hashes its ids once
        if (positions < 0).any():
            unknown = pd.Index(sample_ids)[positions < 0]
            raise InputError(f"{len(unknown)} sample ids have no features, e.g. {unknown[0]!r}", field="sample_ids")
        return self.features[positions]


@dataclass(frozen=True)
class _Extraction:
    """What one shard's task needs: the backbone and where the dataset and the cache are (small but the model)."""

    backbone: Backbone
    dataset: Path
    folder: Path
    batch_size: int
    device: str
    parent: int
    selected: dict[str, list] | None = None
    """Per shard, the sample ids to compute (None: every row)."""


def dataset_digest(dataset: RenderedDataset) -> str:
    """SHA-256 over the manifest's shard checksums: identifies the dataset's exact content."""
    digest = hashlib.sha256()
    for shard in dataset.manifest["shards"]:
        digest.update(f"{shard['name']}:{shard['sha256']};".encode())
    return digest.hexdigest()


def feature_cache_folder(
    backbone: Backbone, dataset: RenderedDataset, root: Path | None = None, sample_ids: pd.Index | None = None
) -> Path:
    """Where the features of `backbone` on `dataset` (or on the samples `sample_ids` of it) live."""
    identity = f"{backbone.card.cache_key()}|{dataset_digest(dataset)}"
    if sample_ids is not None:
        identity += "|" + hashlib.sha256("\n".join(sorted(map(str, sample_ids))).encode()).hexdigest()
    key = hashlib.sha256(identity.encode()).hexdigest()[:20]
    return (root or cache_dir() / "features") / key


def extract_features(
    backbone: Backbone,
    dataset: RenderedDataset,
    batch_size: int = 256,
    root: Path | None = None,
    device: str = "cpu",
    progress: bool = True,
    workers: int | None = 1,
    engine: Engine = "local",
    address: str | None = None,
    sample_ids: pd.Index | pd.Series | None = None,
) -> FeatureSet:
    """Features of every sample of `dataset` (or of `sample_ids`): missing shards are computed, then memory-mapped.

    Args:
        backbone: The model (put in eval mode; moved to `device`).
        dataset: The rendered dataset.
        batch_size: Images per forward pass.
        root: Feature cache root (default: `<fovkit cache>/features`).
        device: Torch device. A device other than the CPU computes in this process (a GPU context cannot be forked).
        progress: Show a progress bar over the images to compute.
        workers: Shards computed at once, each task with one torch thread (None: one per core); 1 computes them here
            with this process's threads.
        engine: `"local"` (forked processes, which inherit the backbone) or `"ray"` (Ray tasks, which receive it;
            the dataset and cache folders must be paths every node sees).
        address: Ray cluster to connect to (see `fovkit.engine.map_ordered`).
        sample_ids: Only these samples (e.g. the rows a probe trains and evaluates on, when a slow backbone makes
            every row too costly); the FeatureSet then holds them in stored order. None: every sample.

    """
    samples = dataset.samples
    selected = None
    if sample_ids is not None:
        wanted = pd.Index(sample_ids).unique()
        chosen = samples[samples["sample_id"].isin(wanted)]
        if len(chosen) != len(wanted):
            raise InputError(f"{len(wanted) - len(chosen)} sample ids are not in the dataset", field="sample_ids")
        samples = chosen
        selected = {str(shard): group["sample_id"].tolist() for shard, group in chosen.groupby("shard", observed=True)}
    folder = feature_cache_folder(backbone, dataset, root, None if selected is None else samples["sample_id"])
    folder.mkdir(parents=True, exist_ok=True)
    _describe(folder, backbone, dataset)
    records = {record.name: record.rows for record in dataset.store.manifest.shards}
    if selected is not None:
        records = {name: len(selected[name]) for name in records if name in selected}
    shape = (sum(records.values()), backbone.card.feature_dim)
    features = _open_verified(folder / FEATURES, shape)
    if features is None:
        missing = [name for name in records if load_verified(folder / _file(name)) is None]
        if missing:
            backbone = backbone.to(device).eval()
            extraction = _Extraction(backbone, dataset.folder, folder, batch_size, device, os.getpid(), selected)
            if device != "cpu":
                workers, engine = 1, "local"
            _compute(extraction, missing, records, workers, engine, address, progress)
        _assemble(folder, list(records), shape)
        features = _open_verified(folder / FEATURES, shape)
        if features is None:
            raise InputError("the features just assembled do not match their checksum; check the disk", path=folder)
    return FeatureSet(pd.Index(samples["sample_id"]), features, folder)


def _compute(
    extraction: _Extraction,
    shards: list[str],
    rows: dict[str, int],
    workers: int | None,
    engine: Engine,
    address: str | None,
    progress: bool,
) -> None:
    """Run one task per shard; forked workers find the extraction in `_INHERITED`, Ray tasks receive it."""
    key = str(extraction.folder)
    function = partial(_extract_inherited, key=key) if engine == "local" else partial(_extract_shard, extraction)
    _INHERITED[key] = extraction
    try:
        done = map_ordered(
            function,
            shards,
            workers,
            f"features {extraction.backbone.card.id}",
            weight=rows.__getitem__,
            progress=progress,
            engine=engine,
            address=address,
        )
        for _ in done:
            pass
    finally:
        _INHERITED.pop(key, None)


def _extract_inherited(shard: str, key: str) -> int:
    """The task of a local worker: `_extract_shard` with the extraction its parent registered before forking."""
    return _extract_shard(_INHERITED[key], shard)


def _extract_shard(extraction: _Extraction, shard: str) -> int:
    """Compute one shard's features from its streamed images and store them (verified); returns the rows written."""
    return_large_blocks()
    if os.getpid() != extraction.parent:
        torch.set_num_threads(1)
    dataset = RenderedDataset.open(extraction.dataset)
    rows = None if extraction.selected is None else {"sample_id": extraction.selected[shard]}
    batches = dataset.store.iter_batches(columns=[], filter=rows, batch_size=extraction.batch_size, shards=[shard])
    parts = [_embed(extraction.backbone, batch.images, extraction.device) for batch in batches]
    features = np.concatenate(parts) if parts else np.empty((0, extraction.backbone.card.feature_dim), np.float32)
    if not store_verified(extraction.folder / _file(shard), npy_bytes(features)):
        raise InputError("cannot write the feature cache; free space or set FOVKIT_CACHE", path=extraction.folder)
    return len(features)


def _embed(backbone: Backbone, images: np.ndarray, device: str) -> np.ndarray:
    """Features (float32) of one batch of H x W x 3 uint8 images."""
    with torch.inference_mode():
        batch = torch.from_numpy(images).to(device).permute(0, 3, 1, 2)
        return backbone(batch.float().div_(255)).float().cpu().numpy()


def _assemble(folder: Path, shards: list[str], shape: tuple[int, int]) -> None:
    """Write `features.npy` from the verified shard files, one at a time, and the SHA-256 of the bytes written."""
    path = folder / FEATURES
    digest = hashlib.sha256()
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)), "fortran_order": False, "shape": shape}
    )
    with atomic_file(path) as staging:
        with staging.open("wb") as handle:
            for block in (header.getvalue(), *(_shard_bytes(folder, name, shape[1]) for name in shards)):
                digest.update(block)
                handle.write(block)
        if staging.stat().st_size != len(header.getvalue()) + 4 * shape[0] * shape[1]:
            raise InputError("the cached shard features do not add up to the dataset's rows", path=folder)
    with atomic_file(_digest_path(path)) as staging:
        staging.write_text(digest.hexdigest() + "\n")


def _shard_bytes(folder: Path, shard: str, width: int) -> bytes:
    """One shard's features as raw little-endian float32 bytes, read from its verified cache file."""
    data = load_verified(folder / _file(shard))
    if data is None:
        raise InputError(f"the cached features of {shard} changed while being assembled; run again", path=folder)
    features = np.load(io.BytesIO(data), allow_pickle=False)
    if features.ndim != 2 or features.shape[1] != width:
        raise InputError(f"the cached features of {shard} have shape {features.shape}; delete them", path=folder)
    return np.ascontiguousarray(features, dtype="<f4").tobytes()


def _open_verified(path: Path, shape: tuple[int, int]) -> np.ndarray | None:
    """A read-only memory map of `path` if it hashes to its recorded SHA-256 and has `shape`; else None."""
    try:
        recorded = _digest_path(path).read_text().strip()
        if file_checksum(path) != recorded:
            return None
        features = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return None
    return features if features.shape == shape and features.dtype == np.float32 else None


def _digest_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _file(shard: str) -> str:
    return f"shards/{Path(shard).stem}.npy"


def _describe(folder: Path, backbone: Backbone, dataset: RenderedDataset) -> None:
    """Write `key.json` (what the cached features are of) once, for people browsing the cache."""
    path = folder / "key.json"
    if not path.exists():
        record = {
            "backbone": backbone.card.to_dict(),
            "dataset": str(dataset.folder),
            "digest": dataset_digest(dataset),
        }
        path.write_text(json.dumps(record, indent=2) + "\n")
