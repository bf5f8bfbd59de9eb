"""Self-learning (RPL): gain under a shift, the GCE loss against a reference, teacher updates, what it updates."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from scipy.special import softmax
from torch import nn

from fovkit.adaptation import SelfLearningSettings, adapt
from fovkit.adaptation.normalization import adaptable_copy, affine_norm_parameters
from fovkit.adaptation.self_learning import generalized_cross_entropy, self_learning


def parameters(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in model.named_parameters()}


def same_parameters(first: dict[str, torch.Tensor], second: dict[str, torch.Tensor]) -> bool:
    return first.keys() == second.keys() and all(torch.equal(first[name], second[name]) for name in first)


def test_rpl_recovers_accuracy_under_a_covariate_shift(bar_task):
    shifted = bar_task.batches(bar_task.shifted)
    before = bar_task.accuracy(adapt(bar_task.model, shifted, "none", device="cpu"))
    after = bar_task.accuracy(adapt(bar_task.model, shifted, "rpl", device="cpu"))
    assert after > 0.85 and after > before + 0.25


@pytest.mark.parametrize("q", [0.8, 0.5, 1.0])
def test_generalized_cross_entropy_matches_numpy(q: float):
    logits = torch.randn(6, 5, generator=torch.Generator().manual_seed(0)) * 2
    targets = torch.tensor([0, 4, 2, 2, 1, 3])
    probability = softmax(logits.numpy().astype(np.float64), axis=1)[np.arange(6), targets.numpy()]
    expected = np.mean((1 - probability**q) / q)
    assert generalized_cross_entropy(logits, targets, q).item() == pytest.approx(expected, rel=1e-5)


def test_small_q_approaches_cross_entropy():
    logits = torch.randn(4, 3, generator=torch.Generator().manual_seed(1))
    targets = torch.tensor([0, 1, 2, 0])
    cross_entropy = nn.functional.cross_entropy(logits, targets).item()
    assert generalized_cross_entropy(logits, targets, 1e-4).item() == pytest.approx(cross_entropy, rel=1e-3)


def test_rpl_updates_only_the_normalisation_scale_and_shift_towards_its_pseudo_labels(bar_task):
    stream = bar_task.batches(bar_task.shifted) * 2
    run = adapt(bar_task.model, stream, "rpl", {"optimizer": "adam", "lr": 1e-2}, device="cpu")
    logits = list(run)
    before, after = parameters(bar_task.model), parameters(run.model)
    changed = {name for name in before if not torch.equal(before[name], after[name])}
    assert changed and changed <= {name for name, _ in affine_norm_parameters(bar_task.model)}
    # Trained on its own argmax labels, the model grows more confident in them over a second pass.
    first_pass, second_pass = torch.cat(logits[:4]), torch.cat(logits[4:])
    assert second_pass.softmax(1).max(1).values.mean() > first_pass.softmax(1).max(1).values.mean() + 0.015


def test_the_teacher_is_refreshed_every_interval(bar_task):
    batches = bar_task.batches(bar_task.shifted, size=32)[:5]
    settings = SelfLearningSettings(lr=0.05, teacher_update_every=2)
    adapter = self_learning(adaptable_copy(bar_task.model, torch.device("cpu")), settings)
    states = [parameters(adapter.model)]
    for batch in batches:
        adapter(batch)
        states.append(parameters(adapter.model))
        # After batch i (0-based) the teacher is the model before the last batch of an even number: 0, 2, 4.
        index = len(states) - 2
        assert same_parameters(parameters(adapter.teacher), states[index - index % 2])
    assert not same_parameters(states[0], states[-1])


def test_interval_one_uses_the_model_s_own_current_predictions(bar_task):
    batches = bar_task.batches(bar_task.shifted, size=32)[:3]
    settings = SelfLearningSettings(lr=0.05)
    own = self_learning(adaptable_copy(bar_task.model, torch.device("cpu")), settings)
    outputs = [own(batch) for batch in batches]
    assert own.teacher is None
    # Equivalent to a teacher that copies the model before every batch.
    copied = self_learning(adaptable_copy(bar_task.model, torch.device("cpu")), settings)
    for batch, expected in zip(batches, outputs, strict=True):
        copied.teacher = copy.deepcopy(copied.model)
        torch.testing.assert_close(copied(batch), expected)
    assert same_parameters(parameters(own.model), parameters(copied.model))


def test_episodic_self_learning_restores_the_model_and_teacher(bar_task):
    first, second = bar_task.batches(bar_task.shifted)[:2]
    settings = {"lr": 0.05, "episodic": True, "teacher_update_every": 3}
    outputs = list(adapt(bar_task.model, [first, second, first], "rpl", settings, device="cpu"))
    torch.testing.assert_close(outputs[2], outputs[0])
