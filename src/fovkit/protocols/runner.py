"""Train one backbone under one protocol on a selection of rendered samples and predict another selection.

Every experiment of the robustness-limits paper is a loop over (training selection -> predictions on held-out
samples); `ProtocolRunner` is that step. Features (linear probe) are extracted once per backbone and dataset and
cached on disk; evaluation images are decoded once per runner.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from fovkit.models.base import Backbone, Classifier
from fovkit.protocols.config import Protocol, ProtocolSettings
from fovkit.protocols.data import load_images
from fovkit.protocols.devices import device_name, resolve_device
from fovkit.protocols.features import FeatureSet, extract_features
from fovkit.protocols.finetune import finetune, predict_logits
from fovkit.protocols.linear_probe import LinearProbe
from fovkit.protocols.zero_shot import ZeroShotClassifier
from fovkit.render.store import RenderedDataset
from fovkit.seeding import derive_seed


@dataclass(frozen=True)
class Outcome:
    """Result of one training run: accuracy on its own training rows and the predicted class of each evaluated row.

    `details` records how the run was made, always including the resolved `device` and `precision` of the fit.
    """

    train_accuracy: float
    predicted: np.ndarray
    details: dict = field(default_factory=dict)


class ProtocolRunner:
    """Runs the protocols of one backbone on one dataset.

    Args:
        backbone: The model under evaluation (never modified: finetuning trains a copy).
        dataset: The rendered dataset the selections come from.
        settings: Protocol settings.
        work: Folder for finetuning checkpoints (a run resumes from its checkpoint); None keeps none.
        feature_root: Feature cache root (default: fovkit's cache).
        progress: Show progress bars.

    """

    def __init__(
        self,
        backbone: Backbone,
        dataset: RenderedDataset,
        settings: ProtocolSettings,
        work: Path | None = None,
        feature_root: Path | None = None,
        progress: bool = True,
    ) -> None:
        self.backbone, self.dataset, self.settings = backbone, dataset, settings
        self.work, self.feature_root, self.progress = work, feature_root, progress
        self._images: dict[str, torch.Tensor] = {}

    @cached_property
    def features(self) -> FeatureSet:
        """Backbone features of every sample (cached on disk)."""
        return extract_features(
            self.backbone,
            self.dataset,
            batch_size=self.settings.batch_size,
            root=self.feature_root,
            device=self.settings.device,
            progress=self.progress,
        )

    def run(self, protocol: Protocol, train: pd.DataFrame, evaluate: pd.DataFrame, seed: int, tag: str) -> Outcome:
        """Train on the `train` rows under `protocol` (seeded) and predict the `evaluate` rows.

        `tag` names the run's checkpoint folder under `work` (finetuning), so an interrupted run resumes.
        """
        if protocol == "linear":
            return self._linear(train, evaluate, seed)
        if protocol == "finetune":
            return self._finetune(train, evaluate, seed, tag)
        return self._zero_shot(train, evaluate)

    def _linear(self, train: pd.DataFrame, evaluate: pd.DataFrame, seed: int) -> Outcome:
        settings = self.settings.linear
        probe = LinearProbe(
            weight_decays=settings.weight_decays,
            validation_fraction=settings.validation_fraction,
            max_iter=settings.max_iter,
            seed=seed,
            device=self.settings.device,
            precision=settings.precision,
        )
        features = self.features.rows(train["sample_id"])
        labels = train["label"].to_numpy()
        probe.fit(features, labels, groups=_objects(train))
        predicted = probe.predict(self.features.rows(evaluate["sample_id"]))
        details = {"weight_decay": probe.weight_decay_, "device": probe.device_, "precision": probe.precision_}
        return Outcome(probe.score(features, labels), predicted, details)

    def _finetune(self, train: pd.DataFrame, evaluate: pd.DataFrame, seed: int, tag: str) -> Outcome:
        with torch.random.fork_rng():
            torch.manual_seed(derive_seed(seed, "finetune", "head"))
            model = Classifier(copy.deepcopy(self.backbone), len(self.dataset.class_names))
        images = load_images(self.dataset, train, progress=False)
        labels = train["label"].to_numpy()
        config = self.settings.finetune.model_copy(update={"seed": seed})
        checkpoints = None if self.work is None else self.work / "checkpoints" / tag
        result = finetune(model, images, labels, config, checkpoint_dir=checkpoints, progress=self.progress)
        size = self.settings.batch_size
        train_predicted = predict_logits(result.model, images, batch_size=size).argmax(axis=1)
        predicted = predict_logits(result.model, self._eval_images(evaluate), batch_size=size).argmax(axis=1)
        details = {"steps": result.steps, "device": result.device, "precision": result.precision}
        return Outcome(float(np.mean(train_predicted == labels)), predicted, details)

    def _zero_shot(self, train: pd.DataFrame, evaluate: pd.DataFrame) -> Outcome:
        model = ZeroShotClassifier(self.backbone, self.dataset.class_names, self.settings.zero_shot.templates)
        size = self.settings.batch_size
        train_images = load_images(self.dataset, train, progress=False)
        train_predicted = predict_logits(model, train_images, batch_size=size).argmax(axis=1)
        predicted = predict_logits(model, self._eval_images(evaluate), batch_size=size).argmax(axis=1)
        details = {"device": device_name(resolve_device("auto")), "precision": "float32"}
        return Outcome(float(np.mean(train_predicted == train["label"].to_numpy())), predicted, details)

    def _eval_images(self, evaluate: pd.DataFrame) -> torch.Tensor:
        """Decoded images of the evaluation rows, kept for later runs on the same rows."""
        key = hashlib.sha256("\n".join(evaluate["sample_id"]).encode()).hexdigest()
        if key not in self._images:
            self._images[key] = load_images(self.dataset, evaluate, progress=self.progress)
        return self._images[key]


def _objects(rows: pd.DataFrame) -> np.ndarray:
    """One id per rendered object (class, instance), so validation splits hold out whole objects."""
    return rows["label"].to_numpy().astype(np.int64) * 100_000 + rows["instance"].to_numpy()
