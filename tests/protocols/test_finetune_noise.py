"""Noise training in finetuning: the noise itself, that finetune applies it to training batches only, seeded, and
that the default leaves training unchanged."""

from __future__ import annotations

import pytest
import torch
from pydantic import ValidationError
from torch import nn

from fovkit.protocols.config import FinetuneConfig, NoiseTraining
from fovkit.protocols.finetune import finetune, predict_logits
from fovkit.protocols.noise_training import add_training_noise

CONFIG = FinetuneConfig(epochs=2, batch_size=8, lr=1e-2, device="cpu", seed=3)


def images_and_labels(count: int = 24) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (count, 3, 16, 16), dtype=torch.uint8, generator=generator)
    return images, torch.randint(0, 3, (count,), generator=generator)


def small_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3)
    )


def quantised(batch: torch.Tensor) -> torch.Tensor:
    """Per image: whether every value is a whole number of 1/255 steps, as decoded uint8 images are."""
    scaled = batch * 255
    return ((scaled - scaled.round()).abs() < 1e-3).flatten(1).all(dim=1)


def record_inputs(model: nn.Module) -> list[tuple[bool, torch.Tensor]]:
    """(training mode, input) of every forward pass the model makes, collected by a hook."""
    seen: list[tuple[bool, torch.Tensor]] = []
    model.register_forward_pre_hook(lambda module, args: seen.append((module.training, args[0].detach().clone())))
    return seen


def test_gaussian_noise_has_the_drawn_sigma_and_only_on_the_chosen_share():
    images = torch.full((400, 3, 8, 8), 0.5)
    torch.manual_seed(0)
    noisy = add_training_noise(images, NoiseTraining(sigma=(0.1, 0.1), probability=0.25))
    changed = (noisy != images).flatten(1).any(dim=1)
    assert 0.18 < changed.float().mean() < 0.32
    perturbation = (noisy - images)[changed]
    assert perturbation.std().item() == pytest.approx(0.1, rel=0.05)
    assert perturbation.mean().abs() < 0.005


def test_speckle_noise_scales_with_the_pixel_and_stays_in_range():
    images = torch.zeros(4, 3, 8, 8)
    images[:, :, :, 4:] = 0.8
    torch.manual_seed(0)
    noisy = add_training_noise(images, NoiseTraining(kind="speckle", sigma=(0.5, 0.6), probability=1.0))
    assert torch.equal(noisy[..., :4], images[..., :4])  # black stays black
    assert (noisy[..., 4:] != 0.8).all() and noisy.min() >= 0 and noisy.max() <= 1


def test_noise_is_a_function_of_the_generator_state():
    images = torch.rand(6, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    noise = NoiseTraining(probability=1.0)
    torch.manual_seed(5)
    first = add_training_noise(images, noise)
    torch.manual_seed(5)
    assert torch.equal(add_training_noise(images, noise), first)
    assert not torch.equal(add_training_noise(images, noise), first)


def test_finetune_trains_on_noisy_batches_and_predicts_clean_ones():
    images, labels = images_and_labels()
    model = small_model()
    seen = record_inputs(model)
    noisy_config = CONFIG.model_copy(update={"noise": NoiseTraining(probability=1.0)})
    finetune(model, images, labels, noisy_config, progress=False)
    training = [batch for train, batch in seen if train]
    assert len(training) == 6 and not any(quantised(batch).any() for batch in training)
    seen.clear()
    predict_logits(model, images, device="cpu")
    assert seen and all(not train and quantised(batch).all() for train, batch in seen)


def test_noise_is_off_by_default_and_seeded_when_on():
    images, labels = images_and_labels()
    assert FinetuneConfig().noise is None
    model = small_model()
    seen = record_inputs(model)
    clean = finetune(model, images, labels, CONFIG, progress=False).model
    training = [batch for train, batch in seen if train]
    assert len(training) == 6 and all(quantised(batch).all() for batch in training)

    noise = NoiseTraining(kind="speckle", probability=0.5)
    noisy_config = CONFIG.model_copy(update={"noise": noise})
    first = finetune(small_model(), images, labels, noisy_config, progress=False).model
    second = finetune(small_model(), images, labels, noisy_config, progress=False).model
    for (name, value), other in zip(first.state_dict().items(), second.state_dict().values(), strict=True):
        assert torch.equal(value, other), name
    assert any(
        not torch.equal(value, plain) for value, plain in zip(first.parameters(), clean.parameters(), strict=True)
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"sigma": (0.3, 0.1)}, "0 <= low <= high"),
        ({"sigma": (0.0, 0.0)}, "high > 0"),
        ({"probability": 1.5}, "less than or equal to 1"),
        ({"kind": "poisson"}, "'gaussian' or 'speckle'"),
    ],
)
def test_bad_noise_settings_are_refused(fields, message):
    with pytest.raises(ValidationError, match=message):
        NoiseTraining(**fields)
