"""The zero-shot protocol: CLIP-style backbones classify by similarity to prompt embeddings; nothing is trained."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fovkit.protocols.registry import Outcome, register_protocol

if TYPE_CHECKING:
    import pandas as pd

    from fovkit.protocols.runner import ProtocolRunner


@register_protocol("zero_shot", "prompts embedded by a CLIP-style text tower, nothing trained", trains=False)
def run_zero_shot(runner: ProtocolRunner, train: pd.DataFrame, evaluate: pd.DataFrame, seed: int, tag: str) -> Outcome:
    """Predict both selections with the prompt classifier (the training rows only give the training accuracy)."""
    from fovkit.models.zero_shot import ZeroShotClassifier
    from fovkit.protocols.data import image_mode, image_source
    from fovkit.protocols.devices import device_name, resolve_device
    from fovkit.protocols.finetune import predict_labels

    model = ZeroShotClassifier(runner.backbone, runner.dataset.class_names, runner.settings.zero_shot.templates)
    size = runner.settings.batch_size
    train_images = image_source(runner.dataset, train)
    train_predicted = predict_labels(model, train_images, batch_size=size)
    evaluation = image_source(runner.dataset, evaluate, load=runner.eval_images)
    predicted = predict_labels(model, evaluation, batch_size=size)
    details = {"device": device_name(resolve_device("auto")), "precision": "float32", "images": image_mode(evaluation)}
    return Outcome(float(np.mean(train_predicted == train["label"].to_numpy())), predicted, details)
