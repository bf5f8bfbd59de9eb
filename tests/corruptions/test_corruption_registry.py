"""Every registered corruption at every severity: shape, dtype, range, determinism for a seed, batch independence."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from corruption_samples import SEEDS, as_batch, run
from PIL import Image

from fovkit.corruptions import SEVERITIES, corrupt, get_corruption, get_corruption_names
from fovkit.corruptions.registry import FAMILIES

NAMES = get_corruption_names("all")


def test_the_registry_holds_the_19_corruptions_of_the_reference_in_its_families():
    assert len(NAMES) == 19 and len(set(NAMES)) == 19
    assert {get_corruption(name).family for name in NAMES} == set(FAMILIES)
    assert [name for name in NAMES if get_corruption(name).extra] == get_corruption_names("validation")


@pytest.mark.parametrize("severity", SEVERITIES)
@pytest.mark.parametrize("name", NAMES)
def test_shape_dtype_range_and_determinism(photos, name, severity):
    corruption = get_corruption(name)
    images = as_batch(photos)
    raw = corruption.apply(images.float() / 255, severity, [np.random.default_rng(seed) for seed in SEEDS])
    assert raw.dtype == torch.float32 and raw.shape == images.shape
    assert raw.min() >= 0 and raw.max() <= 255
    first = run(name, photos, severity)
    assert first.dtype == np.uint8 and first.shape == photos.shape
    np.testing.assert_array_equal(first, run(name, photos, severity))
    if corruption.stochastic:
        assert not np.array_equal(first, run(name, photos, severity, seeds=(7, 8, 9)))
    alone = run(name, photos[1:2], severity, seeds=SEEDS[1:2])[0]
    assert np.abs(alone.astype(int) - first[1]).max() <= 1  # an image's result does not depend on its batch


@pytest.mark.parametrize("name", NAMES)
def test_grey_images_come_back_as_three_channels(photos, name):
    grey = np.asarray(Image.fromarray(photos[0]).convert("L"))
    out = corrupt(grey, severity=3, corruption_name=name, seed=4)
    assert out.shape == (*grey.shape, 3) and out.dtype == np.uint8
