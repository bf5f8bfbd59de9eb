import itertools
import math

import numpy as np
import pytest
from corruption_samples import close_share as _close_share
from corruption_samples import resized as _resized
from corruption_samples import run as _run
from PIL import Image
from scipy import ndimage

from fovkit.corruptions import corrupt, get_corruption
from fovkit.corruptions.frost_textures import frost_texture
from fovkit.corruptions.weather import (
    FOG,
    FROST,
    MUD,
    SNOW,
    SPATTER,
    _water_layer,
    box_blur_float,
    box_blur_uint8,
    canny,
    chamfer_distance,
    equalize_hist,
    fitted_frost,
    plasma_fractal,
)

WEATHER = ("snow", "frost", "fog", "spatter")
SEVERITIES = (1, 2, 3, 4, 5)
SEEDS = (0, 1, 2)


def test_the_family_is_registered_as_stochastic():
    for name in WEATHER:
        corruption = get_corruption(name)
        assert (corruption.family, corruption.stochastic, corruption.extra) == ("weather", True, name == "spatter")


@pytest.mark.parametrize("name", WEATHER)
def test_grey_images_and_other_sizes(photos, name):
    grey = np.asarray(Image.fromarray(photos[0]).convert("L"))
    out = corrupt(grey, severity=3, corruption_name=name, seed=4)
    assert out.shape == (*grey.shape, 3) and out.dtype == np.uint8
    square = corrupt(_resized(photos[2], 32, 32), severity=5, corruption_name=name, seed=4)
    assert square.shape == (32, 32, 3)


# Not frost: severity 4 keeps less of the image than 3 and adds as much frost, so frost brighter than the image
# changes it less; nor spatter, whose severities 4-5 are mud instead of water.
@pytest.mark.parametrize("name", ["snow", "fog"])
def test_strength_grows_with_severity(photos, name):
    change = [np.abs(_run(name, photos, s).astype(float) - photos).mean() for s in SEVERITIES]
    assert all(a < b for a, b in itertools.pairwise(change)), change


# --- independent NumPy/SciPy versions of the reference's steps, fed the same draws --------------------------------


def _reference_plasma(size: int, decay: float, rng: np.random.Generator) -> np.ndarray:
    """imagecorruptions' plasma_fractal as written there, drawing from `rng` instead of np.random."""
    grid = np.empty((size, size))
    grid[0, 0] = 0
    step, wibble = size, 100

    def wibbled(array):
        return array / 4 + wibble * rng.uniform(-wibble, wibble, array.shape)

    while step >= 2:
        corners = grid[0:size:step, 0:size:step]
        acc = corners + np.roll(corners, shift=-1, axis=0)
        acc += np.roll(acc, shift=-1, axis=1)
        grid[step // 2 : size : step, step // 2 : size : step] = wibbled(acc)
        dr = grid[step // 2 : size : step, step // 2 : size : step]
        ul = grid[0:size:step, 0:size:step]
        grid[0:size:step, step // 2 : size : step] = wibbled(dr + np.roll(dr, 1, axis=0) + ul + np.roll(ul, -1, axis=1))
        grid[step // 2 : size : step, 0:size:step] = wibbled(dr + np.roll(dr, 1, axis=1) + ul + np.roll(ul, -1, axis=0))
        step //= 2
        wibble /= decay
    grid -= grid.min()
    return grid / grid.max()


def _reference_motion_blur(x: np.ndarray, radius: int, sigma: float, angle: float) -> np.ndarray:
    """imagecorruptions' _motion_blur on a 2-D array: edge-repeating shifts weighted by a one-sided Gaussian."""
    width = 2 * radius + 1
    kernel = np.exp(-(np.arange(width) ** 2) / (2 * sigma**2))
    kernel /= kernel.sum()
    point = (width * np.sin(np.deg2rad(angle)), width * np.cos(np.deg2rad(angle)))
    hypot = math.hypot(*point)
    blurred = np.zeros_like(x)
    for i in range(width):
        dy = -math.ceil(((i * point[0]) / hypot) - 0.5)
        dx = -math.ceil(((i * point[1]) / hypot) - 0.5)
        if abs(dy) >= x.shape[0] or abs(dx) >= x.shape[1]:
            break
        rows = np.clip(np.arange(x.shape[0]) - dy, 0, x.shape[0] - 1)
        columns = np.clip(np.arange(x.shape[1]) - dx, 0, x.shape[1] - 1)
        blurred = blurred + kernel[i] * x[np.ix_(rows, columns)]
    return blurred


@pytest.mark.parametrize("severity", SEVERITIES)
def test_snow_matches_numpy_and_scipy_with_the_same_draws(photos, severity):
    mean, std, zoom, threshold, radius, sigma, weight = SNOW[severity - 1]
    height, width = photos.shape[1:3]
    for seed, image, got in zip(SEEDS, photos, _run("snow", photos, severity), strict=True):
        rng = np.random.default_rng(seed)
        layer = rng.normal(mean, std, size=(height, width))
        top, left = (height - math.ceil(height / zoom)) // 2, (width - math.ceil(width / zoom)) // 2
        crop = layer[top : top + math.ceil(height / zoom), left : left + math.ceil(width / zoom)]
        layer = ndimage.zoom(crop, zoom, order=1)
        layer = np.clip(np.where(layer < threshold, 0, layer), 0, 1)
        layer = _reference_motion_blur(layer, radius, sigma, rng.uniform(-135, -45))
        layer = (np.round(layer * 255).astype(np.uint8) / 255.0)[:height, :width, None]
        x = image.astype(np.float32) / 255
        grey = x @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        x = weight * x + (1 - weight) * np.maximum(x, grey[..., None] * 1.5 + 0.5)
        expected = np.clip(x + layer + np.rot90(layer, k=2), 0, 1) * 255
        assert _close_share(got, expected) >= 0.99


def _keys_cubic_matrix(size_in: int, size_out: int) -> np.ndarray:
    """cv2.resize INTER_CUBIC along one axis as a matrix: Keys a = -0.75, half-pixel centres, clamped taps."""
    position = (np.arange(size_out) + 0.5) * size_in / size_out - 0.5
    base = np.floor(position).astype(int)
    matrix = np.zeros((size_out, size_in))
    for tap in range(-1, 3):
        distance = np.abs(position - (base + tap))
        weight = np.where(
            distance <= 1,
            1.25 * distance**3 - 2.25 * distance**2 + 1,
            -0.75 * distance**3 + 3.75 * distance**2 - 6 * distance + 3,
        )
        np.add.at(matrix, (np.arange(size_out), np.clip(base + tap, 0, size_in - 1)), weight)
    return matrix


def test_frost_texture_fitting_is_opencvs_cubic_resize():
    texture = frost_texture(1).astype(np.float64)  # 315 x 560: a 40 x 56 image needs only the 1.1 margin
    fitted = fitted_frost(1, 40, 56).numpy()
    assert fitted.shape == (3, math.ceil(315 * 1.1), math.ceil(560 * 1.1)) and fitted.dtype == np.uint8
    rows, columns = _keys_cubic_matrix(315, fitted.shape[1]), _keys_cubic_matrix(560, fitted.shape[2])
    expected = np.clip(np.rint(np.einsum("yh,hwc->cyw", rows, texture) @ columns.T), 0, 255)
    assert np.mean(fitted == expected) > 0.999 and np.abs(fitted - expected).max() <= 1
    factor = 400 / 315 * 1.1  # taller than the texture: scaled to cover it, then by 1.1
    assert fitted_frost(1, 400, 300).shape == (3, math.ceil(315 * factor), math.ceil(560 * factor))


@pytest.mark.parametrize("severity", SEVERITIES)
def test_frost_blends_the_drawn_crop_of_the_drawn_texture(photos, severity):
    image_weight, frost_weight = FROST[severity - 1]
    for seed, image, got in zip(SEEDS, photos, _run("frost", photos, severity), strict=True):
        rng = np.random.default_rng(seed)
        texture = fitted_frost(int(rng.integers(5)), 40, 56).numpy().transpose(1, 2, 0)
        top, left = int(rng.integers(0, texture.shape[0] - 40)), int(rng.integers(0, texture.shape[1] - 56))
        expected = np.clip(image_weight * image + frost_weight * texture[top : top + 40, left : left + 56], 0, 255)
        assert _close_share(got, expected) >= 0.99


@pytest.mark.parametrize("severity", SEVERITIES)
def test_fog_matches_numpy_with_the_same_draws(photos, severity):
    thickness, decay = FOG[severity - 1]
    for seed, image, got in zip(SEEDS, photos, _run("fog", photos, severity), strict=True):
        x = image / 255.0
        peak = x.max()
        x = x + thickness * _reference_plasma(64, decay, np.random.default_rng(seed))[:40, :56, None]
        assert _close_share(got, np.clip(x * peak / (peak + thickness), 0, 1) * 255) >= 0.99


def test_plasma_fractal_is_the_reference_diamond_square():
    heights = plasma_fractal(32, 1.7, np.random.default_rng(3))
    np.testing.assert_allclose(heights, _reference_plasma(32, 1.7, np.random.default_rng(3)), rtol=0, atol=1e-12)
    assert heights.min() == 0 and heights.max() == 1


@pytest.mark.parametrize("severity", [4, 5])
def test_mud_spatter_matches_scipy_with_the_same_draws(photos, severity):
    mean, std, sigma, threshold, intensity, _ = SPATTER[severity - 1]
    for seed, image, got in zip(SEEDS, photos, _run("spatter", photos, severity), strict=True):
        field = np.random.default_rng(seed).normal(mean, std, size=(40, 56))
        liquid = ndimage.gaussian_filter(field, sigma, mode="nearest")
        mask = ndimage.gaussian_filter((liquid > threshold).astype(np.float32), intensity, mode="nearest")
        mask[mask < 0.8] = 0
        expected = image.astype(np.float32) / 255 * (1 - mask[..., None]) + np.array(MUD) * mask[..., None]
        assert _close_share(got, np.clip(expected, 0, 1) * 255) >= 0.99


def test_water_spatter_only_brightens_towards_pale_turquoise(photos):
    for severity in (1, 2, 3):
        out = _run("spatter", photos, severity)
        added = out.astype(int) - photos
        assert added.min() >= -1 and added.max() > 10  # -1: float32 truncation, as in the reference
        unclipped = out[..., 1] < 255  # 238 green against 175 red
        assert (added[..., 1][unclipped] >= added[..., 0][unclipped] - 1).all()


def _box_sums_by_hand(image: np.ndarray) -> np.ndarray:
    """3 x 3 sums with OpenCV's reflect-101 border (numpy's 'reflect' padding), by explicit shifts."""
    padded = np.pad(image, 1, mode="reflect")
    return sum(padded[dy : dy + image.shape[0], dx : dx + image.shape[1]] for dy in range(3) for dx in range(3))


def test_box_blurs_round_as_opencv():
    rng = np.random.default_rng(4)
    levels = rng.integers(0, 256, size=(9, 12))
    np.testing.assert_array_equal(box_blur_uint8(levels), np.floor(_box_sums_by_hand(levels) / 9 + 0.5))
    floats = rng.random((9, 12)).astype(np.float32) * 20
    np.testing.assert_allclose(box_blur_float(floats), _box_sums_by_hand(floats.astype(float)) / 9, rtol=1e-6)
    assert box_blur_float(floats).dtype == np.float32 and box_blur_uint8(levels).dtype == np.uint8


def test_equalize_hist_spreads_levels_monotonically():
    image = np.array([[3, 3, 5], [9, 9, 9], [12, 20, 20]], dtype=np.uint8)
    out = equalize_hist(image)
    # cv2: lowest level -> 0, then round(255 * (count at or below the level - count of the lowest) / (n - lowest))
    expected = {3: 0, 5: round(255 / 7), 9: round(255 * 4 / 7), 12: round(255 * 5 / 7), 20: 255}
    np.testing.assert_array_equal(out, np.vectorize(expected.get)(image))
    np.testing.assert_array_equal(equalize_hist(np.full((4, 4), 7, np.uint8)), np.full((4, 4), 7))


def test_chamfer_distance_is_close_to_the_euclidean_one():
    rng = np.random.default_rng(6)
    nonzero = rng.random((60, 70)) > 0.01
    exact = ndimage.distance_transform_edt(nonzero)
    ours = chamfer_distance(nonzero)
    assert ours.dtype == np.float32
    assert np.all(ours[~nonzero] == 0)
    assert np.abs(ours - exact).max() <= 0.03 * exact.max() + 0.1  # OpenCV's 5 x 5 mask errs by about 2%


def test_canny_finds_the_outline_of_a_square_and_drops_weak_edges():
    image = np.zeros((30, 30), dtype=np.uint8)
    image[8:20, 8:20] = 200  # strong step: gradient 800 across it
    image[24:28, 2:6] = 12  # weak step: gradient 48 at most, below the low threshold
    edges = canny(image, 50, 150)
    assert edges[8:20, 7:9].any(axis=1).all() and edges[8:20, 19:21].any(axis=1).all()
    assert edges[7:9, 8:20].any(axis=0).all() and edges[19:21, 8:20].any(axis=0).all()
    assert not edges[11:17, 11:17].any() and not edges[22:, :8].any()
    # non-maximum suppression: a single-pixel-wide outline on each side
    assert edges[12].sum() == 2 and edges[:, 12].sum() == 2


def test_no_water_leaves_the_image_alone():
    assert not _water_layer(np.zeros((32, 32), dtype=np.uint8)).any()
