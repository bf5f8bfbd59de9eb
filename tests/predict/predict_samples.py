"""The prediction tests' helpers: a tiny classifier around a small torch module, and random images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from fovkit.models.base import ImageClassifier, LabelSpace, ModelCard, Preprocessing

PREPROCESSING = Preprocessing(input_size=16, crop_pct=0.875)


class TinyNet(nn.Module):
    """Average colours of a 2 x 2 grid -> a linear layer: depends on every pixel region, fast."""

    def __init__(self, classes: int, seed: int = 0) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc = nn.Linear(12, classes)
        with torch.no_grad():
            self.fc.weight.copy_(torch.randn(classes, 12, generator=generator) * 3)
            self.fc.bias.copy_(torch.randn(classes, generator=generator))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(images).flatten(1))


class CrashingNet(TinyNet):
    """TinyNet that raises on its `crash_at`-th forward pass, as a model might in the middle of a run."""

    def __init__(self, classes: int, crash_at: int) -> None:
        super().__init__(classes)
        self.crash_at = crash_at
        self.calls = 0

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls == self.crash_at:
            raise RuntimeError("model crashed")
        return super().forward(images)


def tiny_classifier(labels: LabelSpace | None = None, network: nn.Module | None = None) -> ImageClassifier:
    """An ImageClassifier over `labels` (default: three toy classes) with a fixed card."""
    labels = labels or LabelSpace("toy", ("apple", "bear", "cloud"))
    card = ModelCard("module:tiny", "module", PREPROCESSING, len(labels), "module", "tiny-0")
    return ImageClassifier(network or TinyNet(len(labels)), card, labels).eval()


def random_image(seed: int, size: tuple[int, int] = (20, 28)) -> np.ndarray:
    """A random RGB image (height, width) of uint8."""
    return np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8)


def image_format(path: Path) -> str:
    """Pillow's format name for a file's suffix."""
    return {".jpeg": "JPEG", ".jpg": "JPEG", ".png": "PNG", ".bmp": "BMP", ".webp": "WEBP"}[path.suffix.lower()]


def write_images(root: Path, names: list[str]) -> Path:
    """Write a random image at each relative path under `root` (format from the suffix); return `root`."""
    for index, name in enumerate(names):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(random_image(index, (18 + index % 5, 24 + index % 3))).save(path, format=image_format(path))
    return root
