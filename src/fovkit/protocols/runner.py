"""Train one backbone under one protocol on a selection of rendered samples and predict another selection.

Every experiment of the robustness-limits paper is a loop over (training selection -> predictions on held-out
samples); `ProtocolRunner` is that step. Features (linear probe) are extracted once per backbone and dataset, shard
by shard on the engine (`settings.workers` processes, or Ray), cached on disk and memory-mapped; evaluation images
are decoded once per runner.
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path

import pandas as pd
import torch

from fovkit.engine import Engine
from fovkit.models.base import Backbone
from fovkit.protocols.config import ProtocolSettings
from fovkit.protocols.data import load_images
from fovkit.protocols.features import FeatureSet, extract_features
from fovkit.protocols.registry import Outcome, get_protocol
from fovkit.render.store import RenderedDataset

__all__ = ["Outcome", "ProtocolRunner"]


class ProtocolRunner:
    """Runs the protocols of one backbone on one dataset.

    Args:
        backbone: The model under evaluation (never modified: finetuning trains a copy).
        dataset: The rendered dataset the selections come from.
        settings: Protocol settings.
        work: Folder for finetuning checkpoints (a run resumes from its checkpoint); None keeps none.
        feature_root: Feature cache root (default: fovkit's cache).
        progress: Show progress bars.
        engine: Where features are extracted: `"local"` (forked processes) or `"ray"` (Ray tasks).
        address: Ray cluster to use with `engine="ray"` (default: a local instance).
        sample_ids: The only samples whose features are extracted (the rows the runs will train and evaluate on);
            None: every sample of the dataset.

    """

    def __init__(
        self,
        backbone: Backbone,
        dataset: RenderedDataset,
        settings: ProtocolSettings,
        work: Path | None = None,
        feature_root: Path | None = None,
        progress: bool = True,
        engine: Engine = "local",
        address: str | None = None,
        sample_ids: pd.Index | None = None,
    ) -> None:
        self.backbone, self.dataset, self.settings = backbone, dataset, settings
        self.work, self.feature_root, self.progress = work, feature_root, progress
        self.engine, self.address, self.sample_ids = engine, address, sample_ids
        self._images: dict[str, torch.Tensor] = {}

    @cached_property
    def features(self) -> FeatureSet:
        """Backbone features of every sample, or of `sample_ids` (cached on disk, memory-mapped)."""
        return extract_features(
            self.backbone,
            self.dataset,
            batch_size=self.settings.batch_size,
            root=self.feature_root,
            device=self.settings.device,
            progress=self.progress,
            workers=self.settings.workers,
            engine=self.engine,
            address=self.address,
            sample_ids=self.sample_ids,
        )

    def run(self, protocol: str, train: pd.DataFrame, evaluate: pd.DataFrame, seed: int, tag: str) -> Outcome:
        """Train on the `train` rows under the registered `protocol` (seeded) and predict the `evaluate` rows.

        `tag` names the run's checkpoint folder under `work` (finetuning), so an interrupted run resumes.
        """
        return get_protocol(protocol).run(self, train, evaluate, seed, tag)

    def eval_images(self, evaluate: pd.DataFrame) -> torch.Tensor:
        """Decoded images of the evaluation rows, kept for later runs on the same rows."""
        key = hashlib.sha256("\n".join(evaluate["sample_id"]).encode()).hexdigest()
        if key not in self._images:
            self._images[key] = load_images(self.dataset, evaluate, progress=self.progress)
        return self._images[key]
