"""BatchNorm adaptation: the prior-weighted statistics against torch's own BatchNorm, and its effect under a shift."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn
from torch.nn import functional

from fovkit.adaptation import adapt
from fovkit.adaptation.batchnorm import batch_statistics, mix_statistics, with_prior_statistics
from fovkit.errors import InputError


def source_layer(channels: int = 4) -> nn.BatchNorm2d:
    """A BatchNorm layer with source statistics and affine parameters far from the defaults, in eval mode."""
    layer = nn.BatchNorm2d(channels)
    with torch.no_grad():
        layer.running_mean.copy_(torch.linspace(-1.0, 1.0, channels))
        layer.running_var.copy_(torch.linspace(0.5, 2.0, channels))
        layer.weight.copy_(torch.linspace(0.5, 1.5, channels))
        layer.bias.copy_(torch.linspace(-0.2, 0.2, channels))
    return layer.eval()


def test_adaptation_recovers_accuracy_under_a_covariate_shift(bar_task):
    shifted = bar_task.batches(bar_task.shifted)
    before = bar_task.accuracy(adapt(bar_task.model, shifted, "none", device="cpu"))
    after = bar_task.accuracy(adapt(bar_task.model, shifted, "bn", device="cpu"))
    assert bar_task.accuracy(bar_task.model(bar_task.clean)) > 0.95
    assert before < 0.6
    assert after > 0.85 and after > before + 0.25


def test_zero_prior_normalises_as_a_batchnorm_layer_in_training_mode():
    images = torch.randn(6, 4, 5, 7, generator=torch.Generator().manual_seed(0)) * 3 + 1
    layer = source_layer()
    expected = copy.deepcopy(layer).train()(images)
    adapted = with_prior_statistics(nn.Sequential(layer), prior=0.0)
    with torch.no_grad():
        torch.testing.assert_close(adapted(images), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("prior", [1.0, 16.0, 1000.0])
def test_prior_weighs_source_statistics_as_n_samples(prior: float):
    images = torch.randn(4, 4, 6, 6, generator=torch.Generator().manual_seed(1)) * 2 - 1
    layer = source_layer()
    source_mean, source_var = layer.running_mean.clone(), layer.running_var.clone()
    batch_mean = images.mean(dim=(0, 2, 3))
    batch_var = images.var(dim=(0, 2, 3), unbiased=False)
    share = prior / (prior + len(images))  # (N * source + n * batch) / (N + n)
    mean = share * source_mean + (1 - share) * batch_mean
    var = share * source_var + (1 - share) * batch_var
    expected = functional.batch_norm(images, mean, var, layer.weight, layer.bias, False, 0.0, layer.eps)
    adapted = with_prior_statistics(nn.Sequential(layer), prior)
    with torch.no_grad():
        torch.testing.assert_close(adapted(images), expected, rtol=1e-5, atol=1e-5)
    if prior == 1000.0:  # a strong prior approaches the source model
        with torch.no_grad():
            torch.testing.assert_close(adapted(images), source_layer()(images), rtol=0.05, atol=0.05)


def test_statistics_helpers_on_flat_features():
    features = torch.tensor([[1.0, 10.0], [3.0, 30.0]])
    mean, var = batch_statistics(features)
    torch.testing.assert_close(mean, torch.tensor([2.0, 20.0]))
    torch.testing.assert_close(var, torch.tensor([1.0, 100.0]))
    source = (torch.zeros(2), torch.ones(2))
    mixed_mean, mixed_var = mix_statistics(source, (mean, var), prior=2.0, count=2)
    torch.testing.assert_close(mixed_mean, torch.tensor([1.0, 10.0]))
    torch.testing.assert_close(mixed_var, torch.tensor([1.0, 50.5]))
    assert mix_statistics(None, (mean, var), prior=5.0, count=2) == (mean, var)


def test_a_single_image_with_full_replacement_runs_and_the_prior_protects_it(bar_task):
    single = adapt(bar_task.model, bar_task.batches(bar_task.clean), "bn", {"batch_size": 1, "prior": 0}, device="cpu")
    logits = list(single)
    assert len(logits) == len(bar_task.labels) and all(batch.shape == (1, 4) for batch in logits)
    assert torch.isfinite(torch.cat(logits)).all()
    # One image's statistics replace the source's entirely (Schneider et al.'s n = 1, N = 0); a prior of 16 keeps
    # the clean accuracy of the source model.
    protected = adapt(bar_task.model, bar_task.batches(bar_task.clean), "bn", {"batch_size": 1, "prior": 16})
    assert bar_task.accuracy(protected) > 0.95 > bar_task.accuracy(logits)


def test_layers_that_fuse_an_activation_keep_it():
    class BatchNormReLU(nn.BatchNorm2d):
        """Like timm's BatchNormAct2d: BatchNorm and ReLU in one module."""

        def forward(self, inputs: torch.Tensor) -> torch.Tensor:
            return functional.relu(super().forward(inputs))

    model = nn.Sequential(nn.Conv2d(3, 4, 3), BatchNormReLU(4)).eval()
    images = torch.rand(3, 3, 8, 8, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        features = with_prior_statistics(model, prior=0.0)(images)
    assert (features >= 0).all() and (features > 0).any()


def test_a_model_without_batchnorm_is_refused():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.GroupNorm(2, 4), nn.AdaptiveAvgPool2d(1), nn.Flatten(1))
    with pytest.raises(InputError, match="bn adapts BatchNorm statistics and the model has no BatchNorm layer"):
        adapt(model, [torch.rand(2, 3, 8, 8)], "bn", device="cpu")
