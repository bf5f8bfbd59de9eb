"""Object assets for synthetic factor datasets: a seeded procedural catalog of 3D classes, or a folder of user meshes.

3D Warehouse objects (robustness-limits paper, section 3.1) are not available offline, so fovkit ships procedural
classes built from trimesh primitives. Each class is a registered builder, a pure function of a seeded
`numpy.random.Generator` that returns coloured parts; `make_instance` turns (class, instance index, seed) into the
same mesh, byte for byte, on every machine.

Conventions shared by every asset (procedural or loaded from a folder):

- Canonical frame: the object stands upright along +Y and its front faces +Z (a car's bonnet, a chair's seat edge,
  a clock's dial, a laptop's screen). Long tools stand on their grip (hammer head, blade, tip up); vehicles point
  their nose to +Z. The renderer rotates the asset for pose.
- Normalised: the axis-aligned bounding box is centred at the origin and its longest side is 1.0, so the object fits
  the cube [-0.5, 0.5]^3 in canonical pose and the sphere of radius sqrt(3)/2 in any pose.
- Colours: one RGBA uint8 colour per face (`mesh.visual.face_colors`, alpha 255); `Asset.face_colors` gives RGB.
  Meshes are triangle soups of closed or open parts, not one watertight solid: render them double-sided.
"""

from __future__ import annotations

import difflib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple, Protocol, runtime_checkable

import numpy as np
import trimesh

from fovkit.errors import InputError, preview
from fovkit.registry import Registry
from fovkit.render.sources import MESH_SUFFIXES, scan_mesh_folder
from fovkit.runs import file_checksum
from fovkit.seeding import rng

DEFAULT_COLOR = (170, 170, 170)
"""RGB given to faces of user meshes that carry no colour or texture."""

Color = tuple[int, int, int]


class Part(NamedTuple):
    """One coloured piece of a procedural object.

    Attributes:
        mesh: Geometry in the builder's canonical frame (any scale; +Y up, front +Z).
        color: One RGB colour, or one RGB row per face of `mesh`.

    """

    mesh: trimesh.Trimesh
    color: Color | np.ndarray


Builder = Callable[[np.random.Generator], list[Part]]
"""A procedural class: draws every proportion, count and colour from the generator, returns the parts."""

_CLASSES: Registry[Builder] = Registry("asset class", "fovkit.render.assets.list_classes()", "class_name")


def register_class(name: str) -> Callable[[Builder], Builder]:
    """Decorator that registers a procedural class builder under `name` (a unique lower-case identifier)."""
    return _CLASSES.register(name)


def list_classes(pattern: str = "*") -> list[str]:
    """Sorted names of the registered procedural classes that match a shell-style `pattern` (e.g. `"b*"`)."""
    return _CLASSES.names(pattern)


def get_class(name: str) -> Builder:
    """The builder registered under `name`; an unknown name raises `InputError` naming the closest matches."""
    return _CLASSES.get(name)


@dataclass(frozen=True, eq=False)
class Asset:
    """A normalised, coloured object mesh and where it came from.

    Attributes:
        mesh: Centred, longest bounding-box side 1.0, +Y up, front +Z, RGBA face colours. Copy before mutating.
        class_name: The object's class.
        instance_index: The instance within its class.
        source: How it was made: `procedural seed=<seed>` or the path of the mesh file.

    """

    mesh: trimesh.Trimesh
    class_name: str
    instance_index: int
    source: str = "procedural seed=0"

    @property
    def face_colors(self) -> np.ndarray:
        """RGB uint8 colour of every face, shape (n_faces, 3)."""
        return np.asarray(self.mesh.visual.face_colors[:, :3], dtype=np.uint8)


def instance_rng(class_name: str, instance_index: int, seed: int = 0) -> np.random.Generator:
    """The generator of one procedural instance: the `fovkit.seeding` stream ("render", "asset", class, instance).

    Keys are hashed with SHA-256 (never Python's salted `hash`), so streams agree across processes and machines,
    and adding classes never changes the instances of existing ones.
    """
    _check_count(seed, "seed")
    _check_count(instance_index, "instance_index")
    return rng(int(seed), "render", "asset", class_name, int(instance_index))


def make_instance(class_name: str, instance_index: int, seed: int = 0) -> Asset:
    """Build instance `instance_index` of a procedural class, normalised and coloured.

    Args:
        class_name: A registered class (see `list_classes()`).
        instance_index: Non-negative instance number; any value works, catalogs use 0..n_instances-1.
        seed: Non-negative catalog seed; `seed=0` is a seed like any other.

    Returns:
        The asset; the same arguments give identical vertices, faces and colours.

    """
    builder = get_class(class_name)
    rng = instance_rng(class_name, instance_index, seed)
    mesh = normalize_mesh(assemble_parts(builder(rng)))
    return Asset(mesh, class_name, int(instance_index), f"procedural seed={int(seed)}")


def assemble_parts(parts: Sequence[Part]) -> trimesh.Trimesh:
    """Concatenate parts into one mesh whose faces carry each part's colour (RGBA uint8, alpha 255)."""
    if not parts:
        raise ValueError("a procedural builder returned no parts")
    combined = trimesh.util.concatenate([part.mesh for part in parts])
    colors = []
    for part in parts:
        color = np.asarray(part.color, dtype=np.float64)
        n_faces = len(part.mesh.faces)
        rgb = np.broadcast_to(color, (n_faces, 3)) if color.ndim == 1 else color
        if rgb.shape != (n_faces, 3):
            raise ValueError(f"part colour has shape {color.shape}; expected (3,) or ({n_faces}, 3)")
        colors.append(np.clip(np.rint(rgb), 0, 255))
    rgba = np.concatenate([np.concatenate(colors), np.full((len(combined.faces), 1), 255.0)], axis=1)
    return trimesh.Trimesh(
        np.asarray(combined.vertices, dtype=np.float64),
        np.asarray(combined.faces, dtype=np.int64),
        face_colors=rgba.astype(np.uint8),
        process=False,
    )


def normalize_mesh(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """A copy of `mesh` with its bounding box centred at the origin and its longest side scaled to 1.0."""
    if len(mesh.faces) == 0:
        raise ValueError("cannot normalise a mesh without faces")
    bounds = np.asarray(mesh.bounds, dtype=np.float64)
    extent = float((bounds[1] - bounds[0]).max())
    if not np.isfinite(extent) or extent <= 0:
        raise ValueError(f"cannot normalise a mesh whose bounding box has longest side {extent}")
    vertices = (np.asarray(mesh.vertices, dtype=np.float64) - bounds.mean(axis=0)) / extent
    return trimesh.Trimesh(
        vertices,
        np.asarray(mesh.faces, dtype=np.int64),
        face_colors=np.asarray(mesh.visual.face_colors, dtype=np.uint8).copy(),
        process=False,
    )


def _check_count(value: object, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise InputError(f"expected a non-negative integer, got {value!r}", field=field)


# --------------------------------------------------------------------------------------------------------------------
# Catalogs: the interface the renderer uses, over the procedural classes or a folder of user meshes.
# --------------------------------------------------------------------------------------------------------------------


@runtime_checkable
class Catalog(Protocol):
    """A source of assets: named classes, each with a fixed number of instances."""

    def classes(self) -> list[str]:
        """Class names, in label order."""
        ...

    def n_instances(self, class_name: str) -> int:
        """How many instances `class_name` has."""
        ...

    def asset(self, class_name: str, index: int) -> Asset:
        """Instance `index` (0-based) of `class_name`."""
        ...

    def describe(self) -> dict[str, object]:
        """JSON-ready record of what the catalog holds, to store beside rendered outputs."""
        ...


class ProceduralCatalog:
    """The registered procedural classes, `n_instances` seeded instances each.

    Args:
        classes: Class names; an integer takes that many from `list_classes()`; None takes them all.
        n_instances: Instances per class.
        seed: Catalog seed; different seeds give different instances of the same classes.

    """

    def __init__(self, classes: Sequence[str] | int | None = None, n_instances: int = 50, seed: int = 0) -> None:
        available = list_classes()
        if classes is None:
            names = available
        elif isinstance(classes, int | np.integer) and not isinstance(classes, bool):
            if not 1 <= classes <= len(available):
                raise InputError(
                    f"expected 1..{len(available)} classes (the registered count), got {classes}", field="classes"
                )
            names = available[: int(classes)]
        elif isinstance(classes, str):
            raise InputError(f"expected a list of class names, got the string {classes!r}", field="classes")
        else:
            names = [str(name) for name in classes]
            for name in names:
                get_class(name)
            duplicates = sorted({name for name in names if names.count(name) > 1})
            if duplicates:
                raise InputError(f"class names repeat: {preview(duplicates)}", field="classes")
            if not names:
                raise InputError("expected at least one class name, got an empty list", field="classes")
        _check_count(seed, "seed")
        _check_count(n_instances, "n_instances")
        if n_instances < 1:
            raise InputError("expected at least 1 instance per class, got 0", field="n_instances")
        self._classes = names
        self._n_instances = int(n_instances)
        self.seed = int(seed)

    def classes(self) -> list[str]:
        """Class names, in the order given (or sorted when taken from the registry)."""
        return list(self._classes)

    def n_instances(self, class_name: str) -> int:
        """Instances per class (the same for every class)."""
        self._check_class(class_name)
        return self._n_instances

    def asset(self, class_name: str, index: int) -> Asset:
        """Build instance `index` of `class_name` (a few milliseconds; nothing is cached)."""
        self._check_class(class_name)
        _check_index(index, self._n_instances, class_name)
        return make_instance(class_name, index, self.seed)

    def describe(self) -> dict[str, object]:
        """Kind, seed, classes and instance count: enough to rebuild every asset."""
        return {
            "kind": "procedural",
            "seed": self.seed,
            "n_instances": self._n_instances,
            "classes": list(self._classes),
        }

    def _check_class(self, class_name: str) -> None:
        if class_name not in self._classes:
            get_class(class_name)
            raise InputError(f"class {class_name!r} is not in this catalog's {len(self._classes)}", field="class_name")

    def __repr__(self) -> str:
        return f"ProceduralCatalog({len(self._classes)} classes, n_instances={self._n_instances}, seed={self.seed})"


class FolderCatalog:
    """User meshes laid out as `root/<class>/<instance>.<obj|ply|glb|stl>`, normalised like procedural assets.

    The layout is scanned when the catalog is made: sub-folders are classes and their mesh files, sorted by name,
    are instances. Files are read on first use; `load_mesh_folder` reads them all up front. Material and texture
    files (`.mtl`, images) beside OBJ files and hidden files are skipped; any other suffix is an error. Textures are
    reduced to colours (per-vertex samples or the material colour), uncoloured meshes get `DEFAULT_COLOR`.

    Args:
        root: Folder holding one sub-folder per class.
        up_axis: The files' up axis; `"z"` rotates Z-up meshes (e.g. SketchUp exports) into the +Y-up frame.
        cache_size: How many loaded assets to keep in memory.

    """

    def __init__(self, root: Path, up_axis: Literal["y", "z"] = "y", cache_size: int = 64) -> None:
        self.root = Path(root)
        if up_axis not in ("y", "z"):
            raise InputError(f"expected 'y' or 'z', got {up_axis!r}", field="up_axis")
        self.up_axis = up_axis
        self._files = scan_mesh_folder(self.root)
        self._cache: OrderedDict[Path, Asset] = OrderedDict()
        self._cache_size = cache_size

    def classes(self) -> list[str]:
        """Class folder names, sorted."""
        return list(self._files)

    def n_instances(self, class_name: str) -> int:
        """Number of mesh files in the class folder."""
        return len(self._class_files(class_name))

    def files(self, class_name: str) -> list[Path]:
        """The mesh files of `class_name`, in instance order."""
        return list(self._class_files(class_name))

    def asset(self, class_name: str, index: int) -> Asset:
        """Load (or take from the cache) instance `index` of `class_name`; a copy the caller may mutate."""
        files = self._class_files(class_name)
        _check_index(index, len(files), class_name)
        path = files[index]
        if path not in self._cache:
            mesh = load_mesh(path, self.up_axis)
            self._cache[path] = Asset(mesh, class_name, int(index), str(path))
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        self._cache.move_to_end(path)
        cached = self._cache[path]
        return Asset(cached.mesh.copy(), cached.class_name, cached.instance_index, cached.source)

    def describe(self) -> dict[str, object]:
        """Kind, root, up axis and the SHA-256 of every mesh file, by class."""
        return {
            "kind": "folder",
            "root": str(self.root),
            "up_axis": self.up_axis,
            "classes": {
                name: {str(path.relative_to(self.root)): file_checksum(path) for path in paths}
                for name, paths in self._files.items()
            },
        }

    def _class_files(self, class_name: str) -> list[Path]:
        try:
            return self._files[class_name]
        except KeyError:
            close = difflib.get_close_matches(str(class_name), list(self._files), n=5, cutoff=0.5)
            hint = f"; closest matches: {preview(close)}" if close else ""
            raise InputError(
                f"no class folder {class_name!r} among {len(self._files)}{hint}", path=self.root, field="class_name"
            ) from None

    def __repr__(self) -> str:
        total = sum(len(paths) for paths in self._files.values())
        return f"FolderCatalog({str(self.root)!r}, {len(self._files)} classes, {total} meshes)"


def load_mesh_folder(root: Path, up_axis: Literal["y", "z"] = "y") -> FolderCatalog:
    """Scan `root/<class>/<instance>.<obj|ply|glb|stl>` and read every file once, so bad files fail now.

    Args:
        root: Folder holding one sub-folder per class.
        up_axis: The files' up axis (`"y"` or `"z"`).

    Returns:
        The catalog, with its cache warmed up to its size.

    Raises:
        InputError: naming the path and the reason, for a missing root, an empty class folder, an unsupported
            suffix, a mesh file outside a class folder, or a file trimesh cannot read or that holds no triangles.

    """
    catalog = FolderCatalog(root, up_axis=up_axis)
    for name in catalog.classes():
        for index in range(catalog.n_instances(name)):
            catalog.asset(name, index)
    return catalog


def load_mesh(path: Path, up_axis: Literal["y", "z"] = "y") -> trimesh.Trimesh:
    """Read one mesh file (scenes are flattened with their transforms), colour it by face and normalise it."""
    path = Path(path)
    if path.suffix.lower() not in MESH_SUFFIXES:
        raise InputError(
            f"unsupported mesh suffix {path.suffix!r}; expected one of {', '.join(MESH_SUFFIXES)}", path=path
        )
    try:  # unprocessed: trimesh's processing would silently drop NaN or infinite vertices and their faces
        loaded = trimesh.load(path, force="mesh", process=False)
    except Exception as error:  # trimesh raises many types for corrupt files
        raise InputError(f"trimesh could not read the mesh ({type(error).__name__}: {error})", path=path) from error
    if not isinstance(loaded, trimesh.Trimesh) or len(loaded.faces) == 0:
        raise InputError("the file holds no triangles; export it as a triangle mesh", path=path)
    vertices = np.asarray(loaded.vertices, dtype=np.float64)
    bad = (np.flatnonzero(~np.isfinite(vertices).all(axis=1)) + 1).tolist()
    if bad:
        raise InputError(
            f"{len(bad)} vertices have NaN or infinite coordinates (vertex numbers from 1: {preview(bad)}); "
            "fix or remove them in the modelling tool and export again",
            path=path,
        )
    mesh = trimesh.Trimesh(
        vertices, np.asarray(loaded.faces, dtype=np.int64), face_colors=_face_rgba(loaded), process=False
    )
    if up_axis == "z":
        mesh.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1.0, 0.0, 0.0]))
    try:
        return normalize_mesh(mesh)
    except ValueError as error:
        raise InputError(str(error), path=path) from error


def _face_rgba(mesh: trimesh.Trimesh) -> np.ndarray:
    """RGBA uint8 per face from whatever visual the file carried (texture, vertex or face colours, or none)."""
    visual = mesh.visual
    n_faces = len(mesh.faces)
    try:
        if visual.kind == "texture":
            visual = visual.to_color()
        if visual.kind in ("face", "vertex"):
            rgba = np.asarray(visual.face_colors, dtype=np.uint8)
            if rgba.shape == (n_faces, 4):
                out = rgba.copy()
                out[:, 3] = 255
                return out
    except Exception:  # a visual trimesh cannot convert falls back to the default colour
        pass
    return np.tile(np.array([*DEFAULT_COLOR, 255], dtype=np.uint8), (n_faces, 1))


def _check_index(index: object, count: int, class_name: str) -> None:
    if isinstance(index, bool) or not isinstance(index, int | np.integer) or not 0 <= index < count:
        raise InputError(
            f"expected an instance index in 0..{count - 1} for {class_name!r}, got {index!r}", field="index"
        )


# --------------------------------------------------------------------------------------------------------------------
# Geometry helpers: primitives placed in the canonical frame (+Y up, front +Z). Rotations are (axis, degrees) turns.
# --------------------------------------------------------------------------------------------------------------------

Turns = Sequence[tuple[str, float]]
_UNIT = {"x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0), "z": (0.0, 0.0, 1.0)}
_BOX = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
_BOX_VERTICES = np.asarray(_BOX.vertices, dtype=np.float64)
_BOX_FACES = np.asarray(_BOX.faces, dtype=np.int64)
_SPHERES = {level: trimesh.creation.icosphere(subdivisions=level) for level in (1, 2)}
_AXIS_FROM_Y: dict[str, Turns] = {"y": (), "x": (("z", -90.0),), "z": (("x", 90.0),)}


def _matrix(turns: Turns = (), at: Sequence[float] = (0.0, 0.0, 0.0)) -> np.ndarray:
    """4x4 transform: the rotations in `turns`, applied in order, then a translation to `at`."""
    matrix = np.eye(4)
    for axis, degrees in turns:
        matrix = trimesh.transformations.rotation_matrix(np.radians(degrees), _UNIT[axis]) @ matrix
    matrix[:3, 3] = at
    return matrix


def _mesh(
    vertices: np.ndarray, faces: np.ndarray, turns: Turns = (), at: Sequence[float] = (0, 0, 0)
) -> trimesh.Trimesh:
    """A Trimesh of `vertices` rotated by `turns` and moved to `at` (no processing, so vertex order is kept)."""
    matrix = _matrix(turns, at)
    moved = np.asarray(vertices, dtype=np.float64) @ matrix[:3, :3].T + matrix[:3, 3]
    return trimesh.Trimesh(moved, np.asarray(faces, dtype=np.int64), process=False)


def _outward(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """Flip the winding of a closed part whose signed volume is negative, so its normals point outward."""
    if mesh.volume < 0:
        mesh.invert()
    return mesh


def _box(size: Sequence[float], at: Sequence[float] = (0, 0, 0), turns: Turns = ()) -> trimesh.Trimesh:
    """Box with side lengths `size` (x, y, z), centred at `at`."""
    return _mesh(_BOX_VERTICES * np.asarray(size, dtype=np.float64), _BOX_FACES, turns, at)


def _ball(
    radius: float | Sequence[float], at: Sequence[float] = (0, 0, 0), turns: Turns = (), level: int = 2
) -> trimesh.Trimesh:
    """Sphere, or ellipsoid with per-axis radii, centred at `at` (icosphere of `level` subdivisions)."""
    sphere = _SPHERES[level]
    return _mesh(sphere.vertices * np.asarray(radius, dtype=np.float64), sphere.faces, turns, at)


def _lathe(
    profile: Sequence[Sequence[float]], at: Sequence[float] = (0, 0, 0), turns: Turns = (), n: int = 24
) -> trimesh.Trimesh:
    """Surface of revolution about +Y of a (radius, height) profile; start and end it on the axis to close it."""
    mesh = trimesh.creation.revolve(np.asarray(profile, dtype=np.float64), sections=n)
    mesh = _mesh(mesh.vertices, mesh.faces, (("x", -90.0),))
    mesh = _outward(mesh)
    return _mesh(mesh.vertices, mesh.faces, turns, at)


def _cyl(
    radius: float,
    height: float,
    at: Sequence[float] = (0, 0, 0),
    axis: str = "y",
    n: int = 20,
    top: float | None = None,
    turns: Turns = (),
) -> trimesh.Trimesh:
    """Closed cylinder (or frustum with top radius `top`) along `axis`, centred at `at`."""
    top = radius if top is None else top
    profile = [(0, -height / 2), (radius, -height / 2), (top, height / 2), (0, height / 2)]
    return _lathe(profile, at, (*_AXIS_FROM_Y[axis], *turns), n)


def _cone(radius: float, height: float, base: Sequence[float] = (0, 0, 0), n: int = 20, turns: Turns = ()):
    """Closed cone with its base centred at `base` and its apex `height` above (+Y, before `turns`)."""
    return _lathe([(0, 0), (radius, 0), (0, height)], base, turns, n)


def _torus(
    major: float, minor: float, at: Sequence[float] = (0, 0, 0), axis: str = "y", n: int = 24, m: int = 8
) -> trimesh.Trimesh:
    """Ring of tube radius `minor` around `axis`, centred at `at`."""
    ring = trimesh.creation.torus(major, minor, major_sections=n, minor_sections=m)
    to_axis = {"z": (), "y": (("x", -90.0),), "x": (("y", 90.0),)}[axis]
    return _outward(_mesh(ring.vertices, ring.faces, to_axis, at))


def _tube(
    points: Sequence[Sequence[float]] | np.ndarray, radius: float | Sequence[float], n: int = 8, closed: bool = False
) -> trimesh.Trimesh:
    """Tube of circular cross-section swept along a polyline (parallel-transported frames), capped unless closed."""
    path = np.asarray(points, dtype=np.float64)
    count = len(path)
    radii = np.broadcast_to(np.asarray(radius, dtype=np.float64), (count,))
    tangents = np.roll(path, -1, axis=0) - np.roll(path, 1, axis=0) if closed else np.gradient(path, axis=0)
    tangents /= np.linalg.norm(tangents, axis=1, keepdims=True)
    reference = np.array([0.0, 0.0, 1.0]) if abs(tangents[0, 2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    normal = np.cross(tangents[0], reference)
    normals = []
    for tangent in tangents:
        normal = normal - normal.dot(tangent) * tangent
        normal /= np.linalg.norm(normal)
        normals.append(normal)
    normals_arr = np.asarray(normals)
    binormals = np.cross(tangents, normals_arr)
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    rings = (
        path[:, None, :]
        + radii[:, None, None] * np.cos(angles)[None, :, None] * normals_arr[:, None, :]
        + radii[:, None, None] * np.sin(angles)[None, :, None] * binormals[:, None, :]
    )
    vertices = rings.reshape(-1, 3)
    faces = []
    segments = count if closed else count - 1
    for i in range(segments):
        j = (i + 1) % count
        for k in range(n):
            k2 = (k + 1) % n
            a, b, c, d = i * n + k, i * n + k2, j * n + k2, j * n + k
            faces += [(a, b, c), (a, c, d)]
    if not closed:
        start, end = len(vertices), len(vertices) + 1
        vertices = np.vstack([vertices, path[0], path[-1]])
        last = (count - 1) * n
        for k in range(n):
            k2 = (k + 1) % n
            faces += [(start, k2, k), (end, last + k, last + k2)]
    return _outward(trimesh.Trimesh(vertices, np.asarray(faces, dtype=np.int64), process=False))


def _triangulate(outline: np.ndarray) -> list[tuple[int, int, int]]:
    """Ear-clipping triangulation of a simple counter-clockwise polygon."""
    indices = list(range(len(outline)))
    triangles = []
    guard = 0
    while len(indices) > 3 and guard < 10_000:
        guard += 1
        for position in range(len(indices)):
            i0, i1, i2 = indices[position - 1], indices[position], indices[(position + 1) % len(indices)]
            a, b, c = outline[i0], outline[i1], outline[i2]
            if (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]) <= 1e-12:
                continue
            if any(_inside(outline[k], a, b, c) for k in indices if k not in (i0, i1, i2)):
                continue
            triangles.append((i0, i1, i2))
            indices.pop(position)
            break
        else:
            break
    for position in range(1, len(indices) - 1):
        triangles.append((indices[0], indices[position], indices[position + 1]))
    return triangles


def _inside(point: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> bool:
    """Whether `point` lies inside or on the counter-clockwise triangle abc."""

    def side(p: np.ndarray, q: np.ndarray) -> float:
        return (q[0] - p[0]) * (point[1] - p[1]) - (q[1] - p[1]) * (point[0] - p[0])

    return side(a, b) >= 0 and side(b, c) >= 0 and side(c, a) >= 0


def _prism(
    outline: Sequence[Sequence[float]], depth: float, at: Sequence[float] = (0, 0, 0), turns: Turns = ()
) -> trimesh.Trimesh:
    """A simple polygon in the XY plane extruded `depth` along Z (centred on z=0), then turned and moved."""
    poly = np.asarray(outline, dtype=np.float64)
    x, y = poly[:, 0], poly[:, 1]
    if np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y) < 0:
        poly = poly[::-1]
    k = len(poly)
    vertices = np.vstack([np.c_[poly, np.full(k, -depth / 2)], np.c_[poly, np.full(k, depth / 2)]])
    faces = []
    for a, b, c in _triangulate(poly):
        faces += [(a + k, b + k, c + k), (c, b, a)]
    for i in range(k):
        j = (i + 1) % k
        faces += [(i, j, j + k), (i, j + k, i + k)]
    return _mesh(vertices, np.asarray(faces), turns, at)


def _loft(sections: Sequence[np.ndarray]) -> trimesh.Trimesh:
    """Closed skin through closed cross-sections with equal point counts, capped by fans at both ends."""
    rings = np.asarray(sections, dtype=np.float64)
    count, n = rings.shape[:2]
    vertices = np.vstack([rings.reshape(-1, 3), rings[0].mean(axis=0), rings[-1].mean(axis=0)])
    faces = []
    for i in range(count - 1):
        for k in range(n):
            k2 = (k + 1) % n
            a, b, c, d = i * n + k, i * n + k2, (i + 1) * n + k2, (i + 1) * n + k
            faces += [(a, b, c), (a, c, d)]
    start, end, last = count * n, count * n + 1, (count - 1) * n
    for k in range(n):
        k2 = (k + 1) % n
        faces += [(start, k2, k), (end, last + k, last + k2)]
    return _outward(trimesh.Trimesh(vertices, np.asarray(faces, dtype=np.int64), process=False))


def _arc(
    center: Sequence[float], radius: float | Sequence[float], start: float, stop: float, n: int = 12, plane: str = "xy"
) -> np.ndarray:
    """Points on a circular (or elliptic, with two radii) arc from `start` to `stop` degrees in an axis plane."""
    angles = np.radians(np.linspace(start, stop, n))
    rx, ry = np.broadcast_to(np.asarray(radius, dtype=np.float64), (2,))
    points = np.zeros((n, 3)) + np.asarray(center, dtype=np.float64)
    first, second = ("xyz".index(plane[0]), "xyz".index(plane[1]))
    points[:, first] += rx * np.cos(angles)
    points[:, second] += ry * np.sin(angles)
    return points


def _smooth(heights: Sequence[float], radii: Sequence[float], per_segment: int = 4) -> list[tuple[float, float]]:
    """A (radius, height) lathe profile through control points, smoothed with a Catmull-Rom spline."""
    points = np.c_[np.asarray(radii, dtype=np.float64), np.asarray(heights, dtype=np.float64)]
    padded = np.vstack([2 * points[0] - points[1], points, 2 * points[-1] - points[-2]])
    out = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1], padded[i], padded[i + 1], padded[i + 2]
        for t in np.linspace(0, 1, per_segment, endpoint=False):
            out.append(
                0.5
                * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2 + (3 * p1 - p0 - 3 * p2 + p3) * t**3)
            )
    out.append(points[-1])
    return [(max(float(r), 0.0), float(h)) for r, h in out]


# --------------------------------------------------------------------------------------------------------------------
# Colour helpers: palettes of plausible colours, jittered per instance.
# --------------------------------------------------------------------------------------------------------------------

WOOD = ((150, 100, 60), (120, 80, 45), (185, 140, 90), (95, 60, 35), (205, 165, 115), (140, 90, 50))
METAL = ((175, 175, 180), (135, 135, 140), (205, 205, 210), (95, 95, 100), (180, 160, 120))
BRIGHT = (
    (205, 40, 40),
    (40, 90, 195),
    (240, 190, 40),
    (40, 150, 70),
    (235, 120, 30),
    (125, 60, 165),
    (30, 160, 170),
    (225, 90, 150),
    (235, 235, 230),
    (45, 45, 50),
)
FABRIC = ((120, 130, 150), (165, 60, 60), (75, 100, 75), (195, 185, 160), (85, 85, 95), (60, 90, 145), (150, 115, 85))
PASTEL = ((245, 200, 200), (200, 225, 245), (215, 240, 205), (250, 235, 190), (230, 215, 245), (245, 245, 240))
DARK = (30, 30, 34)
GLASS = (55, 75, 95)
WHITE = (240, 240, 235)


def _jitter(rng: np.random.Generator, rgb: Sequence[int], amount: float = 0.1) -> Color:
    """`rgb` with its brightness scaled by up to +-`amount` and a little independent noise per channel."""
    scaled = np.asarray(rgb, dtype=np.float64) * (1 + rng.uniform(-amount, amount)) + rng.uniform(-10, 10, 3)
    r, g, b = (int(v) for v in np.clip(np.rint(scaled), 0, 255))
    return (r, g, b)


def _shade(rgb: Sequence[int], factor: float) -> Color:
    """`rgb` darkened (factor < 1) or lightened (factor > 1) by a fixed factor: a second tone for another part."""
    base = np.asarray(rgb, dtype=np.float64)
    scaled = base * factor if factor <= 1 else base + (255 - base) * (factor - 1)
    r, g, b = (int(v) for v in np.clip(np.rint(scaled), 0, 255))
    return (r, g, b)


def _pick(rng: np.random.Generator, palette: Sequence[Sequence[int]], amount: float = 0.1) -> Color:
    """A jittered colour drawn from `palette`."""
    return _jitter(rng, palette[int(rng.integers(len(palette)))], amount)


def _v(x: float, y: float, z: float) -> np.ndarray:
    """A 3-vector, for offsetting points held as arrays."""
    return np.array([x, y, z], dtype=np.float64)


def _moved(mesh: trimesh.Trimesh, turns: Turns = (), at: Sequence[float] = (0, 0, 0)) -> trimesh.Trimesh:
    """`mesh` rotated about the origin by `turns`, then moved by `at` (build parts about a pivot, then place them)."""
    return _mesh(mesh.vertices, mesh.faces, turns, at)


def _scaled(mesh: trimesh.Trimesh, scale: Sequence[float], at: Sequence[float] = (0, 0, 0)) -> trimesh.Trimesh:
    """`mesh` scaled per axis about the origin, then moved by `at`."""
    return _mesh(np.asarray(mesh.vertices) * np.asarray(scale, dtype=np.float64), mesh.faces, (), at)


def _loop_handle(
    attach_x: float, y_mid: float, reach: float, half_height: float, radius: float, side: float = 1.0, z: float = 0.0
) -> trimesh.Trimesh:
    """D-shaped handle in the XY plane whose ends sink into a body wall at x=`attach_x`, reaching out on `side`."""
    angles = np.radians(np.linspace(-105, 105, 16))
    xs = attach_x + side * reach * (np.cos(angles) + 0.26) / 1.26
    ys = y_mid + half_height * np.sin(angles) / np.sin(np.radians(105))
    return _tube(np.c_[xs, ys, np.full_like(xs, z)], radius, n=8)


def _rotated_copies(mesh: trimesh.Trimesh, count: int, offset: float = 0.0, axis: str = "y") -> list[trimesh.Trimesh]:
    """`count` copies of `mesh` turned evenly about `axis` (through the origin), starting at `offset` degrees."""
    return [_moved(mesh, ((axis, offset + 360.0 * k / count),)) for k in range(count)]


def _sector_colors(mesh: trimesh.Trimesh, sectors: int, colors: Sequence[Color], offset: float = 0.0) -> np.ndarray:
    """Per-face colours alternating by angular sector about +Y (umbrella panels, striped canopies)."""
    centers = mesh.triangles_center
    angles = (np.degrees(np.arctan2(centers[:, 2], centers[:, 0])) - offset) % 360.0
    index = np.floor(angles / (360.0 / sectors)).astype(int) % len(colors)
    return np.asarray(colors, dtype=np.float64)[index]


# --------------------------------------------------------------------------------------------------------------------
# Procedural classes. Each builder draws everything from `rng` in a fixed order; units are arbitrary (normalised).
# --------------------------------------------------------------------------------------------------------------------

CERAMIC = ((235, 235, 228), (40, 80, 160), (175, 70, 45), (120, 165, 140), (35, 35, 38), (225, 200, 90), (150, 40, 60))


@register_class("mug")
def _mug(rng: np.random.Generator) -> list[Part]:
    """Straight-walled mug with a D-shaped handle on +X; the inside is white or a darker body colour."""
    radius, height = rng.uniform(0.34, 0.46), rng.uniform(0.8, 1.15)
    top, wall = radius * rng.uniform(0.94, 1.1), rng.uniform(0.035, 0.055)
    body = _pick(rng, BRIGHT + CERAMIC)
    inside = _jitter(rng, WHITE, 0.03) if rng.random() < 0.6 else _shade(body, 0.75)
    outer = _lathe([(0, 0), (radius, 0), (radius + 0.01, 0.03), (top, height), (top - wall, height)], n=28)
    inner = _lathe([(top - wall, height), (radius - wall, 2 * wall), (0, 2 * wall)], n=28)
    reach, half = rng.uniform(0.2, 0.3), height * rng.uniform(0.26, 0.34)
    handle = _loop_handle(
        (radius + top) / 2 - 0.02, height * rng.uniform(0.45, 0.55), reach, half, rng.uniform(0.04, 0.06)
    )
    parts = [Part(outer, body), Part(inner, inside), Part(handle, body)]
    if rng.random() < 0.4:
        band = _cyl(radius * 1.012 + (top - radius) * 0.5, height * rng.uniform(0.1, 0.25), (0, height * 0.55, 0), n=28)
        parts.append(Part(band, _pick(rng, BRIGHT)))
    return parts


@register_class("cup")
def _cup(rng: np.random.Generator) -> list[Part]:
    """Flared teacup with a small ear handle, standing on a saucer."""
    top, height = rng.uniform(0.4, 0.5), rng.uniform(0.3, 0.42)
    bottom, wall = top * rng.uniform(0.45, 0.6), 0.025
    color = _pick(rng, CERAMIC + PASTEL)
    lift = 0.05
    outer = _smooth(
        [lift, lift + 0.25 * height, lift + 0.75 * height, lift + height], [bottom, bottom * 1.35, top * 0.95, top]
    )
    inner = _smooth(
        [lift + height, lift + 0.75 * height, lift + 0.3 * height, lift + 0.06],
        [top - wall, top * 0.95 - wall, bottom * 1.3 - wall, 0.0],
    )
    cup = _lathe([(0, lift), *outer, *inner], n=28)
    saucer_r = rng.uniform(0.72, 0.9)
    saucer = _lathe(
        [(0, 0), (saucer_r * 0.45, 0), (saucer_r, 0.05), (saucer_r, 0.065), (saucer_r * 0.45, 0.02), (0, 0.02)], n=32
    )
    handle = _loop_handle(top * 0.82, lift + height * 0.6, rng.uniform(0.12, 0.17), height * 0.27, 0.025)
    parts = [Part(cup, color), Part(saucer, _jitter(rng, _shade(color, 0.88), 0.03)), Part(handle, color)]
    if rng.random() < 0.5:
        parts.append(Part(_torus(top - wall / 2, 0.014, (0, lift + height * 0.97, 0), n=28, m=6), _pick(rng, BRIGHT)))
    return parts


@register_class("bowl")
def _bowl(rng: np.random.Generator) -> list[Part]:
    """Round bowl on a foot ring, sometimes holding fruit."""
    radius, depth, wall = 0.5, 0.5 * rng.uniform(0.38, 0.62), 0.03
    foot = radius * rng.uniform(0.35, 0.5)
    angles = np.radians(np.linspace(-75, 0, 8))
    outer = [(radius * np.cos(a), depth * (1 + np.sin(a)) + 0.04) for a in angles]
    inner = [((radius - wall) * np.cos(a), (depth - wall) * (1 + np.sin(a)) + 0.04 + wall) for a in angles[::-1]]
    color = _pick(rng, CERAMIC + BRIGHT)
    inside = _jitter(rng, WHITE, 0.04) if rng.random() < 0.5 else _shade(color, 0.8)
    shell = _lathe([(0, 0), (foot, 0), (foot, 0.045), *outer, (radius - wall, depth + 0.04)], n=32)
    hollow = _lathe([(radius - wall, depth + 0.04), *inner[1:], (0, wall + 0.04)], n=32)
    parts = [Part(shell, color), Part(hollow, inside)]
    if rng.random() < 0.35:
        for _ in range(int(rng.integers(3, 6))):
            angle, spread = rng.uniform(0, 2 * np.pi), rng.uniform(0.05, 0.25)
            size = rng.uniform(0.1, 0.14)
            at = (spread * np.cos(angle), depth * 0.75 + size * 0.6, spread * np.sin(angle))
            parts.append(Part(_ball(size, at, level=1), _pick(rng, ((230, 120, 20), (200, 30, 30), (120, 190, 40)))))
    return parts


@register_class("vase")
def _vase(rng: np.random.Generator) -> list[Part]:
    """Tall vase: foot, round belly, narrow neck and flared lip, sometimes two handles (amphora)."""
    height = rng.uniform(1.0, 1.5)
    base, belly, neck, lip = (
        rng.uniform(0.14, 0.22),
        rng.uniform(0.28, 0.4),
        rng.uniform(0.08, 0.15),
        rng.uniform(0.13, 0.24),
    )
    belly_at, neck_at = rng.uniform(0.25, 0.45), rng.uniform(0.7, 0.82)
    profile = _smooth([0, belly_at * height, neck_at * height, height], [base, belly, neck, lip], 5)
    wall = 0.025
    color = _pick(rng, CERAMIC)
    body = _lathe([(0, 0), *profile, (lip - wall, height)], n=28)
    opening = _lathe([(lip - wall, height), (neck - wall, height * 0.9), (0, height * 0.9)], n=28)
    parts = [Part(body, color), Part(opening, _shade(color, 0.45))]
    if rng.random() < 0.5:
        band_at = rng.uniform(0.3, 0.6) * height
        band_r = float(np.interp(band_at, [h for _, h in profile], [r for r, _ in profile]))
        parts.append(Part(_cyl(band_r + 0.012, height * 0.06, (0, band_at, 0), n=28), _pick(rng, BRIGHT + CERAMIC)))
    if rng.random() < 0.25:
        for side in (-1.0, 1.0):
            points = _arc((side * neck, neck_at * height, 0), (0.14, 0.12), -80, 80, 10) * [side, 1, 1]
            points[:, 0] = side * (neck * 0.9 + np.abs(points[:, 0] - side * neck))
            parts.append(Part(_tube(points, 0.025, 8), color))
    return parts


@register_class("bottle")
def _bottle(rng: np.random.Generator) -> list[Part]:
    """Bottle: cylindrical body, rounded shoulder, long neck, coloured cap and a paper label."""
    radius, body_h = rng.uniform(0.14, 0.22), rng.uniform(0.4, 0.58)
    shoulder_h, neck_r, neck_h = rng.uniform(0.1, 0.22), radius * rng.uniform(0.28, 0.42), rng.uniform(0.15, 0.28)
    glass = _pick(rng, ((40, 110, 50), (110, 65, 25), (170, 200, 210), (30, 60, 40), (60, 100, 170)))
    top = body_h + shoulder_h + neck_h
    shoulder = _smooth(
        [body_h, body_h + shoulder_h * 0.5, body_h + shoulder_h], [radius, (radius + neck_r) * 0.55, neck_r], 5
    )
    body = _lathe([(0, 0), (radius, 0), *shoulder, (neck_r, top), (0, top)], n=24)
    cap_h = rng.uniform(0.04, 0.08)
    cap = _cyl(neck_r * 1.15, cap_h, (0, top + cap_h / 2 - 0.01, 0), n=16)
    label_h = body_h * rng.uniform(0.35, 0.7)
    label = _cyl(radius * 1.01, label_h, (0, body_h * 0.5, 0), n=24)
    return [Part(body, glass), Part(cap, _pick(rng, BRIGHT + METAL)), Part(label, _pick(rng, PASTEL + BRIGHT))]


@register_class("wine_glass")
def _wine_glass(rng: np.random.Generator) -> list[Part]:
    """Stemmed glass: foot disc, thin stem and tulip bowl, the lower bowl tinted when it holds wine."""
    foot, stem_h = rng.uniform(0.26, 0.34), rng.uniform(0.35, 0.55)
    bowl_r, bowl_h = rng.uniform(0.2, 0.28), rng.uniform(0.42, 0.6)
    rim = bowl_r * rng.uniform(0.72, 0.95)
    glass = _jitter(rng, (205, 220, 228), 0.04)
    base = _lathe([(0, 0), (foot, 0), (foot, 0.015), (0.04, 0.04), (0.03, 0.06), (0, 0.06)], n=28)
    stem = _cyl(rng.uniform(0.02, 0.03), stem_h, (0, 0.04 + stem_h / 2, 0), n=10)
    y0 = 0.04 + stem_h
    heights = [y0, y0 + bowl_h * 0.35, y0 + bowl_h * 0.75, y0 + bowl_h]
    outer = _smooth(heights, [0.035, bowl_r, bowl_r * 0.98, rim], 5)
    parts = [Part(base, glass), Part(stem, _shade(glass, 0.92))]
    if rng.random() < 0.55:
        fill = int(rng.integers(6, 10))
        wine = _pick(rng, ((120, 15, 35), (90, 10, 30), (235, 215, 130)))
        parts.append(Part(_lathe([(0, y0), *outer[: fill + 1], (0, outer[fill][1])], n=28), wine))
        upper = _lathe(
            [
                (outer[fill][0] * 0.999, outer[fill][1]),
                *outer[fill:],
                (rim - 0.01, y0 + bowl_h),
                (0.0, y0 + 0.5 * bowl_h),
            ],
            n=28,
        )
        parts.append(Part(upper, glass))
    else:
        parts.append(Part(_lathe([(0, y0), *outer], n=28), glass))
        parts.append(Part(_lathe([outer[-1], (rim - 0.01, y0 + bowl_h), (0, y0 + 0.08)], n=28), _shade(glass, 0.85)))
    return parts


@register_class("teapot")
def _teapot(rng: np.random.Generator) -> list[Part]:
    """Round-bellied teapot: lid with knob, curved spout on +X, loop handle on -X."""
    radius, height = rng.uniform(0.42, 0.55), rng.uniform(0.5, 0.72)
    opening = radius * rng.uniform(0.45, 0.6)
    body_color = _pick(rng, CERAMIC + METAL)
    profile = _smooth(
        [0, 0.15 * height, 0.5 * height, 0.88 * height, height],
        [radius * 0.62, radius * 0.92, radius, radius * 0.78, opening],
        4,
    )
    body = _lathe([(0, 0), *profile, (0, height)], n=28)
    lid_h = rng.uniform(0.08, 0.16)
    lid = _lathe(_smooth([height, height + lid_h * 0.6, height + lid_h], [opening * 1.05, opening * 0.7, 0.0], 4), n=28)
    knob = _ball(rng.uniform(0.045, 0.07), (0, height + lid_h + 0.03, 0), level=1)
    tip_x, tip_y = radius + rng.uniform(0.3, 0.45), height * rng.uniform(0.85, 1.15)
    t = np.linspace(0, 1, 10)[:, None]
    p0, p1, p2 = (
        np.array([radius * 0.7, height * 0.3, 0]),
        np.array([radius + 0.2, height * 0.35, 0]),
        np.array([tip_x, tip_y, 0]),
    )
    spout = _tube((1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2, np.linspace(0.1, 0.04, 10), n=10)
    handle = _loop_handle(-radius * 0.85, height * 0.55, rng.uniform(0.25, 0.35), height * 0.32, 0.04, side=-1.0)
    trim = _shade(body_color, 0.85) if rng.random() < 0.6 else _pick(rng, BRIGHT)
    return [Part(body, body_color), Part(lid, trim), Part(knob, trim), Part(spout, body_color), Part(handle, trim)]


@register_class("bucket")
def _bucket(rng: np.random.Generator) -> list[Part]:
    """Pail: open frustum wider at the top, rolled rim, wire bail handle standing up or tipped over."""
    top, height = rng.uniform(0.4, 0.5), rng.uniform(0.65, 0.9)
    bottom, wall = top * rng.uniform(0.7, 0.85), 0.02
    color = _pick(rng, METAL + BRIGHT)
    shell = _lathe([(0, 0), (bottom, 0), (top, height), (top - wall, height), (bottom - wall, wall), (0, wall)], n=28)
    rim = _torus(top, 0.022, (0, height, 0), n=28, m=6)
    bail_h = top * rng.uniform(0.6, 1.0)
    points = _arc((0, height * 0.92, 0), (top + 0.02, bail_h), 0, 180, 16)
    tilt = float(rng.choice([0.0, rng.uniform(40, 80), -rng.uniform(40, 80)]))
    points = _moved(
        trimesh.Trimesh(points - [0, height * 0.92, 0], process=False), (("x", tilt),), (0, height * 0.92, 0)
    ).vertices
    bail = _tube(points, 0.014, 6)
    ears = [_box((0.03, 0.08, 0.06), (side * (top + 0.005), height * 0.9, 0)) for side in (-1, 1)]
    metal = _pick(rng, METAL)
    return [Part(shell, color), Part(rim, color), Part(bail, metal), *(Part(ear, metal) for ear in ears)]


@register_class("barrel")
def _barrel(rng: np.random.Generator) -> list[Part]:
    """Wooden barrel bulging at the middle with dark iron hoops, or a ribbed steel drum."""
    height = rng.uniform(0.9, 1.3)
    end = rng.uniform(0.28, 0.36)
    steel = rng.random() < 0.25
    belly = end * (rng.uniform(1.0, 1.04) if steel else rng.uniform(1.12, 1.25))
    heights = np.linspace(0, height, 9)
    radii = end + (belly - end) * np.sin(np.pi * heights / height)
    staves = 32 if steel else int(rng.integers(14, 22))
    color = _pick(rng, BRIGHT if steel else WOOD)
    body = _lathe([(0, 0), *zip(radii, heights, strict=True), (0, height)], n=staves)
    hoop_color = _jitter(rng, (60, 60, 65)) if not steel else _jitter(rng, color, 0.2)
    levels = (0.08, 0.3, 0.7, 0.92) if rng.random() < 0.6 else (0.1, 0.9)
    parts = [Part(body, color)]
    for level in levels if not steel else (0.33, 0.66, 0.02, 0.98):
        r = end + (belly - end) * np.sin(np.pi * level)
        parts.append(Part(_torus(r, 0.018, (0, level * height, 0), n=staves if not steel else 32, m=6), hoop_color))
    lid = _cyl(end * 0.93, 0.02, (0, height + 0.005, 0), n=staves)
    parts.append(Part(lid, _jitter(rng, color, 0.2)))
    return parts


def _leg(radius: float, bottom: Sequence[float], top: Sequence[float], square: bool) -> trimesh.Trimesh:
    """A straight leg between two points: a square or round post."""
    if square:
        start, stop = np.asarray(bottom, dtype=np.float64), np.asarray(top, dtype=np.float64)
        length = float(np.linalg.norm(stop - start))
        box = _box((2 * radius, length, 2 * radius))
        direction = (stop - start) / length
        matrix = trimesh.geometry.align_vectors([0.0, 1.0, 0.0], direction)
        matrix[:3, 3] = (start + stop) / 2
        return trimesh.Trimesh(box.vertices @ matrix[:3, :3].T + matrix[:3, 3], box.faces, process=False)
    return _tube([bottom, top], radius, n=10)


@register_class("chair")
def _chair(rng: np.random.Generator) -> list[Part]:
    """Dining chair (four legs, slatted or panelled back, optional arms) or swivel office chair (star base)."""
    if rng.random() < 0.25:
        return _office_chair(rng)
    width, depth = rng.uniform(0.42, 0.54), rng.uniform(0.4, 0.5)
    seat_h, seat_t = rng.uniform(0.42, 0.5), rng.uniform(0.03, 0.06)
    back_h, tilt = rng.uniform(0.38, 0.6), rng.uniform(0, 12)
    leg_r, square = rng.uniform(0.016, 0.028), bool(rng.random() < 0.5)
    wood = _pick(rng, (*WOOD, (235, 235, 230), (40, 40, 45)))
    seat_color = _shade(wood, 1.15) if rng.random() < 0.5 else _pick(rng, FABRIC)
    parts = [Part(_box((width, seat_t, depth), (0, seat_h - seat_t / 2, 0)), seat_color)]
    inset_x, inset_z = width / 2 - leg_r * 1.5, depth / 2 - leg_r * 1.5
    for x in (-inset_x, inset_x):
        parts.append(Part(_leg(leg_r, (x, 0, inset_z), (x, seat_h - seat_t, inset_z), square), wood))
        parts.append(Part(_leg(leg_r, (x, 0, -inset_z), (x, seat_h - seat_t, -inset_z), square), wood))
    back = []
    for x in (-inset_x, inset_x):
        back.append(_leg(leg_r, (x, 0, 0), (x, back_h, 0), square))
    style = int(rng.integers(3))
    rail_h = rng.uniform(0.05, 0.12)
    if style == 0:
        slats = int(rng.integers(2, 6))
        back.append(_box((2 * inset_x, rail_h, leg_r * 1.5), (0, back_h - rail_h / 2, 0)))
        for x in np.linspace(-inset_x, inset_x, slats + 2)[1:-1]:
            back.append(
                _box((rng.uniform(0.02, 0.05), back_h - rail_h - 0.08, leg_r), (x, (back_h - rail_h + 0.08) / 2, 0))
            )
        back.append(_box((2 * inset_x, 0.03, leg_r * 1.5), (0, 0.08, 0)))
    elif style == 1:
        for y in np.linspace(0.1, back_h - 0.04, int(rng.integers(2, 5))):
            back.append(_box((2 * inset_x, rng.uniform(0.035, 0.07), leg_r * 1.5), (0, y, 0)))
    else:
        back.append(_box((2 * inset_x + 0.02, back_h * rng.uniform(0.55, 0.8), 0.035), (0, back_h * 0.6, 0)))
    pivot = (0, seat_h, -inset_z)
    parts += [
        Part(_moved(piece, (("x", -tilt),), pivot), wood if i < 2 or style < 2 else seat_color)
        for i, piece in enumerate(back)
    ]
    if rng.random() < 0.25:
        arm_h = rng.uniform(0.2, 0.26)
        for x in (-inset_x, inset_x):
            parts.append(Part(_box((0.05, 0.03, depth * 0.95), (x, seat_h + arm_h, -0.02)), wood))
            parts.append(
                Part(_leg(leg_r * 0.8, (x, seat_h, inset_z - 0.02), (x, seat_h + arm_h, inset_z - 0.02), square), wood)
            )
    return parts


def _office_chair(rng: np.random.Generator) -> list[Part]:
    """Swivel chair: five-star base on casters, gas column, padded seat and back, optional arms."""
    seat_h, width = rng.uniform(0.45, 0.55), rng.uniform(0.46, 0.54)
    frame = _pick(rng, ((30, 30, 34), (150, 150, 155), (60, 60, 65)))
    fabric = _pick(rng, (*FABRIC, (30, 30, 34)))
    spokes = int(rng.integers(4, 6))
    reach = rng.uniform(0.28, 0.34)
    parts = []
    for k in range(spokes):
        angle = np.radians(360 * k / spokes + 90)
        end = (reach * np.cos(angle), 0.07, reach * np.sin(angle))
        parts.append(Part(_tube([(0, 0.09, 0), end], 0.022, 6), frame))
        parts.append(Part(_ball(0.03, (end[0], 0.03, end[2]), level=1), DARK))
    parts.append(Part(_cyl(0.03, seat_h - 0.1, (0, (seat_h + 0.06) / 2, 0), n=12), frame))
    parts.append(Part(_box((width, 0.08, width * 0.95), (0, seat_h, 0)), fabric))
    back_h, tilt = rng.uniform(0.4, 0.65), rng.uniform(5, 15)
    support = _box((0.05, 0.3, 0.03), (0, 0.1, 0))
    panel = _ball((width * 0.48, back_h / 2, 0.05), (0, 0.15 + back_h / 2, 0))
    pivot = (0, seat_h, -width * 0.5)
    parts += [Part(_moved(support, (("x", -tilt),), pivot), frame), Part(_moved(panel, (("x", -tilt),), pivot), fabric)]
    if rng.random() < 0.6:
        for x in (-width / 2 - 0.03, width / 2 + 0.03):
            parts.append(Part(_box((0.03, 0.2, 0.04), (x, seat_h + 0.1, 0)), frame))
            parts.append(Part(_box((0.06, 0.03, 0.26), (x, seat_h + 0.21, 0)), frame))
    return parts


@register_class("stool")
def _stool(rng: np.random.Generator) -> list[Part]:
    """Backless stool: round seat on three or four splayed legs, often with a foot ring or rungs."""
    seat_r, height = rng.uniform(0.16, 0.22), rng.uniform(0.45, 0.8)
    thickness, legs = rng.uniform(0.035, 0.07), int(rng.integers(3, 5))
    splay, leg_r = rng.uniform(1.05, 1.35), rng.uniform(0.014, 0.022)
    wood = _pick(rng, WOOD + METAL)
    seat_color = _shade(wood, 1.15) if rng.random() < 0.5 else _pick(rng, FABRIC + BRIGHT)
    parts = [Part(_cyl(seat_r, thickness, (0, height - thickness / 2, 0), n=28), seat_color)]
    foot_level = rng.uniform(0.25, 0.4)
    ring = rng.random() < 0.6
    offset = rng.uniform(0, 360)
    for k in range(legs):
        angle = np.radians(offset + 360 * k / legs)
        direction = np.array([np.cos(angle), 0.0, np.sin(angle)])
        top = direction * seat_r * 0.7 + [0, height - thickness, 0]
        bottom = direction * seat_r * splay
        parts.append(Part(_tube([bottom, top], leg_r, 8), wood))
        if not ring:
            nxt = np.radians(offset + 360 * (k + 1) / legs)
            radius = seat_r * (splay - (splay - 0.7) * foot_level)
            a = np.array([np.cos(angle), 0, np.sin(angle)]) * radius + [0, height * foot_level, 0]
            b = np.array([np.cos(nxt), 0, np.sin(nxt)]) * radius + [0, height * foot_level, 0]
            parts.append(Part(_tube([a, b], leg_r * 0.7, 6), wood))
    if ring:
        radius = seat_r * (splay - (splay - 0.7) * foot_level)
        parts.append(Part(_torus(radius, leg_r * 0.8, (0, height * foot_level, 0), n=24, m=6), wood))
    return parts


@register_class("table")
def _table(rng: np.random.Generator) -> list[Part]:
    """Table: rectangular top on four (or six) legs with aprons, or a round top on a pedestal or three legs."""
    height, thickness = rng.uniform(0.7, 0.78), rng.uniform(0.03, 0.06)
    wood = _pick(rng, (*WOOD, (235, 235, 230), (45, 45, 50)))
    top_color = wood if rng.random() < 0.7 else _pick(rng, (*WOOD, (230, 230, 225)))
    leg_color = _shade(wood, 0.85) if rng.random() < 0.7 else _pick(rng, (*METAL, (30, 30, 34)))
    parts = []
    if rng.random() < 0.7:
        width, depth = rng.uniform(1.0, 1.9), rng.uniform(0.6, 1.0)
        leg_r, square = rng.uniform(0.02, 0.04), bool(rng.random() < 0.6)
        parts.append(Part(_box((width, thickness, depth), (0, height - thickness / 2, 0)), top_color))
        xs = [-width / 2 + 0.08, width / 2 - 0.08]
        if width > 1.6 and rng.random() < 0.5:
            xs.append(0.0)
        for x in xs:
            for z in (-depth / 2 + 0.08, depth / 2 - 0.08):
                parts.append(Part(_leg(leg_r, (x, 0, z), (x, height - thickness, z), square), leg_color))
        apron = rng.uniform(0.05, 0.1)
        for z in (-depth / 2 + 0.08, depth / 2 - 0.08):
            parts.append(Part(_box((width - 0.16, apron, 0.02), (0, height - thickness - apron / 2, z)), leg_color))
        for x in (-width / 2 + 0.08, width / 2 - 0.08):
            parts.append(Part(_box((0.02, apron, depth - 0.16), (x, height - thickness - apron / 2, 0)), leg_color))
    else:
        radius = rng.uniform(0.4, 0.6)
        parts.append(Part(_cyl(radius, thickness, (0, height - thickness / 2, 0), n=36), top_color))
        if rng.random() < 0.5:
            parts.append(
                Part(
                    _cyl(rng.uniform(0.04, 0.07), height - thickness, (0, (height - thickness) / 2, 0), n=14), leg_color
                )
            )
            foot = rng.uniform(0.22, 0.32)
            if rng.random() < 0.5:
                parts.append(Part(_cyl(foot, 0.04, (0, 0.02, 0), top=foot * 0.8, n=28), leg_color))
            else:
                for k in range(4):
                    angle = np.radians(45 + 90 * k)
                    end = (foot * np.cos(angle), 0.02, foot * np.sin(angle))
                    parts.append(Part(_tube([(0, 0.08, 0), end], 0.025, 6), leg_color))
        else:
            legs = int(rng.integers(3, 5))
            for k in range(legs):
                angle = np.radians(90 + 360 * k / legs)
                d = np.array([np.cos(angle), 0, np.sin(angle)])
                parts.append(
                    Part(_tube([d * radius * 0.85, d * radius * 0.6 + [0, height - thickness, 0]], 0.025, 8), leg_color)
                )
    return parts


@register_class("bench")
def _bench(rng: np.random.Generator) -> list[Part]:
    """Park bench: wooden slats on two end frames, with a slatted backrest most of the time."""
    length, depth = rng.uniform(1.3, 2.0), rng.uniform(0.38, 0.5)
    seat_h, slats = rng.uniform(0.4, 0.48), int(rng.integers(3, 6))
    wood = _pick(rng, (*WOOD, (40, 110, 60), (200, 60, 40)))
    frame = _pick(rng, ((35, 35, 38), (60, 60, 64), (90, 60, 35), (30, 70, 45)))
    slat_t = rng.uniform(0.025, 0.04)
    slat_d = depth / slats * rng.uniform(0.65, 0.85)
    parts = [
        Part(_box((length, slat_t, slat_d), (0, seat_h - slat_t / 2, z)), wood)
        for z in np.linspace(-depth / 2 + slat_d / 2, depth / 2 - slat_d / 2, slats)
    ]
    has_back, tilt = bool(rng.random() < 0.75), rng.uniform(8, 20)
    ends = [-length / 2 + 0.12, length / 2 - 0.12] + ([0.0] if length > 1.7 else [])
    for x in ends:
        parts.append(Part(_box((0.05, seat_h - slat_t, 0.05), (x, (seat_h - slat_t) / 2, depth / 2 - 0.05)), frame))
        parts.append(Part(_box((0.05, seat_h - slat_t, 0.05), (x, (seat_h - slat_t) / 2, -depth / 2 + 0.05)), frame))
        parts.append(Part(_box((0.05, 0.05, depth), (x, seat_h - slat_t - 0.025, 0)), frame))
        if has_back:
            post = _box((0.05, 0.5, 0.04), (0, 0.25, 0))
            parts.append(Part(_moved(post, (("x", -tilt),), (x, seat_h - 0.05, -depth / 2 + 0.03)), frame))
    if has_back:
        back_slats = int(rng.integers(2, 4))
        for y in np.linspace(0.15, 0.42, back_slats):
            slat = _box((length, 0.07, slat_t), (0, y, 0.03))
            parts.append(Part(_moved(slat, (("x", -tilt),), (0, seat_h - 0.05, -depth / 2 + 0.03)), wood))
        if rng.random() < 0.5:
            for x in (-length / 2 + 0.12, length / 2 - 0.12):
                parts.append(Part(_box((0.06, 0.04, depth * 0.8), (x, seat_h + 0.2, 0.0)), frame))
                parts.append(Part(_box((0.04, 0.2, 0.04), (x, seat_h + 0.1, depth / 2 - 0.08)), frame))
    return parts


@register_class("sofa")
def _sofa(rng: np.random.Generator) -> list[Part]:
    """Upholstered sofa: plinth, two or three seat and back cushions, padded arms, short feet."""
    width, depth = rng.uniform(1.5, 2.4), rng.uniform(0.8, 0.95)
    seats, arm_w = int(rng.integers(2, 4)), rng.uniform(0.12, 0.24)
    arm_h, back_h = rng.uniform(0.55, 0.7), rng.uniform(0.75, 0.95)
    fabric = _pick(rng, (*FABRIC, (200, 190, 170), (110, 60, 40)))
    cushion = _jitter(rng, fabric, 0.08)
    feet = _pick(rng, (*WOOD, (30, 30, 34)))
    base_y, base_h = 0.1, 0.22
    inner_w = width - 2 * arm_w
    parts = [
        Part(_box((width, base_h, depth), (0, base_y + base_h / 2, 0)), fabric),
        Part(_box((width, back_h - base_y, 0.2), (0, (back_h + base_y) / 2, -depth / 2 + 0.1)), fabric),
    ]
    for side in (-1, 1):
        x = side * (width / 2 - arm_w / 2)
        parts.append(Part(_box((arm_w, arm_h - base_y, depth), (x, (arm_h + base_y) / 2, 0)), fabric))
        if rng.random() < 0.5:
            parts.append(Part(_cyl(arm_w / 2, depth, (x, arm_h, 0), axis="z", n=12), fabric))
    seat_w = inner_w / seats
    for k in range(seats):
        x = -inner_w / 2 + seat_w * (k + 0.5)
        parts.append(Part(_box((seat_w - 0.015, 0.14, depth - 0.22), (x, base_y + base_h + 0.07, 0.1)), cushion))
        back = _box((seat_w - 0.015, back_h - base_y - base_h - 0.12, 0.16), (0, 0, 0))
        parts.append(
            Part(_moved(back, (("x", -8.0),), (x, (back_h + base_y + base_h + 0.1) / 2, -depth / 2 + 0.27)), cushion)
        )
    for x in (-width / 2 + 0.08, width / 2 - 0.08):
        for z in (-depth / 2 + 0.08, depth / 2 - 0.08):
            parts.append(Part(_cyl(0.03, base_y, (x, base_y / 2, z), n=8, top=0.04), feet))
    return parts


@register_class("bed")
def _bed(rng: np.random.Generator) -> list[Part]:
    """Bed: frame, white mattress, pillows at the headboard (-Z), coloured blanket towards the foot (+Z)."""
    length, width = rng.uniform(1.9, 2.2), rng.uniform(0.95, 1.8)
    frame_h, mattress_h = rng.uniform(0.25, 0.4), rng.uniform(0.18, 0.28)
    wood = _pick(rng, (*WOOD, (235, 235, 230), (45, 45, 50)))
    sheet = _jitter(rng, WHITE, 0.04)
    blanket = _pick(rng, FABRIC + BRIGHT)
    head_h = frame_h + rng.uniform(0.55, 0.95)
    top = frame_h + mattress_h
    parts = [
        Part(_box((width, frame_h - 0.1, length), (0, 0.1 + (frame_h - 0.1) / 2, 0)), wood),
        Part(_box((width - 0.05, mattress_h, length - 0.06), (0, frame_h + mattress_h / 2, 0.01)), sheet),
        Part(_box((width + 0.06, head_h, 0.07), (0, head_h / 2, -length / 2 - 0.02)), wood),
    ]
    cover = rng.uniform(0.55, 0.75) * length
    parts.append(Part(_box((width + 0.03, 0.06, cover), (0, top + 0.01, length / 2 - cover / 2 + 0.015)), blanket))
    parts.append(
        Part(_box((width + 0.035, mattress_h * 0.8, 0.02), (0, top - mattress_h * 0.4, length / 2 + 0.02)), blanket)
    )
    pillows = 1 if width < 1.3 else 2
    for k in range(pillows):
        x = (k - (pillows - 1) / 2) * width / 2
        parts.append(
            Part(
                _ball((width / pillows * 0.4, 0.07, 0.18), (x, top + 0.05, -length / 2 + 0.25)),
                _jitter(rng, sheet, 0.05),
            )
        )
    if rng.random() < 0.5:
        foot_h = frame_h + rng.uniform(0.1, 0.35)
        parts.append(Part(_box((width + 0.06, foot_h, 0.06), (0, foot_h / 2, length / 2 + 0.06)), wood))
    for x in (-width / 2 + 0.05, width / 2 - 0.05):
        for z in (-length / 2 + 0.05, length / 2 - 0.05):
            parts.append(Part(_box((0.06, 0.1, 0.06), (x, 0.05, z)), wood))
    return parts


@register_class("bookshelf")
def _bookshelf(rng: np.random.Generator) -> list[Part]:
    """Open bookcase facing +Z: side panels, back panel, three to six shelves filled with coloured books."""
    width, height, depth = rng.uniform(0.7, 1.2), rng.uniform(1.1, 2.0), rng.uniform(0.28, 0.36)
    board = rng.uniform(0.02, 0.035)
    shelves = int(np.clip(round(height / rng.uniform(0.3, 0.4)), 3, 6))
    wood = _pick(rng, (*WOOD, (235, 235, 230), (40, 40, 45)))
    parts = [
        Part(_box((board, height, depth), (-width / 2 + board / 2, height / 2, 0)), wood),
        Part(_box((board, height, depth), (width / 2 - board / 2, height / 2, 0)), wood),
        Part(_box((width, board, depth), (0, height - board / 2, 0)), wood),
        Part(_box((width, 0.01, depth), (0, 0, 0)), wood),
        Part(_box((width, height, 0.01), (0, height / 2, -depth / 2)), _jitter(rng, wood, 0.15)),
    ]
    gap = (height - board) / shelves
    inner = width - 2 * board
    for k in range(shelves):
        y = k * gap
        parts.append(Part(_box((inner, board, depth - 0.01), (0, y + board / 2 + (0.04 if k == 0 else 0), 0)), wood))
        x, fill = -inner / 2 + 0.005, rng.uniform(0.5, 1.0)
        base = y + board + (0.04 if k == 0 else 0)
        while x < -inner / 2 + inner * fill:
            w = rng.uniform(0.025, 0.06)
            h = min(rng.uniform(0.6, 0.92) * (gap - board), gap - board - 0.01)
            d = depth * rng.uniform(0.7, 0.9)
            if x + w > inner / 2 - 0.005:
                break
            color = _pick(rng, (*BRIGHT, *FABRIC, (235, 220, 190)), 0.15)
            parts.append(Part(_box((w, h, d), (x + w / 2, base + h / 2, depth / 2 - d / 2 - 0.01)), color))
            x += w + (0.002 if rng.random() < 0.85 else rng.uniform(0.02, 0.08))
    return parts


@register_class("cabinet")
def _cabinet(rng: np.random.Generator) -> list[Part]:
    """Closed cabinet facing +Z: two doors, a stack of drawers, or drawers over doors, with metal pulls."""
    width, height, depth = rng.uniform(0.5, 1.2), rng.uniform(0.7, 1.9), rng.uniform(0.4, 0.55)
    body = _pick(rng, (*WOOD, (235, 235, 230), (130, 135, 140), (60, 90, 120)))
    front = _jitter(rng, body, 0.12)
    pull = _pick(rng, (*METAL, (30, 30, 34)))
    legs = rng.random() < 0.5
    base = 0.1 if legs else 0.06
    parts = [Part(_box((width, height - base, depth), (0, base + (height - base) / 2, 0)), body)]
    if legs:
        for x in (-width / 2 + 0.05, width / 2 - 0.05):
            for z in (-depth / 2 + 0.05, depth / 2 - 0.05):
                parts.append(Part(_cyl(0.022, base, (x, base / 2, z), n=8), _pick(rng, METAL + WOOD)))
    else:
        parts.append(Part(_box((width - 0.04, base, depth - 0.04), (0, base / 2, -0.01)), _jitter(rng, body, 0.3)))
    layout = int(rng.integers(3))
    z, gap = depth / 2 + 0.01, 0.012
    inner_w, inner_h = width - 0.04, height - base - 0.04
    split = {0: 0.0, 1: 1.0, 2: rng.uniform(0.25, 0.45)}[layout]
    drawers = int(rng.integers(2, 6)) if layout == 1 else int(rng.integers(1, 3))
    drawer_zone = inner_h * split
    top = height - 0.02
    for k in range(drawers if split > 0 else 0):
        h = drawer_zone / drawers
        y = top - h * (k + 0.5)
        parts.append(Part(_box((inner_w, h - gap, 0.02), (0, y, z)), front))
        parts.append(Part(_box((min(0.16, inner_w * 0.35), 0.02, 0.03), (0, y, z + 0.02)), pull))
    door_h = inner_h - drawer_zone
    if door_h > 0.05:
        doors = 2 if width > 0.65 or rng.random() < 0.3 else 1
        door_w = inner_w / doors
        y = base + 0.02 + door_h / 2
        for k in range(doors):
            x = -inner_w / 2 + door_w * (k + 0.5)
            parts.append(Part(_box((door_w - gap, door_h - gap, 0.02), (x, y, z)), front))
            handle_x = x + (door_w / 2 - 0.05) * (1 if k == 0 and doors == 2 else -1 if doors == 2 else 1)
            parts.append(
                Part(_box((0.02, min(0.18, door_h * 0.3), 0.03), (handle_x, y + door_h * 0.2, z + 0.02)), pull)
            )
    return parts


@register_class("lamp")
def _lamp(rng: np.random.Generator) -> list[Part]:
    """Shaded lamp: table lamp (turned base, short stem) or floor lamp (disc base, long pole), drum or cone shade."""
    floor = rng.random() < 0.4
    shade_color = _pick(rng, (*PASTEL, (235, 225, 200), (170, 40, 40), (40, 70, 120)))
    base_color = _pick(rng, METAL + CERAMIC + WOOD)
    parts = []
    if floor:
        pole = rng.uniform(1.2, 1.6)
        parts.append(Part(_cyl(rng.uniform(0.14, 0.2), 0.04, (0, 0.02, 0), n=28, top=0.12), base_color))
        parts.append(Part(_cyl(0.018, pole, (0, pole / 2, 0), n=10), base_color))
        top = pole
        shade_r = rng.uniform(0.18, 0.26)
    else:
        stem = rng.uniform(0.25, 0.45)
        belly = rng.uniform(0.09, 0.16)
        profile = _smooth([0, stem * 0.35, stem * 0.8, stem], [belly * 0.7, belly, belly * 0.5, 0.03], 4)
        parts.append(Part(_lathe([(0, 0), *profile, (0, stem)], n=24), base_color))
        parts.append(Part(_cyl(0.012, 0.18, (0, stem + 0.09, 0), n=8), _pick(rng, METAL)))
        top = stem + 0.16
        shade_r = rng.uniform(0.17, 0.24)
    shade_h = shade_r * rng.uniform(0.8, 1.3)
    upper = shade_r * rng.uniform(0.55, 1.0)
    y0 = top - shade_h * 0.4
    ring = [(shade_r, y0), (upper, y0 + shade_h), (upper - 0.008, y0 + shade_h), (shade_r - 0.008, y0), (shade_r, y0)]
    parts.append(Part(_lathe(ring, n=32), shade_color))
    parts.append(Part(_ball(0.05, (0, y0 + shade_h * 0.4, 0), level=1), (250, 240, 200)))
    return parts


CAR_PAINT = (*BRIGHT, (190, 190, 195), (120, 20, 25), (20, 40, 80), (230, 230, 225))
_SIDE = (("y", -90.0),)
"""Turn for outlines drawn in the (z, y) side view: the outline's x becomes +Z, the extrusion runs along X."""


def _wheel(radius: float, width: float, at: Sequence[float], hub: Color, n: int = 20) -> list[Part]:
    """A tyre (axis X) with a hub cap on its outer side."""
    side = 1.0 if at[0] >= 0 else -1.0
    cap = _cyl(radius * 0.55, 0.01, (at[0] + side * width / 2, at[1], at[2]), axis="x", n=n)
    return [Part(_cyl(radius, width, at, axis="x", n=n), DARK), Part(cap, hub)]


@register_class("car")
def _car(rng: np.random.Generator) -> list[Part]:
    """Passenger car pointing +Z: sedan, hatchback or SUV body, glass cabin, roof, four wheels, lights."""
    kind = int(rng.integers(3))
    length = rng.uniform(3.8, 4.8)
    width = length * rng.uniform(0.4, 0.45)
    clearance, wheel_r = rng.uniform(0.15, 0.25 if kind < 2 else 0.35), rng.uniform(0.3, 0.37)
    belt = clearance + rng.uniform(0.55, 0.7) + (0.15 if kind == 2 else 0.0)
    roof = belt + rng.uniform(0.45, 0.58)
    paint = _pick(rng, CAR_PAINT)
    half = length / 2
    hood_drop = rng.uniform(0.08, 0.2)
    lower = [
        (-half, clearance + 0.1),
        (-half + 0.15, clearance),
        (half - 0.2, clearance),
        (half, clearance + 0.12),
        (half, belt - hood_drop - 0.05),
        (half - 0.3, belt - hood_drop * 0.3),
        (-half + 0.2, belt),
        (-half, belt - 0.1),
    ]
    front = half - rng.uniform(0.9, 1.3) if kind != 2 else half - rng.uniform(0.8, 1.0)
    rear = -half + (rng.uniform(0.7, 1.0) if kind == 0 else rng.uniform(0.15, 0.3))
    rake = rng.uniform(0.45, 0.7)
    cabin = [(rear, belt - 0.02), (front, belt - 0.02), (front - rake, roof), (rear + rng.uniform(0.15, 0.5), roof)]
    parts = [
        Part(_prism(lower, width, turns=_SIDE), paint),
        Part(_prism(cabin, width * 0.86, turns=_SIDE), GLASS),
        Part(
            _prism(
                [
                    (x, y)
                    for x, y in [
                        (cabin[3][0] - 0.02, roof),
                        (cabin[2][0] + 0.02, roof),
                        (cabin[2][0] + 0.02, roof + 0.05),
                        (cabin[3][0] - 0.02, roof + 0.05),
                    ]
                ],
                width * 0.88,
                turns=_SIDE,
            ),
            paint,
        ),
    ]
    pillar_z = (front - rake / 2 + rear) / 2
    parts.append(Part(_box((width * 0.87, roof - belt, 0.08), (0, (roof + belt) / 2, pillar_z)), paint))
    wheelbase = length * rng.uniform(0.56, 0.64)
    hub = _pick(rng, METAL)
    for x in (-width / 2 + 0.1, width / 2 - 0.1):
        for z in (-wheelbase / 2, wheelbase / 2):
            parts += _wheel(wheel_r, 0.24, (x, wheel_r, z), hub)
    light_y = belt - hood_drop - 0.18
    for x in (-width * 0.33, width * 0.33):
        parts.append(Part(_box((0.28, 0.1, 0.04), (x, light_y, half)), (250, 245, 210)))
        parts.append(Part(_box((0.28, 0.1, 0.04), (x, belt - 0.2, -half)), (200, 20, 20)))
    parts.append(Part(_box((width * 0.4, 0.14, 0.03), (0, light_y - 0.08, half)), DARK))
    return parts


@register_class("bus")
def _bus(rng: np.random.Generator) -> list[Part]:
    """Bus pointing +Z: long box body, a band of windows split by pillars (two bands on a double-decker)."""
    decker = rng.random() < 0.25
    length, width = rng.uniform(9.0, 12.0), 2.5
    height = rng.uniform(4.0, 4.4) if decker else rng.uniform(2.9, 3.3)
    clearance, wheel_r = 0.35, 0.5
    paint = _pick(rng, ((240, 190, 30), (200, 35, 35), (235, 235, 230), (40, 90, 170), (40, 140, 80)))
    parts = [Part(_box((width, height - clearance, length), (0, clearance + (height - clearance) / 2, 0)), paint)]
    parts.append(Part(_box((width + 0.02, 0.15, length + 0.02), (0, height - 0.08, 0)), _jitter(rng, paint, 0.2)))
    bands = [(0.55, 0.88)] if not decker else [(0.3, 0.45), (0.68, 0.87)]
    windows = int(rng.integers(5, 10))
    z0, z1 = -length / 2 + 0.5, length / 2 - 1.6
    for lo, hi in bands:
        y_lo, y_hi = lo * height, hi * height
        for side in (-1, 1):
            parts.append(
                Part(_box((0.04, y_hi - y_lo, z1 - z0), (side * width / 2, (y_lo + y_hi) / 2, (z0 + z1) / 2)), GLASS)
            )
            for z in np.linspace(z0, z1, windows + 1):
                parts.append(Part(_box((0.06, y_hi - y_lo, 0.12), (side * width / 2, (y_lo + y_hi) / 2, z)), paint))
        parts.append(Part(_box((width * 0.9, y_hi - y_lo, 0.04), (0, (y_lo + y_hi) / 2, -length / 2)), GLASS))
    shield_lo = 0.35 * height if not decker else 0.3 * height
    parts.append(
        Part(
            _box((width * 0.92, 0.87 * height - shield_lo, 0.04), (0, (0.87 * height + shield_lo) / 2, length / 2)),
            GLASS,
        )
    )
    parts.append(
        Part(_box((0.04, height * 0.62, 1.0), (width / 2, clearance + height * 0.31, length / 2 - 1.0)), GLASS)
    )
    stripe = _pick(rng, BRIGHT)
    parts.append(
        Part(_box((width + 0.03, 0.2, length + 0.03), (0, height * 0.45 if not decker else height * 0.56, 0)), stripe)
    )
    axles = [length / 2 - 2.2, -length / 2 + 2.5] + ([-length / 2 + 3.8] if length > 11 else [])
    for z in axles:
        for x in (-width / 2 + 0.25, width / 2 - 0.25):
            parts += _wheel(wheel_r, 0.35, (x, wheel_r, z), _pick(rng, METAL))
    for x in (-width * 0.38, width * 0.38):
        parts.append(Part(_box((0.3, 0.15, 0.04), (x, 0.8, length / 2 + 0.01)), (250, 245, 210)))
    return parts


@register_class("truck")
def _truck(rng: np.random.Generator) -> list[Part]:
    """Lorry pointing +Z: a cab with windscreen and, behind it, a box container, a tank or a flatbed with crates."""
    width, cab_l = 2.4, rng.uniform(1.8, 2.4)
    cab_h, cargo_l = rng.uniform(2.6, 3.2), rng.uniform(4.5, 7.5)
    clearance, wheel_r = 0.45, 0.52
    paint = _pick(rng, CAR_PAINT)
    front = (cab_l + cargo_l + 0.2) / 2
    cab_z = front - cab_l / 2
    parts = [Part(_box((width, cab_h - clearance, cab_l), (0, clearance + (cab_h - clearance) / 2, cab_z)), paint)]
    parts.append(Part(_box((width * 0.9, cab_h * 0.3, 0.04), (0, cab_h * 0.72, front)), GLASS))
    for side in (-1, 1):
        parts.append(
            Part(_box((0.04, cab_h * 0.28, cab_l * 0.45), (side * width / 2, cab_h * 0.72, front - cab_l * 0.3)), GLASS)
        )
    parts.append(Part(_box((width * 0.7, 0.4, 0.04), (0, clearance + 0.45, front)), DARK))
    chassis_z = front - cab_l - cargo_l / 2 - 0.1
    parts.append(Part(_box((width * 0.8, 0.3, cargo_l + cab_l), (0, clearance + 0.1, chassis_z + cab_l / 2)), DARK))
    kind = int(rng.integers(3))
    cargo_color = _pick(rng, BRIGHT + METAL)
    deck = clearance + 0.3
    if kind == 0:
        box_h = rng.uniform(2.6, 3.4)
        parts.append(Part(_box((width + 0.05, box_h, cargo_l), (0, deck + box_h / 2, chassis_z)), cargo_color))
    elif kind == 1:
        tank_r = rng.uniform(0.9, 1.15)
        profile = [
            (0, 0),
            (tank_r * 0.9, 0),
            (tank_r, 0.15),
            (tank_r, cargo_l - 0.15),
            (tank_r * 0.9, cargo_l),
            (0, cargo_l),
        ]
        tank = _lathe(profile, turns=(("x", 90.0),), at=(0, deck + tank_r, chassis_z - cargo_l / 2), n=24)
        parts.append(Part(tank, _pick(rng, METAL + BRIGHT)))
    else:
        parts.append(Part(_box((width, 0.12, cargo_l), (0, deck + 0.06, chassis_z)), _pick(rng, WOOD)))
        for _ in range(int(rng.integers(2, 6))):
            size = rng.uniform(0.8, 1.5)
            z = chassis_z + rng.uniform(-cargo_l / 2 + size / 2, cargo_l / 2 - size / 2)
            parts.append(
                Part(
                    _box((size, size, size), (rng.uniform(-0.4, 0.4), deck + 0.12 + size / 2, z)),
                    _pick(rng, WOOD + BRIGHT),
                )
            )
    axles = [front - cab_l * 0.5] + [chassis_z - cargo_l / 2 + 1.0 + 1.2 * k for k in range(int(rng.integers(1, 4)))]
    for z in axles:
        for x in (-width / 2 + 0.25, width / 2 - 0.25):
            parts += _wheel(wheel_r, 0.4, (x, wheel_r, z), _pick(rng, METAL))
    return parts


@register_class("airplane")
def _airplane(rng: np.random.Generator) -> list[Part]:
    """Airliner or light aircraft pointing +Z: fuselage, swept wings, tailplane and fin, jet engines or a propeller."""
    length = rng.uniform(8.0, 12.0)
    radius = length * rng.uniform(0.05, 0.07)
    body = _pick(rng, ((235, 235, 235), (200, 205, 210), (240, 240, 230), *BRIGHT[:3]))
    accent = _pick(rng, BRIGHT)
    nose, tail = rng.uniform(0.08, 0.14) * length, rng.uniform(0.2, 0.3) * length
    profile = [
        (0, 0),
        (radius * 0.25, 0.02 * length),
        (radius * 0.7, tail * 0.5),
        (radius, tail),
        (radius, length - nose),
        (radius * 0.8, length - nose * 0.5),
        (radius * 0.45, length - nose * 0.12),
        (0, length),
    ]
    fuselage = _lathe(profile, turns=(("x", 90.0),), at=(0, 0, -length / 2), n=20)
    span = length * rng.uniform(0.45, 0.6)
    sweep, root, tip = rng.uniform(0.08, 0.3) * length, rng.uniform(0.16, 0.24) * length, 0.0
    tip = root * rng.uniform(0.3, 0.5)
    wing_z = rng.uniform(-0.05, 0.1) * length
    wing = [
        (-span, wing_z - sweep),
        (-span, wing_z - sweep - tip),
        (0, wing_z - root),
        (span, wing_z - sweep - tip),
        (span, wing_z - sweep),
        (0, wing_z),
    ]
    high = rng.random() < 0.25
    wing_y = radius * (0.7 if high else -0.5)
    parts = [Part(fuselage, body), Part(_prism(wing, radius * 0.18, (0, wing_y, 0), (("x", 90.0),)), body)]
    tail_span, tail_root = span * rng.uniform(0.3, 0.4), root * 0.55
    z_tail = -length / 2 + tail_root * 1.1
    tail_sweep = tail_root * 0.6
    plane = [
        (-tail_span, z_tail - tail_sweep),
        (-tail_span, z_tail - tail_sweep - tail_root * 0.5),
        (0, z_tail - tail_root),
        (tail_span, z_tail - tail_sweep - tail_root * 0.5),
        (tail_span, z_tail - tail_sweep),
        (0, z_tail),
    ]
    parts.append(Part(_prism(plane, radius * 0.12, (0, radius * 0.3, 0), (("x", 90.0),)), body))
    fin_h = radius * rng.uniform(2.2, 3.0)
    fin = [
        (z_tail + 0.02 * length, radius * 0.6),
        (z_tail - tail_root, radius * 0.6),
        (z_tail - tail_root * 1.1, radius * 0.6 + fin_h),
        (z_tail - tail_root * 0.55, radius * 0.6 + fin_h),
    ]
    parts.append(Part(_prism(fin, radius * 0.14, turns=_SIDE), accent))
    cockpit = _ball((radius * 0.6, radius * 0.35, nose * 0.35), (0, radius * 0.45, length / 2 - nose * 0.55))
    parts.append(Part(cockpit, GLASS))
    engines = int(rng.choice([0, 2, 2, 4]))
    if engines == 0:
        parts.append(Part(_cone(radius * 0.3, radius * 0.5, (0, 0, length / 2 - 0.05), turns=(("x", 90.0),)), DARK))
        blade = _box((radius * 0.25, radius * 3.2, radius * 0.05), (0, 0, 0))
        for k in range(int(rng.integers(2, 4))):
            parts.append(Part(_moved(blade, (("z", 360 * k / 3 + 20),), (0, 0, length / 2 + 0.1)), DARK))
    else:
        for k in range(engines):
            x = span * (0.35 if k < 2 else 0.65) * (1 if k % 2 else -1)
            z = wing_z - sweep * abs(x) / span + root * 0.1
            nacelle = _cyl(radius * 0.38, root * 0.6, (x, wing_y - radius * 0.45, z), axis="z", n=14, top=radius * 0.32)
            parts.append(Part(nacelle, _pick(rng, METAL)))
    parts.append(Part(_box((radius * 2.02, radius * 0.2, length * 0.55), (0, radius * 0.15, 0.05 * length)), accent))
    return parts


@register_class("helicopter")
def _helicopter(rng: np.random.Generator) -> list[Part]:
    """Helicopter pointing +Z: rounded cabin with a glass nose, tail boom and fin, main and tail rotors, skids."""
    cabin_l, cabin_h = rng.uniform(2.6, 3.6), rng.uniform(1.5, 1.9)
    cabin_w = cabin_h * rng.uniform(0.75, 0.95)
    paint = _pick(rng, (*BRIGHT, (230, 230, 225), (90, 100, 70)))
    skid_y = 0.0
    center_y = 0.55 + cabin_h / 2
    parts = [Part(_ball((cabin_w / 2, cabin_h / 2, cabin_l / 2), (0, center_y, 0)), paint)]
    parts.append(
        Part(
            _ball((cabin_w * 0.42, cabin_h * 0.38, cabin_l * 0.3), (0, center_y + cabin_h * 0.08, cabin_l * 0.25)),
            GLASS,
        )
    )
    boom_l = cabin_l * rng.uniform(0.9, 1.2)
    boom = _cyl(
        cabin_h * 0.16,
        boom_l,
        (0, center_y + cabin_h * 0.15, -cabin_l / 2 - boom_l / 2 + 0.3),
        axis="z",
        n=12,
        top=cabin_h * 0.08,
    )
    parts.append(Part(boom, paint))
    tail_z = -cabin_l / 2 - boom_l + 0.35
    fin = [
        (tail_z + 0.4, center_y),
        (tail_z - 0.15, center_y),
        (tail_z - 0.35, center_y + cabin_h * 0.75),
        (tail_z, center_y + cabin_h * 0.75),
    ]
    parts.append(Part(_prism(fin, 0.08, turns=_SIDE), paint))
    rotor_color = _pick(rng, ((40, 40, 45), (70, 70, 75)))
    for angle in (0.0, 90.0):
        blade = _box((0.05, cabin_h * 0.7, 0.08), (0, 0, 0))
        parts.append(Part(_moved(blade, (("x", angle),), (0.1, center_y + cabin_h * 0.45, tail_z)), rotor_color))
    mast_top = center_y + cabin_h / 2 + 0.3
    parts.append(Part(_cyl(0.08, 0.4, (0, mast_top - 0.15, 0), n=10), rotor_color))
    blades = int(rng.integers(2, 6))
    blade_l = cabin_l * rng.uniform(0.85, 1.1)
    offset = rng.uniform(0, 180)
    for k in range(blades):
        blade = _box((0.22, 0.04, blade_l), (0, 0, blade_l / 2))
        parts.append(Part(_moved(blade, (("y", offset + 360 * k / blades),), (0, mast_top, 0)), rotor_color))
    skid_color = _pick(rng, (*METAL, (40, 40, 45)))
    for x in (-cabin_w * 0.45, cabin_w * 0.45):
        parts.append(
            Part(
                _tube(
                    [
                        (x, skid_y + 0.05, -cabin_l * 0.45),
                        (x, skid_y + 0.05, cabin_l * 0.45),
                        (x, skid_y + 0.2, cabin_l * 0.55),
                    ],
                    0.05,
                    6,
                ),
                skid_color,
            )
        )
        for z in (-cabin_l * 0.25, cabin_l * 0.2):
            parts.append(
                Part(_tube([(x, skid_y + 0.05, z), (x * 0.6, center_y - cabin_h * 0.3, z)], 0.04, 6), skid_color)
            )
    return parts


@register_class("boat")
def _boat(rng: np.random.Generator) -> list[Part]:
    """Boat with its bow at +Z: a lofted hull and deck, then a mast and sails, a cabin cruiser or a wheelhouse."""
    length = rng.uniform(6.0, 10.0)
    beam, depth = length * rng.uniform(0.28, 0.38), length * rng.uniform(0.1, 0.14)
    hull_color = _pick(rng, ((235, 235, 230), (30, 50, 90), (180, 30, 30), (40, 40, 45), (40, 110, 70)))
    deck_color = _pick(rng, (*WOOD, (230, 230, 225)))
    sections = []
    for t in np.linspace(0, 1, 10):
        z = -length / 2 + t * length
        half = beam / 2 * (1 - max(0.0, (t - 0.45) / 0.55) ** 1.8) + 0.02
        sheer = depth * (1 + 0.25 * t**2)
        keel = depth * 0.15 * t
        angles = np.linspace(0, np.pi, 11)
        ring = np.c_[half * np.cos(angles), sheer - (sheer - keel) * np.sin(angles) ** 0.6, np.full(11, z)]
        sections.append(ring)
    hull = _loft(sections)
    normals = hull.face_normals
    colors = np.where((normals[:, 1] > 0.8)[:, None], np.asarray(deck_color, float), np.asarray(hull_color, float))
    parts = [Part(hull, colors)]
    stripe = _pick(rng, BRIGHT)
    parts.append(Part(_box((beam * 0.98, depth * 0.08, length * 0.5), (0, depth * 0.75, -length * 0.2)), stripe))
    kind = int(rng.integers(3))
    white = _jitter(rng, WHITE, 0.04)
    if kind == 0:
        mast_h = length * rng.uniform(0.9, 1.3)
        mast_z = rng.uniform(0.0, 0.15) * length
        parts.append(Part(_cyl(0.07, mast_h, (0, depth + mast_h / 2, mast_z), n=8), _pick(rng, METAL + WOOD)))
        boom = length * rng.uniform(0.35, 0.45)
        main = [(mast_z - 0.05, depth + 0.6), (mast_z - boom, depth + 0.6), (mast_z - 0.05, depth + mast_h * 0.95)]
        parts.append(Part(_prism(main, 0.03, turns=_SIDE), white))
        jib = [(mast_z + 0.1, depth + 0.4), (length / 2 - 0.2, depth + 0.4), (mast_z + 0.1, depth + mast_h * 0.8)]
        parts.append(Part(_prism(jib, 0.03, turns=_SIDE), _jitter(rng, white, 0.05)))
        parts.append(Part(_box((beam * 0.4, 0.4, length * 0.2), (0, depth + 0.2, -length * 0.15)), white))
    elif kind == 1:
        cabin_l = length * rng.uniform(0.3, 0.45)
        cabin = [
            (-cabin_l / 2, depth),
            (cabin_l / 2, depth),
            (cabin_l / 2 - 0.5, depth + 0.9),
            (-cabin_l / 2, depth + 0.9),
        ]
        parts.append(Part(_prism(cabin, beam * 0.7, (0, 0, -0.05 * length), _SIDE), white))
        parts.append(Part(_box((beam * 0.72, 0.3, cabin_l * 0.8), (0, depth + 0.6, -0.07 * length)), GLASS))
    else:
        house_l = length * rng.uniform(0.2, 0.28)
        parts.append(Part(_box((beam * 0.6, 1.4, house_l), (0, depth + 0.7, -length * 0.1)), white))
        parts.append(Part(_box((beam * 0.62, 0.4, house_l * 0.9), (0, depth + 1.0, -length * 0.1)), GLASS))
        parts.append(Part(_box((beam * 0.7, 0.08, house_l * 1.2), (0, depth + 1.42, -length * 0.1)), hull_color))
        parts.append(Part(_cyl(0.06, 1.8, (0, depth + 2.0, -length * 0.1), n=6), _pick(rng, METAL)))
    return parts


@register_class("bicycle")
def _bicycle(rng: np.random.Generator) -> list[Part]:
    """Bicycle pointing +Z: spoked wheels, diamond or step-through frame, fork, handlebar, saddle, crank."""
    wheel_r, wheelbase = rng.uniform(0.31, 0.36), rng.uniform(0.98, 1.1)
    frame = _pick(rng, BRIGHT + METAL)
    tube_r = rng.uniform(0.014, 0.022)
    rear, front = np.array([0, wheel_r, -wheelbase / 2]), np.array([0, wheel_r, wheelbase / 2])
    bb = np.array([0, wheel_r - 0.06, -wheelbase / 2 + rng.uniform(0.4, 0.45)])
    size = rng.uniform(0.5, 0.62)
    seat = bb + _v(0, size, -0.17 * size)
    head_top = np.array([0, wheel_r + size * 0.92, wheelbase / 2 - 0.2])
    head_bottom = np.array([0, wheel_r + 0.2, wheelbase / 2 - 0.12])
    step_through = rng.random() < 0.25
    top_start = seat - (seat - bb) * 0.1
    parts = []
    tubes = [(bb, seat), (bb, head_bottom), (rear, bb), (rear, top_start), (head_bottom, head_top)]
    tubes.append(
        (bb + (seat - bb) * 0.45, head_bottom + (head_top - head_bottom) * 0.3)
        if step_through
        else (top_start, head_top)
    )
    for a, b in tubes:
        parts.append(Part(_tube([a, b], tube_r, 8), frame))
    for x in (-0.05, 0.05):
        parts.append(Part(_tube([head_bottom + _v(x * 0.6, 0, 0), front + _v(x, 0, 0)], tube_r * 0.8, 6), frame))
    bar_y = head_top + _v(0, 0.08, -0.03)
    parts.append(Part(_tube([head_top, bar_y], tube_r, 6), _pick(rng, METAL)))
    bar_w = rng.uniform(0.22, 0.3)
    bar = [
        bar_y + _v(-bar_w, 0, -0.08),
        bar_y + _v(-bar_w * 0.6, 0, 0),
        bar_y + _v(bar_w * 0.6, 0, 0),
        bar_y + _v(bar_w, 0, -0.08),
    ]
    parts.append(Part(_tube(bar, tube_r * 0.9, 6), _pick(rng, METAL)))
    for x in (-bar_w, bar_w):
        parts.append(Part(_cyl(tube_r * 1.5, 0.1, bar_y + _v(x * 0.95, 0, -0.075), axis="x", n=8), DARK))
    post = seat + _v(0, rng.uniform(0.05, 0.15), -0.02)
    parts.append(Part(_tube([seat, post], tube_r * 0.8, 6), _pick(rng, METAL)))
    parts.append(Part(_ball((0.07, 0.03, 0.13), post + _v(0, 0.03, 0)), _pick(rng, ((30, 30, 34), (110, 70, 40)))))
    spokes = int(rng.integers(8, 17))
    rim = _pick(rng, METAL)
    for center in (rear, front):
        parts.append(Part(_torus(wheel_r, 0.022, center, axis="x", n=32, m=6), DARK))
        parts.append(Part(_torus(wheel_r - 0.03, 0.01, center, axis="x", n=32, m=4), rim))
        parts.append(Part(_cyl(0.025, 0.1, center, axis="x", n=8), rim))
        for k in range(spokes):
            angle = np.radians(360 * k / spokes)
            tip = center + (wheel_r - 0.03) * np.array([0, np.cos(angle), np.sin(angle)])
            parts.append(Part(_tube([center, tip], 0.004, 3), rim))
    crank = _box((0.02, 0.17, 0.03), (0, 0.06, 0))
    angle = rng.uniform(0, 360)
    for side, offset in ((-1, 0.0), (1, 180.0)):
        parts.append(Part(_moved(crank, (("x", angle + offset),), bb + _v(side * 0.07, 0, 0)), DARK))
    parts.append(Part(_cyl(0.09, 0.015, bb + _v(0.05, 0, 0), axis="x", n=16), _pick(rng, METAL)))
    return parts


@register_class("rocket")
def _rocket(rng: np.random.Generator) -> list[Part]:
    """Space rocket standing on its fins: cylindrical body, pointed nose cone, three or four fins, nozzle."""
    height = 1.0
    radius = rng.uniform(0.08, 0.13)
    shoulder = rng.uniform(0.55, 0.72)
    body_color = _pick(rng, ((235, 235, 230), (200, 200, 205), (230, 230, 220), *BRIGHT[:3]))
    accent = _pick(rng, BRIGHT)
    base = 0.08
    body = _lathe([(0, base), (radius, base), (radius, shoulder), (0, shoulder)], n=24)
    nose_profile = _smooth(
        [shoulder, shoulder + (height - shoulder) * 0.5, height], [radius, radius * rng.uniform(0.6, 0.8), 0.0], 4
    )
    nose = _lathe([(0, shoulder), *nose_profile], n=24)
    nozzle = _cyl(radius * 0.55, base, (0, base / 2, 0), n=16, top=radius * 0.8)
    fins = int(rng.integers(3, 5))
    span, fin_h = radius * rng.uniform(1.0, 1.8), rng.uniform(0.18, 0.3)
    sweep = rng.uniform(0.3, 0.8) * fin_h
    fin = _prism(
        [
            (radius * 0.8, base - 0.05),
            (radius + span, base - 0.05),
            (radius + span, base - 0.05 + fin_h * 0.4),
            (radius * 0.8, base + fin_h + sweep * 0.3),
        ],
        0.015,
    )
    parts = [Part(body, body_color), Part(nose, accent), Part(nozzle, DARK)]
    parts += [Part(copy, accent) for copy in _rotated_copies(fin, fins, offset=rng.uniform(0, 90))]
    for level in rng.uniform(base + 0.05, shoulder - 0.05, int(rng.integers(0, 3))):
        parts.append(Part(_cyl(radius * 1.01, 0.03, (0, level, 0), n=24), accent))
    if rng.random() < 0.6:
        y = shoulder - rng.uniform(0.08, 0.15)
        parts.append(Part(_torus(radius * 0.3, radius * 0.08, (0, y, radius), axis="z", n=16, m=6), _pick(rng, METAL)))
        parts.append(Part(_cyl(radius * 0.3, 0.02, (0, y, radius * 0.97), axis="z", n=16), GLASS))
    return parts


@register_class("guitar")
def _guitar(rng: np.random.Generator) -> list[Part]:
    """Guitar standing on its body, strings facing +Z: figure-eight body, sound hole or pickups, neck, headstock."""
    electric = rng.random() < 0.3
    lower = rng.uniform(0.19, 0.23)
    upper, body_l = lower * rng.uniform(0.72, 0.85), rng.uniform(0.46, 0.54)
    waist = upper * rng.uniform(0.72, 0.88)
    outline = _smooth(
        np.array([0, 0.05, 0.25, 0.45, 0.58, 0.78, 0.93, 1.0]) * body_l,
        [0.0, 0.7 * lower, lower, 0.86 * lower, waist, upper, 0.72 * upper, 0.0],
        4,
    )
    right = [(r, h) for r, h in outline if r > 0]
    polygon = [(0.0, 0.0), *right, (0.0, body_l), *[(-r, h) for r, h in right[::-1]]]
    depth = rng.uniform(0.04, 0.055) if electric else rng.uniform(0.09, 0.12)
    finish = _pick(rng, ((200, 150, 90), (120, 60, 30), (180, 30, 30), (30, 30, 34), (235, 235, 230), (40, 80, 160)))
    wood = _pick(rng, WOOD)
    dark = _jitter(rng, (45, 30, 20))
    parts = [Part(_prism(polygon, depth, (0, 0, 0)), finish)]
    front = depth / 2
    if electric:
        for y in (0.25, 0.38):
            parts.append(Part(_box((0.08, 0.03, 0.01), (0, y * body_l * 1.6, front + 0.004)), DARK))
        parts.append(Part(_box((0.09, 0.025, 0.01), (0, 0.17 * body_l, front + 0.004)), METAL[0]))
    else:
        parts.append(Part(_cyl(waist * 0.5, 0.006, (0, 0.66 * body_l, front), axis="z", n=24), (25, 20, 15)))
        parts.append(Part(_box((0.12, 0.025, 0.012), (0, 0.22 * body_l, front + 0.005)), dark))
    neck_l = rng.uniform(0.4, 0.48)
    neck_y = body_l - 0.03 + neck_l / 2
    parts.append(Part(_box((0.05, neck_l, 0.03), (0, neck_y, front - 0.012)), wood))
    parts.append(Part(_box((0.052, neck_l, 0.008), (0, neck_y, front + 0.006)), dark))
    head_l = rng.uniform(0.13, 0.18)
    head = _box((0.085, head_l, 0.018), (0, head_l / 2, 0))
    head_pivot = (0, body_l - 0.03 + neck_l, front - 0.015)
    parts.append(Part(_moved(head, (("x", -rng.uniform(5, 15)),), head_pivot), finish if electric else wood))
    for k in range(3):
        y = head_pivot[1] + head_l * (0.25 + 0.25 * k)
        for side in (-1, 1):
            parts.append(Part(_cyl(0.008, 0.035, (side * 0.055, y, head_pivot[2] - 0.012), axis="x", n=6), METAL[0]))
    for x in np.linspace(-0.018, 0.018, 6):
        start_y = 0.22 * body_l if not electric else 0.17 * body_l
        parts.append(
            Part(
                _box(
                    (0.0025, neck_y + neck_l / 2 - start_y, 0.0025),
                    (x, (neck_y + neck_l / 2 + start_y) / 2, front + 0.014),
                ),
                (210, 210, 200),
            )
        )
    return parts


@register_class("umbrella")
def _umbrella(rng: np.random.Generator) -> list[Part]:
    """Open umbrella: domed canopy of six to ten panels (plain or alternating colours), shaft and J handle."""
    ribs, radius = int(rng.integers(6, 11)), rng.uniform(0.45, 0.55)
    dome = rng.uniform(35, 65)
    shaft_h = rng.uniform(0.75, 0.95)
    sphere = radius / np.sin(np.radians(dome))
    angles = np.radians(np.linspace(0, dome, 8))
    tip_y = shaft_h
    outer = [(sphere * np.sin(a), tip_y - sphere * (1 - np.cos(a))) for a in angles]
    inner = [(r * 0.985, h - 0.012) for r, h in outer[::-1]]
    canopy = _lathe([(0, tip_y), *outer[1:], *inner[:-1], (0, tip_y - 0.012)], n=ribs)
    first = _pick(rng, BRIGHT + PASTEL)
    colors = [first, _pick(rng, BRIGHT + PASTEL)] if rng.random() < 0.4 else [first]
    parts = [Part(canopy, _sector_colors(canopy, ribs, colors))]
    shaft_color = _pick(rng, (*METAL, (30, 30, 34)))
    parts.append(Part(_cyl(0.012, shaft_h + 0.06, (0, (shaft_h + 0.06) / 2 + 0.08, 0), n=8), shaft_color))
    hook_r = rng.uniform(0.06, 0.09)
    hook = _arc((hook_r, 0.1, 0), hook_r, 180, 360 + rng.uniform(-10, 20), 10)
    handle_color = _pick(rng, (*WOOD, (30, 30, 34)))
    parts.append(Part(_tube([(0, 0.25, 0), *hook], 0.02, 8), handle_color))
    parts.append(Part(_cyl(0.015, 0.06, (0, tip_y + 0.02, 0), n=8), shaft_color))
    return parts


@register_class("hammer")
def _hammer(rng: np.random.Generator) -> list[Part]:
    """Hammer standing on its handle: claw hammer, sledgehammer or wooden mallet, head along X."""
    kind = int(rng.choice([0, 0, 0, 1, 2]))
    handle_l = rng.uniform(0.28, 0.38) * (1.4 if kind == 1 else 1.0)
    handle_r = rng.uniform(0.013, 0.018) * (1.2 if kind == 1 else 1.0)
    handle_color = _pick(rng, (*WOOD, (200, 40, 30), (240, 190, 40)))
    metal = _pick(rng, METAL)
    parts = [Part(_cyl(handle_r, handle_l, (0, handle_l / 2, 0), n=12), handle_color)]
    if rng.random() < 0.5:
        parts.append(
            Part(
                _cyl(handle_r * 1.25, handle_l * 0.4, (0, handle_l * 0.2, 0), n=12),
                _pick(rng, ((30, 30, 34), (200, 40, 30))),
            )
        )
    top = handle_l
    if kind == 0:
        head_w, head_h = rng.uniform(0.12, 0.16), rng.uniform(0.03, 0.04)
        parts.append(Part(_box((0.05, head_h * 1.3, 0.032), (0.0, top, 0)), metal))
        parts.append(Part(_cyl(head_h * 0.5, head_w * 0.45, (head_w * 0.25, top, 0), axis="x", n=14), metal))
        claw_curve = rng.uniform(0.02, 0.05)
        claw = [
            (-0.02, top + head_h * 0.6),
            (-0.02, top - head_h * 0.5),
            (-head_w * 0.6, top - claw_curve),
            (-head_w * 0.75, top - claw_curve - 0.02),
            (-head_w * 0.45, top + 0.005),
        ]
        for z in (-0.009, 0.009):
            parts.append(Part(_prism(claw, 0.014, (0, 0, z)), metal))
    elif kind == 1:
        size = rng.uniform(0.06, 0.08)
        parts.append(Part(_box((size * 2.6, size, size), (0, top + size * 0.3, 0)), metal))
    else:
        radius = rng.uniform(0.04, 0.055)
        parts.append(
            Part(
                _cyl(radius, radius * 2.8, (0, top + radius * 0.6, 0), axis="x", n=18),
                _pick(rng, (*WOOD, (60, 60, 64))),
            )
        )
    return parts


@register_class("sword")
def _sword(rng: np.random.Generator) -> list[Part]:
    """Sword standing on its pommel, flat facing +Z: straight or curved blade, crossguard, wrapped grip, pommel."""
    length, width = rng.uniform(0.7, 1.0), rng.uniform(0.04, 0.07)
    tip, taper = rng.uniform(0.05, 0.15), rng.uniform(0.6, 1.0)
    grip_l = rng.uniform(0.12, 0.2)
    curve = rng.uniform(0.05, 0.15) if rng.random() < 0.25 else 0.0
    y0 = grip_l + 0.03
    ys = np.linspace(0, length - tip, 8)
    half = width / 2 * (1 - (1 - taper) * ys / (length - tip))
    bend = curve * (ys / length) ** 2
    outline = [
        *zip(bend + half, y0 + ys, strict=True),
        (curve, y0 + length),
        *zip((bend - half)[::-1], (y0 + ys)[::-1], strict=True),
    ]
    steel = _pick(rng, ((200, 205, 210), (180, 185, 190), (220, 220, 225)))
    parts = [Part(_prism(outline, 0.008), steel)]
    if rng.random() < 0.5 and curve == 0:
        parts.append(
            Part(
                _box((width * 0.2, (length - tip) * 0.7, 0.01), (0, y0 + (length - tip) * 0.4, 0)),
                _jitter(rng, steel, 0.2),
            )
        )
    guard_color = _pick(rng, (*METAL, (180, 150, 60)))
    guard_w = rng.uniform(0.14, 0.26)
    if rng.random() < 0.3:
        points = _arc((0, y0 + guard_w * 0.6, 0), guard_w / 2, 200, 340, 10)
        parts.append(Part(_tube(points, 0.012, 6), guard_color))
    else:
        parts.append(Part(_box((guard_w, 0.025, 0.035), (0, y0 - 0.01, 0)), guard_color))
    grip = _pick(rng, ((90, 55, 30), (30, 30, 34), (120, 30, 30), (40, 50, 90)))
    parts.append(Part(_cyl(0.016, grip_l, (0, y0 - 0.02 - grip_l / 2, 0), n=10), grip))
    parts.append(Part(_ball(rng.uniform(0.022, 0.032), (0, y0 - 0.03 - grip_l, 0), level=1), guard_color))
    return parts


@register_class("key")
def _key(rng: np.random.Generator) -> list[Part]:
    """Door key hanging bow up, flat facing +Z: round, square-capped or trefoil bow, shaft and toothed bit."""
    metal = _pick(rng, ((200, 170, 80), (190, 190, 195), (170, 120, 70)))
    shaft_l, shaft_w = rng.uniform(0.3, 0.42), rng.uniform(0.035, 0.05)
    bow_r = rng.uniform(0.08, 0.11)
    kind = int(rng.integers(3))
    thickness = 0.02
    bow_y = shaft_l + bow_r * 0.8
    parts = [Part(_box((shaft_w, shaft_l, thickness * 0.7), (0, shaft_l / 2, 0)), metal)]
    if kind == 0:
        ring = trimesh.creation.annulus(bow_r * 0.45, bow_r, height=thickness, sections=28)
        parts.append(Part(_moved(ring, (), (0, bow_y, 0)), metal))
    elif kind == 1:
        cap = _pick(rng, BRIGHT)
        corner = bow_r * 0.3
        square = [
            (-bow_r + corner, -bow_r),
            (bow_r - corner, -bow_r),
            (bow_r, -bow_r + corner),
            (bow_r, bow_r - corner),
            (bow_r - corner, bow_r),
            (-bow_r + corner, bow_r),
            (-bow_r, bow_r - corner),
            (-bow_r, -bow_r + corner),
        ]
        parts.append(Part(_prism(square, thickness * 1.6, (0, bow_y, 0)), cap))
        parts.append(Part(_cyl(bow_r * 0.22, thickness * 1.7, (0, bow_y + bow_r * 0.55, 0), axis="z", n=12), DARK))
    else:
        for angle in (90, 210, 330):
            a = np.radians(angle)
            ring = trimesh.creation.annulus(bow_r * 0.22, bow_r * 0.55, height=thickness, sections=16)
            parts.append(Part(_moved(ring, (), (bow_r * 0.5 * np.cos(a), bow_y + bow_r * 0.5 * np.sin(a), 0)), metal))
    cut = _shade(metal, 1.2)
    parts.append(Part(_box((shaft_w * 1.8, 0.02, thickness * 0.8), (0, shaft_l - 0.02, 0)), cut))
    teeth = int(rng.integers(3, 7))
    bit_l = shaft_l * rng.uniform(0.35, 0.55)
    tooth = bit_l / teeth
    for k in range(teeth):
        depth = rng.uniform(0.015, 0.045)
        parts.append(
            Part(_box((depth, tooth * 0.98, thickness * 0.7), (shaft_w / 2 + depth / 2, tooth * (k + 0.5), 0)), cut)
        )
    return parts


@register_class("tree")
def _tree(rng: np.random.Generator) -> list[Part]:
    """Broadleaf tree: tapered trunk with a few branches under a lumpy crown of green (or autumn) blobs."""
    trunk_h, trunk_r = rng.uniform(0.35, 0.6), rng.uniform(0.05, 0.1)
    crown = rng.uniform(0.32, 0.5)
    bark = _pick(rng, ((95, 65, 40), (80, 60, 45), (120, 95, 70)))
    autumn = rng.random() < 0.15
    leaves = (
        ((220, 120, 30), (200, 60, 30), (230, 190, 50)) if autumn else ((60, 130, 50), (40, 100, 40), (90, 150, 60))
    )
    parts = [
        Part(_cyl(trunk_r, trunk_h + crown * 0.5, (0, (trunk_h + crown * 0.5) / 2, 0), n=12, top=trunk_r * 0.6), bark)
    ]
    for _ in range(int(rng.integers(1, 4))):
        angle = rng.uniform(0, 2 * np.pi)
        start = (0, trunk_h * rng.uniform(0.7, 1.0), 0)
        end = (np.cos(angle) * crown * 0.6, trunk_h + crown * 0.5, np.sin(angle) * crown * 0.6)
        parts.append(Part(_tube([start, end], trunk_r * 0.35, 6), bark))
    center = np.array([0, trunk_h + crown * rng.uniform(0.8, 1.0), 0])
    stretch = np.array([1.0, rng.uniform(0.8, 1.3), 1.0])
    parts.append(Part(_ball(crown * stretch * 0.85, center, level=1), _pick(rng, leaves, 0.08)))
    for _ in range(int(rng.integers(5, 10))):
        offset = rng.normal(0, 0.3, 3) * crown * stretch
        radius = crown * rng.uniform(0.4, 0.6)
        parts.append(Part(_ball(radius, center + offset, level=1), _pick(rng, leaves, 0.12)))
    return parts


@register_class("pine_tree")
def _pine_tree(rng: np.random.Generator) -> list[Part]:
    """Conifer: short trunk under three to six stacked, overlapping cones of dark green."""
    trunk_h, trunk_r = rng.uniform(0.12, 0.25), rng.uniform(0.04, 0.07)
    layers, width = int(rng.integers(3, 7)), rng.uniform(0.3, 0.45)
    height = rng.uniform(1.0, 1.5)
    green = _pick(rng, ((35, 90, 50), (30, 75, 45), (50, 105, 60)))
    parts = [
        Part(_cyl(trunk_r, trunk_h + 0.1, (0, (trunk_h + 0.1) / 2, 0), n=10), _pick(rng, ((95, 65, 40), (80, 55, 35))))
    ]
    span = (height - trunk_h) / layers
    for k in range(layers):
        base = trunk_h + k * span * 0.85
        radius = width * (1 - 0.75 * k / layers)
        cone_h = span * rng.uniform(1.4, 1.9)
        parts.append(Part(_cone(radius, cone_h, (0, base, 0), n=int(rng.integers(10, 18))), _jitter(rng, green, 0.08)))
    return parts


@register_class("house")
def _house(rng: np.random.Generator) -> list[Part]:
    """House facing +Z: walls, gable or hipped roof, door, framed windows, sometimes a chimney."""
    width, depth = rng.uniform(1.0, 1.6), rng.uniform(0.8, 1.2)
    floors = int(rng.integers(1, 3))
    wall_h = floors * rng.uniform(0.45, 0.55)
    roof_h = rng.uniform(0.3, 0.6)
    walls = _pick(
        rng, ((235, 230, 215), (240, 220, 160), (170, 70, 50), (180, 200, 215), (200, 200, 195), (220, 190, 150))
    )
    roof_color = _pick(rng, ((140, 45, 35), (90, 60, 40), (70, 70, 75), (40, 50, 70), (150, 80, 50)))
    trim = _jitter(rng, WHITE, 0.04)
    parts = [Part(_box((width, wall_h, depth), (0, wall_h / 2, 0)), walls)]
    overhang = 0.08
    if rng.random() < 0.7:
        gable = [(-depth / 2, 0), (depth / 2, 0), (0, roof_h)]
        parts.append(Part(_prism(gable, width, (0, wall_h, 0), (("y", 90.0),)), walls))
        slope = float(np.hypot(depth / 2 + overhang, roof_h * (1 + overhang / (depth / 2))))
        angle = float(np.degrees(np.arctan2(roof_h, depth / 2)))
        for side in (-1, 1):
            slab = _box((width + 2 * overhang, 0.04, slope), (0, 0, -side * slope / 2))
            parts.append(Part(_moved(slab, (("x", -side * angle),), (0, wall_h + roof_h + 0.02, 0)), roof_color))
    else:
        pyramid = _cone(1.0, roof_h, n=4)
        pyramid = _moved(pyramid, (("y", 45.0),))
        parts.append(
            Part(
                _scaled(
                    pyramid,
                    ((width + 2 * overhang) / np.sqrt(2), 1, (depth + 2 * overhang) / np.sqrt(2)),
                    (0, wall_h, 0),
                ),
                roof_color,
            )
        )
    door_w, door_h = rng.uniform(0.16, 0.22), rng.uniform(0.3, 0.36)
    door_x = rng.uniform(-width * 0.25, width * 0.25)
    parts.append(Part(_box((door_w, door_h, 0.03), (door_x, door_h / 2, depth / 2)), _pick(rng, WOOD + BRIGHT)))
    window = rng.uniform(0.14, 0.2)
    glass = _jitter(rng, (150, 190, 215), 0.05)
    for floor in range(floors):
        y = wall_h / floors * (floor + 0.55)
        for x in np.linspace(-width / 2, width / 2, 5)[1:-1]:
            if floor == 0 and abs(x - door_x) < door_w / 2 + window * 0.6:
                continue
            parts.append(Part(_box((window + 0.04, window + 0.04, 0.02), (x, y, depth / 2)), trim))
            parts.append(Part(_box((window, window, 0.03), (x, y, depth / 2)), glass))
        for z in (-depth / 4, depth / 4):
            for side in (-1, 1):
                parts.append(Part(_box((0.03, window, window), (side * width / 2, y, z)), glass))
    if rng.random() < 0.6:
        chimney_x = rng.uniform(-width * 0.35, width * 0.35)
        parts.append(
            Part(
                _box((0.12, roof_h + 0.2, 0.12), (chimney_x, wall_h + roof_h * 0.55 + 0.1, -depth * 0.15)),
                _pick(rng, ((150, 60, 45), (110, 110, 110))),
            )
        )
    return parts


@register_class("tower")
def _tower(rng: np.random.Generator) -> list[Part]:
    """Castle tower: round or square keep with arrow slits and a door, crenellated top, sometimes a cone roof."""
    square = rng.random() < 0.3
    radius, height = rng.uniform(0.28, 0.4), rng.uniform(1.5, 2.4)
    stone = _pick(rng, ((160, 155, 145), (190, 175, 150), (130, 125, 120), (175, 160, 130)))
    n = 4 if square else 20
    turn = (("y", 45.0),) if square else ()
    body = _cyl(
        radius / (np.cos(np.pi / 4) if square else 1),
        height,
        (0, height / 2, 0),
        n=n,
        turns=turn,
        top=radius * 0.95 / (np.cos(np.pi / 4) if square else 1),
    )
    parts = [Part(body, stone)]
    ledge = radius * 1.15
    parts.append(
        Part(
            _cyl(ledge / (np.cos(np.pi / 4) if square else 1), 0.08, (0, height + 0.04, 0), n=n, turns=turn),
            _jitter(rng, stone, 0.1),
        )
    )
    merlons = int(rng.integers(6, 12)) if not square else 8
    merlon = _box((0.12, 0.14, 0.06), (0, 0, 0))
    for k in range(merlons):
        angle = 360 * k / merlons
        if square:
            side, step = divmod(k, 2)
            angle = 90 * side
            local = (ledge * (0.45 if step else -0.45), height + 0.15, ledge * 0.95)
            parts.append(
                Part(_moved(merlon, (("y", angle),), np.array(local) @ _matrix((("y", angle),))[:3, :3].T), stone)
            )
        else:
            a = np.radians(angle)
            parts.append(
                Part(
                    _moved(
                        merlon,
                        (("y", -angle + 90),),
                        (ledge * 0.93 * np.cos(a), height + 0.15, ledge * 0.93 * np.sin(a)),
                    ),
                    stone,
                )
            )
    if rng.random() < 0.4:
        roof_h = rng.uniform(0.5, 0.9)
        parts.append(
            Part(
                _cone(
                    ledge * 0.9 / (np.cos(np.pi / 4) if square else 1), roof_h, (0, height + 0.08, 0), n=n, turns=turn
                ),
                _pick(rng, ((150, 40, 35), (40, 60, 120), (80, 80, 85))),
            )
        )
    parts.append(Part(_box((0.16, 0.26, 0.04), (0, 0.13, radius)), _pick(rng, WOOD)))
    for y in rng.uniform(0.35, 0.85, int(rng.integers(2, 5))) * height:
        parts.append(Part(_box((0.035, 0.14, 0.04), (0, y, radius * (1 - 0.05 * y / height))), DARK))
    return parts


@register_class("lighthouse")
def _lighthouse(rng: np.random.Generator) -> list[Part]:
    """Lighthouse: tapered tower in two-colour bands, gallery with railing, glass lantern room, domed cap."""
    height, base_r = rng.uniform(1.4, 2.0), rng.uniform(0.22, 0.3)
    top_r = base_r * rng.uniform(0.55, 0.75)
    first = _jitter(rng, WHITE, 0.03)
    second = _pick(rng, ((200, 35, 35), (30, 30, 34), (30, 70, 140), (40, 120, 70)))
    bands = int(rng.integers(3, 7))
    parts = []
    for k in range(bands):
        y0, y1 = height * k / bands, height * (k + 1) / bands
        r0 = base_r + (top_r - base_r) * k / bands
        r1 = base_r + (top_r - base_r) * (k + 1) / bands
        parts.append(Part(_cyl(r0, y1 - y0, (0, (y0 + y1) / 2, 0), n=24, top=r1), first if k % 2 == 0 else second))
    deck = top_r * 1.45
    dark = _pick(rng, ((30, 30, 34), (150, 30, 30)))
    parts.append(Part(_cyl(deck, 0.04, (0, height + 0.02, 0), n=24), dark))
    parts.append(Part(_torus(deck, 0.01, (0, height + 0.14, 0), n=24, m=4), dark))
    for k in range(8):
        a = np.radians(45 * k)
        parts.append(Part(_cyl(0.008, 0.12, (deck * np.cos(a), height + 0.08, deck * np.sin(a)), n=4), dark))
    lantern_h = rng.uniform(0.16, 0.24)
    parts.append(Part(_cyl(top_r * 0.8, lantern_h, (0, height + 0.04 + lantern_h / 2, 0), n=12), (245, 230, 150)))
    dome_y = height + 0.04 + lantern_h
    parts.append(
        Part(
            _lathe([(0, dome_y), (top_r * 0.95, dome_y), (top_r * 0.6, dome_y + 0.12), (0, dome_y + 0.18)], n=20), dark
        )
    )
    parts.append(Part(_cyl(0.012, 0.1, (0, dome_y + 0.22, 0), n=6), dark))
    parts.append(Part(_box((0.12, 0.2, 0.04), (0, 0.1, base_r - 0.01)), DARK))
    if rng.random() < 0.4:
        parts.append(
            Part(_box((base_r * 2.4, base_r * 1.3, base_r * 1.6), (base_r * 1.6, base_r * 0.65, -base_r * 0.2)), first)
        )
        roof = _prism(
            [(-base_r * 0.9, 0), (base_r * 0.9, 0), (0, base_r * 0.5)],
            base_r * 2.5,
            (base_r * 1.6, base_r * 1.3, -base_r * 0.2),
            (("y", 90.0),),
        )
        parts.append(Part(roof, second))
    return parts


@register_class("windmill")
def _windmill(rng: np.random.Generator) -> list[Part]:
    """Windmill: tapered octagonal tower, cap, four lattice sails on a hub facing +Z, door at the foot."""
    height, base_r = rng.uniform(1.0, 1.4), rng.uniform(0.25, 0.35)
    top_r = base_r * rng.uniform(0.55, 0.75)
    tower_color = _pick(rng, ((235, 230, 220), (170, 70, 50), (150, 110, 70), (200, 200, 195)))
    cap_color = _pick(rng, ((90, 60, 40), (60, 60, 65), (40, 70, 50), (140, 45, 35)))
    parts = [Part(_cyl(base_r, height, (0, height / 2, 0), n=8, top=top_r), tower_color)]
    parts.append(
        Part(
            _lathe(
                [(0, height), (top_r * 1.15, height), (top_r * 0.8, height + top_r * 0.6), (0, height + top_r * 0.8)],
                n=16,
            ),
            cap_color,
        )
    )
    hub = (0, height + top_r * 0.2, top_r * 1.1)
    parts.append(Part(_cyl(0.04, top_r * 0.6, (0, hub[1], top_r * 0.85), axis="z", n=10), cap_color))
    sail_l, sail_w = rng.uniform(0.6, 0.8), rng.uniform(0.12, 0.18)
    sail_color = _pick(rng, ((235, 230, 215), (150, 110, 70), (200, 60, 40)))
    offset = rng.uniform(0, 90)
    blades = int(rng.choice([4, 4, 4, 5, 6]))
    for k in range(blades):
        spar = _box((0.03, sail_l, 0.03), (0, sail_l / 2, 0))
        sail = _box((sail_w, sail_l * 0.8, 0.012), (sail_w / 2 + 0.015, sail_l * 0.58, 0))
        turns = (("z", offset + 360 * k / blades),)
        parts += [Part(_moved(spar, turns, hub), cap_color), Part(_moved(sail, turns, hub), sail_color)]
    parts.append(Part(_box((0.14, 0.22, 0.04), (0, 0.11, base_r * 0.92)), _pick(rng, WOOD)))
    return parts


@register_class("fan")
def _fan(rng: np.random.Generator) -> list[Part]:
    """Electric fan facing +Z: round base, pole, motor housing, three to five blades inside a wire guard."""
    desk = rng.random() < 0.5
    pole_h = rng.uniform(0.25, 0.4) if desk else rng.uniform(0.8, 1.1)
    radius = rng.uniform(0.2, 0.28)
    body = _pick(rng, ((235, 235, 230), (30, 30, 34), (150, 150, 155), (60, 110, 170)))
    blade_color = _pick(rng, ((235, 235, 230), (120, 170, 210), (30, 30, 34), (200, 200, 205)))
    parts = [Part(_cyl(rng.uniform(0.14, 0.2), 0.05, (0, 0.025, 0), n=24, top=0.1), body)]
    parts.append(Part(_cyl(0.02, pole_h, (0, pole_h / 2, 0), n=8), body))
    head = np.array([0, pole_h + radius * 0.4, 0])
    parts.append(Part(_ball((0.08, 0.08, 0.13), head + _v(0, 0, -0.05)), body))
    hub = head + _v(0, 0, 0.08)
    parts.append(Part(_cyl(0.045, 0.04, hub, axis="z", n=14), body))
    blades = int(rng.integers(3, 6))
    offset = rng.uniform(0, 360)
    blade = _ball((radius * 0.32, radius * 0.42, 0.01), (0, radius * 0.48, 0), level=1)
    for k in range(blades):
        parts.append(Part(_moved(_moved(blade, (("y", 20.0),)), (("z", offset + 360 * k / blades),), hub), blade_color))
    guard = _pick(rng, (*METAL, (30, 30, 34)))
    for z in (0.06, -0.03):
        parts.append(Part(_torus(radius * 1.05, 0.008, hub + _v(0, 0, z), axis="z", n=32, m=4), guard))
    spokes = int(rng.integers(8, 17))
    for k in range(spokes):
        angle = np.radians(360 * k / spokes)
        tip = hub + _v(radius * 1.05 * np.cos(angle), radius * 1.05 * np.sin(angle), 0.06)
        parts.append(Part(_tube([hub + _v(0, 0, 0.07), tip], 0.004, 3), guard))
    parts.append(Part(_cyl(0.035, 0.01, hub + _v(0, 0, 0.075), axis="z", n=12), _pick(rng, BRIGHT)))
    return parts


@register_class("clock")
def _clock(rng: np.random.Generator) -> list[Part]:
    """Clock facing +Z: wall clock (round case, hour marks, hands) or twin-bell alarm clock on two feet."""
    alarm = rng.random() < 0.4
    radius = 0.5
    depth = radius * (rng.uniform(0.45, 0.6) if alarm else rng.uniform(0.1, 0.18))
    case = _pick(rng, BRIGHT + WOOD + METAL)
    face = _jitter(rng, WHITE if rng.random() < 0.8 else (240, 225, 180), 0.03)
    ink = _pick(rng, ((25, 25, 28), (40, 40, 60)))
    parts = [Part(_cyl(radius, depth, (0, 0, 0), axis="z", n=36), case)]
    parts.append(
        Part(_torus(radius * 0.95, radius * 0.05, (0, 0, depth / 2), axis="z", n=36, m=6), _jitter(rng, case, 0.2))
    )
    parts.append(Part(_cyl(radius * 0.9, 0.01, (0, 0, depth / 2), axis="z", n=36), face))
    for k in range(12):
        angle = np.radians(90 - 30 * k)
        size = (0.03, 0.11) if k % 3 == 0 else (0.015, 0.06)
        mark = _box((size[0], size[1], 0.012), (0, 0, 0))
        at = (radius * 0.75 * np.cos(angle), radius * 0.75 * np.sin(angle), depth / 2 + 0.008)
        parts.append(Part(_moved(mark, (("z", np.degrees(angle) - 90),), at), ink))
    hour, minute = rng.uniform(0, 360), rng.uniform(0, 360)
    for angle, length, width in ((hour, 0.45, 0.04), (minute, 0.68, 0.025)):
        hand = _box((width, radius * length, 0.01), (0, radius * length / 2 - 0.03, 0))
        parts.append(Part(_moved(hand, (("z", -angle),), (0, 0, depth / 2 + 0.02)), ink))
    if rng.random() < 0.5:
        hand = _box((0.01, radius * 0.75, 0.008), (0, radius * 0.3, 0))
        parts.append(Part(_moved(hand, (("z", rng.uniform(0, 360)),), (0, 0, depth / 2 + 0.03)), (200, 30, 30)))
    parts.append(Part(_cyl(0.035, 0.03, (0, 0, depth / 2 + 0.02), axis="z", n=10), ink))
    if alarm:
        bell = _lathe([(0, 0), (radius * 0.42, 0), (radius * 0.36, radius * 0.2), (0, radius * 0.3)], n=20)
        for side in (-1, 1):
            parts.append(
                Part(
                    _moved(bell, (("z", -side * 35.0),), (side * radius * 0.55, radius * 0.78, 0)),
                    _jitter(rng, case, 0.2),
                )
            )
            leg = _tube([(side * radius * 0.5, -radius * 0.8, 0), (side * radius * 0.7, -radius * 1.15, 0)], 0.04, 6)
            parts.append(Part(leg, ink))
        parts.append(Part(_tube(_arc((0, radius * 0.9, 0), radius * 0.3, 0, 180, 8), 0.025, 6), ink))
    return parts


@register_class("laptop")
def _laptop(rng: np.random.Generator) -> list[Part]:
    """Open laptop with the screen facing +Z: thin base with keyboard and touchpad, lid hinged at the back."""
    width = rng.uniform(0.32, 0.4)
    depth, base_t = width * rng.uniform(0.64, 0.72), rng.uniform(0.014, 0.024)
    shell = _pick(rng, ((190, 190, 195), (40, 40, 44), (70, 70, 75), (230, 230, 228), (150, 120, 100)))
    keys = _jitter(rng, (35, 35, 38) if rng.random() < 0.7 else (230, 230, 228), 0.05)
    parts = [Part(_box((width, base_t, depth), (0, base_t / 2, 0)), shell)]
    rows, cols = 5, int(rng.integers(11, 15))
    key_w = (width * 0.86) / cols
    key_d = (depth * 0.42) / rows
    for row in range(rows):
        z = -depth / 2 + depth * 0.1 + key_d * (row + 0.5)
        for col in range(cols):
            x = -width * 0.43 + key_w * (col + 0.5)
            parts.append(Part(_box((key_w * 0.82, 0.004, key_d * 0.8), (x, base_t + 0.001, z)), keys))
    parts.append(Part(_box((width * 0.3, 0.002, depth * 0.25), (0, base_t, depth * 0.28)), _jitter(rng, shell, 0.12)))
    angle = rng.uniform(95, 125)
    lid_t = 0.008
    lid = _box((width, depth, lid_t), (0, depth / 2, -lid_t / 2))
    screen = _box((width * 0.9, depth * 0.85, 0.002), (0, depth / 2 + depth * 0.02, 0.0005))
    turns = (("x", -(angle - 90)),)
    hinge = (0, base_t, -depth / 2 + lid_t)
    display = _pick(rng, ((20, 25, 35), (30, 60, 110), (40, 90, 140)))
    parts += [Part(_moved(lid, turns, hinge), shell), Part(_moved(screen, turns, hinge), display)]
    return parts


@register_class("monitor")
def _monitor(rng: np.random.Generator) -> list[Part]:
    """Computer monitor or TV facing +Z: thin framed panel on a neck and foot, or on two splayed feet."""
    width = rng.uniform(0.6, 1.0)
    aspect = float(rng.choice([9 / 16, 10 / 16, 3 / 4]))
    height = width * aspect
    frame = _pick(rng, ((30, 30, 34), (50, 50, 55), (200, 200, 205), (235, 235, 230)))
    display = _pick(rng, ((20, 25, 35), (25, 55, 100), (35, 85, 130), (15, 15, 20)))
    stand_h = rng.uniform(0.12, 0.25)
    center_y = stand_h + height / 2
    parts = [Part(_box((width, height, 0.035), (0, center_y, 0)), frame)]
    bezel = rng.uniform(0.015, 0.04)
    parts.append(
        Part(_box((width - 2 * bezel, height - 2 * bezel, 0.004), (0, center_y + bezel * 0.3, 0.018)), display)
    )
    if rng.random() < 0.5:
        parts.append(
            Part(
                _box((width * 0.35, height * 0.3, 0.004), (width * 0.1, center_y + height * 0.1, 0.0205)),
                _jitter(rng, display, 0.5),
            )
        )
    if rng.random() < 0.65:
        parts.append(Part(_box((0.06, stand_h + height * 0.3, 0.03), (0, (stand_h + height * 0.3) / 2, -0.035)), frame))
        if rng.random() < 0.5:
            parts.append(Part(_box((width * 0.4, 0.02, 0.22), (0, 0.01, -0.02)), frame))
        else:
            parts.append(Part(_cyl(width * 0.17, 0.02, (0, 0.01, -0.02), n=24), frame))
    else:
        for side in (-1, 1):
            foot = _tube(
                [
                    (side * width * 0.38, stand_h + 0.02, 0),
                    (side * width * 0.42, 0.01, 0.08),
                    (side * width * 0.42, 0.01, -0.08),
                ],
                0.015,
                6,
            )
            parts.append(Part(foot, frame))
    return parts


@register_class("traffic_cone")
def _traffic_cone(rng: np.random.Generator) -> list[Part]:
    """Traffic cone: orange (or red, yellow) frustum with one or two white reflective bands on a square base."""
    height, bottom = rng.uniform(0.8, 1.1), rng.uniform(0.18, 0.24)
    top = bottom * rng.uniform(0.12, 0.22)
    orange = _pick(rng, ((240, 100, 20), (230, 70, 20), (235, 190, 30), (210, 40, 30)))
    base_w = bottom * rng.uniform(2.3, 2.8)
    base_color = orange if rng.random() < 0.6 else DARK
    parts = [Part(_box((base_w, 0.04, base_w), (0, 0.02, 0)), base_color)]
    parts.append(Part(_cyl(bottom, height, (0, 0.04 + height / 2, 0), n=24, top=top), orange))
    bands = [0.55, 0.3] if rng.random() < 0.5 else [0.5]
    for level in bands:
        band_h = height * rng.uniform(0.1, 0.15)
        y0 = 0.04 + height * level
        r0 = bottom + (top - bottom) * level + 0.004
        r1 = bottom + (top - bottom) * (level + band_h / height) + 0.004
        parts.append(Part(_cyl(r0, band_h, (0, y0 + band_h / 2, 0), n=24, top=r1), (245, 245, 240)))
    return parts


@register_class("dumbbell")
def _dumbbell(rng: np.random.Generator) -> list[Part]:
    """Dumbbell lying along X: knurled bar with one to three round (or hexagonal) plates and a collar per side."""
    bar_l, bar_r = rng.uniform(0.34, 0.46), rng.uniform(0.014, 0.02)
    plates, plate_r = int(rng.integers(1, 4)), rng.uniform(0.08, 0.12)
    hexagonal = rng.random() < 0.35
    metal = _pick(rng, METAL)
    plate_color = _pick(rng, ((30, 30, 34), (60, 60, 65), (180, 30, 30), (40, 80, 160), (170, 170, 175)))
    grip = bar_l * rng.uniform(0.3, 0.4)
    parts = [Part(_cyl(bar_r, bar_l, (0, 0, 0), axis="x", n=12), metal)]
    parts.append(Part(_cyl(bar_r * 1.2, grip, (0, 0, 0), axis="x", n=12), _jitter(rng, metal, 0.2)))
    for side in (-1, 1):
        x = side * (grip / 2 + 0.012)
        for k in range(plates):
            thickness = rng.uniform(0.025, 0.045)
            radius = plate_r * (1 - 0.15 * k)
            parts.append(
                Part(
                    _cyl(radius, thickness, (x + side * thickness / 2, 0, 0), axis="x", n=6 if hexagonal else 24),
                    plate_color,
                )
            )
            x += side * (thickness + 0.003)
        parts.append(Part(_cyl(bar_r * 2.0, 0.02, (x + side * 0.01, 0, 0), axis="x", n=12), metal))
    return parts


@register_class("screwdriver")
def _screwdriver(rng: np.random.Generator) -> list[Part]:
    """Screwdriver standing on its handle: fluted two-colour handle, steel shaft, flat or cross tip."""
    handle_l, handle_r = rng.uniform(0.1, 0.13), rng.uniform(0.02, 0.028)
    shaft_l, shaft_r = rng.uniform(0.08, 0.16), rng.uniform(0.005, 0.008)
    color = _pick(rng, ((200, 30, 30), (240, 190, 30), (40, 90, 190), (30, 30, 34), (40, 150, 70)))
    grip = _pick(rng, ((30, 30, 34), (240, 190, 30), (220, 220, 215)))
    profile = _smooth(
        [0, 0.15, 0.6, 0.9, 1.0], [handle_r * 0.9, handle_r, handle_r * 0.95, handle_r * 0.7, handle_r * 0.45], 3
    )
    handle = _lathe([(0, 0), *[(r, h * handle_l) for r, h in profile], (0, handle_l)], n=int(rng.choice([6, 8, 24])))
    parts = [Part(handle, color)]
    parts.append(Part(_cyl(handle_r * 1.03, handle_l * 0.3, (0, handle_l * 0.45, 0), n=24), grip))
    steel = _pick(rng, METAL[:3])
    parts.append(Part(_cyl(shaft_r, shaft_l, (0, handle_l + shaft_l / 2, 0), n=8), steel))
    tip_y = handle_l + shaft_l
    if rng.random() < 0.5:
        parts.append(
            Part(
                _prism(
                    [(-shaft_r, 0), (shaft_r, 0), (shaft_r * 1.2, 0.025), (-shaft_r * 1.2, 0.025)],
                    shaft_r * 0.6,
                    (0, tip_y, 0),
                ),
                steel,
            )
        )
    else:
        parts.append(Part(_cone(shaft_r, 0.02, (0, tip_y, 0), n=4), steel))
    return parts


@register_class("pencil")
def _pencil(rng: np.random.Generator) -> list[Part]:
    """Pencil standing on its eraser: hexagonal painted body, sharpened wooden cone with graphite tip, ferrule."""
    length, radius = rng.uniform(0.45, 0.75), rng.uniform(0.04, 0.055)
    paint = _pick(rng, ((240, 190, 30), (240, 190, 30), (200, 40, 40), (40, 90, 190), (40, 140, 70), (30, 30, 34)))
    eraser_h, ferrule_h = rng.uniform(0.04, 0.06), rng.uniform(0.04, 0.06)
    cone_h = radius * rng.uniform(2.5, 3.5)
    y = 0.0
    parts = [Part(_cyl(radius * 0.95, eraser_h, (0, eraser_h / 2, 0), n=16), (235, 140, 150))]
    y += eraser_h
    parts.append(
        Part(
            _cyl(radius * 1.02, ferrule_h, (0, y + ferrule_h / 2, 0), n=16),
            _pick(rng, ((200, 200, 205), (200, 170, 80))),
        )
    )
    y += ferrule_h
    parts.append(Part(_cyl(radius / np.cos(np.pi / 6), length, (0, y + length / 2, 0), n=6), paint))
    y += length
    parts.append(Part(_cone(radius, cone_h, (0, y, 0), n=12), (225, 190, 140)))
    graphite = cone_h * rng.uniform(0.25, 0.35)
    parts.append(Part(_cone(radius * graphite / cone_h, graphite, (0, y + cone_h - graphite, 0), n=12), (50, 50, 55)))
    return parts


@register_class("mushroom")
def _mushroom(rng: np.random.Generator) -> list[Part]:
    """Mushroom: stout stem, domed or flat cap with pale gills underneath, sometimes white spots and a ring."""
    stem_h, stem_r = rng.uniform(0.3, 0.6), rng.uniform(0.07, 0.13)
    cap_r, cap_h = rng.uniform(0.28, 0.45), rng.uniform(0.12, 0.3)
    spotted = rng.random() < 0.35
    cap_color = (
        (200, 30, 25) if spotted else _pick(rng, ((150, 100, 60), (200, 170, 120), (235, 225, 205), (110, 70, 40)))
    )
    cap_color = _jitter(rng, cap_color, 0.08)
    stem_color = _jitter(rng, (235, 228, 210), 0.05)
    stem = _lathe(
        [
            (0, 0),
            (stem_r * 1.3, 0),
            *_smooth([0.05, stem_h * 0.5, stem_h], [stem_r * 1.25, stem_r, stem_r * 0.9], 3)[1:],
            (0, stem_h),
        ],
        n=16,
    )
    parts = [Part(stem, stem_color)]
    angles = np.radians(np.linspace(0, 90, 8))
    base_y = stem_h - cap_h * 0.15
    dome = [(cap_r * np.sin(a), base_y + cap_h * np.cos(a)) for a in angles]
    parts.append(Part(_lathe([*dome, (cap_r * 0.97, base_y - 0.02)], n=28), cap_color))
    parts.append(
        Part(
            _lathe([(cap_r * 0.97, base_y - 0.02), (stem_r, base_y - 0.01), (0, base_y)], n=28),
            _jitter(rng, (225, 205, 180), 0.06),
        )
    )
    if spotted:
        for _ in range(int(rng.integers(6, 13))):
            a, phi = rng.uniform(0.2, 1.3), rng.uniform(0, 2 * np.pi)
            r, y = cap_r * np.sin(a), base_y + cap_h * np.cos(a)
            parts.append(
                Part(
                    _ball(cap_r * rng.uniform(0.06, 0.1), (r * np.cos(phi), y, r * np.sin(phi)), level=1),
                    (245, 245, 240),
                )
            )
    if rng.random() < 0.3:
        y = stem_h * 0.75
        parts.append(
            Part(
                _lathe(
                    [
                        (stem_r * 0.9, y),
                        (stem_r * 1.8, y - 0.05),
                        (stem_r * 1.75, y - 0.06),
                        (stem_r * 0.9, y - 0.02),
                        (stem_r * 0.9, y),
                    ],
                    n=20,
                ),
                stem_color,
            )
        )
    return parts


@register_class("ice_cream")
def _ice_cream(rng: np.random.Generator) -> list[Part]:
    """Ice-cream cone: upside-down waffle cone holding one to three scoops, sometimes a cherry or sprinkles."""
    cone_h, cone_r = rng.uniform(0.45, 0.6), rng.uniform(0.13, 0.17)
    waffle = _jitter(rng, (210, 160, 90), 0.08)
    cone = _lathe([(0, 0), (cone_r, cone_h), (0, cone_h)], n=16)
    cone_colors = np.where(
        ((np.arange(len(cone.faces)) // 2) % 2 == 0)[:, None],
        np.asarray(waffle, float),
        np.asarray(waffle, float) * 0.85,
    )
    parts = [Part(cone, cone_colors)]
    parts.append(Part(_torus(cone_r, 0.02, (0, cone_h, 0), n=20, m=6), _jitter(rng, waffle, 0.1)))
    flavours = ((245, 235, 210), (120, 70, 40), (240, 170, 185), (170, 225, 180), (250, 225, 120), (200, 60, 80))
    y, scoops = cone_h + 0.02, int(rng.integers(1, 4))
    radius = cone_r * rng.uniform(1.05, 1.25)
    for _ in range(scoops):
        parts.append(Part(_ball((radius, radius * 0.9, radius), (0, y + radius * 0.6, 0)), _pick(rng, flavours)))
        y += radius * 1.25
        radius *= 0.92
    topping = rng.random()
    if topping < 0.3:
        parts.append(Part(_ball(0.035, (0, y + radius * 0.1, 0), level=1), (190, 20, 30)))
    elif topping < 0.6:
        for _ in range(14):
            direction = rng.normal(size=3)
            direction[1] = abs(direction[1]) + 0.5
            direction /= np.linalg.norm(direction)
            at = np.array([0, y - radius * 1.25 * 0.4, 0]) + direction * radius * 1.05
            parts.append(Part(_box((0.025, 0.008, 0.008), at, (("y", rng.uniform(0, 180)),)), _pick(rng, BRIGHT)))
    return parts


@register_class("snowman")
def _snowman(rng: np.random.Generator) -> list[Part]:
    """Snowman facing +Z: two or three snowballs, coal eyes and buttons, carrot nose, stick arms, hat or scarf."""
    balls = int(rng.choice([2, 3, 3]))
    radius = rng.uniform(0.3, 0.38)
    snow = _jitter(rng, (245, 248, 252), 0.02)
    y, centers, radii = 0.0, [], []
    for k in range(balls):
        r = radius * (0.72**k) * rng.uniform(0.95, 1.05)
        y += r * (0.85 if k else 0.9)
        centers.append(y)
        radii.append(r)
        y += r * 0.85
    parts = [Part(_ball(r, (0, c, 0)), snow) for r, c in zip(radii, centers, strict=True)]
    head_y, head_r = centers[-1], radii[-1]
    for side in (-1, 1):
        parts.append(
            Part(_ball(head_r * 0.1, (side * head_r * 0.35, head_y + head_r * 0.25, head_r * 0.88), level=1), DARK)
        )
    parts.append(
        Part(
            _cone(head_r * 0.14, head_r * rng.uniform(0.7, 1.1), (0, head_y, head_r * 0.9), turns=(("x", 90.0),), n=10),
            (240, 120, 30),
        )
    )
    body_y, body_r = centers[-2], radii[-2]
    for k in range(int(rng.integers(2, 4))):
        a = np.radians(20 - 22 * k)
        parts.append(Part(_ball(body_r * 0.08, (0, body_y + body_r * np.sin(a), body_r * np.cos(a)), level=1), DARK))
    stick = _pick(rng, ((90, 60, 35), (70, 50, 30)))
    for side in (-1, 1):
        start = np.array([side * body_r * 0.85, body_y + body_r * 0.2, 0])
        end = start + _v(side * body_r * 1.1, body_r * rng.uniform(0.3, 0.9), 0)
        parts.append(Part(_tube([start, end], 0.018, 5), stick))
    accent = _pick(rng, BRIGHT[:8])
    if rng.random() < 0.6:
        parts.append(Part(_cyl(head_r * 0.95, 0.03, (0, head_y + head_r * 0.85, 0), n=20), DARK))
        parts.append(Part(_cyl(head_r * 0.6, head_r * 0.8, (0, head_y + head_r * 1.25, 0), n=20), DARK))
    else:
        parts.append(
            Part(
                _lathe(
                    [
                        (0, head_y + head_r * 1.25),
                        (head_r * 0.85, head_y + head_r * 0.55),
                        (head_r * 1.0, head_y + head_r * 0.45),
                        (0, head_y + head_r * 0.45),
                    ],
                    n=20,
                ),
                accent,
            )
        )
    if rng.random() < 0.6:
        parts.append(Part(_torus(head_r * 0.85, head_r * 0.16, (0, head_y - head_r * 0.85, 0), n=20, m=6), accent))
    return parts


@register_class("cactus")
def _cactus(rng: np.random.Generator) -> list[Part]:
    """Saguaro-style cactus: ribbed column with zero to three bent arms, often planted in a terracotta pot."""
    height, radius = rng.uniform(0.8, 1.2), rng.uniform(0.09, 0.13)
    green = _pick(rng, ((60, 130, 60), (80, 140, 70), (50, 110, 70)))
    potted = rng.random() < 0.5
    base = 0.0
    parts = []
    if potted:
        pot_h, pot_r = rng.uniform(0.22, 0.3), radius * rng.uniform(1.8, 2.4)
        parts.append(
            Part(
                _lathe(
                    [
                        (0, 0),
                        (pot_r * 0.75, 0),
                        (pot_r, pot_h),
                        (pot_r * 1.08, pot_h),
                        (pot_r * 1.08, pot_h + 0.04),
                        (pot_r * 0.9, pot_h + 0.04),
                        (pot_r * 0.9, pot_h - 0.02),
                        (0, pot_h - 0.02),
                    ],
                    n=20,
                ),
                _jitter(rng, (185, 90, 55), 0.08),
            )
        )
        base = pot_h - 0.03
        parts.append(Part(_cyl(pot_r * 0.9, 0.01, (0, base + 0.005, 0), n=20), (90, 65, 45)))
    ribs = int(rng.integers(8, 13))
    column = _lathe(
        [
            (0, base),
            (radius, base),
            (radius, base + height - radius),
            (radius * 0.7, base + height - radius * 0.3),
            (0, base + height),
        ],
        n=ribs,
    )
    parts.append(Part(column, green))
    for _ in range(int(rng.integers(1, 4))):
        angle = rng.uniform(0, 2 * np.pi)
        direction = np.array([np.cos(angle), 0, np.sin(angle)])
        y = base + height * rng.uniform(0.3, 0.6)
        reach = radius * rng.uniform(1.8, 2.6)
        rise = height * rng.uniform(0.2, 0.35)
        r = radius * rng.uniform(0.55, 0.75)
        points = [
            direction * radius * 0.5 + [0, y, 0],
            direction * reach * 0.8 + [0, y, 0],
            direction * reach + [0, y + r, 0],
            direction * reach + [0, y + rise, 0],
        ]
        parts.append(Part(_tube(points, r, ribs), _jitter(rng, green, 0.05)))
        parts.append(Part(_ball(r, direction * reach + [0, y + rise, 0], level=1), _jitter(rng, green, 0.05)))
    if rng.random() < 0.2:
        parts.append(Part(_ball(radius * 0.4, (0, base + height, 0), level=1), (235, 90, 150)))
    return parts


@register_class("fire_hydrant")
def _fire_hydrant(rng: np.random.Generator) -> list[Part]:
    """Fire hydrant: flanged barrel, domed bonnet with a pentagon nut, two side outlets and a front pumper outlet."""
    radius, height = rng.uniform(0.16, 0.2), rng.uniform(0.5, 0.65)
    paint = _pick(rng, ((200, 30, 30), (235, 190, 30), (230, 230, 225), (40, 110, 60)))
    caps = _pick(rng, ((200, 200, 205), (30, 30, 34), paint))
    parts = [Part(_cyl(radius * 1.35, 0.06, (0, 0.03, 0), n=20), paint)]
    parts.append(Part(_cyl(radius, height, (0, height / 2 + 0.06, 0), n=20, top=radius * 0.92), paint))
    top = height + 0.06
    parts.append(Part(_cyl(radius * 1.2, 0.05, (0, top, 0), n=20), paint))
    parts.append(
        Part(
            _lathe(
                _smooth([top, top + radius * 0.5, top + radius * 0.75], [radius * 1.05, radius * 0.75, 0.0], 4), n=20
            ),
            caps,
        )
    )
    parts.append(Part(_cyl(radius * 0.3, 0.06, (0, top + radius * 0.8, 0), n=5), caps))
    side_y = top - height * rng.uniform(0.2, 0.3)
    for side in (-1, 1):
        parts.append(Part(_cyl(radius * 0.3, radius * 0.6, (side * radius * 1.1, side_y, 0), axis="x", n=14), paint))
        parts.append(Part(_cyl(radius * 0.36, radius * 0.15, (side * radius * 1.45, side_y, 0), axis="x", n=5), caps))
    parts.append(Part(_cyl(radius * 0.42, radius * 0.5, (0, side_y - 0.02, radius * 1.0), axis="z", n=16), paint))
    parts.append(Part(_cyl(radius * 0.48, radius * 0.15, (0, side_y - 0.02, radius * 1.3), axis="z", n=5), caps))
    return parts


@register_class("bell")
def _bell(rng: np.random.Generator) -> list[Part]:
    """Church or hand bell: flared bronze shell with a lip, clapper showing below, hanging loop or wooden handle."""
    radius, height = rng.uniform(0.35, 0.45), rng.uniform(0.55, 0.75)
    metal = _pick(rng, ((185, 140, 60), (200, 170, 80), (170, 120, 70), (190, 190, 195)))
    waist = radius * rng.uniform(0.5, 0.62)
    outer = _smooth(
        [0, height * 0.12, height * 0.45, height * 0.85, height], [radius, radius * 0.86, waist, waist * 0.95, 0.0], 4
    )
    inner = [(max(r - 0.03, 0.0), h - 0.03) for r, h in outer[::-1][1:-1]]
    shell = _lathe([*outer[::-1][:-1], (radius, 0.0), (radius - 0.03, 0.0), *inner[::-1], (0.0, height - 0.03)], n=32)
    parts = [Part(shell, metal)]
    parts.append(Part(_torus(radius * 0.98, 0.03, (0, 0.03, 0), n=32, m=6), _jitter(rng, metal, 0.1)))
    parts.append(Part(_cyl(0.015, height * 0.8, (0, height * 0.45, 0), n=6), _jitter(rng, metal, 0.3)))
    parts.append(Part(_ball(radius * 0.18, (0, -radius * 0.05, 0), level=1), _jitter(rng, metal, 0.3)))
    if rng.random() < 0.5:
        parts.append(Part(_torus(radius * 0.22, 0.035, (0, height + radius * 0.2, 0), axis="z", n=16, m=6), metal))
    else:
        handle_h = rng.uniform(0.25, 0.4)
        parts.append(
            Part(
                _cyl(0.05, handle_h, (0, height + handle_h / 2 - 0.02, 0), n=12, top=0.035),
                _pick(rng, (*WOOD, (30, 30, 34))),
            )
        )
        parts.append(Part(_ball(0.06, (0, height + handle_h, 0), level=1), _pick(rng, WOOD)))
    return parts


@register_class("anchor")
def _anchor(rng: np.random.Generator) -> list[Part]:
    """Ship's anchor, flat facing +Z: shank with a ring on top, optional stock, curved arms ending in flukes."""
    length, arm_r = rng.uniform(0.8, 1.0), rng.uniform(0.3, 0.4)
    metal = _pick(rng, ((50, 50, 55), (90, 90, 95), (120, 70, 40), (40, 50, 80)))
    thickness = rng.uniform(0.04, 0.06)
    ring, stock = _shade(metal, 1.25), _pick(rng, WOOD) if rng.random() < 0.5 else _shade(metal, 0.7)
    parts = [Part(_cyl(thickness * 0.6, length, (0, length / 2, 0), n=10), metal)]
    parts.append(
        Part(_torus(rng.uniform(0.07, 0.1), thickness * 0.35, (0, length + 0.08, 0), axis="z", n=20, m=6), ring)
    )
    if rng.random() < 0.6:
        parts.append(
            Part(_cyl(thickness * 0.4, arm_r * rng.uniform(1.4, 2.0), (0, length - 0.12, 0), axis="x", n=8), stock)
        )
        for side in (-1, 1):
            parts.append(Part(_ball(thickness * 0.5, (side * arm_r * 0.8, length - 0.12, 0), level=1), stock))
    sweep = rng.uniform(5, 25)
    arc = _arc((0, arm_r, 0), (arm_r, arm_r * rng.uniform(0.6, 0.9)), 180 - sweep, 360 + sweep, 16)
    parts.append(Part(_tube(arc, thickness * 0.55, 8), metal))
    fluke = rng.uniform(0.08, 0.12)
    for end, side in ((arc[0], -1), (arc[-1], 1)):
        tip = [(0, fluke * 1.4), (-fluke * 0.6, -fluke * 0.2), (fluke * 0.6, -fluke * 0.2)]
        parts.append(Part(_prism(tip, thickness * 0.5, end, (("z", side * sweep),)), _shade(metal, 1.15)))
    parts.append(Part(_ball(thickness * 0.9, (0, 0.0, 0), level=1), metal))
    return parts


@register_class("trophy")
def _trophy(rng: np.random.Generator) -> list[Part]:
    """Trophy cup: metal bowl with two loop handles on a stem and foot, standing on a dark plinth."""
    metal = _pick(rng, ((215, 175, 60), (200, 200, 205), (180, 110, 60)))
    plinth_h, plinth_w = rng.uniform(0.1, 0.2), rng.uniform(0.3, 0.42)
    stem_h, bowl_r = rng.uniform(0.12, 0.25), rng.uniform(0.2, 0.28)
    bowl_h = bowl_r * rng.uniform(1.0, 1.5)
    plinth = _pick(rng, ((40, 30, 25), (30, 30, 34), (90, 55, 30), (230, 230, 225)))
    parts = [Part(_box((plinth_w, plinth_h, plinth_w), (0, plinth_h / 2, 0)), plinth)]
    y = plinth_h
    parts.append(Part(_cyl(plinth_w * 0.3, 0.04, (0, y + 0.02, 0), n=24, top=plinth_w * 0.22), metal))
    parts.append(Part(_cyl(0.025, stem_h, (0, y + 0.04 + stem_h / 2, 0), n=12), metal))
    parts.append(Part(_ball(0.045, (0, y + 0.04 + stem_h * 0.5, 0), level=1), metal))
    y0 = y + 0.04 + stem_h
    outer = _smooth(
        [y0, y0 + bowl_h * 0.3, y0 + bowl_h * 0.75, y0 + bowl_h], [0.03, bowl_r * 0.8, bowl_r * 0.98, bowl_r], 4
    )
    parts.append(Part(_lathe([(0, y0), *outer, (bowl_r - 0.02, y0 + bowl_h), (0, y0 + bowl_h * 0.5)], n=28), metal))
    for side in (-1, 1):
        parts.append(
            Part(
                _loop_handle(
                    side * bowl_r * 0.8, y0 + bowl_h * 0.6, rng.uniform(0.12, 0.18), bowl_h * 0.3, 0.022, side=side
                ),
                metal,
            )
        )
    if rng.random() < 0.5:
        parts.append(
            Part(_box((plinth_w * 0.6, plinth_h * 0.4, 0.01), (0, plinth_h / 2, plinth_w / 2)), (215, 175, 60))
        )
    return parts


@register_class("gift_box")
def _gift_box(rng: np.random.Generator) -> list[Part]:
    """Wrapped present: box with a slightly wider lid, crossing ribbons over the top and sides, looped bow."""
    width, depth, height = rng.uniform(0.5, 0.8), rng.uniform(0.5, 0.8), rng.uniform(0.35, 0.7)
    paper = _pick(rng, BRIGHT + PASTEL)
    ribbon = _pick(rng, (*BRIGHT, (215, 175, 60), (240, 240, 235)))
    lid_h = height * rng.uniform(0.15, 0.22)
    parts = [Part(_box((width, height - lid_h, depth), (0, (height - lid_h) / 2, 0)), paper)]
    parts.append(Part(_box((width + 0.03, lid_h, depth + 0.03), (0, height - lid_h / 2, 0)), _jitter(rng, paper, 0.05)))
    band = rng.uniform(0.05, 0.08)
    parts.append(Part(_box((band, height + 0.01, depth + 0.04), (0, height / 2, 0)), ribbon))
    parts.append(Part(_box((width + 0.04, height + 0.01, band), (0, height / 2, 0)), ribbon))
    loop = rng.uniform(0.09, 0.14)
    for side in (-1, 1):
        parts.append(
            Part(
                _moved(
                    _torus(loop, 0.025, axis="z", n=16, m=6),
                    (("z", side * 35.0),),
                    (side * loop * 0.8, height + loop * 0.55, 0),
                ),
                ribbon,
            )
        )
    parts.append(Part(_ball(0.05, (0, height + 0.03, 0), level=1), ribbon))
    return parts
