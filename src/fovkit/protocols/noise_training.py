"""Gaussian and speckle noise on training batches (Rusak et al. 2020), the finetuning option `FinetuneConfig.noise`."""

from __future__ import annotations

import torch

from fovkit.protocols.config import NoiseTraining


def add_training_noise(images: torch.Tensor, noise: NoiseTraining) -> torch.Tensor:
    """`images` (float NCHW in [0, 1]) with noise on a random share of them, clipped to [0, 1].

    Each image is noisy with probability `noise.probability`, with one sigma drawn uniformly from `noise.sigma`;
    Gaussian noise adds sigma * N(0, 1) per pixel and channel, speckle noise multiplies that by the pixel. Draws come
    from torch's global generator on the images' device, which `finetune` seeds from (seed, step).
    """
    count, device = len(images), images.device
    noisy = torch.rand(count, device=device) < noise.probability
    low, high = noise.sigma
    sigma = torch.empty(count, device=device).uniform_(low, high) * noisy
    perturbation = torch.randn_like(images) * sigma.to(images.dtype).view(-1, *([1] * (images.ndim - 1)))
    if noise.kind == "speckle":
        perturbation = perturbation * images
    return (images + perturbation).clamp(0.0, 1.0)
