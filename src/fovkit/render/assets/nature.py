"""Plants and fungi: broadleaf and pine trees, mushrooms and cacti."""

from __future__ import annotations

import numpy as np

from fovkit.render.assets.classes import Part, register_class
from fovkit.render.assets.palette import _jitter, _pick
from fovkit.render.assets.shapes import _ball, _cone, _cyl, _lathe, _smooth, _tube


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
