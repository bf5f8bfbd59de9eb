"""The blur family: defocus, glass, motion, zoom and Gaussian blur, batched in torch.

Defocus, zoom and Gaussian blur are deterministic; glass blur draws its pixel shuffle and motion blur its angle from
each image's own generator. The filters reproduce the reference's OpenCV, scikit-image and SciPy calls, borders
included (see `fovkit.corruptions.filters`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np
import torch

from fovkit.corruptions import filters
from fovkit.corruptions.registry import corruption

# Severity parameters of imagecorruptions 1.1.2 (imagecorruptions/corruptions.py), the reference implementation.
DEFOCUS = ((3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5))  # disk radius, anti-aliasing sigma
GLASS = ((0.7, 1, 2), (0.9, 2, 1), (1, 2, 3), (1.1, 3, 2), (1.5, 4, 2))  # sigma, max shift, iterations
MOTION = ((10, 3), (15, 5), (15, 8), (15, 12), (20, 15))  # radius, sigma
MOTION_ANGLES = (-45.0, 45.0)  # degrees, drawn uniformly per image
ZOOM_FACTORS = (
    np.arange(1, 1.11, 0.01),
    np.arange(1, 1.16, 0.01),
    np.arange(1, 1.21, 0.02),
    np.arange(1, 1.26, 0.02),
    np.arange(1, 1.31, 0.03),
)
GAUSSIAN_SIGMAS = (1, 2, 3, 4, 6)


def disk_kernel(radius: int, alias_blur: float) -> np.ndarray:
    """The reference's defocus kernel: a normalised disk, anti-aliased by a small Gaussian blur (cv2.GaussianBlur).

    Radii up to 8 use a 17 x 17 grid and a 3 x 3 blur, larger ones a (2r + 1) grid and a 5 x 5 blur; the blur
    extends the grid's border by reflect-101, OpenCV's default, and the result is float32 as in the reference.
    """
    half, blur_size = (8, 3) if radius <= 8 else (radius, 5)
    offsets = np.arange(-half, half + 1)
    disk = (offsets[None, :] ** 2 + offsets[:, None] ** 2 <= radius**2).astype(np.float32)
    disk /= np.sum(disk)
    taps = np.arange(blur_size) - (blur_size - 1) / 2
    weights = np.exp(-(taps**2) / (2 * alias_blur**2))
    blur = filters.correlation_matrix(len(offsets), weights / weights.sum(), "mirror")
    return (blur @ disk.astype(np.float64) @ blur.T).astype(np.float32)


@corruption("defocus_blur", family="blur", stochastic=False)
def defocus_blur(images: torch.Tensor, severity: int, rngs: Sequence[np.random.Generator]) -> torch.Tensor:
    """An out-of-focus lens: each channel filtered by an anti-aliased disk of radius 3-10 pixels (reflect-101)."""
    radius, alias_blur = DEFOCUS[severity - 1]
    return filters.filter2d_reflect101(images, disk_kernel(radius, alias_blur)).clamp_(0, 1).mul_(255)


@numba.njit(cache=True)
def _shuffle_pixels(image: np.ndarray, offsets: np.ndarray, max_delta: int) -> None:  # pragma: no cover (compiled)
    """The reference's sequential local shuffle, in place on a C x H x W uint8 image.

    Rows and columns are visited from the far end (H - max_delta down to max_delta + 1); each visited pixel takes the
    value of the pixel at (row + dy, column + dx). The reference writes it as a swap, but NumPy views make its second
    assignment copy the new value back, so only the visited pixel changes; later visits see the earlier copies.
    """
    channels, height, width = image.shape
    for iteration in range(offsets.shape[0]):
        for i in range(height - 2 * max_delta):
            row = height - max_delta - i
            for j in range(width - 2 * max_delta):
                column = width - max_delta - j
                dx = offsets[iteration, i, j, 0]
                dy = offsets[iteration, i, j, 1]
                for channel in range(channels):
                    image[channel, row, column] = image[channel, row + dy, column + dx]


@corruption("glass_blur", family="blur", stochastic=True)
def glass_blur(images: torch.Tensor, severity: int, rngs: Sequence[np.random.Generator]) -> torch.Tensor:
    """Frosted glass: Gaussian blur, a local pixel shuffle (shifts of up to 1-4 pixels, 1-3 passes), blur again.

    The blurred image is truncated to uint8 before the shuffle, as in the reference. The shuffle is sequential, so
    it runs compiled on the CPU; every image's shifts are drawn from its generator before it starts, in the order
    the reference draws them (dx then dy for each pixel, pass by pass).
    """
    sigma, max_delta, iterations = GLASS[severity - 1]
    height, width = images.shape[2], images.shape[3]
    blurred = filters.gaussian_blur_nearest(images, sigma).mul_(255).clamp_(0, 255)
    shuffled = blurred.to(torch.uint8).cpu().numpy()
    shape = (iterations, max(height - 2 * max_delta, 0), max(width - 2 * max_delta, 0), 2)
    for image, rng in zip(shuffled, rngs, strict=True):
        _shuffle_pixels(image, rng.integers(-max_delta, max_delta, size=shape), max_delta)
    shuffled_images = torch.from_numpy(shuffled).to(images.device, images.dtype) / 255
    return filters.gaussian_blur_nearest(shuffled_images, sigma).clamp_(0, 1).mul_(255)


@corruption("motion_blur", family="blur", stochastic=True)
def motion_blur(images: torch.Tensor, severity: int, rngs: Sequence[np.random.Generator]) -> torch.Tensor:
    """Camera shake: a one-sided Gaussian smear 21-41 pixels long at an angle drawn per image from (-45, 45) degrees."""
    radius, sigma = MOTION[severity - 1]
    angles = [rng.uniform(*MOTION_ANGLES) for rng in rngs]
    return filters.motion_blur(images * 255, radius, sigma, angles).clamp_(0, 255)


@corruption("zoom_blur", family="blur", stochastic=False)
def zoom_blur(images: torch.Tensor, severity: int, rngs: Sequence[np.random.Generator]) -> torch.Tensor:
    """Moving towards the camera: the mean of the image and its centre zoomed by factors from 1 up to 1.1-1.3."""
    factors = ZOOM_FACTORS[severity - 1]
    height, width = images.shape[2], images.shape[3]
    zoomed = torch.zeros_like(images)
    for factor in factors:
        zoomed += filters.clipped_zoom(images, factor)[..., :height, :width]
    return (images + zoomed).div_(len(factors) + 1).clamp_(0, 1).mul_(255)


@corruption("gaussian_blur", family="blur", stochastic=False)
def gaussian_blur(images: torch.Tensor, severity: int, rngs: Sequence[np.random.Generator]) -> torch.Tensor:
    """Gaussian blur of sigma 1-6 pixels, truncated at 4 sigma, edges extended by repetition (skimage's default)."""
    return filters.gaussian_blur_nearest(images, GAUSSIAN_SIGMAS[severity - 1]).clamp_(0, 1).mul_(255)
