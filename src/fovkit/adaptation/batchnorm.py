"""BatchNorm adaptation (Schneider et al. 2020): normalise with the test batch's statistics, mixed with the source's.

"Improving robustness against common corruptions by covariate shift adaptation": each BatchNorm layer normalises
with mean (N * source + n * batch) / (N + n) and the same mixture of variances (as bethgelab/robustness's
`robusta.batchnorm.BayesianBatchNorm` with prior N / (N + n)), where n is the number of images in the batch and N
the prior strength. N = 0 replaces the source statistics (full adaptation). The batch variance is the biased one, so
N = 0 normalises exactly as a BatchNorm layer in training mode does, and one image suffices when a layer has several
values per channel (convolutional feature maps); a BatchNorm1d on flat features of a single image sees zero variance.
"""

from __future__ import annotations

from functools import partial

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from fovkit.adaptation.normalization import require_batch_norms
from fovkit.adaptation.settings import AdaptationSettings, BatchNormSettings


class Predictor:
    """A model that adapts, if at all, only inside its forward pass (normalisation statistics): no gradients.

    Args:
        model: The private copy to run, in eval mode.

    """

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Logits of a batch."""
        with torch.inference_mode():
            return self.model(images)


def source_model(model: nn.Module, settings: AdaptationSettings) -> Predictor:
    """`model` as trained, no adaptation: the baseline every method is compared with (`settings` unused)."""
    del settings
    return Predictor(model)


def batch_norm_adaptation(model: nn.Module, settings: BatchNormSettings) -> Predictor:
    """`model` (a private copy, changed in place) normalising every batch with prior-weighted statistics."""
    with_prior_statistics(model, settings.prior)
    return Predictor(model)


def with_prior_statistics(model: nn.Module, prior: float) -> nn.Module:
    """Make each BatchNorm layer of `model` (in place) normalise with source and batch statistics mixed by `prior`.

    A forward pre-hook on each layer computes the statistics of the layer's input and writes the mixture into its
    running buffers, which the layer (in eval mode) then normalises with; so subclasses that fuse an activation into
    the layer (timm's BatchNormAct2d) keep working. A layer without running statistics adapts fully.

    Raises:
        InputError: The model has no BatchNorm layer.

    """
    for _, layer in require_batch_norms(model, "bn"):
        source = None
        if layer.running_mean is not None and layer.running_var is not None:
            source = (layer.running_mean.detach().clone(), layer.running_var.detach().clone())
        else:
            parameter = next(layer.parameters(), None)
            device = parameter.device if parameter is not None else None
            layer.running_mean = torch.zeros(layer.num_features, device=device)
            layer.running_var = torch.ones(layer.num_features, device=device)
        layer.eval()
        layer.register_forward_pre_hook(partial(_write_mixed_statistics, source=source, prior=prior))
    return model


def batch_statistics(inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and biased variance (float32) of a BatchNorm input N x C x ..., over every dimension but C."""
    dims = [0, *range(2, inputs.ndim)]
    variance, mean = torch.var_mean(inputs.float(), dim=dims, correction=0)
    return mean, variance


def mix_statistics(
    source: tuple[torch.Tensor, torch.Tensor] | None,
    batch: tuple[torch.Tensor, torch.Tensor],
    prior: float,
    count: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(N * source + n * batch) / (N + n) for mean and variance, with N = `prior` and n = `count` images."""
    if source is None or prior == 0:
        return batch
    weight = prior / (prior + count)
    return tuple(weight * old + (1.0 - weight) * new for old, new in zip(source, batch, strict=True))


def _write_mixed_statistics(
    layer: _BatchNorm, args: tuple[torch.Tensor, ...], source: tuple[torch.Tensor, torch.Tensor] | None, prior: float
) -> None:
    inputs = args[0]
    mean, variance = mix_statistics(source, batch_statistics(inputs), prior, len(inputs))
    layer.running_mean.copy_(mean)
    layer.running_var.copy_(variance)
