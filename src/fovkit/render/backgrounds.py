"""Background images for synthetic renders: procedural sky, water, city, home and grass scenes, or user folders.

The robustness-limits paper (section 3.1) places objects over natural images of five types (sky, water, city, home,
grass), five images per type. The procedural generators here stand in for those images: each is a pure function of
a seeded generator (the `fovkit.seeding` stream ("render", "background", type, index) under the config's seed) and
the image size, registered by name with `@register_background`, so that `background(type, index, size, seed)` is
deterministic and every `index` gives a different scene. The scene layout (horizon, buildings, furniture, cloud
shapes) is drawn at a fixed coarse resolution before any per-pixel texture, so the same (type, index, seed) looks
alike at 64 and at 224 pixels. `FolderBackgrounds` serves user photographs from `root/<type>/*.jpg|png` with the
same call signature.
"""

from __future__ import annotations

import difflib
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from fovkit.errors import InputError
from fovkit.registry import Registry
from fovkit.render.sources import IMAGE_SUFFIXES, image_files
from fovkit.seeding import rng

Generator = Callable[[np.random.Generator, int, int], np.ndarray]
"""A background generator: `(rng, height, width) -> (height, width, 3)` float image with values in [0, 1]."""

_TYPES: Registry[Generator] = Registry("background type", "fovkit.render.backgrounds.list_backgrounds()", "background")


def register_background(name: str) -> Callable[[Generator], Generator]:
    """Register a background generator under `name` (decorator); a name can be registered only once."""
    return _TYPES.register(name)


def list_backgrounds(pattern: str = "*") -> list[str]:
    """Names of the registered background types that match the shell-style `pattern`, sorted."""
    return _TYPES.names(pattern)


def background(type: str, index: int, size: int | tuple[int, int], seed: int = 0) -> np.ndarray:
    """The procedural background `index` of `type`, as a read-only (height, width, 3) uint8 array.

    Args:
        type: A registered background type (see `list_backgrounds()`).
        index: Which background of the type (any non-negative integer; each gives a different scene).
        size: Image size: an int for square images, else `(height, width)`.
        seed: Seed of the whole background set; `seed=0` is a seed like any other.

    Returns:
        The image, cached per (type, index, size, seed); copy it before changing it.

    """
    _TYPES.get(type)
    if isinstance(index, bool) or not isinstance(index, int | np.integer) or index < 0:
        raise InputError(f"background index must be a non-negative integer, got {index!r}", field="index")
    height, width = _size(size)
    return _cached(type, int(index), height, width, int(seed))


@lru_cache(maxsize=256)
def _cached(type: str, index: int, height: int, width: int, seed: int) -> np.ndarray:
    draw = rng(seed, "render", "background", type, index)
    image = np.asarray(_TYPES.get(type)(draw, height, width), dtype=np.float32)
    if image.shape != (height, width, 3):
        raise ValueError(f"background generator {type!r} returned shape {image.shape}, expected {(height, width, 3)}")
    out = (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    out.flags.writeable = False
    return out


def _size(size: int | tuple[int, int]) -> tuple[int, int]:
    """`(height, width)` from an int or a pair, validated."""
    pair = (size, size) if isinstance(size, int | np.integer) else tuple(size)
    if len(pair) != 2 or not all(isinstance(side, int | np.integer) and side >= 1 for side in pair):
        raise InputError(f"size must be a positive int or (height, width), got {size!r}", field="size")
    return int(pair[0]), int(pair[1])


class FolderBackgrounds:
    """User background photographs in `root/<type>/*.jpg|jpeg|png`, centre-cropped and resized to the render size.

    Images are taken in file-name order, so `index` i is the i-th file of the type's folder. Call it like
    `background`: `FolderBackgrounds(root)(type, index, size)`.

    Args:
        root: Folder with one subfolder per background type.

    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise InputError("background folder does not exist; expected root/<type>/*.jpg|png", path=self.root)
        self._files: dict[str, list[Path]] = {}
        self._cache: OrderedDict[tuple[str, int, int, int], np.ndarray] = OrderedDict()

    def types(self) -> list[str]:
        """Names of the type subfolders, sorted."""
        return sorted(path.name for path in self.root.iterdir() if path.is_dir() and not path.name.startswith("."))

    def files(self, type: str) -> list[Path]:
        """The image files of `type`, sorted by name; raises InputError for a missing or empty folder."""
        if type not in self._files:
            folder = self.root / type
            if not folder.is_dir():
                close = difflib.get_close_matches(type, self.types(), n=3)
                raise InputError(
                    f"no such background folder; closest types: {close}; all types: {self.types()}", path=folder
                )
            found = image_files(folder)
            if not found:
                raise InputError(f"no images ({'|'.join(IMAGE_SUFFIXES)}) in this background folder", path=folder)
            self._files[type] = found
        return self._files[type]

    def count(self, type: str) -> int:
        """How many images the folder of `type` holds."""
        return len(self.files(type))

    def __call__(self, type: str, index: int, size: int | tuple[int, int], seed: int = 0) -> np.ndarray:
        """Image `index` of `type` as a read-only (height, width, 3) uint8 array; `seed` is ignored (photos)."""
        files = self.files(type)
        if not 0 <= index < len(files):
            raise InputError(
                f"background index {index} is out of range: {len(files)} images in this folder",
                path=self.root / type,
                field="index",
            )
        height, width = _size(size)
        key = (type, int(index), height, width)
        if key not in self._cache:
            self._cache[key] = load_image(files[index], (height, width))
            if len(self._cache) > 256:
                self._cache.popitem(last=False)
        self._cache.move_to_end(key)
        return self._cache[key]


def load_image(path: str | Path, size: tuple[int, int]) -> np.ndarray:
    """Read an image file as RGB, centre-crop it to the aspect of `size` (height, width) and resize (read-only)."""
    height, width = size
    try:
        with Image.open(path) as opened:
            image = ImageOps.fit(opened.convert("RGB"), (width, height), method=Image.Resampling.BICUBIC)
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise InputError(f"cannot read image: {error}", path=path) from error
    out = np.array(image, dtype=np.uint8)
    out.flags.writeable = False
    return out


# Building blocks --------------------------------------------------------------------------------------------------


def _grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates in [0, 1]: y (height, 1) from the top, x (1, width) from the left."""
    y = ((np.arange(height, dtype=np.float32) + 0.5) / height)[:, None]
    x = ((np.arange(width, dtype=np.float32) + 0.5) / width)[None, :]
    return y, x


def _upsample(values: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bicubic resize of a small float grid to (height, width)."""
    return np.asarray(Image.fromarray(values.astype(np.float32)).resize((width, height), Image.Resampling.BICUBIC))


def _fbm(
    rng: np.random.Generator, height: int, width: int, cells: tuple[int, int], octaves: int = 4, gain: float = 0.5
) -> np.ndarray:
    """Fractal value noise in about [0, 1]: `octaves` layers of smooth noise, each twice as fine and `gain` as strong.

    The random grids have a fixed number of `cells` (rows, columns) whatever the image size, so the pattern scales.
    """
    total = np.zeros((height, width), dtype=np.float32)
    amplitude, norm = 1.0, 0.0
    rows, cols = cells
    for _ in range(octaves):
        total += amplitude * _upsample(rng.random((rows + 1, cols + 1)), height, width)
        norm += amplitude
        amplitude *= gain
        rows, cols = rows * 2, cols * 2
    return total / norm


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    """Hermite step from 0 at `edge0` to 1 at `edge1`."""
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _mix(a: np.ndarray, b: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """Linear blend of colours `a` and `b` (broadcast to (..., 3)) by `t` (a scalar, or broadcast to (...))."""
    a, b, t = np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32), np.asarray(t, dtype=np.float32)
    if t.ndim >= 2:
        t = t[..., None]
    return a + (b - a) * t


def _jitter(rng: np.random.Generator, color: tuple[float, float, float], amount: float) -> np.ndarray:
    """`color` with each channel moved by up to `amount`."""
    return np.clip(np.asarray(color, dtype=np.float32) + rng.uniform(-amount, amount, 3), 0.0, 1.0)


def _sky(rng: np.random.Generator, height: int, width: int, mood: str, horizon: float = 1.0) -> np.ndarray:
    """Sky gradient from the zenith (top) to the horizon at row fraction `horizon`; mood: day, hazy or dusk."""
    y, _ = _grid(height, width)
    if mood == "dusk":
        top, low = _jitter(rng, (0.16, 0.20, 0.45), 0.06), _jitter(rng, (0.98, 0.60, 0.35), 0.06)
    elif mood == "hazy":
        top, low = _jitter(rng, (0.45, 0.62, 0.82), 0.05), _jitter(rng, (0.85, 0.88, 0.90), 0.04)
    else:
        top, low = _jitter(rng, (0.18, 0.42, 0.82), 0.06), _jitter(rng, (0.72, 0.85, 0.96), 0.04)
    t = np.clip(y / max(horizon, 1e-3), 0.0, 1.0) ** 1.3
    return np.broadcast_to(_mix(top, low, t), (height, width, 3)).copy()


def _clouds(
    rng: np.random.Generator, sky: np.ndarray, cover: float, tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
) -> np.ndarray:
    """Soft clouds over `sky`: thresholded, horizontally stretched fractal noise, lit by `tint`, greyer below."""
    height, width, _ = sky.shape
    density = _fbm(rng, height, width, (2, 4), octaves=4, gain=0.5)
    shade = _fbm(rng, height, width, (3, 6), octaves=2)
    threshold = 1.0 - cover
    alpha = _smoothstep(threshold - 0.08, threshold + 0.22, density)
    lit = _mix(sky, tint, 0.85)  # the sunlit tops take the light's colour, the undersides some of the sky's
    cloud = _mix(lit * 0.78, lit, np.clip(0.5 * shade + 0.6 * alpha, 0.0, 1.0))
    return _mix(sky, cloud, alpha * 0.95)


# The five paper types ---------------------------------------------------------------------------------------------


@register_background("sky")
def sky(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Open sky: a blue gradient, a soft sun glow and clouds of varying cover."""
    mood = str(rng.choice(["day", "day", "hazy", "dusk"]))
    image = _sky(rng, height, width, mood)
    y, x = _grid(height, width)
    sun_x, sun_y = rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.7)
    glow = np.exp(-((x - sun_x) ** 2 + (y - sun_y) ** 2) / rng.uniform(0.01, 0.05))
    image = _mix(image, (1.0, 0.97, 0.88), 0.6 * glow)
    tint = (1.0, 0.88, 0.80) if mood == "dusk" else (1.0, 1.0, 1.0)
    return _clouds(rng, image, cover=rng.uniform(0.25, 0.6), tint=tint)


@register_background("water")
def water(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Open water: deep blue-green waves in perspective, brighter towards a hazy horizon, with sun glints."""
    y, x = _grid(height, width)
    horizon = rng.uniform(0.12, 0.38) if rng.random() < 0.7 else 0.0
    image = _sky(rng, height, width, "hazy" if rng.random() < 0.5 else "day", horizon=max(horizon, 1e-3))
    image = _clouds(rng, image, cover=rng.uniform(0.15, 0.4))
    deep = _jitter(rng, (0.02, 0.20, 0.30), 0.04)
    far = _jitter(rng, (0.25, 0.50, 0.60), 0.05)
    # Depth below the horizon: 0 at the horizon, 1 at the bottom row; waves live on a plane seen in perspective.
    d = np.clip((y - horizon) / (1.0 - horizon), 1e-3, 1.0) * np.ones_like(x)
    plane_z, plane_x = 1.0 / (d + 0.05), (x - 0.5) / (d + 0.05)
    warp = _fbm(rng, height, width, (3, 4), octaves=3) - 0.5
    waves = np.zeros((height, width), dtype=np.float32)
    for _ in range(4):
        angle, freq, phase = rng.uniform(-0.5, 0.5), rng.uniform(3.0, 7.0), rng.uniform(0, 2 * np.pi)
        waves += np.sin(freq * (np.cos(angle) * plane_z + np.sin(angle) * plane_x) + 4.0 * warp + phase)
    waves = waves / 4.0 * _smoothstep(0.0, 0.25, d)  # fade where bands get finer than pixels
    ripples = (_fbm(rng, height, width, (8, 6), octaves=3) - 0.5) * _smoothstep(0.05, 0.6, d)
    water = _mix(far, deep, d**0.6) * (1.0 + 0.35 * waves[..., None] + 0.5 * ripples[..., None])
    crest = np.clip(waves + ripples, 0.0, None)
    glints = (rng.random((height, width)) < 0.02) & (crest > 0.45)
    glints = glints | np.roll(glints, 1, axis=1)  # short horizontal streaks
    water = _mix(water, (1.0, 0.98, 0.92), glints * rng.uniform(0.6, 0.9))
    return np.where((y >= horizon)[..., None], water, image)


@register_background("city")
def city(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A city skyline: layered building silhouettes with window grids (lit at dusk) against the sky."""
    y, x = _grid(height, width)
    dusk = rng.random() < 0.6
    image = _sky(rng, height, width, "dusk" if dusk else "day")
    image = _clouds(rng, image, cover=rng.uniform(0.1, 0.35), tint=(1.0, 0.8, 0.7) if dusk else (1, 1, 1))
    ground = rng.uniform(0.82, 0.92)
    haze = image[int(ground * height) - 1, width // 2]
    columns = x[0]
    for layer, (low, high, darkness) in enumerate([(0.15, 0.35, 0.35), (0.25, 0.55, 0.6), (0.35, 0.75, 0.8)]):
        tops, ids, lefts, widths = _skyline(rng, columns, low, high)
        base = _jitter(rng, (0.22, 0.23, 0.28) if dusk else (0.45, 0.47, 0.52), 0.05)
        tone = 0.8 + 0.4 * rng.random(len(tops))
        color = _mix(haze, base * tone[ids][:, None], darkness)  # far layers fade into the haze
        top_row = ground - tops[ids]
        inside = (y >= top_row[None, :]) & (y < ground)
        image = np.where(inside[..., None], color[None, :, :], image)
        if layer > 0:
            image = _windows(rng, image, inside, y, columns, top_row, lefts[ids], widths[ids], ids, dusk, layer)
    street = _mix((0.10, 0.10, 0.12), (0.28, 0.28, 0.30), _smoothstep(ground, 1.0, y))
    lights = (rng.random((height, width)) < 0.01) & (y > ground) & dusk
    street = _mix(street, (1.0, 0.85, 0.5), lights)
    return np.where((y >= ground)[..., None], street, image)


def _skyline(
    rng: np.random.Generator, columns: np.ndarray, low: float, high: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Buildings across the width: heights, the building id of each column, and each building's left and width."""
    edges = [rng.uniform(-0.08, 0.0)]
    while edges[-1] < 1.0:
        edges.append(edges[-1] + rng.uniform(0.05, 0.16))
    edges = np.asarray(edges, dtype=np.float32)
    tops = rng.uniform(low, high, len(edges) - 1).astype(np.float32)
    ids = np.clip(np.searchsorted(edges, columns, side="right") - 1, 0, len(tops) - 1)
    return tops, ids, edges[:-1], np.diff(edges)


def _windows(
    rng: np.random.Generator,
    image: np.ndarray,
    inside: np.ndarray,
    y: np.ndarray,
    columns: np.ndarray,
    top_row: np.ndarray,
    lefts: np.ndarray,
    widths: np.ndarray,
    ids: np.ndarray,
    dusk: bool,
    layer: int,
) -> np.ndarray:
    """Grids of windows on the buildings of one layer; at dusk a random share of them is lit."""
    cell_w, cell_h = 0.018 * (1 + 0.3 * layer), 0.03 * (1 + 0.3 * layer)
    local_x = (columns - lefts) / cell_w  # (W,)
    local_y = (y - top_row[None, :]) / cell_h  # (H, W)
    col, row = np.floor(local_x).astype(np.int64), np.floor(local_y).astype(np.int64)
    in_cell = (local_x - col > 0.3)[None, :] & (local_y - row > 0.35)
    margin = (columns - lefts > cell_w * 0.5) & (lefts + widths - columns > cell_w * 0.5)
    window = inside & in_cell & margin[None, :] & (row >= 1)
    lit_share = rng.uniform(0.25, 0.55) if dusk else 0.0
    lit = _hash(ids[None, :], row, col[None, :], rng.integers(1 << 30)) < lit_share
    if dusk:
        glow = np.asarray((1.0, 0.82, 0.45), dtype=np.float32)
        dark = np.asarray((0.12, 0.13, 0.18), dtype=np.float32)
        color = np.where(lit[..., None], glow, dark)
    else:
        shade = 0.55 + 0.3 * _hash(ids[None, :], row, col[None, :], 7)[..., None]
        color = np.asarray((0.55, 0.68, 0.82), dtype=np.float32) * shade
    return np.where(window[..., None], color, image)


def _hash(a: np.ndarray, b: np.ndarray, c: np.ndarray, salt: int) -> np.ndarray:
    """A deterministic pseudo-random value in [0, 1) per integer triple (broadcast)."""
    h = (a * 73856093) ^ (b * 19349663) ^ (c * 83492791) ^ salt
    h = (h ^ (h >> 13)) * 1274126177
    return ((h ^ (h >> 16)) & 0xFFFF).astype(np.float32) / 65536.0


@register_background("home")
def home(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A room interior: a painted wall with a window or picture, furniture, a skirting board and a wooden floor."""
    y, x = _grid(height, width)
    palette = [(0.86, 0.82, 0.72), (0.72, 0.80, 0.74), (0.70, 0.78, 0.86), (0.88, 0.74, 0.62), (0.85, 0.85, 0.82)]
    wall = _jitter(rng, palette[rng.integers(len(palette))], 0.05)
    light = 0.82 + 0.18 * _smoothstep(1.0, 0.2, y) + 0.06 * (_fbm(rng, height, width, (6, 6), octaves=2) - 0.5)
    image = wall * light[..., None]
    floor_line = rng.uniform(0.6, 0.74)
    floor_row = _row(floor_line, height)
    image[floor_row:] = _floor(rng, height - floor_row, width, y[floor_row:], x, floor_line)
    _paint(image, floor_line - 0.025, 0.0, floor_line, 1.0, (0.93, 0.92, 0.88))  # skirting board
    top, bottom = rng.uniform(0.08, 0.2), floor_line - rng.uniform(0.2, 0.32)
    left = rng.uniform(0.05, 0.6)
    right = min(0.95, left + rng.uniform(0.25, 0.45))
    _paint(image, top, left, bottom, right, (0.95, 0.95, 0.93) if rng.random() < 0.65 else (0.35, 0.22, 0.12))
    inner = _slices(top + 0.025, left + 0.025, bottom - 0.025, right - 0.025, height, width)
    inner_h, inner_w = inner[0].stop - inner[0].start, inner[1].stop - inner[1].start
    if image[_row(top, height), _row(left, width), 0] > 0.5:  # white frame: a window on a day outside
        outside = _clouds(rng, _sky(rng, inner_h, inner_w, "day"), cover=0.35)
        iy, _ = _grid(inner_h, inner_w)
        trees = iy > 0.75 - 0.2 * _fbm(rng, 1, inner_w, (1, 5), octaves=2)
        outside[trees] = _mix((0.15, 0.32, 0.12), (0.3, 0.5, 0.2), rng.random(1))
        image[inner] = outside
        middle_x, middle_y = (left + right) / 2, (top + bottom) / 2
        _paint(image, top, middle_x - 0.008, bottom, middle_x + 0.008, (0.95, 0.95, 0.93))
        _paint(image, middle_y - 0.008, left, middle_y + 0.008, right, (0.95, 0.95, 0.93))
    else:  # wooden frame: a picture of soft colour fields
        field = _fbm(rng, inner_h, inner_w, (2, 3), octaves=3)
        image[inner] = _mix(_jitter(rng, (0.5, 0.5, 0.5), 0.45), _jitter(rng, (0.5, 0.5, 0.5), 0.45), field)
    _furniture(rng, image, floor_line)
    return image


def _row(fraction: float, size: int) -> int:
    """Pixel index of a fraction of the image side, clamped to [0, size]."""
    return min(size, max(0, round(fraction * size)))


def _slices(top: float, left: float, bottom: float, right: float, height: int, width: int) -> tuple[slice, slice]:
    """Row and column slices of a rectangle given in [0, 1] image coordinates (at least one pixel where inside)."""
    r0, c0 = _row(top, height), _row(left, width)
    r1, c1 = max(_row(bottom, height), min(r0 + 1, height)), max(_row(right, width), min(c0 + 1, width))
    return slice(r0, r1), slice(c0, c1)


def _paint(
    image: np.ndarray, top: float, left: float, bottom: float, right: float, color: tuple[float, ...] | np.ndarray
) -> None:
    """Fill a rectangle given in [0, 1] image coordinates with `color`, in place."""
    height, width, _ = image.shape
    image[_slices(top, left, bottom, right, height, width)] = color


def _furniture(rng: np.random.Generator, image: np.ndarray, floor: float) -> None:
    """A sofa (back, seat, arm rests) or a cabinet (doors, knobs, legs) standing on the floor, in place."""
    colors = [(0.45, 0.25, 0.2), (0.3, 0.35, 0.45), (0.5, 0.45, 0.35), (0.25, 0.3, 0.25)]
    color = _jitter(rng, colors[rng.integers(len(colors))], 0.05)
    left = rng.uniform(-0.1, 0.6)
    right = left + rng.uniform(0.3, 0.55)
    base = floor + rng.uniform(0.04, 0.1)
    if rng.random() < 0.5:
        _paint(image, base - 0.3, left, base - 0.12, right, color)
        _paint(image, base - 0.14, left - 0.03, base, right + 0.03, color * 0.8)
        for arm in (left - 0.04, right - 0.03):
            _paint(image, base - 0.2, arm, base, arm + 0.07, color * 0.9)
    else:
        middle = (left + right) / 2
        _paint(image, base - 0.22, left, base - 0.02, right, color)
        _paint(image, base - 0.22, middle - 0.004, base - 0.02, middle + 0.004, color * 0.5)
        for knob in (middle - 0.04, middle + 0.025):
            _paint(image, base - 0.13, knob, base - 0.11, knob + 0.015, color * 0.5)
        for leg in (left + 0.02, right - 0.04):
            _paint(image, base - 0.02, leg, base, leg + 0.02, color * 0.4)


def _floor(rng: np.random.Generator, height: int, width: int, y: np.ndarray, x: np.ndarray, floor: float) -> np.ndarray:
    """Wooden planks in perspective below the floor line (row fraction `floor`); `y` holds the band's rows."""
    d = np.clip((y - floor) / (1.0 - floor), 0.0, 1.0) + 0.25  # depth term; 0.25 keeps the far planks finite
    vanish = rng.uniform(0.3, 0.7)
    plane_x, plane_z = (x - vanish) / d * rng.uniform(5, 8), 1.0 / d * 1.5
    plank = np.floor(plane_x).astype(np.int64)
    offset = _hash(plank, 0, 0, 11)
    board = np.floor(plane_z + offset).astype(np.int64)
    seam = (plane_x - plank < 0.05) | (np.abs((plane_z + offset) % 1.0 - 0.5) > 0.48)
    wood = _jitter(rng, (0.58, 0.38, 0.22), 0.08)
    grain = _fbm(rng, max(height, 1), width, (1, 24), octaves=3)[:height]
    tone = (0.8 + 0.35 * _hash(plank, board, 0, 5) + 0.25 * (grain - 0.5)) * np.where(seam, 0.6, 1.0)
    tone *= 1.0 + 0.25 * _smoothstep(0.35, 0.0, np.abs(x - vanish))  # a soft reflection of the window light
    return wood * tone[..., None]


@register_background("grass")
def grass(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A meadow: green blades in perspective, sunlit and shaded patches, a few flowers, often a strip of sky."""
    y, x = _grid(height, width)
    horizon = rng.uniform(0.15, 0.35) if rng.random() < 0.7 else 0.0
    image = _sky(rng, height, width, "day", horizon=max(horizon, 1e-3))
    image = _clouds(rng, image, cover=rng.uniform(0.2, 0.5))
    if horizon > 0:  # a tree line along the horizon
        line = horizon - 0.02 - 0.06 * _fbm(rng, 1, width, (1, 12), octaves=3)
        trees = (y > line) & (y < horizon + 0.005)
        image = np.where(trees[..., None], _jitter(rng, (0.13, 0.25, 0.12), 0.03), image)
    d = np.clip((y - horizon) / max(1.0 - horizon, 1e-3), 0.0, 1.0) * np.ones_like(x)
    base = _jitter(rng, (0.30, 0.55, 0.18), 0.06)
    dry = _jitter(rng, (0.62, 0.62, 0.28), 0.06)
    patches = _fbm(rng, height, width, (3, 4), octaves=4)
    field = _mix(base, dry, _smoothstep(0.55, 0.8, patches) * rng.uniform(0.3, 0.8))
    # Blades: vertical streaks, finer towards the horizon, darker at their roots.
    fine = _upsample(rng.random((max(2, height // 6), width)), height, width)
    coarse = _upsample(rng.random((max(2, height // 10), max(2, width // 2))), height, width)
    blades = _mix(fine[..., None], coarse[..., None], d)[..., 0]
    light = 0.55 + 0.75 * blades * (0.6 + 0.4 * d) + 0.3 * (patches - 0.5)
    field = field * light[..., None] * (0.75 + 0.35 * (1.0 - d))[..., None]
    field = _mix(field, _mix(image[max(0, int(horizon * height) - 1)], field, 0.6), _smoothstep(0.15, 0.0, d) * 0.5)
    flowers = (rng.random((height, width)) < 0.004 * (0.3 + d)) & (d > 0.05)
    petal = np.where((rng.random((height, width)) < 0.5)[..., None], np.float32(1.0), np.asarray((1.0, 0.85, 0.2)))
    field = np.where(flowers[..., None], petal, field)
    return np.where((y >= horizon)[..., None], field, image)
