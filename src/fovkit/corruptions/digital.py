"""The digital corruptions of ImageNet-C, batched in torch: contrast, elastic, pixelate, JPEG, brightness, saturate.

Saturate is one of the four extra (validation) corruptions. Parameters and steps are those of `imagecorruptions`
1.1.2 (`imagecorruptions/corruptions.py`, after Hendrycks & Dietterich's ImageNet-C code). Brightness and saturate
reproduce scikit-image's rgb2hsv/hsv2rgb formulas in float64 (results rounded down to float32 by `float32_below`,
so the final uint8 truncation gives the reference's integers); contrast (float32: a channel mean has no integer
structure) and the elastic transform's sampling (scipy.ndimage.map_coordinates, order 1, mode 'reflect', float64)
run in torch on the images' device; pixelate and JPEG compression call Pillow per image on the CPU, exactly as the
reference does.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO

import numpy as np
import torch
import torch.nn.functional as F

from fovkit.corruptions.filters import gaussian_filter
from fovkit.corruptions.registry import corruption

# Severity tables of imagecorruptions 1.1.2 (corruptions.py), one entry per severity 1-5.
CONTRAST = (0.4, 0.3, 0.2, 0.1, 0.05)  # weight of the deviation from the channel mean
BRIGHTNESS = (0.1, 0.2, 0.3, 0.4, 0.5)  # added to HSV value
SATURATE = ((0.3, 0), (0.1, 0), (2, 0), (5, 0.1), (20, 0.2))  # HSV saturation * a + b
ELASTIC = tuple(250 * f for f in (0.05, 0.065, 0.085, 0.1, 0.12))  # displacement gain alpha
PIXELATE = (0.6, 0.5, 0.4, 0.3, 0.25)  # downscale factor
JPEG_QUALITY = (25, 18, 15, 10, 7)
ELASTIC_SIGMA = 0.01  # blur of the displacement field, in image sides (per axis)
ELASTIC_REACH = 0.005  # amplitude of the raw displacements, in image heights (both axes)
ELASTIC_TRUNCATE = 3.0
# hsv2rgb: for each sector floor(6 h) mod 6, which of (v, p, q, t) each of R, G, B takes (skimage's np.choose table).
HSV_SECTORS = ((0, 2, 1, 1, 3, 0), (3, 0, 0, 2, 1, 1), (1, 1, 3, 0, 0, 2))


def float32_below(values: torch.Tensor) -> torch.Tensor:
    """Non-negative float64 `values` as float32 rounded down, so uint8 truncation keeps the reference's integers.

    `corrupt_batch` truncates to uint8 as the reference's `np.uint8` does on float64 values; rounding to the nearest
    float32 would turn 101.99999999999999 (reference: 101) into 102.
    """
    rounded = values.float()
    # One step down for a positive float32 is its bit pattern minus one.
    rounded.view(torch.int32).sub_((rounded.double() > values).to(torch.int32))
    return rounded


def _unit(images: torch.Tensor) -> torch.Tensor:
    """The reference's `np.array(x) / 255.`: the images' uint8 levels over 255 in float64."""
    return images.mul(255).round_().double().div_(255)


def rgb_to_hsv(rgb: torch.Tensor) -> torch.Tensor:
    """skimage.color.rgb2hsv on N x 3 x H x W: hue in [0, 1) (0 for greys), saturation and value in [0, 1]."""
    red, green, blue = rgb.unbind(1)
    value = rgb.amax(1)
    delta = value - rgb.amin(1)
    grey = delta == 0
    spread = torch.where(grey, 1.0, delta)
    saturation = torch.where(grey, 0.0, delta / torch.where(grey, 1.0, value))
    # Where two channels tie for the maximum, blue wins over green and green over red, as in skimage.
    hue = torch.where(
        blue == value,
        4.0 + (red - green) / spread,
        torch.where(green == value, 2.0 + (blue - red) / spread, (green - blue) / spread),
    )
    hue = torch.where(grey, 0.0, torch.remainder(hue / 6.0, 1.0))
    return torch.stack((hue, saturation, value), 1)


def hsv_to_rgb(hsv: torch.Tensor) -> torch.Tensor:
    """skimage.color.hsv2rgb on N x 3 x H x W (hue, saturation, value in [0, 1])."""
    hue, saturation, value = hsv.unbind(1)
    sector = torch.floor(hue * 6)
    fraction = hue * 6 - sector
    p = value * (1 - saturation)
    q = value * (1 - fraction * saturation)
    t = value * (1 - (1 - fraction) * saturation)
    table = torch.tensor(HSV_SECTORS, device=hsv.device)
    choice = table[:, sector.long() % 6].transpose(0, 1)  # N x 3 x H x W indices into (v, p, q, t)
    return torch.gather(torch.stack((value, p, q, t), 1), 1, choice)


@corruption("brightness", family="digital", stochastic=False)
def brightness(images: torch.Tensor, severity: int, rngs: Sequence[np.random.Generator]) -> torch.Tensor:
    """Brightness: a constant added to the HSV value channel (clipped at 1), hue and saturation kept."""
    hsv = rgb_to_hsv(_unit(images))
    hsv[:, 2].add_(BRIGHTNESS[severity - 1]).clamp_(0, 1)
    return float32_below(hsv_to_rgb(hsv).clamp_(0, 1).mul_(255))


@corruption("saturate", family="digital", stochastic=False)
def saturate(images: torch.Tensor, severity: int, rngs: Sequence[np.random.Generator]) -> torch.Tensor:
    """Saturate: the HSV saturation scaled and shifted (lower at severities 1-2, higher at 3-5), clipped to [0, 1]."""
    scale, shift = SATURATE[severity - 1]
    hsv = rgb_to_hsv(_unit(images))
    hsv[:, 1].mul_(scale).add_(shift).clamp_(0, 1)
    return float32_below(hsv_to_rgb(hsv).clamp_(0, 1).mul_(255))


@corruption("contrast", family="digital", stochastic=False)
def contrast(images: torch.Tensor, severity: int, rngs: Sequence[np.random.Generator]) -> torch.Tensor:
    """Contrast: each channel pulled towards its own mean over the image."""
    means = images.double().mean(dim=(2, 3), keepdim=True).float()
    return ((images - means) * CONTRAST[severity - 1] + means).clamp_(0, 1).mul_(255)


@corruption("elastic_transform", family="digital", stochastic=True)
def elastic_transform(images: torch.Tensor, severity: int, rngs: Sequence[np.random.Generator]) -> torch.Tensor:
    """Elastic transform: pixels resampled (bilinear) along a smooth random displacement field.

    Each image draws two uniform fields (columns, then rows) of amplitude 0.005 x its height, blurred with a Gaussian
    of 0.01 x each side (mode 'reflect', truncate 3) and scaled by the severity's alpha, as the reference does.
    """
    _, _, height, width = images.shape
    reach = height * ELASTIC_REACH
    fields = np.stack([[rng.uniform(-reach, reach, size=(height, width)) for _ in range(2)] for rng in rngs])
    sigma = (height * ELASTIC_SIGMA, width * ELASTIC_SIGMA)
    # Blurred in float32 (the reference blurs in float64 and then keeps float32 displacements: 1e-7 pixel apart).
    raw = torch.from_numpy(fields).to(images.device, torch.float32)
    smooth = gaussian_filter(raw, sigma, ELASTIC_TRUNCATE, mode="reflect")
    # Displacements are added to the integer grid in float64, as in the reference.
    shifts = (smooth * ELASTIC[severity - 1]).double()
    columns = torch.arange(width, device=images.device, dtype=torch.float64) + shifts[:, 0]
    rows = torch.arange(height, device=images.device, dtype=torch.float64)[:, None] + shifts[:, 1]
    return sample_bilinear_reflect(images, rows, columns).clamp_(0, 1).mul_(255)


def sample_bilinear_reflect(images: torch.Tensor, rows: torch.Tensor, columns: torch.Tensor) -> torch.Tensor:
    """`images` (N x C x H x W) sampled at float64 (rows, columns), each N x H' x W', bilinearly with a mirrored border.

    Each channel as scipy.ndimage.map_coordinates(order=1, mode='reflect') samples it: torch's grid_sample with
    reflection padding folds coordinates about the outer pixel edges and clamps the last half pixel to the edge pixel,
    as scipy does. Computed in float64, returned in the images' dtype.
    """
    height, width = images.shape[-2:]
    grid = torch.stack(((columns + 0.5) * (2.0 / width) - 1, (rows + 0.5) * (2.0 / height) - 1), -1)
    sampled = F.grid_sample(images.double(), grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    return sampled.to(images.dtype)


def _per_image_pil(images: torch.Tensor, transform: object) -> torch.Tensor:
    """`transform` (PIL image -> PIL image) applied to every image on the CPU; float32 0-255 on the images' device."""
    from PIL import Image

    levels = images.mul(255).round_().to("cpu", torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()  # N x H x W x 3
    results = np.stack([np.asarray(transform(Image.fromarray(level))) for level in levels])
    return torch.from_numpy(results.transpose(0, 3, 1, 2).copy()).to(images.device).float()


@corruption("pixelate", family="digital", stochastic=False)
def pixelate(images: torch.Tensor, severity: int, rngs: Sequence[np.random.Generator]) -> torch.Tensor:
    """Pixelate: Pillow's BOX downscale by the severity's factor, then NEAREST back up to the original size."""
    from PIL import Image

    factor = PIXELATE[severity - 1]
    _, _, height, width = images.shape
    small = (int(width * factor), int(height * factor))

    def transform(image: Image.Image) -> Image.Image:
        return image.resize(small, Image.BOX).resize((width, height), Image.NEAREST)

    return _per_image_pil(images, transform)


@corruption("jpeg_compression", family="digital", stochastic=False)
def jpeg_compression(images: torch.Tensor, severity: int, rngs: Sequence[np.random.Generator]) -> torch.Tensor:
    """JPEG compression: each image saved by Pillow as JPEG at the severity's quality and decoded again."""
    from PIL import Image

    quality = JPEG_QUALITY[severity - 1]

    def transform(image: Image.Image) -> Image.Image:
        encoded = BytesIO()
        image.save(encoded, "JPEG", quality=quality)
        encoded.seek(0)
        return Image.open(encoded)

    return _per_image_pil(images, transform)
