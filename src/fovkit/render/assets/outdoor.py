"""Outdoor street and yard objects: traffic cones, fire hydrants and snowmen."""

from __future__ import annotations

import numpy as np

from fovkit.render.assets.classes import Part, register_class
from fovkit.render.assets.palette import BRIGHT, DARK, _jitter, _pick
from fovkit.render.assets.shapes import _ball, _box, _cone, _cyl, _lathe, _smooth, _torus, _tube, _v


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
