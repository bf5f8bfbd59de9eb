"""Geometry helpers shared by the class builders: primitives placed in the canonical frame (+Y up, front +Z).

Rotations are (axis, degrees) turns. The helpers are private to the `fovkit.render.assets` package (underscored):
builders call them, users build parts from trimesh directly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import trimesh

from fovkit.render.assets.classes import Color

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
