"""The corruption registry: the 15 ImageNet-C corruptions and the 4 extra ones, each a batched torch function.

Every corruption is a pure function `fn(images, severity, rngs) -> images`: `images` is a float32 N x 3 x H x W
tensor with values in [0, 1] on any device, `severity` an integer from 1 to 5, and `rngs` one NumPy generator per
image (so an image's corruption does not depend on the batch it is in). It returns float32 N x 3 x H x W values on
the 0-255 scale, clipped to [0, 255], exactly where the reference code (Hendrycks & Dietterich's ImageNet-C, as
packaged by `imagecorruptions`) stands just before its final `np.uint8` cast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fovkit.errors import InputError
from fovkit.registry import Registry

if TYPE_CHECKING:
    import numpy as np
    import torch

CorruptionFn = Callable[["torch.Tensor", int, Sequence["np.random.Generator"]], "torch.Tensor"]

# The reference package's order (`imagecorruptions.corruption_tuple`): corruption_number indexes it.
COMMON = (
    "gaussian_noise",
    "shot_noise",
    "impulse_noise",
    "defocus_blur",
    "glass_blur",
    "motion_blur",
    "zoom_blur",
    "snow",
    "frost",
    "fog",
    "brightness",
    "contrast",
    "elastic_transform",
    "pixelate",
    "jpeg_compression",
)
EXTRA = ("speckle_noise", "gaussian_blur", "spatter", "saturate")
ALL = COMMON + EXTRA
FAMILIES = ("noise", "blur", "weather", "digital")
SEVERITIES = (1, 2, 3, 4, 5)
SUBSETS = {
    "common": COMMON,
    "validation": EXTRA,
    "all": ALL,
    "noise": COMMON[0:3],
    "blur": COMMON[3:7],
    "weather": COMMON[7:11],
    "digital": COMMON[11:15],
}


@dataclass(frozen=True)
class Corruption:
    """One corruption: its name, ImageNet-C family, whether it draws random numbers, and its batched function."""

    name: str
    family: str
    stochastic: bool
    apply: CorruptionFn

    @property
    def extra(self) -> bool:
        """True for the 4 extra (validation) corruptions that ImageNet-C's mCE leaves out."""
        return self.name in EXTRA


CORRUPTIONS: Registry[Corruption] = Registry(
    "corruption", "fovkit.corruptions.get_corruption_names('all')", "corruption_name"
)


def corruption(name: str, *, family: str, stochastic: bool) -> Callable[[CorruptionFn], CorruptionFn]:
    """Decorator registering a batched corruption function under `name` (one of the 19 names above)."""
    if name not in ALL or family not in FAMILIES:
        raise ValueError(f"{name!r} of family {family!r} is not one of the ImageNet-C corruptions")

    def decorator(fn: CorruptionFn) -> CorruptionFn:
        CORRUPTIONS.register(name)(Corruption(name, family, stochastic, fn))
        return fn

    return decorator


def get_corruption(name: str) -> Corruption:
    """The registered corruption `name`; unknown names raise InputError with the closest matches."""
    return CORRUPTIONS.get(name)


def get_corruption_names(subset: str = "common") -> list[str]:
    """Corruption names of `subset` in the reference order, as `imagecorruptions.get_corruption_names` gives them.

    Subsets: common (the 15 of ImageNet-C), validation (the 4 extra), all, noise, blur, weather, digital.
    """
    if subset not in SUBSETS:
        raise InputError(f"unknown subset {subset!r}; choose one of {', '.join(SUBSETS)}", field="subset")
    return list(SUBSETS[subset])


def check_severity(severity: object, field: str = "severity") -> int:
    """`severity` as an int if it is one of 1-5; else an InputError naming `field`."""
    if isinstance(severity, bool) or not isinstance(severity, int) or severity not in SEVERITIES:
        raise InputError(f"severity must be an integer from 1 to 5, got {severity!r}", field=field)
    return severity
