"""The one image codec: round trips, determinism and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from fovkit.errors import InputError
from fovkit.store import codec


@pytest.fixture
def image() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(16, 12, 3), dtype=np.uint8)


@pytest.mark.parametrize("format", ["png", "raw"])
def test_lossless_formats_round_trip_exactly(image: np.ndarray, format: str):
    decoded = codec.decode(codec.encode(image, format), format, image.shape)
    np.testing.assert_array_equal(decoded, image)
    assert decoded.flags.writeable


@pytest.mark.parametrize("format", ["jpeg", "webp", "png", "raw"])
def test_encoding_is_deterministic_and_keeps_the_shape(image: np.ndarray, format: str):
    first, second = codec.encode(image, format, 80), codec.encode(image.copy(), format, 80)
    assert first == second
    assert codec.decode(first, format, image.shape).shape == (16, 12, 3)


def test_jpeg_quality_changes_the_bytes(image: np.ndarray):
    assert codec.encode(image, "jpeg", 30) != codec.encode(image, "jpeg", 95)
    assert codec.extension("jpeg") == "jpg" and codec.extension("raw") == "rgb"


def test_bad_formats_shapes_and_bytes_are_input_errors(image: np.ndarray):
    with pytest.raises(InputError, match="unknown image format 'gif'"):
        codec.encode(image, "gif")
    with pytest.raises(InputError, match="needs the image shape"):
        codec.decode(codec.encode(image, "raw"), "raw")
    with pytest.raises(InputError, match="holds 10 bytes"):
        codec.decode(b"0" * 10, "raw", (16, 12, 3))
    with pytest.raises(InputError, match="expected \\(8, 8, 3\\)"):
        codec.decode(codec.encode(image, "png"), "png", (8, 8, 3))
    with pytest.raises(InputError, match="not a decodable png"):
        codec.decode(b"not an image", "png")
