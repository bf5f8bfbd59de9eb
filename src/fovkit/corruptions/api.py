"""The user-facing calls: `corrupt` on one image, shaped like `imagecorruptions.corrupt`, and `corrupt_batch`.

`corrupt` takes an H x W x 3 uint8 array of any size; `corrupt_batch` an N x 3 x H x W uint8 tensor (CPU or GPU),
which the pipeline uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from fovkit.corruptions.registry import ALL, check_severity, get_corruption
from fovkit.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import torch

MIN_SIDE = 32


def corrupt(
    image: np.ndarray,
    severity: int = 1,
    corruption_name: str | None = None,
    corruption_number: int = -1,
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """The image corrupted by one corruption at one severity, as `imagecorruptions.corrupt` returns it.

    Args:
        image: uint8 array, H x W, H x W x 1 or H x W x 3, both sides at least 32 pixels.
        severity: 1 (mildest) to 5.
        corruption_name: One of `get_corruption_names('all')`.
        corruption_number: Position in that list (0-18), used when `corruption_name` is None.
        seed: Seed or generator of the random draws; None draws fresh entropy from the operating system
            (the reference package uses NumPy's global state instead).

    Returns:
        H x W x 3 uint8 array (grey input comes back as three equal channels, as in the reference).

    """
    import numpy as np
    import torch

    rgb = _rgb_image(image)
    name = _resolve_name(corruption_name, corruption_number)
    generator = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    batch = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))[None]
    return corrupt_batch(batch, name, severity, [generator])[0].permute(1, 2, 0).numpy()


def corrupt_batch(
    images: torch.Tensor, corruption_name: str, severity: int, rngs: Sequence[np.random.Generator]
) -> torch.Tensor:
    """`images` (uint8, N x 3 x H x W, any device) corrupted, one generator per image; uint8 on the same device.

    Values are truncated to uint8 as the reference's `np.uint8` does, so deterministic corruptions match it.
    """
    import torch

    corruption = get_corruption(corruption_name)
    severity = check_severity(severity)
    if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[1] != 3:
        raise InputError(
            f"expected a uint8 tensor of shape N x 3 x H x W, got {images.dtype} of shape {tuple(images.shape)}",
            field="images",
        )
    if len(rngs) != images.shape[0]:
        raise InputError(f"expected one generator per image ({images.shape[0]}), got {len(rngs)}", field="rngs")
    if images.shape[0] == 0:
        return images.clone()
    _check_side(images.shape[2], images.shape[3])
    corrupted = corruption.apply(images.float() / 255.0, severity, rngs)
    return corrupted.clamp_(0, 255).to(torch.uint8)


def _rgb_image(image: object) -> np.ndarray:
    import numpy as np

    if not isinstance(image, np.ndarray):
        raise InputError(f"expected a numpy.ndarray, got {type(image).__name__}", field="image")
    if image.dtype != np.uint8:
        raise InputError(f"expected dtype uint8 (values 0-255), got {image.dtype}", field="image")
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 3):
        raise InputError(f"expected shape H x W, H x W x 1 or H x W x 3, got {image.shape}", field="image")
    _check_side(image.shape[0], image.shape[1])
    return np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image


def _check_side(height: int, width: int) -> None:
    if height < MIN_SIDE or width < MIN_SIDE:
        raise InputError(
            f"images must be at least {MIN_SIDE} x {MIN_SIDE} pixels (as in ImageNet-C), got {height} x {width}",
            field="image",
        )


def _resolve_name(corruption_name: str | None, corruption_number: int) -> str:
    if corruption_name is not None:
        return get_corruption(corruption_name).name
    if isinstance(corruption_number, bool) or not isinstance(corruption_number, int):
        raise InputError(f"corruption_number must be an integer, got {corruption_number!r}", field="corruption_number")
    if corruption_number == -1:
        raise InputError("pass corruption_name or corruption_number", field="corruption_name")
    if not 0 <= corruption_number < len(ALL):
        raise InputError(
            f"corruption_number must be 0-{len(ALL) - 1}, got {corruption_number}", field="corruption_number"
        )
    return ALL[corruption_number]
