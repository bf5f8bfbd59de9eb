import numpy as np
import pytest
import torch
from corruption_samples import run as _run
from PIL import Image
from scipy import ndimage
from skimage.filters import gaussian

from fovkit.corruptions import corrupt, filters, get_corruption, get_corruption_names
from fovkit.corruptions.blur import DEFOCUS, GAUSSIAN_SIGMAS, GLASS, MOTION, ZOOM_FACTORS, disk_kernel

BLUR = ("defocus_blur", "glass_blur", "motion_blur", "zoom_blur", "gaussian_blur")
SEVERITIES = (1, 2, 3, 4, 5)
SEEDS = (0, 1, 2)


def _raw(name: str, photos: np.ndarray, severity: int, seeds=SEEDS) -> np.ndarray:
    """The corruption's float result on the 0-255 scale (before `corrupt_batch` truncates it), N x H x W x 3."""
    images = torch.from_numpy(np.ascontiguousarray(photos.transpose(0, 3, 1, 2))).float() / 255
    raw = get_corruption(name).apply(images, severity, [np.random.default_rng(seed) for seed in seeds])
    return raw.permute(0, 2, 3, 1).double().numpy()


def test_the_family_is_registered_as_in_the_reference():
    assert set(get_corruption_names("blur")) < set(BLUR)
    for name in BLUR:
        corruption = get_corruption(name)
        assert corruption.family == "blur"
        assert corruption.stochastic == (name in ("glass_blur", "motion_blur"))


@pytest.mark.parametrize("name", BLUR)
def test_grey_images_stay_grey_in_three_channels(photos, name):
    grey = np.asarray(Image.fromarray(photos[0]).convert("L"))
    out = corrupt(grey, severity=3, corruption_name=name, seed=4)
    assert out.shape == (*grey.shape, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[..., 0], out[..., 1])
    np.testing.assert_array_equal(out[..., 0], out[..., 2])


# Glass blur is left out: severity 3 makes three passes of shifts up to 2 pixels, severity 4 two passes up to 3.
@pytest.mark.parametrize("name", ["defocus_blur", "motion_blur", "zoom_blur", "gaussian_blur"])
def test_strength_grows_with_severity(photos, name):
    change = [np.abs(_run(name, photos, severity).astype(float) - photos).mean() for severity in SEVERITIES]
    assert np.all(np.diff(change) > 0), change


@pytest.mark.parametrize("severity", SEVERITIES)
def test_gaussian_blur_is_skimages(photos, severity):
    expected = [gaussian(photo / 255.0, sigma=GAUSSIAN_SIGMAS[severity - 1], channel_axis=-1) * 255 for photo in photos]
    np.testing.assert_allclose(_raw("gaussian_blur", photos, severity), np.stack(expected), atol=1e-3)


@pytest.mark.parametrize(("radius", "alias_blur"), DEFOCUS)
def test_disk_kernel_is_an_antialiased_normalised_disk(radius, alias_blur):
    half = max(radius, 8)
    offsets = np.arange(-half, half + 1)
    disk = (offsets[None, :] ** 2 + offsets[:, None] ** 2 <= radius**2).astype(float)
    blur_radius = 1 if radius <= 8 else 2  # OpenCV's 3 x 3 or 5 x 5 Gaussian, border reflect-101
    expected = ndimage.gaussian_filter(disk / disk.sum(), alias_blur, mode="mirror", truncate=blur_radius / alias_blur)
    kernel = disk_kernel(radius, alias_blur)
    assert kernel.dtype == np.float32 and kernel.shape == (2 * half + 1, 2 * half + 1)
    np.testing.assert_allclose(kernel, expected, atol=1e-7)


@pytest.mark.parametrize("severity", SEVERITIES)
def test_defocus_blur_correlates_each_channel_with_the_disk(photos, severity):
    kernel = disk_kernel(*DEFOCUS[severity - 1]).astype(np.float64)
    expected = [
        np.stack([ndimage.correlate(photo[..., c] / 255.0, kernel, mode="mirror") for c in range(3)], axis=-1)
        for photo in photos
    ]
    np.testing.assert_allclose(
        _raw("defocus_blur", photos, severity), np.clip(np.stack(expected), 0, 1) * 255, atol=1e-3
    )


@pytest.mark.parametrize("severity", SEVERITIES)
def test_zoom_blur_averages_scipy_zooms_of_the_centre(photos, severity):
    height, width = photos.shape[1:3]
    expected = []
    for photo in photos / 255.0:
        total = np.zeros_like(photo)
        for factor in ZOOM_FACTORS[severity - 1]:
            crop_h, crop_w = int(np.ceil(height / factor)), int(np.ceil(width / factor))
            top, left = (height - crop_h) // 2, (width - crop_w) // 2
            crop = photo[top : top + crop_h, left : left + crop_w]
            total += ndimage.zoom(crop, (factor, factor, 1), order=1)[:height, :width]
        expected.append((photo + total) / (len(ZOOM_FACTORS[severity - 1]) + 1) * 255)
    np.testing.assert_allclose(_raw("zoom_blur", photos, severity), np.clip(np.stack(expected), 0, 255), atol=1e-3)


@pytest.mark.parametrize("severity", SEVERITIES)
def test_motion_blur_smears_along_an_angle_drawn_from_each_generator(photos, severity):
    radius, sigma = MOTION[severity - 1]
    angles = [np.random.default_rng(seed).uniform(-45, 45) for seed in SEEDS]
    images = torch.from_numpy(photos.transpose(0, 3, 1, 2).astype(np.float64))
    expected = filters.motion_blur(images, radius, sigma, angles).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(_raw("motion_blur", photos, severity), np.clip(expected, 0, 255), atol=1e-3)


def _reference_glass_blur(photo: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """imagecorruptions 1.1.2's glass_blur written out, its np.random calls drawn from `rng` instead."""
    sigma, max_delta, iterations = GLASS[severity - 1]
    x = np.uint8(gaussian(photo / 255.0, sigma=sigma, channel_axis=-1) * 255)
    for _ in range(iterations):
        for h in range(x.shape[0] - max_delta, max_delta, -1):
            for w in range(x.shape[1] - max_delta, max_delta, -1):
                dx, dy = rng.integers(-max_delta, max_delta, size=(2,))
                h_prime, w_prime = h + dy, w + dx
                x[h, w], x[h_prime, w_prime] = x[h_prime, w_prime], x[h, w]  # the reference's "swap"
    return np.clip(gaussian(x / 255.0, sigma=sigma, channel_axis=-1), 0, 1) * 255


@pytest.mark.parametrize("severity", SEVERITIES)
def test_glass_blur_is_the_reference_loop_with_the_same_draws(photos, severity):
    expected = [
        _reference_glass_blur(photo, severity, np.random.default_rng(seed))
        for photo, seed in zip(photos, SEEDS, strict=True)
    ]
    # The shuffle copies truncated grey levels, so a level the float32 blur truncates the other way spreads a little.
    difference = _run("glass_blur", photos, severity).astype(int) - np.uint8(np.stack(expected))
    assert np.abs(difference).max() <= 1 and np.mean(difference == 0) > 0.98
