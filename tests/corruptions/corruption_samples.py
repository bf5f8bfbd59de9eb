"""Helpers of the corruption tests: small real photographs and one call through `corrupt_batch`."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from skimage import data

from fovkit.corruptions import corrupt_batch

SEEDS = (0, 1, 2)


def resized(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """`image` resized to height x width (bilinear)."""
    return np.asarray(Image.fromarray(image).resize((width, height), Image.BILINEAR))


def photo_batch() -> np.ndarray:
    """Three photographs, 40 x 56 (non-square), N x H x W x 3 uint8."""
    return np.stack([resized(image, 40, 56) for image in (data.chelsea(), data.coffee(), data.astronaut())])


def as_batch(photos: np.ndarray) -> torch.Tensor:
    """N x H x W x 3 uint8 photos as an N x 3 x H x W tensor."""
    return torch.from_numpy(np.ascontiguousarray(photos.transpose(0, 3, 1, 2)))


def run(name: str, photos: np.ndarray, severity: int, seeds=SEEDS) -> np.ndarray:
    """`photos` through `corrupt_batch`, one generator per image seeded by `seeds`; N x H x W x 3 uint8."""
    rngs = [np.random.default_rng(seed) for seed in seeds]
    return corrupt_batch(as_batch(photos), name, severity, rngs).permute(0, 2, 3, 1).numpy()


def close_share(ours: np.ndarray, expected: np.ndarray) -> float:
    """Share of values within one grey level of `expected` (the reference's float result, truncated to uint8)."""
    return float(np.mean(np.abs(ours.astype(np.int64) - np.uint8(expected).astype(np.int64)) <= 1))
