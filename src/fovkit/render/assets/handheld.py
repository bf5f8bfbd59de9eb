"""Hand-held objects, standing on their grip: tools, instruments, weapons, keys, umbrellas and weights."""

from __future__ import annotations

import numpy as np
import trimesh

from fovkit.render.assets.classes import Part, register_class
from fovkit.render.assets.palette import BRIGHT, DARK, METAL, PASTEL, WOOD, _jitter, _pick, _shade
from fovkit.render.assets.shapes import (
    _arc,
    _ball,
    _box,
    _cone,
    _cyl,
    _lathe,
    _moved,
    _prism,
    _sector_colors,
    _smooth,
    _tube,
)


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
