import numpy as np
import pytest
from corruption_samples import run as _run
from skimage.util import random_noise

from fovkit.corruptions import get_corruption, get_corruption_names
from fovkit.corruptions.noise import GAUSSIAN_SCALES, IMPULSE_AMOUNTS, SHOT_PHOTONS, SPECKLE_SCALES

NOISE = ("gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise")
SEVERITIES = (1, 2, 3, 4, 5)
SEEDS = (0, 1, 2)


def _assert_close(ours: np.ndarray, expected_float: np.ndarray) -> None:
    """`ours` is the float result truncated to uint8 as the reference truncates it, give or take one grey level."""
    difference = ours.astype(np.int64) - np.uint8(expected_float).astype(np.int64)
    assert np.abs(difference).max() <= 1 and np.mean(difference == 0) > 0.99


def test_the_family_is_registered_as_stochastic():
    assert set(get_corruption_names("noise")) < set(NOISE)
    for name in NOISE:
        assert get_corruption(name).family == "noise" and get_corruption(name).stochastic


@pytest.mark.parametrize("name", NOISE)
def test_strength_grows_with_severity(photos, name):
    change = [np.abs(_run(name, photos, severity).astype(float) - photos).mean() for severity in SEVERITIES]
    assert np.all(np.diff(change) > 0), change


@pytest.mark.parametrize("severity", SEVERITIES)
def test_gaussian_noise_is_skimages_with_the_same_draws(photos, severity):
    expected = [
        random_noise(photo / 255.0, mode="gaussian", var=GAUSSIAN_SCALES[severity - 1] ** 2, rng=seed) * 255
        for photo, seed in zip(photos, SEEDS, strict=True)
    ]
    _assert_close(_run("gaussian_noise", photos, severity), np.stack(expected))


@pytest.mark.parametrize("severity", SEVERITIES)
def test_speckle_noise_is_skimages_with_the_same_draws(photos, severity):
    expected = [
        random_noise(photo / 255.0, mode="speckle", var=SPECKLE_SCALES[severity - 1] ** 2, rng=seed) * 255
        for photo, seed in zip(photos, SEEDS, strict=True)
    ]
    _assert_close(_run("speckle_noise", photos, severity), np.stack(expected))


@pytest.mark.parametrize("severity", SEVERITIES)
def test_impulse_noise_is_skimages_salt_and_pepper_with_the_same_draws(photos, severity):
    expected = [
        random_noise(photo / 255.0, mode="s&p", amount=IMPULSE_AMOUNTS[severity - 1], rng=seed) * 255
        for photo, seed in zip(photos, SEEDS, strict=True)
    ]
    ours = _run("impulse_noise", photos, severity)
    np.testing.assert_array_equal(ours, np.uint8(np.stack(expected)))
    changed = ours != photos
    assert set(np.unique(ours[changed])) <= {0, 255}


@pytest.mark.parametrize("severity", SEVERITIES)
def test_shot_noise_counts_poisson_photons_with_the_same_draws(photos, severity):
    photons = SHOT_PHOTONS[severity - 1]
    expected = [
        np.clip(np.random.default_rng(seed).poisson(photo / 255.0 * photons) / photons, 0, 1) * 255
        for photo, seed in zip(photos, SEEDS, strict=True)
    ]
    ours = _run("shot_noise", photos, severity)
    np.testing.assert_array_equal(ours, np.uint8(np.stack(expected)))
