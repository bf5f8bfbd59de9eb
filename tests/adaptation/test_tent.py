"""TENT: its gain under a shift, what it updates, its predictions, episodic reset and the optimizers of the paper."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.special import softmax
from scipy.stats import entropy as scipy_entropy
from torch import nn

from fovkit.adaptation import TentSettings, adapt
from fovkit.adaptation.normalization import affine_norm_parameters
from fovkit.adaptation.tent import entropy, make_optimizer


def changed_parameters(before: nn.Module, after: nn.Module) -> set[str]:
    """Names of the parameters that differ between two models of the same architecture."""
    reference = dict(before.named_parameters())
    return {name for name, value in after.named_parameters() if not torch.equal(value.cpu(), reference[name])}


def test_tent_recovers_accuracy_under_a_covariate_shift(bar_task):
    shifted = bar_task.batches(bar_task.shifted)
    before = bar_task.accuracy(adapt(bar_task.model, shifted, "none", device="cpu"))
    after = bar_task.accuracy(adapt(bar_task.model, shifted, "tent", device="cpu"))
    assert after > 0.85 and after > before + 0.25


def test_tent_updates_only_the_normalisation_scale_and_shift(bar_task):
    run = adapt(bar_task.model, bar_task.batches(bar_task.shifted), "tent", {"lr": 1e-2}, device="cpu")
    list(run)
    changed = changed_parameters(bar_task.model, run.model)
    affine = {name for name, _ in affine_norm_parameters(bar_task.model)}
    assert changed and changed <= affine
    assert all(module.running_mean is None for module in run.model.modules() if isinstance(module, nn.BatchNorm2d))


def test_tent_predicts_with_the_outputs_of_the_step_and_lowers_the_entropy(bar_task):
    stream = bar_task.batches(bar_task.shifted) * 3  # three passes over the shifted images
    statistics_only = list(adapt(bar_task.model, stream, "bn", device="cpu"))
    entropy_minimised = list(adapt(bar_task.model, stream, "tent", {"lr": 1e-2}, device="cpu"))
    # The first batch's prediction is the forward pass of its update: source scale and shift, batch statistics.
    torch.testing.assert_close(entropy_minimised[0], statistics_only[0], rtol=1e-4, atol=1e-4)
    last_pass = slice(-len(bar_task.batches(bar_task.shifted)), None)
    tent_entropy = entropy(torch.cat(entropy_minimised[last_pass])).mean()
    assert tent_entropy < 0.9 * entropy(torch.cat(statistics_only[last_pass])).mean()


def test_episodic_adaptation_restores_the_source_before_every_batch(bar_task):
    first, second = bar_task.batches(bar_task.shifted)[:2]
    settings = {"lr": 1e-2, "steps": 3}
    episodic = list(adapt(bar_task.model, [first, second, first], "tent", {**settings, "episodic": True}, device="cpu"))
    alone = list(adapt(bar_task.model, [first], "tent", {**settings, "episodic": True}, device="cpu"))
    torch.testing.assert_close(episodic[2], episodic[0])
    torch.testing.assert_close(episodic[0], alone[0])
    online = list(adapt(bar_task.model, [first, second, first], "tent", settings, device="cpu"))
    assert not torch.allclose(online[2], online[0], atol=1e-3)


def test_optimizers_follow_the_reference_settings():
    parameters = [nn.Parameter(torch.zeros(3))]
    adam = make_optimizer(parameters, TentSettings())
    assert isinstance(adam, torch.optim.Adam)
    assert adam.defaults["lr"] == 1e-3 and adam.defaults["betas"] == (0.9, 0.999) and adam.defaults["weight_decay"] == 0
    sgd = make_optimizer(parameters, TentSettings(optimizer="sgd"))
    assert isinstance(sgd, torch.optim.SGD)
    assert sgd.defaults["lr"] == 2.5e-4 and sgd.defaults["momentum"] == 0.9 and sgd.defaults["nesterov"]
    assert make_optimizer(parameters, TentSettings(optimizer="sgd", lr=0.1)).defaults["lr"] == 0.1


def test_entropy_matches_scipy():
    logits = torch.randn(5, 7, generator=torch.Generator().manual_seed(0)) * 3
    expected = scipy_entropy(softmax(logits.numpy().astype(np.float64), axis=1), axis=1)
    np.testing.assert_allclose(entropy(logits).numpy(), expected, rtol=1e-5)


def test_tent_adapts_layer_and_group_norms_of_models_without_batchnorm():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.GroupNorm(2, 4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.LayerNorm(4)
    )
    images = torch.rand(8, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    run = adapt(model, [images, images], "tent", {"lr": 0.1}, device="cpu")
    list(run)
    assert changed_parameters(model, run.model) == {"1.weight", "1.bias", "5.weight", "5.bias"}


def test_a_model_without_normalisation_layers_is_refused():
    with pytest.raises(ValueError, match="tent updates the scale and shift of normalisation layers"):
        adapt(nn.Sequential(nn.Flatten(1), nn.Linear(12, 2)), [torch.rand(2, 3, 2, 2)], "tent", device="cpu")
