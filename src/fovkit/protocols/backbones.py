"""Resolve a backbone spec, including fovkit's offline default: a small CNN pretrained on renders of other classes.

`fovkit:default` needs no download: the first use renders the `pretrain` preset (27 catalog classes the `study`
preset does not evaluate, every factor varying), trains `fovkit:resnet_small` on it with the finetuning protocol and
caches the weights under `<cache>/backbones/`; later uses load them. The run resumes if interrupted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import torch
from pydantic import BaseModel, ConfigDict

from fovkit.cache import cache_dir
from fovkit.errors import InputError
from fovkit.models import Backbone, Classifier, load_backbone, save_backbone
from fovkit.models.weights import read_card
from fovkit.protocols.config import DEFAULT_BACKBONE, BackboneSpec, FinetuneConfig
from fovkit.protocols.data import image_source
from fovkit.protocols.finetune import finetune, predict_labels
from fovkit.render.config import RenderConfig
from fovkit.render.counts import n_classes
from fovkit.render.dataset import render_dataset
from fovkit.render.presets import load_render_config
from fovkit.render.store import RenderedDataset
from fovkit.seeding import derive_seed

WEIGHTS = "backbone.safetensors"
RECIPE = 4
"""Bumped when the pretraining code changes what it trains, so stale cached weights are not reused."""


class PretrainConfig(BaseModel):
    """How the default backbone is made: the renders, the architecture and the training schedule."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    render: RenderConfig = load_render_config("pretrain")
    architecture: str = "fovkit:resnet_small"
    training: FinetuneConfig = FinetuneConfig(epochs=6, batch_size=128, lr=3e-3, weight_decay=0.05)
    seed: int = 0

    def key(self) -> str:
        """Digest of the config and the recipe version: the cache entry's name."""
        return hashlib.sha256(f"{RECIPE}|{self.model_dump_json()}".encode()).hexdigest()[:16]


def resolve_backbone(spec: BackboneSpec | str, progress: bool = True) -> Backbone:
    """The backbone a spec names; `fovkit:default` is pretrained on first use and cached."""
    spec = BackboneSpec(name=spec) if isinstance(spec, str) else spec
    if spec.name in (DEFAULT_BACKBONE, "default") and spec.weights is None:
        return default_backbone(progress=progress)
    return load_backbone(spec.name, weights=spec.weights)


def backbones(specs: Sequence[BackboneSpec], modules: Sequence[Backbone], progress: bool) -> Iterator[Backbone]:
    """The named backbones (loaded one at a time), then the given objects; at least one is needed."""
    if not specs and not modules:
        raise InputError("no backbone to evaluate; name one in `backbones` or pass modules", field="backbones")
    for spec in specs:
        yield resolve_backbone(spec, progress=progress)
    yield from modules


def default_backbone(config: PretrainConfig | None = None, root: Path | None = None, progress: bool = True) -> Backbone:
    """The default backbone, trained (once, then cached) on renders of classes disjoint from the `study` preset.

    Args:
        config: Pretraining settings (default: `PretrainConfig()`).
        root: Cache root (default: `<fovkit cache>/backbones`).
        progress: Show progress bars while rendering and training.

    """
    config = config or PretrainConfig()
    folder = (root or cache_dir() / "backbones") / f"default-{config.key()}"
    weights = folder / WEIGHTS
    backbone = _load_verified(config, weights)
    if backbone is None:  # never trained, or the cached weights differ from the digest recorded when they were saved
        _pretrain(config, folder, progress)
        backbone = _load_verified(config, weights)
    backbone.card = replace(backbone.card, id=DEFAULT_BACKBONE)
    return backbone


def _load_verified(config: PretrainConfig, weights: Path) -> Backbone | None:
    """The cached default backbone if its weights match the digest saved with them, else None."""
    record = read_card(weights) if weights.exists() else None
    if record is None:
        return None
    try:
        backbone = load_backbone(config.architecture, weights=weights)
    except InputError:
        return None
    return backbone if backbone.card.weights_digest == record.get("weights_digest") else None


def pretraining_classes(config: PretrainConfig | None = None) -> list[str]:
    """Class names the default backbone was trained on (evaluating on them overstates its robustness)."""
    render = (config or PretrainConfig()).render
    if isinstance(render.classes, int):
        from fovkit.render.assets import list_classes

        return list_classes()[: render.classes]
    return list(render.classes)


def _pretrain(config: PretrainConfig, folder: Path, progress: bool) -> None:
    """Render, train and save; the render and the training checkpoints resume after an interruption.

    The renders are decoded into memory when they fit the memory budget (the `pretrain` preset does), else streamed.
    """
    folder.mkdir(parents=True, exist_ok=True)
    render_dataset(config.render, folder / "renders", progress=progress)
    dataset = RenderedDataset.open(folder / "renders")
    samples = dataset.samples
    backbone = load_backbone(config.architecture, weights="random", seed=config.seed)
    with torch.random.fork_rng():
        torch.manual_seed(derive_seed(config.seed, "default_backbone", "head"))
        model = Classifier(backbone, n_classes(config.render))
    images = image_source(dataset, samples, progress=progress)
    labels = samples["label"].to_numpy()
    result = finetune(model, images, labels, config.training, checkpoint_dir=folder / "checkpoints", progress=progress)
    accuracy = float((predict_labels(result.model, images) == labels).mean())
    result.history.to_csv(folder / "history.csv", index=False)
    record = {"config": config.model_dump(mode="json"), "train_accuracy": accuracy, "steps": result.steps}
    (folder / "pretrain.json").write_text(json.dumps(record, indent=2) + "\n")
    save_backbone(result.model.backbone, folder / WEIGHTS)
