import itertools
from io import BytesIO

import numpy as np
import pytest
import torch
from corruption_samples import close_share as _close_share
from corruption_samples import run as _run
from PIL import Image
from scipy import ndimage
from skimage import color

from fovkit.corruptions import corrupt, get_corruption, get_corruption_names
from fovkit.corruptions.digital import (
    BRIGHTNESS,
    CONTRAST,
    ELASTIC,
    JPEG_QUALITY,
    PIXELATE,
    SATURATE,
    float32_below,
    hsv_to_rgb,
    rgb_to_hsv,
    sample_bilinear_reflect,
)

DIGITAL = ("contrast", "elastic_transform", "pixelate", "jpeg_compression", "brightness", "saturate")
SEVERITIES = (1, 2, 3, 4, 5)


def test_the_family_is_registered_as_in_the_reference():
    assert set(get_corruption_names("digital")) < set(DIGITAL) < set(get_corruption_names("all"))
    for name in DIGITAL:
        corruption = get_corruption(name)
        assert corruption.family == "digital"
        assert corruption.stochastic == (name == "elastic_transform")


@pytest.mark.parametrize("name", DIGITAL)
def test_grey_images_stay_grey(photos, name):
    grey = np.asarray(Image.fromarray(photos[0]).convert("L"))
    out = corrupt(grey, severity=3, corruption_name=name, seed=4)
    np.testing.assert_array_equal(out[..., 0], out[..., 2])  # greys stay grey (saturate adds none at severity 3)


@pytest.mark.parametrize(
    ("name", "severities"),
    [
        ("brightness", SEVERITIES),
        ("contrast", SEVERITIES),
        ("elastic_transform", SEVERITIES),
        ("pixelate", SEVERITIES),
        ("jpeg_compression", SEVERITIES),
        ("saturate", (3, 4, 5)),  # 1-2 desaturate, 3-5 saturate more and more
    ],
)
def test_strength_grows_with_severity(photos, name, severities):
    change = [np.abs(_run(name, photos, s).astype(float) - photos).mean() for s in severities]
    assert all(a < b for a, b in itertools.pairwise(change)), change


def test_hsv_matches_scikit_image_including_ties_and_greys():
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, size=(2000, 3)).astype(np.float64)
    pixels[:300, 1] = pixels[:300, 0]  # red = green
    pixels[300:600, 2] = pixels[300:600, 1]  # green = blue
    pixels[600:700] = pixels[600:700, :1]  # greys
    pixels[700] = 0
    rgb = pixels / 255
    expected = color.rgb2hsv(rgb[None])[0]
    ours = rgb_to_hsv(torch.from_numpy(rgb.T.copy())[None, :, :, None])[0, :, :, 0].T.numpy()
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-12)
    back = hsv_to_rgb(torch.from_numpy(expected.T.copy())[None, :, :, None])[0, :, :, 0].T.numpy()
    np.testing.assert_allclose(back, color.hsv2rgb(expected[None])[0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("severity", SEVERITIES)
def test_brightness_and_saturate_match_scikit_image(photos, severity):
    for name, channel, change in (
        ("brightness", 2, lambda v: v + BRIGHTNESS[severity - 1]),
        ("saturate", 1, lambda s: s * SATURATE[severity - 1][0] + SATURATE[severity - 1][1]),
    ):
        ours = _run(name, photos, severity)
        for image, got in zip(photos, ours, strict=True):
            hsv = color.rgb2hsv(image / 255.0)
            hsv[..., channel] = np.clip(change(hsv[..., channel]), 0, 1)
            expected = np.clip(color.hsv2rgb(hsv), 0, 1) * 255
            assert _close_share(got, expected) >= 0.99
            assert np.mean(got == np.uint8(expected)) >= 0.98


@pytest.mark.parametrize("severity", SEVERITIES)
def test_contrast_matches_numpy(photos, severity):
    ours = _run("contrast", photos, severity)
    x = photos / 255.0
    means = x.mean(axis=(1, 2), keepdims=True)
    expected = np.clip((x - means) * CONTRAST[severity - 1] + means, 0, 1) * 255
    np.testing.assert_array_equal(ours, np.uint8(expected))


@pytest.mark.parametrize("severity", SEVERITIES)
def test_pixelate_and_jpeg_are_pillows(photos, severity):
    height, width = photos.shape[1:3]
    factor = PIXELATE[severity - 1]
    pixelated = _run("pixelate", photos, severity)
    compressed = _run("jpeg_compression", photos, severity)
    for image, got_pixelated, got_jpeg in zip(photos, pixelated, compressed, strict=True):
        small = Image.fromarray(image).resize((int(width * factor), int(height * factor)), Image.BOX)
        np.testing.assert_array_equal(got_pixelated, np.asarray(small.resize((width, height), Image.NEAREST)))
        encoded = BytesIO()
        Image.fromarray(image).save(encoded, "JPEG", quality=JPEG_QUALITY[severity - 1])
        np.testing.assert_array_equal(got_jpeg, np.asarray(Image.open(encoded)))


def test_bilinear_reflect_sampling_is_scipys_map_coordinates():
    rng = np.random.default_rng(5)
    image = rng.random((2, 9, 13)).astype(np.float32)
    rows = rng.uniform(-12, 21, size=(7, 11))
    columns = rng.uniform(-15, 28, size=(7, 11))
    rows[0, :4] = (-0.5, -0.25, 8.5, 8.75)  # within half a pixel of the border and just past it
    columns[0, :4] = (-0.5, 12.25, 12.5, -0.75)
    ours = sample_bilinear_reflect(
        torch.from_numpy(image)[None], torch.from_numpy(rows)[None], torch.from_numpy(columns)[None]
    )[0].numpy()
    for channel in range(2):
        expected = ndimage.map_coordinates(image[channel], [rows, columns], order=1, mode="reflect")
        np.testing.assert_allclose(ours[channel], expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("severity", SEVERITIES)
def test_elastic_transform_matches_scipy_with_the_same_draws(photos, severity):
    ours = _run("elastic_transform", photos, severity)
    height, width = photos.shape[1:3]
    for seed, image, got in zip((0, 1, 2), photos, ours, strict=True):
        rng = np.random.default_rng(seed)
        reach = height * 0.005
        fields = [rng.uniform(-reach, reach, size=(height, width)) for _ in range(2)]
        sigma = (height * 0.01, width * 0.01)
        dx, dy = (ndimage.gaussian_filter(f, sigma, mode="reflect", truncate=3) * ELASTIC[severity - 1] for f in fields)
        grid_y, grid_x = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
        coordinates = [grid_y + dy.astype(np.float32), grid_x + dx.astype(np.float32)]
        channels = [image[..., c] / np.float32(255) for c in range(3)]
        expected = np.stack([ndimage.map_coordinates(c, coordinates, order=1, mode="reflect") for c in channels], -1)
        assert _close_share(got, np.clip(expected, 0, 1) * 255) >= 0.99


def test_float32_below_keeps_the_truncated_integer():
    values = torch.tensor([101.99999999999999, 102.0, 0.0, 254.99999999, 3.5], dtype=torch.float64)
    below = float32_below(values)
    assert below.dtype == torch.float32
    assert below.to(torch.uint8).tolist() == [101, 102, 0, 254, 3]
    assert torch.all(below.double() <= values)
