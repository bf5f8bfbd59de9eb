"""The noise family: Gaussian, shot (Poisson), impulse (salt and pepper) and speckle noise, drawn per image.

Each image's noise comes from its own generator with the shapes and parameters the reference draws from NumPy's
global state (H x W x 3 values, channel last), so an image's result depends only on its generator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from fovkit.corruptions.digital import float32_below
from fovkit.corruptions.registry import corruption

# Severity parameters of imagecorruptions 1.1.2 (imagecorruptions/corruptions.py), the reference implementation.
GAUSSIAN_SCALES = (0.08, 0.12, 0.18, 0.26, 0.38)
SHOT_PHOTONS = (60, 25, 12, 5, 3)
IMPULSE_AMOUNTS = (0.03, 0.06, 0.09, 0.17, 0.27)
SPECKLE_SCALES = (0.15, 0.2, 0.35, 0.45, 0.6)
# skimage.util.random_noise(mode='s&p') default: a flipped value is salt (1) or pepper (0) with equal odds.
SALT_VS_PEPPER = 0.5


def _unit(images: torch.Tensor) -> torch.Tensor:
    """The reference's `np.array(x) / 255.`: the images' grey levels over 255, in float64."""
    return images.double().mul_(255).round_().div_(255)


def _draw(
    images: torch.Tensor, rngs: Sequence[np.random.Generator], draw: Callable[[np.random.Generator, tuple], np.ndarray]
) -> torch.Tensor:
    """`draw(rng, (H, W, 3))` for every image with its own generator, as an N x 3 x H x W tensor on `images`' device."""
    shape = (images.shape[2], images.shape[3], images.shape[1])
    return torch.from_numpy(np.stack([draw(rng, shape) for rng in rngs])).to(images.device).permute(0, 3, 1, 2)


@corruption("gaussian_noise", family="noise", stochastic=True)
def gaussian_noise(images: torch.Tensor, severity: int, rngs: Sequence[np.random.Generator]) -> torch.Tensor:
    """Additive Gaussian noise of standard deviation 0.08-0.38 (on the 0-1 scale), the same for every pixel."""
    scale = GAUSSIAN_SCALES[severity - 1]
    noise = _draw(images, rngs, lambda rng, shape: rng.normal(size=shape, scale=scale))
    return (images.double() + noise).clamp_(0, 1).mul_(255).float()


@corruption("shot_noise", family="noise", stochastic=True)
def shot_noise(images: torch.Tensor, severity: int, rngs: Sequence[np.random.Generator]) -> torch.Tensor:
    """Photon (Poisson) noise: each value counted as Poisson(value * photons) / photons, 60 to 3 photons at full scale.

    The counts are drawn on the CPU (NumPy's Poisson sampler); the result moves back to the images' device.
    """
    photons = SHOT_PHOTONS[severity - 1]
    means = _unit(images.detach().cpu()).permute(0, 2, 3, 1).numpy() * photons
    counts = np.stack([rng.poisson(mean) for rng, mean in zip(rngs, means, strict=True)])
    noisy = torch.from_numpy(counts).to(images.device).permute(0, 3, 1, 2) / float(photons)
    # Counts over photons are a lattice whose float64 products can fall just below a grey level: round down to float32.
    return float32_below(noisy.clamp_(0, 1).mul_(255)).contiguous()


@corruption("impulse_noise", family="noise", stochastic=True)
def impulse_noise(images: torch.Tensor, severity: int, rngs: Sequence[np.random.Generator]) -> torch.Tensor:
    """Salt-and-pepper noise: a share (3-27 %) of the values, each channel on its own, set to 0 or 1 at even odds.

    As skimage.util.random_noise(mode='s&p') does: one uniform draw per value decides whether it flips, a second
    whether a flipped value becomes salt or pepper.
    """
    amount = IMPULSE_AMOUNTS[severity - 1]
    flipped = _draw(images, rngs, lambda rng, shape: rng.random(shape) <= amount)
    # The second draw follows the first for every image, as random_noise draws them from one generator.
    salted = _draw(images, rngs, lambda rng, shape: rng.random(shape) <= SALT_VS_PEPPER)
    noisy = torch.where(flipped, salted.to(images.dtype), images)
    return noisy.clamp_(0, 1).mul_(255).contiguous()


@corruption("speckle_noise", family="noise", stochastic=True)
def speckle_noise(images: torch.Tensor, severity: int, rngs: Sequence[np.random.Generator]) -> torch.Tensor:
    """Multiplicative Gaussian noise: value * (1 + N(0, 0.15-0.6)), so bright pixels get the most noise."""
    scale = SPECKLE_SCALES[severity - 1]
    noise = _draw(images, rngs, lambda rng, shape: rng.normal(size=shape, scale=scale))
    x = images.double()
    return (x + x * noise).clamp_(0, 1).mul_(255).float()
