"""Ornaments and keepsakes: bells, anchors, trophies and gift boxes."""

from __future__ import annotations

import numpy as np

from fovkit.render.assets.classes import Part, register_class
from fovkit.render.assets.palette import BRIGHT, PASTEL, WOOD, _jitter, _pick, _shade
from fovkit.render.assets.shapes import (
    _arc,
    _ball,
    _box,
    _cyl,
    _lathe,
    _loop_handle,
    _moved,
    _prism,
    _smooth,
    _torus,
    _tube,
)


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
