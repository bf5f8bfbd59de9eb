"""How long a render takes here and how much disk it fills: a documented cost model, no rendering.

Time. One process per core renders (the default of `fovkit render run`). Each image costs a fixed
`SECONDS_PER_IMAGE` (posing, background, encoding, Parquet) plus `SECONDS_PER_PIXEL_SAMPLE` for every pixel and
multisampling sample. Fitted to the throughput measured in docs/benchmarks.md ("Rendering throughput vs pyrender":
Mesa llvmpipe through EGL, JPEG quality 90, shards written), it gives 600 images/s per core at 224 px with 4 samples
(measured 598, 582-662 over four runs), 1,014 at 224 px with 1 sample (measured 1,015) and 1,199 at 64 px with 4
samples (measured 1,186). Start-up (imports, GL contexts, procedural assets) and the contact sheets add a few
seconds that only small renders notice; a GPU driver's EGL, other formats and a loaded machine change the rest: it is
an estimate.

Disk. Per image, `ROW_BYTES` of factor columns plus the encoded image as stored in zstd-compressed Parquet,
`BYTES_PER_PIXEL[format]` per pixel (measured on shards of rendered images at 64 and 224 px; JPEG at quality 90).
For the paper plan at 64 px it says 5.3 GB; the run in docs/benchmarks.md wrote 4.9 GB.
"""

from __future__ import annotations

from dataclasses import dataclass

from fovkit.render.config import RenderConfig

SECONDS_PER_IMAGE = 0.76e-3
SECONDS_PER_PIXEL_SAMPLE = 4.5e-9
ROW_BYTES = 100
BYTES_PER_PIXEL = {"jpeg": 0.16, "webp": 0.125, "png": 0.40, "raw": 0.65}


@dataclass(frozen=True)
class RenderEstimate:
    """Estimated wall time and disk size of rendering `images` images on `cores` cores."""

    images: int
    cores: int
    seconds: float
    bytes: float


def estimate_render(config: RenderConfig, images: int, cores: int) -> RenderEstimate:
    """The cost model of the module docstring for `images` images of `config` on `cores` cores."""
    pixels = config.image_size**2
    per_image = SECONDS_PER_IMAGE + SECONDS_PER_PIXEL_SAMPLE * pixels * config.samples
    size = ROW_BYTES + BYTES_PER_PIXEL[config.image_format] * pixels
    return RenderEstimate(images, cores, images * per_image / max(cores, 1), images * size)


def format_duration(seconds: float) -> str:
    """A duration rounded for reading: `40 s`, `52 min`, `1.6 h`, `3.2 days`."""
    if seconds < 90:
        return f"{max(seconds, 1):.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def format_bytes(size: float) -> str:
    """A size in decimal units: `850 kB`, `4.9 GB`."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}" if size < 100 * scale else f"{size / scale:.0f} {unit}"
    return f"{size:.0f} B"
