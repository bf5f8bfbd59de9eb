"""Fixtures of the render tests: tiny user mesh and background folders, and a config that renders 13 images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from fovkit.render.config import RenderConfig

MICRO = RenderConfig(
    classes=["mug"],
    instances_per_class=1,
    image_size=16,
    designs=("single",),
    single_values=2,
    backgrounds_per_type=1,
    grid_backgrounds=1,
    held_out_fraction=0.0,
    shard_size=5,
    samples=1,
)
"""One object, 4 axes x 2 values + 5 backgrounds: 13 images of 16 px in three shards."""


@pytest.fixture
def meshes(tmp_path: Path) -> Path:
    """`meshes/<class>/<instance>.obj`: classes ball (1 mesh) and box (2 meshes)."""
    root = tmp_path / "meshes"
    for name, index, mesh in (
        ("box", "a", trimesh.creation.box(extents=(1.0, 2.0, 1.0))),
        ("box", "b", trimesh.creation.box(extents=(2.0, 1.0, 1.0))),
        ("ball", "c", trimesh.creation.icosphere(subdivisions=1)),
    ):
        (root / name).mkdir(parents=True, exist_ok=True)
        mesh.export(root / name / f"{index}.obj")
    return root


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """`photos/<type>/*.png`: the five default types, one 8 x 8 image each."""
    root = tmp_path / "photos"
    for number, kind in enumerate(("sky", "water", "city", "home", "grass")):
        (root / kind).mkdir(parents=True)
        Image.fromarray(np.full((8, 8, 3), 40 * number, dtype=np.uint8)).save(root / kind / "one.png")
    return root


@pytest.fixture
def micro() -> RenderConfig:
    """MICRO: a config that renders 13 images of 16 px in a fraction of a second."""
    return MICRO
