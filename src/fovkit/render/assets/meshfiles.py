"""Reading one user mesh file (OBJ, PLY, glTF, STL) into the asset conventions: face colours, +Y up, normalised."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import trimesh

from fovkit.errors import InputError, preview
from fovkit.render.assets.classes import normalize_mesh
from fovkit.render.sources import MESH_SUFFIXES

DEFAULT_COLOR = (170, 170, 170)
"""RGB given to faces of user meshes that carry no colour or texture."""


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
