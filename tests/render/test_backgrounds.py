from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fovkit.errors import InputError
from fovkit.render import backgrounds as bg
from fovkit.render.backgrounds import FolderBackgrounds, background, list_backgrounds, register_background

PAPER_TYPES = ["city", "grass", "home", "sky", "water"]


def test_the_paper_types_are_registered():
    assert set(PAPER_TYPES) <= set(list_backgrounds())
    assert list_backgrounds("*a*") == [name for name in list_backgrounds() if "a" in name]


@pytest.mark.parametrize("kind", list_backgrounds())
@pytest.mark.parametrize("size", [64, (48, 80)])
def test_shape_dtype_and_read_only(kind, size):
    image = background(kind, 0, size)
    expected = (size, size, 3) if isinstance(size, int) else (*size, 3)
    assert image.shape == expected and image.dtype == np.uint8
    assert not image.flags.writeable
    assert image.std() > 5  # not a flat colour


@pytest.mark.parametrize("kind", list_backgrounds())
def test_deterministic(kind):
    cached = background(kind, 3, 64, seed=11)
    rng = np.random.default_rng(0)  # unrelated global-looking state must not matter
    rng.random(10)
    fresh = bg._cached.__wrapped__(kind, 3, 64, 64, 11)
    np.testing.assert_array_equal(cached, fresh)
    assert background(kind, 3, 64, seed=11) is cached  # served from the cache


@pytest.mark.parametrize("kind", list_backgrounds())
def test_indices_and_seeds_give_different_images(kind):
    images = [background(kind, index, 64).astype(np.int16) for index in range(5)]
    for i in range(5):
        for j in range(i + 1, 5):
            assert np.abs(images[i] - images[j]).mean() > 3, (kind, i, j)
    assert np.abs(background(kind, 0, 64, seed=1).astype(np.int16) - images[0]).mean() > 3


@pytest.mark.parametrize("kind", list_backgrounds())
def test_layout_does_not_depend_on_size(kind):
    large = Image.fromarray(np.asarray(background(kind, 1, 192))).resize((64, 64), Image.Resampling.BOX)
    small = background(kind, 1, 64)
    assert np.corrcoef(np.asarray(large, dtype=float).ravel(), small.astype(float).ravel())[0, 1] > 0.8


def _mean(kind: str, rows: slice = slice(None)) -> np.ndarray:
    """Mean RGB over the five images of a type, in the given row band (fractions of a 96-pixel image)."""
    return np.mean([background(kind, index, 96)[rows].reshape(-1, 3).mean(axis=0) for index in range(5)], axis=0)


def test_types_look_like_their_type():
    sky, water = _mean("sky"), _mean("water", slice(48, None))
    grass, home = _mean("grass", slice(48, None)), _mean("home", slice(80, None))
    city = np.mean([background("city", index, 96)[40:80].mean() for index in range(5)])
    assert sky[2] > sky[1] > sky[0] and sky[2] > 150  # bright, blue
    assert water[2] > water[0] + 30 and water[1] > water[0] + 30 and water.mean() < 110  # dark blue-green
    assert grass[1] > grass[0] + 20 and grass[1] > grass[2] + 20  # green
    assert home[0] > home[1] > home[2]  # wooden floor: brown
    assert city < sky.mean() - 40  # buildings: darker than an open sky
    means = np.array([_mean(kind) for kind in PAPER_TYPES])
    distances = np.linalg.norm(means[:, None] - means[None, :], axis=2)
    assert distances[np.triu_indices(len(PAPER_TYPES), 1)].min() > 15


def test_registry_rejects_duplicates_and_names_close_matches():
    with pytest.raises(ValueError, match="already registered"):
        register_background("sky")(lambda rng, height, width: np.zeros((height, width, 3)))
    with pytest.raises(InputError, match=r"closest matches: \['sky'\].*list_backgrounds"):
        background("skyy", 0, 32)


def test_bad_arguments_raise():
    with pytest.raises(InputError, match="index"):
        background("sky", -1, 32)
    with pytest.raises(InputError, match="size"):
        background("sky", 0, 0)
    with pytest.raises(InputError, match="size"):
        background("sky", 0, (32, 32, 3))


def test_generators_are_fast_enough():
    import time

    for kind in PAPER_TYPES:
        start = time.perf_counter()
        bg._cached.__wrapped__(kind, 7, 224, 224, 0)
        assert time.perf_counter() - start < 0.2, kind  # target < 20 ms; generous for loaded CI machines


# User folders -----------------------------------------------------------------------------------------------------


def _write(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    wide = np.zeros((40, 80, 3), dtype=np.uint8)
    wide[:, :20] = (0, 0, 255)
    wide[:, 20:60] = (255, 0, 0)  # the centre square is red
    wide[:, 60:] = (0, 0, 255)
    _write(tmp_path / "sky" / "b.png", wide)
    _write(tmp_path / "sky" / "a.jpg", np.full((30, 30, 3), 200, dtype=np.uint8))
    (tmp_path / "sky" / "notes.txt").write_text("not an image")
    (tmp_path / "empty").mkdir()
    _write(tmp_path / "broken" / "ok.png", np.zeros((8, 8, 3), dtype=np.uint8))
    (tmp_path / "broken" / "bad.jpg").write_bytes(b"this is not a jpeg")
    return tmp_path


def test_folder_backgrounds_load_centre_cropped(folder: Path):
    backgrounds = FolderBackgrounds(folder)
    assert backgrounds.types() == ["broken", "empty", "sky"]
    assert backgrounds.count("sky") == 2
    first, second = backgrounds("sky", 0, 16), backgrounds("sky", 1, (16, 24))
    assert first.shape == (16, 16, 3) and first.dtype == np.uint8 and not first.flags.writeable
    assert np.abs(first.astype(int) - 200).max() <= 2  # a.jpg sorts first
    assert second.shape == (16, 24, 3)
    centre = backgrounds("sky", 1, 16)
    assert (centre[..., 0] > 200).all() and (centre[..., 2] < 60).all()  # the wide image's red middle only
    assert backgrounds("sky", 1, 16) is centre


def test_folder_backgrounds_errors(folder: Path):
    backgrounds = FolderBackgrounds(folder)
    with pytest.raises(InputError, match="no images") as empty:
        backgrounds("empty", 0, 16)
    assert empty.value.path == folder / "empty"
    with pytest.raises(InputError, match="cannot read image") as broken:
        backgrounds("broken", 0, 16)
    assert broken.value.path == folder / "broken" / "bad.jpg"
    with pytest.raises(InputError, match=r"closest types: \['sky'\]"):
        backgrounds("skyy", 0, 16)
    with pytest.raises(InputError, match="out of range"):
        backgrounds("sky", 2, 16)
    with pytest.raises(InputError, match="does not exist"):
        FolderBackgrounds(folder / "missing")


def test_procedural_backgrounds_draw_from_named_seeding_streams():
    from fovkit.seeding import rng

    generator = bg._TYPES.get("city")
    expected = np.clip(generator(rng(5, "render", "background", "city", 2), 32, 32), 0.0, 1.0) * 255.0 + 0.5
    np.testing.assert_array_equal(background("city", 2, 32, seed=5), expected.astype(np.uint8))
    with pytest.raises(InputError, match="seed"):
        background("city", 2, 32, seed=-1)
