import math

import numpy as np
import pytest
import torch
from scipy import ndimage
from skimage import data
from skimage.filters import gaussian

from fovkit.corruptions.filters import (
    border_index,
    clipped_zoom,
    filter2d_reflect101,
    gaussian_blur_nearest,
    gaussian_filter,
    motion_blur,
    motion_blur_shifts,
    pad,
)

SHAPES = ((40, 40), (37, 58))


def _field(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random(shape)


@pytest.mark.parametrize("mode", ["nearest", "reflect", "mirror"])
def test_padding_extends_the_border_as_numpy_pad_does(mode):
    numpy_mode = {"nearest": "edge", "reflect": "symmetric", "mirror": "reflect"}[mode]
    values = np.arange(5)
    for before, after in ((2, 3), (7, 12)):  # wider than the axis: numpy extends it again and again
        expected = np.pad(values, (before, after), mode=numpy_mode)
        np.testing.assert_array_equal(values[border_index(5, before, after, mode)], expected)
    x = torch.from_numpy(_field((1, 2, 6, 7)))
    expected = np.pad(x.numpy(), ((0, 0), (0, 0), (3, 1), (2, 8)), mode=numpy_mode)
    np.testing.assert_array_equal(pad(x, 3, 1, 2, 8, mode).numpy(), expected)


@pytest.mark.parametrize("mode", ["nearest", "reflect", "mirror"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("sigma", "truncate"), [(0.7, 4.0), (3, 4.0), ((1.5, 2.5), 3.0), (6, 4.0)])
def test_gaussian_filter_is_scipys(mode, shape, sigma, truncate):
    field = _field((2, 3, *shape))
    sigmas = (0, 0, *((sigma, sigma) if np.ndim(sigma) == 0 else sigma))
    expected = ndimage.gaussian_filter(field, sigmas, mode=mode, truncate=truncate)
    ours = gaussian_filter(torch.from_numpy(field), sigma, truncate, mode)
    np.testing.assert_allclose(ours.numpy(), expected, atol=1e-12)


def test_gaussian_blur_nearest_is_skimages_gaussian_in_float32():
    photo = data.astronaut()[::8, ::8] / 255.0
    expected = gaussian(photo, sigma=2, channel_axis=-1)
    ours = gaussian_blur_nearest(torch.from_numpy(photo).permute(2, 0, 1)[None].float(), 2)
    assert ours.dtype == torch.float32
    np.testing.assert_allclose(ours[0].permute(1, 2, 0).numpy(), expected, atol=1e-5)


@pytest.mark.parametrize("shape", SHAPES)
def test_filter2d_correlates_with_a_reflect_101_border(shape):
    kernel = _field((7, 5), seed=1)  # asymmetric, so correlation and convolution differ
    field = _field((1, 2, *shape))
    expected = ndimage.correlate(field, kernel[None, None], mode="mirror")
    np.testing.assert_allclose(filter2d_reflect101(torch.from_numpy(field), kernel).numpy(), expected, atol=1e-12)


def _reference_clipped_zoom(image: np.ndarray, zoom_factor: float) -> np.ndarray:
    """The reference's clipped_zoom on H x W x C, written out with scipy.ndimage.zoom as the reference has it."""
    crop_h, crop_w = (int(np.ceil(side / float(zoom_factor))) for side in image.shape[:2])
    top, left = (image.shape[0] - crop_h) // 2, (image.shape[1] - crop_w) // 2
    return ndimage.zoom(image[top : top + crop_h, left : left + crop_w], (zoom_factor, zoom_factor, 1), order=1)


@pytest.mark.parametrize("shape", [(64, 64), (96, 160), (37, 50)])
def test_clipped_zoom_is_scipys_zoom_of_the_centre(shape):
    image = _field((*shape, 2))
    for zoom_factor in [*np.arange(1, 1.31, 0.03), 2.0, 4.5]:
        expected = _reference_clipped_zoom(image, zoom_factor)
        ours = clipped_zoom(torch.from_numpy(image).permute(2, 0, 1)[None], zoom_factor)[0].permute(1, 2, 0)
        assert ours.shape == expected.shape
        np.testing.assert_allclose(ours.numpy(), expected, atol=1e-9)


def test_clipped_zoom_zeroes_positions_that_round_past_the_crop_as_scipy_does():
    image = np.ones((96, 160, 1))
    zoomed = clipped_zoom(torch.from_numpy(image).permute(2, 0, 1)[None], 1.26)[0, 0]
    assert zoomed.shape == (97, 160) and zoomed[:, :-1].min() > 1 - 1e-12 and zoomed[:, -1].max() == 0
    np.testing.assert_allclose(zoomed.numpy(), _reference_clipped_zoom(image, 1.26)[..., 0], atol=1e-12)


def _reference_shift(image: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """`image` moved by (dy, dx) pixels, the uncovered side repeating the edge, by np.roll as the reference does."""
    shifted = np.roll(image, shift=dx, axis=1)
    if dx > 0:
        shifted[:, :dx] = shifted[:, dx : dx + 1]
    elif dx < 0:
        shifted[:, dx:] = shifted[:, dx - 1 : dx]
    shifted = np.roll(shifted, shift=dy, axis=0)
    if dy > 0:
        shifted[:dy] = shifted[dy : dy + 1]
    elif dy < 0:
        shifted[dy:] = shifted[dy - 1 : dy]
    return shifted


def test_motion_blur_is_a_weighted_sum_of_edge_repeating_shifts():
    images = _field((3, 2, 40, 52))
    radius, sigma, angles = 10, 3.0, [-33.0, 0.0, 71.5]
    taps = np.exp(-(np.arange(2 * radius + 1) ** 2) / (2 * sigma**2))
    ours = motion_blur(torch.from_numpy(images), radius, sigma, angles).numpy()
    for image, angle, result in zip(images, angles, ours, strict=True):
        expected = np.zeros_like(image.transpose(1, 2, 0))
        for weight, i in zip(taps / taps.sum(), range(2 * radius + 1), strict=True):
            dy = -math.ceil(i * math.sin(math.radians(angle)) - 0.5)
            dx = -math.ceil(i * math.cos(math.radians(angle)) - 0.5)
            expected += weight * _reference_shift(image.transpose(1, 2, 0), dx, dy)
        np.testing.assert_allclose(result.transpose(1, 2, 0), expected, atol=1e-12)


def test_motion_blur_stops_at_the_first_shift_as_long_as_the_image():
    assert len(motion_blur_shifts(20, 0.0, 40, 32)) == 32  # dx reaches -32 at the 33rd tap
    assert len(motion_blur_shifts(20, 45.0, 40, 40)) == 41
    assert motion_blur_shifts(1, 90.0, 40, 40) == [(0, 0), (-1, 0), (-2, 0)]
