"""The one image codec of stored datasets: HxWx3 uint8 arrays to JPEG, PNG, WebP or raw bytes, and back."""

from __future__ import annotations

import io
from typing import Literal

import numpy as np
from PIL import Image

from fovkit.errors import InputError

ImageFormat = Literal["jpeg", "png", "webp", "raw"]
FORMATS: tuple[ImageFormat, ...] = ("jpeg", "png", "webp", "raw")
EXTENSIONS: dict[str, str] = {"jpeg": "jpg", "png": "png", "webp": "webp", "raw": "rgb"}
"""File extension of each format (raw: the C-order bytes of the array)."""
_PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}


def encode(image: np.ndarray, format: ImageFormat = "jpeg", quality: int = 90) -> bytes:
    """Encode an (H, W, 3) uint8 image as JPEG, PNG, WebP (PIL) or raw array bytes.

    Args:
        image: The image.
        format: `jpeg`, `png`, `webp` or `raw` (C-order bytes of the array; keep the shape to decode).
        quality: JPEG/WebP quality (1-100); ignored by PNG and raw.

    Returns:
        The encoded bytes, the same for the same image, format and quality (renders rely on it).

    """
    _check_format(format)
    if format == "raw":
        return np.ascontiguousarray(image, dtype=np.uint8).tobytes()
    out = io.BytesIO()
    options = {} if format == "png" else {"quality": int(quality)}
    Image.fromarray(np.ascontiguousarray(image)).save(out, _PIL_FORMATS[format], **options)
    return out.getvalue()


def decode(data: bytes, format: ImageFormat = "jpeg", shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Decode bytes from `encode` back to an (H, W, 3) uint8 array.

    Args:
        data: The encoded bytes.
        format: The format they were encoded with.
        shape: The image shape; needed for `raw`, checked for the other formats when given.

    Returns:
        The decoded image (a writable array).

    """
    _check_format(format)
    if format == "raw":
        if shape is None:
            raise InputError("decoding raw image bytes needs the image shape", field="shape")
        expected = int(np.prod(shape))
        if len(data) != expected:
            message = f"raw image holds {len(data)} bytes, expected {expected} for {tuple(shape)}"
            raise InputError(message, field="shape")
        return np.frombuffer(data, dtype=np.uint8).reshape(shape).copy()
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = np.array(opened.convert("RGB"))
    except (OSError, ValueError) as error:
        raise InputError(f"not a decodable {format} image ({error})", field="image") from error
    if shape is not None and image.shape != tuple(shape):
        raise InputError(f"decoded image has shape {image.shape}, expected {tuple(shape)}", field="shape")
    return image


def extension(format: ImageFormat) -> str:
    """The file extension of images stored in `format` (`jpg`, `png`, `webp`, `rgb`)."""
    _check_format(format)
    return EXTENSIONS[format]


def _check_format(format: str) -> None:
    if format not in FORMATS:
        raise InputError(f"unknown image format {format!r}; expected one of {list(FORMATS)}", field="format")
