"""Tableware and food: lathe-turned vessels (mugs, cups, bowls, vases, bottles, teapots), buckets, ice cream."""

from __future__ import annotations

import numpy as np
import trimesh

from fovkit.render.assets.classes import Part, register_class
from fovkit.render.assets.palette import BRIGHT, CERAMIC, METAL, PASTEL, WHITE, WOOD, _jitter, _pick, _shade
from fovkit.render.assets.shapes import _arc, _ball, _box, _cyl, _lathe, _loop_handle, _moved, _smooth, _torus, _tube


@register_class("mug")
def _mug(rng: np.random.Generator) -> list[Part]:
    """Straight-walled mug with a D-shaped handle on +X; the inside is white or a darker body colour."""
    radius, height = rng.uniform(0.34, 0.46), rng.uniform(0.8, 1.15)
    top, wall = radius * rng.uniform(0.94, 1.1), rng.uniform(0.035, 0.055)
    body = _pick(rng, BRIGHT + CERAMIC)
    inside = _jitter(rng, WHITE, 0.03) if rng.random() < 0.6 else _shade(body, 0.75)
    outer = _lathe([(0, 0), (radius, 0), (radius + 0.01, 0.03), (top, height), (top - wall, height)], n=28)
    inner = _lathe([(top - wall, height), (radius - wall, 2 * wall), (0, 2 * wall)], n=28)
    reach, half = rng.uniform(0.2, 0.3), height * rng.uniform(0.26, 0.34)
    handle = _loop_handle(
        (radius + top) / 2 - 0.02, height * rng.uniform(0.45, 0.55), reach, half, rng.uniform(0.04, 0.06)
    )
    parts = [Part(outer, body), Part(inner, inside), Part(handle, body)]
    if rng.random() < 0.4:
        band = _cyl(radius * 1.012 + (top - radius) * 0.5, height * rng.uniform(0.1, 0.25), (0, height * 0.55, 0), n=28)
        parts.append(Part(band, _pick(rng, BRIGHT)))
    return parts


@register_class("cup")
def _cup(rng: np.random.Generator) -> list[Part]:
    """Flared teacup with a small ear handle, standing on a saucer."""
    top, height = rng.uniform(0.4, 0.5), rng.uniform(0.3, 0.42)
    bottom, wall = top * rng.uniform(0.45, 0.6), 0.025
    color = _pick(rng, CERAMIC + PASTEL)
    lift = 0.05
    outer = _smooth(
        [lift, lift + 0.25 * height, lift + 0.75 * height, lift + height], [bottom, bottom * 1.35, top * 0.95, top]
    )
    inner = _smooth(
        [lift + height, lift + 0.75 * height, lift + 0.3 * height, lift + 0.06],
        [top - wall, top * 0.95 - wall, bottom * 1.3 - wall, 0.0],
    )
    cup = _lathe([(0, lift), *outer, *inner], n=28)
    saucer_r = rng.uniform(0.72, 0.9)
    saucer = _lathe(
        [(0, 0), (saucer_r * 0.45, 0), (saucer_r, 0.05), (saucer_r, 0.065), (saucer_r * 0.45, 0.02), (0, 0.02)], n=32
    )
    handle = _loop_handle(top * 0.82, lift + height * 0.6, rng.uniform(0.12, 0.17), height * 0.27, 0.025)
    parts = [Part(cup, color), Part(saucer, _jitter(rng, _shade(color, 0.88), 0.03)), Part(handle, color)]
    if rng.random() < 0.5:
        parts.append(Part(_torus(top - wall / 2, 0.014, (0, lift + height * 0.97, 0), n=28, m=6), _pick(rng, BRIGHT)))
    return parts


@register_class("bowl")
def _bowl(rng: np.random.Generator) -> list[Part]:
    """Round bowl on a foot ring, sometimes holding fruit."""
    radius, depth, wall = 0.5, 0.5 * rng.uniform(0.38, 0.62), 0.03
    foot = radius * rng.uniform(0.35, 0.5)
    angles = np.radians(np.linspace(-75, 0, 8))
    outer = [(radius * np.cos(a), depth * (1 + np.sin(a)) + 0.04) for a in angles]
    inner = [((radius - wall) * np.cos(a), (depth - wall) * (1 + np.sin(a)) + 0.04 + wall) for a in angles[::-1]]
    color = _pick(rng, CERAMIC + BRIGHT)
    inside = _jitter(rng, WHITE, 0.04) if rng.random() < 0.5 else _shade(color, 0.8)
    shell = _lathe([(0, 0), (foot, 0), (foot, 0.045), *outer, (radius - wall, depth + 0.04)], n=32)
    hollow = _lathe([(radius - wall, depth + 0.04), *inner[1:], (0, wall + 0.04)], n=32)
    parts = [Part(shell, color), Part(hollow, inside)]
    if rng.random() < 0.35:
        for _ in range(int(rng.integers(3, 6))):
            angle, spread = rng.uniform(0, 2 * np.pi), rng.uniform(0.05, 0.25)
            size = rng.uniform(0.1, 0.14)
            at = (spread * np.cos(angle), depth * 0.75 + size * 0.6, spread * np.sin(angle))
            parts.append(Part(_ball(size, at, level=1), _pick(rng, ((230, 120, 20), (200, 30, 30), (120, 190, 40)))))
    return parts


@register_class("vase")
def _vase(rng: np.random.Generator) -> list[Part]:
    """Tall vase: foot, round belly, narrow neck and flared lip, sometimes two handles (amphora)."""
    height = rng.uniform(1.0, 1.5)
    base, belly, neck, lip = (
        rng.uniform(0.14, 0.22),
        rng.uniform(0.28, 0.4),
        rng.uniform(0.08, 0.15),
        rng.uniform(0.13, 0.24),
    )
    belly_at, neck_at = rng.uniform(0.25, 0.45), rng.uniform(0.7, 0.82)
    profile = _smooth([0, belly_at * height, neck_at * height, height], [base, belly, neck, lip], 5)
    wall = 0.025
    color = _pick(rng, CERAMIC)
    body = _lathe([(0, 0), *profile, (lip - wall, height)], n=28)
    opening = _lathe([(lip - wall, height), (neck - wall, height * 0.9), (0, height * 0.9)], n=28)
    parts = [Part(body, color), Part(opening, _shade(color, 0.45))]
    if rng.random() < 0.5:
        band_at = rng.uniform(0.3, 0.6) * height
        band_r = float(np.interp(band_at, [h for _, h in profile], [r for r, _ in profile]))
        parts.append(Part(_cyl(band_r + 0.012, height * 0.06, (0, band_at, 0), n=28), _pick(rng, BRIGHT + CERAMIC)))
    if rng.random() < 0.25:
        for side in (-1.0, 1.0):
            points = _arc((side * neck, neck_at * height, 0), (0.14, 0.12), -80, 80, 10) * [side, 1, 1]
            points[:, 0] = side * (neck * 0.9 + np.abs(points[:, 0] - side * neck))
            parts.append(Part(_tube(points, 0.025, 8), color))
    return parts


@register_class("bottle")
def _bottle(rng: np.random.Generator) -> list[Part]:
    """Bottle: cylindrical body, rounded shoulder, long neck, coloured cap and a paper label."""
    radius, body_h = rng.uniform(0.14, 0.22), rng.uniform(0.4, 0.58)
    shoulder_h, neck_r, neck_h = rng.uniform(0.1, 0.22), radius * rng.uniform(0.28, 0.42), rng.uniform(0.15, 0.28)
    glass = _pick(rng, ((40, 110, 50), (110, 65, 25), (170, 200, 210), (30, 60, 40), (60, 100, 170)))
    top = body_h + shoulder_h + neck_h
    shoulder = _smooth(
        [body_h, body_h + shoulder_h * 0.5, body_h + shoulder_h], [radius, (radius + neck_r) * 0.55, neck_r], 5
    )
    body = _lathe([(0, 0), (radius, 0), *shoulder, (neck_r, top), (0, top)], n=24)
    cap_h = rng.uniform(0.04, 0.08)
    cap = _cyl(neck_r * 1.15, cap_h, (0, top + cap_h / 2 - 0.01, 0), n=16)
    label_h = body_h * rng.uniform(0.35, 0.7)
    label = _cyl(radius * 1.01, label_h, (0, body_h * 0.5, 0), n=24)
    return [Part(body, glass), Part(cap, _pick(rng, BRIGHT + METAL)), Part(label, _pick(rng, PASTEL + BRIGHT))]


@register_class("wine_glass")
def _wine_glass(rng: np.random.Generator) -> list[Part]:
    """Stemmed glass: foot disc, thin stem and tulip bowl, the lower bowl tinted when it holds wine."""
    foot, stem_h = rng.uniform(0.26, 0.34), rng.uniform(0.35, 0.55)
    bowl_r, bowl_h = rng.uniform(0.2, 0.28), rng.uniform(0.42, 0.6)
    rim = bowl_r * rng.uniform(0.72, 0.95)
    glass = _jitter(rng, (205, 220, 228), 0.04)
    base = _lathe([(0, 0), (foot, 0), (foot, 0.015), (0.04, 0.04), (0.03, 0.06), (0, 0.06)], n=28)
    stem = _cyl(rng.uniform(0.02, 0.03), stem_h, (0, 0.04 + stem_h / 2, 0), n=10)
    y0 = 0.04 + stem_h
    heights = [y0, y0 + bowl_h * 0.35, y0 + bowl_h * 0.75, y0 + bowl_h]
    outer = _smooth(heights, [0.035, bowl_r, bowl_r * 0.98, rim], 5)
    parts = [Part(base, glass), Part(stem, _shade(glass, 0.92))]
    if rng.random() < 0.55:
        fill = int(rng.integers(6, 10))
        wine = _pick(rng, ((120, 15, 35), (90, 10, 30), (235, 215, 130)))
        parts.append(Part(_lathe([(0, y0), *outer[: fill + 1], (0, outer[fill][1])], n=28), wine))
        upper = _lathe(
            [
                (outer[fill][0] * 0.999, outer[fill][1]),
                *outer[fill:],
                (rim - 0.01, y0 + bowl_h),
                (0.0, y0 + 0.5 * bowl_h),
            ],
            n=28,
        )
        parts.append(Part(upper, glass))
    else:
        parts.append(Part(_lathe([(0, y0), *outer], n=28), glass))
        parts.append(Part(_lathe([outer[-1], (rim - 0.01, y0 + bowl_h), (0, y0 + 0.08)], n=28), _shade(glass, 0.85)))
    return parts


@register_class("teapot")
def _teapot(rng: np.random.Generator) -> list[Part]:
    """Round-bellied teapot: lid with knob, curved spout on +X, loop handle on -X."""
    radius, height = rng.uniform(0.42, 0.55), rng.uniform(0.5, 0.72)
    opening = radius * rng.uniform(0.45, 0.6)
    body_color = _pick(rng, CERAMIC + METAL)
    profile = _smooth(
        [0, 0.15 * height, 0.5 * height, 0.88 * height, height],
        [radius * 0.62, radius * 0.92, radius, radius * 0.78, opening],
        4,
    )
    body = _lathe([(0, 0), *profile, (0, height)], n=28)
    lid_h = rng.uniform(0.08, 0.16)
    lid = _lathe(_smooth([height, height + lid_h * 0.6, height + lid_h], [opening * 1.05, opening * 0.7, 0.0], 4), n=28)
    knob = _ball(rng.uniform(0.045, 0.07), (0, height + lid_h + 0.03, 0), level=1)
    tip_x, tip_y = radius + rng.uniform(0.3, 0.45), height * rng.uniform(0.85, 1.15)
    t = np.linspace(0, 1, 10)[:, None]
    p0, p1, p2 = (
        np.array([radius * 0.7, height * 0.3, 0]),
        np.array([radius + 0.2, height * 0.35, 0]),
        np.array([tip_x, tip_y, 0]),
    )
    spout = _tube((1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2, np.linspace(0.1, 0.04, 10), n=10)
    handle = _loop_handle(-radius * 0.85, height * 0.55, rng.uniform(0.25, 0.35), height * 0.32, 0.04, side=-1.0)
    trim = _shade(body_color, 0.85) if rng.random() < 0.6 else _pick(rng, BRIGHT)
    return [Part(body, body_color), Part(lid, trim), Part(knob, trim), Part(spout, body_color), Part(handle, trim)]


@register_class("bucket")
def _bucket(rng: np.random.Generator) -> list[Part]:
    """Pail: open frustum wider at the top, rolled rim, wire bail handle standing up or tipped over."""
    top, height = rng.uniform(0.4, 0.5), rng.uniform(0.65, 0.9)
    bottom, wall = top * rng.uniform(0.7, 0.85), 0.02
    color = _pick(rng, METAL + BRIGHT)
    shell = _lathe([(0, 0), (bottom, 0), (top, height), (top - wall, height), (bottom - wall, wall), (0, wall)], n=28)
    rim = _torus(top, 0.022, (0, height, 0), n=28, m=6)
    bail_h = top * rng.uniform(0.6, 1.0)
    points = _arc((0, height * 0.92, 0), (top + 0.02, bail_h), 0, 180, 16)
    tilt = float(rng.choice([0.0, rng.uniform(40, 80), -rng.uniform(40, 80)]))
    points = _moved(
        trimesh.Trimesh(points - [0, height * 0.92, 0], process=False), (("x", tilt),), (0, height * 0.92, 0)
    ).vertices
    bail = _tube(points, 0.014, 6)
    ears = [_box((0.03, 0.08, 0.06), (side * (top + 0.005), height * 0.9, 0)) for side in (-1, 1)]
    metal = _pick(rng, METAL)
    return [Part(shell, color), Part(rim, color), Part(bail, metal), *(Part(ear, metal) for ear in ears)]


@register_class("barrel")
def _barrel(rng: np.random.Generator) -> list[Part]:
    """Wooden barrel bulging at the middle with dark iron hoops, or a ribbed steel drum."""
    height = rng.uniform(0.9, 1.3)
    end = rng.uniform(0.28, 0.36)
    steel = rng.random() < 0.25
    belly = end * (rng.uniform(1.0, 1.04) if steel else rng.uniform(1.12, 1.25))
    heights = np.linspace(0, height, 9)
    radii = end + (belly - end) * np.sin(np.pi * heights / height)
    staves = 32 if steel else int(rng.integers(14, 22))
    color = _pick(rng, BRIGHT if steel else WOOD)
    body = _lathe([(0, 0), *zip(radii, heights, strict=True), (0, height)], n=staves)
    hoop_color = _jitter(rng, (60, 60, 65)) if not steel else _jitter(rng, color, 0.2)
    levels = (0.08, 0.3, 0.7, 0.92) if rng.random() < 0.6 else (0.1, 0.9)
    parts = [Part(body, color)]
    for level in levels if not steel else (0.33, 0.66, 0.02, 0.98):
        r = end + (belly - end) * np.sin(np.pi * level)
        parts.append(Part(_torus(r, 0.018, (0, level * height, 0), n=staves if not steel else 32, m=6), hoop_color))
    lid = _cyl(end * 0.93, 0.02, (0, height + 0.005, 0), n=staves)
    parts.append(Part(lid, _jitter(rng, color, 0.2)))
    return parts


@register_class("ice_cream")
def _ice_cream(rng: np.random.Generator) -> list[Part]:
    """Ice-cream cone: upside-down waffle cone holding one to three scoops, sometimes a cherry or sprinkles."""
    cone_h, cone_r = rng.uniform(0.45, 0.6), rng.uniform(0.13, 0.17)
    waffle = _jitter(rng, (210, 160, 90), 0.08)
    cone = _lathe([(0, 0), (cone_r, cone_h), (0, cone_h)], n=16)
    cone_colors = np.where(
        ((np.arange(len(cone.faces)) // 2) % 2 == 0)[:, None],
        np.asarray(waffle, float),
        np.asarray(waffle, float) * 0.85,
    )
    parts = [Part(cone, cone_colors)]
    parts.append(Part(_torus(cone_r, 0.02, (0, cone_h, 0), n=20, m=6), _jitter(rng, waffle, 0.1)))
    flavours = ((245, 235, 210), (120, 70, 40), (240, 170, 185), (170, 225, 180), (250, 225, 120), (200, 60, 80))
    y, scoops = cone_h + 0.02, int(rng.integers(1, 4))
    radius = cone_r * rng.uniform(1.05, 1.25)
    for _ in range(scoops):
        parts.append(Part(_ball((radius, radius * 0.9, radius), (0, y + radius * 0.6, 0)), _pick(rng, flavours)))
        y += radius * 1.25
        radius *= 0.92
    topping = rng.random()
    if topping < 0.3:
        parts.append(Part(_ball(0.035, (0, y + radius * 0.1, 0), level=1), (190, 20, 30)))
    elif topping < 0.6:
        for _ in range(14):
            direction = rng.normal(size=3)
            direction[1] = abs(direction[1]) + 0.5
            direction /= np.linalg.norm(direction)
            at = np.array([0, y - radius * 1.25 * 0.4, 0]) + direction * radius * 1.05
            parts.append(Part(_box((0.025, 0.008, 0.008), at, (("y", rng.uniform(0, 180)),)), _pick(rng, BRIGHT)))
    return parts
