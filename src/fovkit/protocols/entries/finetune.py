"""The finetuning protocol: a copy of the backbone with a new linear head, trained end to end (resumable)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fovkit.protocols.registry import Outcome, register_protocol

if TYPE_CHECKING:
    import pandas as pd

    from fovkit.protocols.runner import ProtocolRunner


@register_protocol("finetune", "the whole backbone and a new head trained on the training images")
def run_finetune(runner: ProtocolRunner, train: pd.DataFrame, evaluate: pd.DataFrame, seed: int, tag: str) -> Outcome:
    """Finetune a copy (head initialised from the seed's stream), checkpointing under `work/checkpoints/tag`.

    Selections larger than the memory budget are streamed from the shards (see `image_source`); the details record
    which (`images`: in-memory or streamed).
    """
    import copy

    import torch

    from fovkit.models.base import Classifier
    from fovkit.protocols.data import image_source
    from fovkit.protocols.finetune import finetune, predict_labels
    from fovkit.seeding import derive_seed

    with torch.random.fork_rng():
        torch.manual_seed(derive_seed(seed, "finetune", "head"))
        model = Classifier(copy.deepcopy(runner.backbone), len(runner.dataset.class_names))
    images = image_source(runner.dataset, train)
    labels = train["label"].to_numpy()
    config = runner.settings.finetune.model_copy(update={"seed": seed})
    checkpoints = None if runner.work is None else runner.work / "checkpoints" / tag
    result = finetune(model, images, labels, config, checkpoint_dir=checkpoints, progress=runner.progress)
    size = runner.settings.batch_size
    train_predicted = predict_labels(result.model, images, batch_size=size)
    evaluation = image_source(runner.dataset, evaluate, load=runner.eval_images)
    predicted = predict_labels(result.model, evaluation, batch_size=size)
    details = {"steps": result.steps, "device": result.device, "precision": result.precision, "images": result.images}
    return Outcome(float(np.mean(train_predicted == labels)), predicted, details)
