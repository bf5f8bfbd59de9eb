"""Meshes prepared for drawing: indexed vertices with crease-aware normals and linear colours, hull and closedness."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import trimesh

from fovkit.errors import InputError

_CREASE_DEG = 30.0
_MAX_HULL_POINTS = 2048


@dataclass(frozen=True)
class MeshArrays:
    """A mesh prepared for drawing.

    Attributes:
        vertices: (N, 9) float32 rows of position, crease-aware normal and linear RGB colour.
        indices: (3 F,) uint32, three vertex indices per triangle.
        hull: (4, K) float64 homogeneous points whose convex hull contains the mesh.
        closed: Every connected part is watertight, consistently wound and faces outwards, so back faces can be
            culled (about half the drawing time); open or inconsistent meshes are drawn two-sided.

    """

    vertices: np.ndarray
    indices: np.ndarray
    hull: np.ndarray
    closed: bool


def mesh_arrays(mesh: trimesh.Trimesh, *, name: str = "mesh") -> MeshArrays:
    """Indexed vertex data of `mesh` for drawing, the points of its convex hull and whether it is closed.

    Args:
        mesh: A triangle mesh with vertex, face, texture or no colours.
        name: How to name the mesh in error messages.

    Returns:
        The arrays to upload and what the renderer needs to know about the mesh.

    """
    faces = np.asarray(getattr(mesh, "faces", np.empty((0, 3))), dtype=np.int64)
    vertices = np.asarray(getattr(mesh, "vertices", np.empty((0, 3))), dtype=np.float64)
    if faces.ndim != 2 or faces.shape[1] != 3 or len(faces) == 0:
        raise InputError(f"mesh {name!r} has no triangle faces (faces shape {faces.shape})", field="mesh")
    if not np.isfinite(vertices).all():
        raise InputError(f"mesh {name!r} has non-finite vertex coordinates", field="mesh")
    colors = _corner_colors(mesh, faces)
    normals = _crease_normals(vertices, faces, _CREASE_DEG)
    corners = np.empty((len(faces) * 3, 9), dtype=np.float32)
    corners[:, 0:3] = vertices[faces].reshape(-1, 3)
    corners[:, 3:6] = normals.reshape(-1, 3)
    corners[:, 6:9] = (colors.reshape(-1, 3) / 255.0) ** 2  # sRGB -> linear, gamma 2 as in the shader
    # Share corners that agree in position, normal and colour, so the vertex cache shades each once.
    rows = corners.view(np.dtype((np.void, corners.itemsize * 9))).ravel()
    unique, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    order = np.argsort(first)  # keep first-use order (better locality than byte order)
    rank = np.empty(len(unique), dtype=np.int64)
    rank[order] = np.arange(len(unique))
    indices = rank[inverse.ravel()].astype(np.uint32)
    try:
        points = mesh.convex_hull.vertices if len(vertices) > 64 else vertices
    except Exception:  # degenerate (flat) meshes have no 3D hull; their vertices serve as well
        points = vertices
    if len(points) > _MAX_HULL_POINTS:  # projected every image: fall back to the (looser) bounding-box corners
        low, high = vertices.min(axis=0), vertices.max(axis=0)
        points = np.array([[(low, high)[(i >> axis) & 1][axis] for axis in range(3)] for i in range(8)])
    hull = np.vstack([np.asarray(points, dtype=np.float64).T, np.ones(len(points))])
    return MeshArrays(corners[first[order]], indices, hull, _closed_outward(mesh, vertices, faces))


def _closed_outward(mesh: trimesh.Trimesh, vertices: np.ndarray, faces: np.ndarray) -> bool:
    """Watertight, consistently wound, and every connected part encloses a positive volume (normals outward)."""
    try:
        if not (mesh.is_watertight and mesh.is_winding_consistent):
            return False
        labels = trimesh.graph.connected_component_labels(mesh.face_adjacency, node_count=len(faces))
    except Exception:  # meshes trimesh cannot analyse are drawn two-sided
        return False
    v0, v1, v2 = vertices[faces[:, 0]], vertices[faces[:, 1]], vertices[faces[:, 2]]
    signed = np.einsum("ij,ij->i", v0, np.cross(v1, v2)) / 6.0
    return bool((np.bincount(labels, weights=signed) > 0).all())


def _corner_colors(mesh: trimesh.Trimesh, faces: np.ndarray) -> np.ndarray:
    """(F, 3, 3) RGB colour of every face corner, from face, vertex or texture colours; grey when uncoloured."""
    visual = mesh.visual
    kind = getattr(visual, "kind", None)
    if kind == "texture":
        visual = visual.to_color()
        kind = visual.kind
    if kind == "face":
        rgb = np.asarray(visual.face_colors)[:, :3].astype(np.float64)
        return np.repeat(rgb[:, None, :], 3, axis=1)
    rgb = np.asarray(visual.vertex_colors)[:, :3].astype(np.float64)
    if len(rgb) != len(mesh.vertices):
        rgb = np.full((len(mesh.vertices), 3), 160.0)
    return rgb[faces]


def _crease_normals(vertices: np.ndarray, faces: np.ndarray, crease_deg: float) -> np.ndarray:
    """(F, 3, 3) corner normals: area-weighted mean of the face normals around a vertex within `crease_deg`."""
    cross = np.cross(vertices[faces[:, 1]] - vertices[faces[:, 0]], vertices[faces[:, 2]] - vertices[faces[:, 0]])
    area = np.linalg.norm(cross, axis=1)
    unit = cross / np.maximum(area, 1e-20)[:, None]
    corner_vertex = faces.ravel()
    corner_face = np.repeat(np.arange(len(faces)), 3)
    order = np.argsort(corner_vertex, kind="stable")
    count = np.bincount(corner_vertex, minlength=len(vertices))
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    degree = count[corner_vertex]
    pair_corner = np.repeat(np.arange(len(corner_vertex)), degree)
    offset = np.arange(len(pair_corner)) - np.repeat(np.cumsum(degree) - degree, degree)
    pair_face = corner_face[order[start[corner_vertex[pair_corner]] + offset]]
    own = unit[corner_face[pair_corner]]
    other = unit[pair_face]
    weight = area[pair_face] * (np.einsum("ij,ij->i", own, other) >= math.cos(math.radians(crease_deg)))
    normals = np.zeros((len(corner_vertex), 3))
    for axis in range(3):
        normals[:, axis] = np.bincount(pair_corner, weights=weight * other[:, axis], minlength=len(corner_vertex))
    length = np.linalg.norm(normals, axis=1)
    fallback = unit[corner_face]
    normals = np.where(length[:, None] > 1e-12, normals / np.maximum(length, 1e-20)[:, None], fallback)
    return normals.reshape(-1, 3, 3)
