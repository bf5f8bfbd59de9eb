"""Batched torch versions of the image filters the reference corruptions borrow from scipy, scikit-image and OpenCV.

Every function takes an N x C x H x W floating-point tensor on any device and keeps its dtype and device; the
border handling follows the library each one replaces (it decides the outermost pixels, so parity depends on it).
Kernels and sampling positions are computed in float64 NumPy exactly as those libraries compute them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

# scipy.ndimage's names for the ways of extending an image past its border (OpenCV's BORDER_REFLECT_101 is 'mirror').
BORDER_MODES = ("nearest", "reflect", "mirror")


def border_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """Source index of every position of an axis of `size` padded by `before` and `after`, as scipy.ndimage extends it.

    'nearest' repeats the edge (a a | a b c | c c), 'reflect' mirrors about the edge (b a | a b c | c b), 'mirror'
    mirrors about the edge pixel (c b | a b c | b a, OpenCV's reflect-101); any pad width is allowed.
    """
    if mode not in BORDER_MODES:
        raise ValueError(f"border mode must be one of {BORDER_MODES}, got {mode!r}")
    index = np.arange(-before, size + after)
    if mode == "nearest" or size == 1:
        return np.clip(index, 0, size - 1)
    period = 2 * size if mode == "reflect" else 2 * size - 2
    index = np.mod(index, period)
    return np.where(index < size, index, period - index - (1 if mode == "reflect" else 0))


def pad(x: torch.Tensor, top: int, bottom: int, left: int, right: int, mode: str) -> torch.Tensor:
    """`x` (N x C x H x W) padded on its last two axes with the scipy.ndimage border `mode` (see `border_index`)."""
    h, w = x.shape[-2:]
    if mode == "nearest" or (mode == "mirror" and max(top, bottom) < h and max(left, right) < w):
        return F.pad(x, (left, right, top, bottom), mode="replicate" if mode == "nearest" else "reflect")
    rows = torch.from_numpy(border_index(h, top, bottom, mode)).to(x.device)
    cols = torch.from_numpy(border_index(w, left, right, mode)).to(x.device)
    return x.index_select(-2, rows).index_select(-1, cols)


def gaussian_kernel1d(sigma: float, truncate: float = 4.0) -> np.ndarray:
    """scipy.ndimage's normalised 1-D Gaussian weights for `sigma`, radius int(truncate * sigma + 0.5), float64."""
    radius = int(truncate * float(sigma) + 0.5)
    offsets = np.arange(-radius, radius + 1)
    weights = np.exp(-0.5 / (float(sigma) * float(sigma)) * offsets**2)
    return weights / weights.sum()


def correlation_matrix(size: int, weights: np.ndarray, mode: str) -> np.ndarray:
    """The size x size matrix of a 1-D correlation with odd-length centred `weights` and the scipy border `mode`.

    Row i holds the weight every input pixel gets in output pixel i, the border extension folded in, so one matrix
    product filters a whole axis with the exact border semantics, for any kernel length.
    """
    radius = len(weights) // 2
    source = border_index(size, radius, radius, mode)
    matrix = np.zeros((size, size))
    rows = np.repeat(np.arange(size), len(weights))
    cols = source[np.arange(size)[:, None] + np.arange(len(weights))[None, :]].ravel()
    np.add.at(matrix, (rows, cols), np.tile(weights, size))
    return matrix


def separable_filter(x: torch.Tensor, row_matrix: np.ndarray | None, col_matrix: np.ndarray | None) -> torch.Tensor:
    """`x` (N x C x H x W) filtered along H by `row_matrix` (H x H) and along W by `col_matrix` (W x W); None skips."""
    if row_matrix is not None:
        x = torch.as_tensor(row_matrix, dtype=x.dtype, device=x.device) @ x
    if col_matrix is not None:
        x = x @ torch.as_tensor(col_matrix.T, dtype=x.dtype, device=x.device)
    return x


def gaussian_filter(
    x: torch.Tensor, sigma: float | Sequence[float], truncate: float = 4.0, mode: str = "nearest"
) -> torch.Tensor:
    """`x` (N x C x H x W) blurred over H and W as scipy.ndimage.gaussian_filter blurs each image and channel.

    Args:
        x: Floating-point images; the channels are blurred independently (skimage's `channel_axis`).
        sigma: One standard deviation for both axes, or (sigma_rows, sigma_columns); an axis with sigma 0 is skipped.
        truncate: Kernel radius in standard deviations, rounded as scipy rounds it.
        mode: Border extension, 'nearest' (skimage.filters.gaussian's default), 'reflect' or 'mirror' (scipy names).

    Returns:
        The blurred images, same shape, dtype and device.

    """
    sigmas = (float(sigma), float(sigma)) if np.ndim(sigma) == 0 else tuple(float(s) for s in sigma)
    matrices = [
        correlation_matrix(size, gaussian_kernel1d(axis_sigma, truncate), mode) if axis_sigma > 1e-15 else None
        for size, axis_sigma in zip(x.shape[-2:], sigmas, strict=True)
    ]
    return separable_filter(x, *matrices)


def gaussian_blur_nearest(x: torch.Tensor, sigma: float, truncate: float = 4.0) -> torch.Tensor:
    """skimage.filters.gaussian(image, sigma, channel_axis=-1) on N x C x H x W: border 'nearest', truncate 4."""
    return gaussian_filter(x, sigma, truncate, mode="nearest")


def filter2d_reflect101(x: torch.Tensor, kernel: np.ndarray) -> torch.Tensor:
    """cv2.filter2D(channel, -1, kernel) on every image and channel of `x`: correlation, centred, reflect-101 border.

    The kernel (odd sides) is applied by FFT on the padded images: one product per frequency, whatever its size.
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    ry, rx = kernel.shape[0] // 2, kernel.shape[1] // 2
    h, w = x.shape[-2:]
    padded = pad(x, ry, ry, rx, rx, "mirror")
    size = (_fast_fft_size(h + 2 * ry), _fast_fft_size(w + 2 * rx))
    flipped = torch.as_tensor(kernel[::-1, ::-1].copy(), dtype=x.dtype, device=x.device)
    spectrum = torch.fft.rfft2(padded, s=size) * torch.fft.rfft2(flipped, s=size)
    return torch.fft.irfft2(spectrum, s=size)[..., 2 * ry : 2 * ry + h, 2 * rx : 2 * rx + w].contiguous()


def _fast_fft_size(size: int) -> int:
    """The smallest length >= `size` whose prime factors are 2, 3 and 5 (fast for pocketfft and cuFFT)."""
    while True:
        rest = size
        for prime in (2, 3, 5):
            while rest % prime == 0:
                rest //= prime
        if rest == 1:
            return size
        size += 1


def zoom_axis(size: int, zoom_factor: float) -> tuple[int, int, int, int]:
    """How the reference's clipped_zoom treats one axis of `size`: (crop start, crop length, output length, valid).

    It crops the central ceil(size / zoom_factor) pixels and zooms them with scipy.ndimage.zoom(order=1), whose
    output has round(crop * zoom_factor) pixels, output pixel o sampling the crop at o * (crop - 1) / (out - 1).
    scipy's default mode 'constant' gives 0 where that position rounds past the last pixel: only the first `valid`
    output pixels are non-zero.
    """
    crop = int(np.ceil(size / float(zoom_factor)))
    length = round(float(crop * zoom_factor))
    step = (crop - 1) / (length - 1) if length > 1 else 1.0
    valid = int(np.count_nonzero(np.arange(length) * step <= crop - 1))
    return (size - crop) // 2, crop, length, valid


def clipped_zoom(x: torch.Tensor, zoom_factor: float) -> torch.Tensor:
    """The reference's clipped_zoom on N x C x H x W: the centre zoomed by `zoom_factor` (bilinear, scipy's grid).

    Like the reference it returns the whole zoomed crop, round(ceil(H / z) * z) x round(ceil(W / z) * z) pixels, which
    can exceed H x W by a pixel or two (callers crop, as the reference does).
    """
    top, crop_h, out_h, valid_h = zoom_axis(x.shape[-2], zoom_factor)
    left, crop_w, out_w, valid_w = zoom_axis(x.shape[-1], zoom_factor)
    crop = x[..., top : top + crop_h, left : left + crop_w]
    zoomed = F.interpolate(crop, size=(out_h, out_w), mode="bilinear", align_corners=True)
    zoomed[..., valid_h:, :] = 0
    zoomed[..., :, valid_w:] = 0
    return zoomed


def motion_blur_kernel(radius: int, sigma: float) -> np.ndarray:
    """The reference's one-sided motion-blur weights: a normalised Gaussian over 0 .. 2 * radius, float64."""
    offsets = np.arange(2 * radius + 1)
    weights = np.exp(-(offsets**2) / (2 * sigma**2)) / (np.sqrt(2 * np.pi) * sigma)
    return weights / np.sum(weights)


def motion_blur_shifts(radius: int, angle: float, height: int, width: int) -> list[tuple[int, int]]:
    """The (dy, dx) pixel shifts of the reference's _motion_blur for one angle, in kernel order.

    Like the reference it stops at the first shift as long as the image (height or width), so small images get
    fewer taps whose weights are not renormalised.
    """
    taps = 2 * radius + 1
    point = (taps * np.sin(np.deg2rad(angle)), taps * np.cos(np.deg2rad(angle)))
    hypot = math.hypot(point[0], point[1])
    shifts = []
    for i in range(taps):
        dy = -math.ceil(((i * point[0]) / hypot) - 0.5)
        dx = -math.ceil(((i * point[1]) / hypot) - 0.5)
        if abs(dy) >= height or abs(dx) >= width:
            break
        shifts.append((dy, dx))
    return shifts


def motion_blur(x: torch.Tensor, radius: int, sigma: float, angles: Sequence[float]) -> torch.Tensor:
    """The reference's _motion_blur on N x C x H x W with one angle (degrees) per image.

    Each image is the weighted sum of copies of itself shifted along the angle, 0 to 2 * radius pixels, borders
    repeating the edge pixel as the reference's `shift` does.
    """
    n, _, h, w = x.shape
    if len(angles) != n:
        raise ValueError(f"expected one angle per image ({n}), got {len(angles)}")
    weights = motion_blur_kernel(radius, sigma)
    blurred = torch.zeros_like(x)
    for image, angle in enumerate(angles):
        shifts = motion_blur_shifts(radius, float(angle), h, w)
        reach = max((max(abs(dy), abs(dx)) for dy, dx in shifts), default=0)
        padded = pad(x[image : image + 1], reach, reach, reach, reach, "nearest")[0]
        for weight, (dy, dx) in zip(weights, shifts, strict=False):
            top, left = reach - dy, reach - dx
            blurred[image].add_(padded[:, top : top + h, left : left + w], alpha=float(weight))
    return blurred
