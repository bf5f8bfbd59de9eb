"""The registry of procedural asset classes and how one seeded instance becomes a normalised, coloured mesh."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import trimesh

from fovkit.errors import InputError
from fovkit.registry import Registry
from fovkit.seeding import rng

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
    check_count(seed, "seed")
    check_count(instance_index, "instance_index")
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


def check_count(value: object, field: str) -> None:
    """Raise InputError naming `field` unless `value` is a non-negative integer (seeds, counts, indices)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise InputError(f"expected a non-negative integer, got {value!r}", field=field)
