"""A small BatchNorm CNN trained on oriented bars (32 x 32), and the same task under a contrast and brightness shift.

Trained once per session in a few seconds of one core; the shift (contrast to 25%, brightness up by 0.25) drops its
accuracy from ~100% to below 50%, and BatchNorm statistics of the test batches bring it back: the setting in which
every adaptation method must measurably help.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
import torch
from torch import nn
from torch.nn import functional

from fovkit.models.base import ImageClassifier, LabelSpace, ModelCard, Preprocessing
from fovkit.seeding import torch_generator

SEED = 0
ORIENTATIONS = ("0", "45", "90", "135")
SIDE = 32
TRAIN_STEPS = 120


@dataclass(frozen=True)
class BarTask:
    """The trained classifier, clean test images and the shifted ones (same labels), in batches of 64."""

    model: ImageClassifier
    clean: torch.Tensor
    shifted: torch.Tensor
    labels: torch.Tensor

    def batches(self, images: torch.Tensor, size: int = 64) -> list[torch.Tensor]:
        """`images` split in stream order."""
        return list(images.split(size))

    def accuracy(self, logits: list[torch.Tensor] | torch.Tensor) -> float:
        """Top-1 accuracy of the concatenated logits against the test labels."""
        joined = torch.cat(list(logits)) if not isinstance(logits, torch.Tensor) else logits
        return (joined.argmax(dim=1).cpu() == self.labels).float().mean().item()


def bar_images(count: int, key: str) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` images of one bar at 0, 45, 90 or 135 degrees (the label), random place, size and colours."""
    generator = torch_generator(SEED, "tests", "adaptation", key)

    def uniform(*shape: int) -> torch.Tensor:
        return torch.rand(*shape, generator=generator)

    labels = torch.randint(0, len(ORIENTATIONS), (count,), generator=generator)
    angle = (labels * math.pi / 4 + (uniform(count) - 0.5) * 0.4)[:, None, None]
    centre_x, centre_y = ((SIDE / 2 + (uniform(count) - 0.5) * 10)[:, None, None] for _ in range(2))
    length, width = (10 + uniform(count) * 8)[:, None, None], (2 + uniform(count) * 2)[:, None, None]
    grid = torch.arange(SIDE) + 0.5
    dx, dy = grid[None, None, :] - centre_x, grid[None, :, None] - centre_y
    along, across = dx * angle.cos() + dy * angle.sin(), dy * angle.cos() - dx * angle.sin()
    mask = torch.sigmoid((width / 2 - across.abs()) * 3) * torch.sigmoid((length / 2 - along.abs()) * 3)
    background, foreground = uniform(count, 3, 1, 1) * 0.5, 0.5 + uniform(count, 3, 1, 1) * 0.5
    images = background + mask[:, None] * (foreground - background)
    images = images + 0.03 * torch.randn(count, 3, SIDE, SIDE, generator=generator)
    return images.clamp(0.0, 1.0), labels


def contrast_shift(images: torch.Tensor) -> torch.Tensor:
    """Contrast down to 25% around mid-grey, then brightness up by 0.25: a covariate shift of the pixel statistics."""
    return (0.5 + 0.25 * (images - 0.5) + 0.25).clamp(0.0, 1.0)


def bar_network(seed: int = SEED) -> ImageClassifier:
    """Three convolutions, each followed by BatchNorm and ReLU, pooled into a linear head: 4,204 parameters."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        network = nn.Sequential(
            nn.Conv2d(3, 8, 5, stride=2, padding=2, bias=False),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.Conv2d(16, 16, 3, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(16, len(ORIENTATIONS)),
        )
    card = ModelCard(
        id="test:bars",
        source="module",
        preprocessing=Preprocessing(SIDE, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
        feature_dim=len(ORIENTATIONS),
        weights="random",
        weights_digest=f"random-{seed}",
    )
    return ImageClassifier(network, card, LabelSpace("bars", ORIENTATIONS))


def train(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, steps: int = TRAIN_STEPS) -> nn.Module:
    """Adam at 1e-2 on seeded batches of 32 (about four seconds of one core); returns the model in eval mode."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    order = torch_generator(SEED, "tests", "adaptation", "batches")
    model.train()
    for _ in range(steps):
        chosen = torch.randint(0, len(images), (32,), generator=order)
        loss = functional.cross_entropy(model(images[chosen]), labels[chosen])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


@pytest.fixture(scope="session")
def bar_task() -> BarTask:
    """The trained bar classifier with 256 clean and shifted test images."""
    model = train(bar_network(), *bar_images(4096, "train"))
    clean, labels = bar_images(256, "test")
    return BarTask(model, clean, contrast_shift(clean), labels)
