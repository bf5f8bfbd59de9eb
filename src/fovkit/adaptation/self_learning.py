"""Self-learning with robust pseudo-labels, RPL (Rusak et al. 2022): GCE on the model's own argmax labels.

"If your data distribution shifts, use self-learning". As in bethgelab/robustness (`robusta.selflearning`): the
generalised cross-entropy (Zhang and Sabuncu 2018) (1 - p_y^q) / q with q = 0.8 on the argmax pseudo-labels of a
teacher, BatchNorm layers on the test batch's statistics, only the normalisation layers' scale and shift updated,
online over the stream. The teacher is the model itself by default (its own current predictions: a teacher update
interval of one batch); a longer interval keeps a frozen copy that is refreshed every `teacher_update_every` batches.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn import functional

from fovkit.adaptation.normalization import train_affine_norms, use_batch_statistics
from fovkit.adaptation.settings import SelfLearningSettings
from fovkit.adaptation.tent import OnlineAdapter


def generalized_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, q: float = 0.8) -> torch.Tensor:
    """Mean of (1 - p_y^q) / q over the batch, p_y the softmax probability of each row's target class."""
    probabilities = functional.softmax(logits.float(), dim=1)
    target_probability = probabilities.gather(1, targets[:, None]).squeeze(1)
    return ((1.0 - target_probability**q) / q).mean()


class SelfLearning(OnlineAdapter):
    """RPL: gradient steps on the GCE of the model's predictions against the teacher's argmax labels.

    Args:
        model: The private copy to adapt, configured (batch statistics, trainable parameters) by `self_learning`.
        parameters: The normalisation layers' scale and shift.
        settings: Optimizer, q, teacher update interval, steps and episodic reset.

    """

    def __init__(self, model: nn.Module, parameters: list[nn.Parameter], settings: SelfLearningSettings) -> None:
        super().__init__(model, parameters, self.pseudo_label_loss, settings)
        self.q = settings.q
        self.teacher_update_every = settings.teacher_update_every
        self.teacher: nn.Module | None = None

    def pseudo_label_loss(self, logits: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
        """GCE of `logits` against the teacher's argmax labels for `images`."""
        if self.teacher is None:
            labels = logits.detach().argmax(dim=1)
        else:
            with torch.no_grad():
                labels = self.teacher(images).argmax(dim=1)
        return generalized_cross_entropy(logits, labels, self.q)

    def before_batch(self) -> None:
        """Copy the model into the teacher every `teacher_update_every` batches (interval 1: no copy needed)."""
        if self.teacher_update_every > 1 and (self.teacher is None or self.batches % self.teacher_update_every == 0):
            self.teacher = copy.deepcopy(self.model).requires_grad_(False)

    def reset(self) -> None:
        """Restore the model and optimizer, and drop the teacher (the next batch copies the restored model)."""
        super().reset()
        self.teacher = None


def self_learning(model: nn.Module, settings: SelfLearningSettings) -> SelfLearning:
    """`model` (a private copy, changed in place) adapted by robust pseudo-labelling on every batch it predicts."""
    parameters = train_affine_norms(model, "rpl")
    use_batch_statistics(model)
    return SelfLearning(model, parameters, settings)
