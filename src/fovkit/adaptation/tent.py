"""TENT (Wang et al. 2021): entropy minimisation at test time, and the online update loop self-learning shares.

"Tent: fully test-time adaptation by entropy minimization". As in DequanWang/tent: BatchNorm layers normalise with
the statistics of the test batch (running statistics dropped), only the normalisation layers' scale and shift are
optimised, with Adam (lr 1e-3) or SGD with Nesterov momentum 0.9 (lr 2.5e-4), one step per batch, online over the
stream unless episodic; the prediction for a batch is the output of the forward pass its (last) update used. Unlike
the reference, the rest of the model stays in eval mode (dropout off), as in bethgelab/robustness, so that
predictions are deterministic.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn

from fovkit.adaptation.normalization import train_affine_norms, use_batch_statistics
from fovkit.adaptation.settings import GradientSettings, TentSettings

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""(logits, images) -> the scalar loss an online adapter minimises."""


def entropy(logits: torch.Tensor) -> torch.Tensor:
    """Shannon entropy (nats) of the softmax of each row of `logits`: a vector of N."""
    logits = logits.float()
    return -(logits.softmax(dim=1) * logits.log_softmax(dim=1)).sum(dim=1)


def mean_entropy(logits: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """TENT's loss: the batch's mean prediction entropy (`images` unused)."""
    del images
    return entropy(logits).mean()


def make_optimizer(parameters: list[nn.Parameter], settings: GradientSettings) -> torch.optim.Optimizer:
    """Adam (betas 0.9, 0.999) or SGD (Nesterov when momentum > 0) at the settings' learning rate, no weight decay."""
    lr = settings.learning_rate()
    if settings.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=lr, betas=(0.9, 0.999))
    return torch.optim.SGD(parameters, lr=lr, momentum=settings.momentum, nesterov=settings.momentum > 0)


class OnlineAdapter:
    """A model that takes `steps` gradient steps on `loss` for every test batch it predicts.

    Args:
        model: The private copy to adapt, configured (batch statistics, trainable parameters) by the caller.
        parameters: The parameters the optimizer updates.
        loss: (logits, images) -> scalar loss.
        settings: Optimizer, steps per batch and episodic reset.

    """

    def __init__(
        self, model: nn.Module, parameters: list[nn.Parameter], loss: Loss, settings: GradientSettings
    ) -> None:
        self.model = model
        self.loss = loss
        self.settings = settings
        self.optimizer = make_optimizer(parameters, settings)
        self.batches = 0
        self._initial = (
            (copy.deepcopy(model.state_dict()), copy.deepcopy(self.optimizer.state_dict()))
            if settings.episodic
            else None
        )

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Adapt on a batch and return its logits (those of the last update's forward pass), detached."""
        if self._initial is not None:
            self.reset()
        self.before_batch()
        with torch.inference_mode(False), torch.enable_grad():
            images = images.clone() if images.is_inference() else images
            for _ in range(self.settings.steps):
                logits = self.model(images)
                loss = self.loss(logits, images)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.optimizer.step()
        self.batches += 1
        return logits.detach()

    def before_batch(self) -> None:
        """Called before each batch's updates, after any episodic reset (a hook for subclasses)."""

    def reset(self) -> None:
        """Restore the model and optimizer to their state before the first batch (episodic adaptation only)."""
        if self._initial is None:
            raise RuntimeError("reset needs the initial state, which only episodic adaptation keeps")
        model_state, optimizer_state = self._initial
        self.model.load_state_dict(model_state, strict=True)
        self.optimizer.load_state_dict(optimizer_state)


def tent(model: nn.Module, settings: TentSettings) -> OnlineAdapter:
    """`model` (a private copy, changed in place) adapted by TENT on every batch it predicts."""
    parameters = train_affine_norms(model, "tent")
    use_batch_statistics(model)
    return OnlineAdapter(model, parameters, mean_entropy, settings)
