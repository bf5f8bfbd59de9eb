"""Backbone features of a rendered dataset, extracted once and cached on disk per shard.

The cache key combines the backbone's identity (id, weights digest, preprocessing) with the dataset's manifest
checksum, so a changed model, weight file, preprocessing or dataset never reuses stale features. Each shard's
features are written under a temporary name and renamed, so an interrupted extraction resumes where it stopped, and
each file's SHA-256 is kept beside it and verified on every read: a damaged file is computed again, never used.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from fovkit.cache import cache_dir, load_verified, npy_bytes, store_verified
from fovkit.models.base import Backbone
from fovkit.progress import progress_bar
from fovkit.render.store import RenderedDataset


@dataclass(frozen=True)
class FeatureSet:
    """Features of every sample of a dataset, rows in `RenderedDataset.samples` order."""

    sample_ids: pd.Index
    features: np.ndarray
    folder: Path

    def rows(self, sample_ids: pd.Index | pd.Series) -> np.ndarray:
        """Features of the given samples, in their order."""
        return self.features[self.sample_ids.get_indexer(pd.Index(sample_ids))]


def dataset_digest(dataset: RenderedDataset) -> str:
    """SHA-256 over the manifest's shard checksums: identifies the dataset's exact content."""
    digest = hashlib.sha256()
    for shard in dataset.manifest["shards"]:
        digest.update(f"{shard['name']}:{shard['sha256']};".encode())
    return digest.hexdigest()


def feature_cache_folder(backbone: Backbone, dataset: RenderedDataset, root: Path | None = None) -> Path:
    """Where the features of `backbone` on `dataset` live: `<cache>/features/<key>`."""
    key = hashlib.sha256(f"{backbone.card.cache_key()}|{dataset_digest(dataset)}".encode()).hexdigest()[:20]
    return (root or cache_dir() / "features") / key


def extract_features(
    backbone: Backbone,
    dataset: RenderedDataset,
    batch_size: int = 256,
    root: Path | None = None,
    device: str = "cpu",
    progress: bool = True,
) -> FeatureSet:
    """Features of every sample of `dataset` (computed for the shards not yet in the cache)."""
    folder = feature_cache_folder(backbone, dataset, root)
    folder.mkdir(parents=True, exist_ok=True)
    _describe(folder, backbone, dataset)
    samples = dataset.samples
    shards = [shard["name"] for shard in dataset.manifest["shards"]]
    stored = {name: _load(folder / _file(name)) for name in shards}
    missing = [name for name in shards if stored[name] is None]
    todo = int(samples["shard"].isin(missing).sum())
    backbone = backbone.to(device).eval()
    with progress_bar(progress and todo > 0, transient=True) as bar:
        task = bar.add_task(f"features {backbone.card.id}", total=todo)
        for name in missing:
            rows = samples[samples["shard"] == name]
            images = np.stack(list(dataset.images(rows)))
            stored[name] = _embed(backbone, images, batch_size, device, lambda count: bar.advance(task, count))
            store_verified(folder / _file(name), npy_bytes(stored[name]))
    features = np.concatenate([stored[name] for name in shards])
    return FeatureSet(pd.Index(samples["sample_id"]), features, folder)


def _embed(
    backbone: Backbone, images: np.ndarray, batch_size: int, device: str, advance: Callable[[int], object]
) -> np.ndarray:
    parts = []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            batch = torch.from_numpy(images[start : start + batch_size]).to(device).permute(0, 3, 1, 2)
            parts.append(backbone(batch.float().div_(255)).float().cpu().numpy())
            advance(len(batch))
    return np.concatenate(parts).astype(np.float32, copy=False)


def _load(path: Path) -> np.ndarray | None:
    """A shard's cached features if the file matches its recorded checksum, else None (to be computed again)."""
    data = load_verified(path)
    return None if data is None else np.load(io.BytesIO(data), allow_pickle=False)


def _file(shard: str) -> str:
    return f"{Path(shard).stem}.npy"


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
