"""Household appliances and electronics: fans, clocks, laptops and monitors."""

from __future__ import annotations

import numpy as np

from fovkit.render.assets.classes import Part, register_class
from fovkit.render.assets.palette import BRIGHT, METAL, WHITE, WOOD, _jitter, _pick
from fovkit.render.assets.shapes import _arc, _ball, _box, _cyl, _lathe, _moved, _torus, _tube, _v


@register_class("fan")
def _fan(rng: np.random.Generator) -> list[Part]:
    """Electric fan facing +Z: round base, pole, motor housing, three to five blades inside a wire guard."""
    desk = rng.random() < 0.5
    pole_h = rng.uniform(0.25, 0.4) if desk else rng.uniform(0.8, 1.1)
    radius = rng.uniform(0.2, 0.28)
    body = _pick(rng, ((235, 235, 230), (30, 30, 34), (150, 150, 155), (60, 110, 170)))
    blade_color = _pick(rng, ((235, 235, 230), (120, 170, 210), (30, 30, 34), (200, 200, 205)))
    parts = [Part(_cyl(rng.uniform(0.14, 0.2), 0.05, (0, 0.025, 0), n=24, top=0.1), body)]
    parts.append(Part(_cyl(0.02, pole_h, (0, pole_h / 2, 0), n=8), body))
    head = np.array([0, pole_h + radius * 0.4, 0])
    parts.append(Part(_ball((0.08, 0.08, 0.13), head + _v(0, 0, -0.05)), body))
    hub = head + _v(0, 0, 0.08)
    parts.append(Part(_cyl(0.045, 0.04, hub, axis="z", n=14), body))
    blades = int(rng.integers(3, 6))
    offset = rng.uniform(0, 360)
    blade = _ball((radius * 0.32, radius * 0.42, 0.01), (0, radius * 0.48, 0), level=1)
    for k in range(blades):
        parts.append(Part(_moved(_moved(blade, (("y", 20.0),)), (("z", offset + 360 * k / blades),), hub), blade_color))
    guard = _pick(rng, (*METAL, (30, 30, 34)))
    for z in (0.06, -0.03):
        parts.append(Part(_torus(radius * 1.05, 0.008, hub + _v(0, 0, z), axis="z", n=32, m=4), guard))
    spokes = int(rng.integers(8, 17))
    for k in range(spokes):
        angle = np.radians(360 * k / spokes)
        tip = hub + _v(radius * 1.05 * np.cos(angle), radius * 1.05 * np.sin(angle), 0.06)
        parts.append(Part(_tube([hub + _v(0, 0, 0.07), tip], 0.004, 3), guard))
    parts.append(Part(_cyl(0.035, 0.01, hub + _v(0, 0, 0.075), axis="z", n=12), _pick(rng, BRIGHT)))
    return parts


@register_class("clock")
def _clock(rng: np.random.Generator) -> list[Part]:
    """Clock facing +Z: wall clock (round case, hour marks, hands) or twin-bell alarm clock on two feet."""
    alarm = rng.random() < 0.4
    radius = 0.5
    depth = radius * (rng.uniform(0.45, 0.6) if alarm else rng.uniform(0.1, 0.18))
    case = _pick(rng, BRIGHT + WOOD + METAL)
    face = _jitter(rng, WHITE if rng.random() < 0.8 else (240, 225, 180), 0.03)
    ink = _pick(rng, ((25, 25, 28), (40, 40, 60)))
    parts = [Part(_cyl(radius, depth, (0, 0, 0), axis="z", n=36), case)]
    parts.append(
        Part(_torus(radius * 0.95, radius * 0.05, (0, 0, depth / 2), axis="z", n=36, m=6), _jitter(rng, case, 0.2))
    )
    parts.append(Part(_cyl(radius * 0.9, 0.01, (0, 0, depth / 2), axis="z", n=36), face))
    for k in range(12):
        angle = np.radians(90 - 30 * k)
        size = (0.03, 0.11) if k % 3 == 0 else (0.015, 0.06)
        mark = _box((size[0], size[1], 0.012), (0, 0, 0))
        at = (radius * 0.75 * np.cos(angle), radius * 0.75 * np.sin(angle), depth / 2 + 0.008)
        parts.append(Part(_moved(mark, (("z", np.degrees(angle) - 90),), at), ink))
    hour, minute = rng.uniform(0, 360), rng.uniform(0, 360)
    for angle, length, width in ((hour, 0.45, 0.04), (minute, 0.68, 0.025)):
        hand = _box((width, radius * length, 0.01), (0, radius * length / 2 - 0.03, 0))
        parts.append(Part(_moved(hand, (("z", -angle),), (0, 0, depth / 2 + 0.02)), ink))
    if rng.random() < 0.5:
        hand = _box((0.01, radius * 0.75, 0.008), (0, radius * 0.3, 0))
        parts.append(Part(_moved(hand, (("z", rng.uniform(0, 360)),), (0, 0, depth / 2 + 0.03)), (200, 30, 30)))
    parts.append(Part(_cyl(0.035, 0.03, (0, 0, depth / 2 + 0.02), axis="z", n=10), ink))
    if alarm:
        bell = _lathe([(0, 0), (radius * 0.42, 0), (radius * 0.36, radius * 0.2), (0, radius * 0.3)], n=20)
        for side in (-1, 1):
            parts.append(
                Part(
                    _moved(bell, (("z", -side * 35.0),), (side * radius * 0.55, radius * 0.78, 0)),
                    _jitter(rng, case, 0.2),
                )
            )
            leg = _tube([(side * radius * 0.5, -radius * 0.8, 0), (side * radius * 0.7, -radius * 1.15, 0)], 0.04, 6)
            parts.append(Part(leg, ink))
        parts.append(Part(_tube(_arc((0, radius * 0.9, 0), radius * 0.3, 0, 180, 8), 0.025, 6), ink))
    return parts


@register_class("laptop")
def _laptop(rng: np.random.Generator) -> list[Part]:
    """Open laptop with the screen facing +Z: thin base with keyboard and touchpad, lid hinged at the back."""
    width = rng.uniform(0.32, 0.4)
    depth, base_t = width * rng.uniform(0.64, 0.72), rng.uniform(0.014, 0.024)
    shell = _pick(rng, ((190, 190, 195), (40, 40, 44), (70, 70, 75), (230, 230, 228), (150, 120, 100)))
    keys = _jitter(rng, (35, 35, 38) if rng.random() < 0.7 else (230, 230, 228), 0.05)
    parts = [Part(_box((width, base_t, depth), (0, base_t / 2, 0)), shell)]
    rows, cols = 5, int(rng.integers(11, 15))
    key_w = (width * 0.86) / cols
    key_d = (depth * 0.42) / rows
    for row in range(rows):
        z = -depth / 2 + depth * 0.1 + key_d * (row + 0.5)
        for col in range(cols):
            x = -width * 0.43 + key_w * (col + 0.5)
            parts.append(Part(_box((key_w * 0.82, 0.004, key_d * 0.8), (x, base_t + 0.001, z)), keys))
    parts.append(Part(_box((width * 0.3, 0.002, depth * 0.25), (0, base_t, depth * 0.28)), _jitter(rng, shell, 0.12)))
    angle = rng.uniform(95, 125)
    lid_t = 0.008
    lid = _box((width, depth, lid_t), (0, depth / 2, -lid_t / 2))
    screen = _box((width * 0.9, depth * 0.85, 0.002), (0, depth / 2 + depth * 0.02, 0.0005))
    turns = (("x", -(angle - 90)),)
    hinge = (0, base_t, -depth / 2 + lid_t)
    display = _pick(rng, ((20, 25, 35), (30, 60, 110), (40, 90, 140)))
    parts += [Part(_moved(lid, turns, hinge), shell), Part(_moved(screen, turns, hinge), display)]
    return parts


@register_class("monitor")
def _monitor(rng: np.random.Generator) -> list[Part]:
    """Computer monitor or TV facing +Z: thin framed panel on a neck and foot, or on two splayed feet."""
    width = rng.uniform(0.6, 1.0)
    aspect = float(rng.choice([9 / 16, 10 / 16, 3 / 4]))
    height = width * aspect
    frame = _pick(rng, ((30, 30, 34), (50, 50, 55), (200, 200, 205), (235, 235, 230)))
    display = _pick(rng, ((20, 25, 35), (25, 55, 100), (35, 85, 130), (15, 15, 20)))
    stand_h = rng.uniform(0.12, 0.25)
    center_y = stand_h + height / 2
    parts = [Part(_box((width, height, 0.035), (0, center_y, 0)), frame)]
    bezel = rng.uniform(0.015, 0.04)
    parts.append(
        Part(_box((width - 2 * bezel, height - 2 * bezel, 0.004), (0, center_y + bezel * 0.3, 0.018)), display)
    )
    if rng.random() < 0.5:
        parts.append(
            Part(
                _box((width * 0.35, height * 0.3, 0.004), (width * 0.1, center_y + height * 0.1, 0.0205)),
                _jitter(rng, display, 0.5),
            )
        )
    if rng.random() < 0.65:
        parts.append(Part(_box((0.06, stand_h + height * 0.3, 0.03), (0, (stand_h + height * 0.3) / 2, -0.035)), frame))
        if rng.random() < 0.5:
            parts.append(Part(_box((width * 0.4, 0.02, 0.22), (0, 0.01, -0.02)), frame))
        else:
            parts.append(Part(_cyl(width * 0.17, 0.02, (0, 0.01, -0.02), n=24), frame))
    else:
        for side in (-1, 1):
            foot = _tube(
                [
                    (side * width * 0.38, stand_h + 0.02, 0),
                    (side * width * 0.42, 0.01, 0.08),
                    (side * width * 0.42, 0.01, -0.08),
                ],
                0.015,
                6,
            )
            parts.append(Part(foot, frame))
    return parts
