"""The camera: perspective projection, the object's pose rotation and its placement for given factor values."""

from __future__ import annotations

import math

import numpy as np

DISTANCE = 4.0
"""Depth of the object's centre in front of the camera, in world units."""
NEAR_FRACTION = 0.05  # near plane at this fraction of DISTANCE


def perspective(fov_deg: float, aspect: float, near: float, far: float) -> np.ndarray:
    """OpenGL perspective projection matrix (row-major, column vectors)."""
    f = 1.0 / math.tan(math.radians(fov_deg) / 2)
    return np.array(
        [
            [f / aspect, 0, 0, 0],
            [0, f, 0, 0],
            [0, 0, (far + near) / (near - far), 2 * far * near / (near - far)],
            [0, 0, -1, 0],
        ]
    )


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """3x3 rotation Ry(yaw) · Rx(pitch) · Rz(roll), angles in degrees (see the module docstring)."""
    cy, sy = math.cos(math.radians(yaw)), math.sin(math.radians(yaw))
    cp, sp = math.cos(math.radians(pitch)), math.sin(math.radians(pitch))
    cr, sr = math.cos(math.radians(roll)), math.sin(math.radians(roll))
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return ry @ rx @ rz


def model_matrix(
    pose: tuple[float, float, float], position: tuple[float, float], size: float, fov_deg: float, aspect: float
) -> tuple[np.ndarray, float]:
    """4x4 object-to-world matrix and the object's world scale for the given factor values."""
    half_height = DISTANCE * math.tan(math.radians(fov_deg) / 2)
    scale = size * 2 * half_height
    model = np.eye(4)
    model[:3, :3] = scale * rotation(*pose)
    model[:3, 3] = (position[0] * half_height * aspect, position[1] * half_height, -DISTANCE)
    return model, scale
