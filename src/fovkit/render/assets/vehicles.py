"""Vehicles, nose towards +Z: cars, buses, trucks, aircraft, boats, bicycles and rockets."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fovkit.render.assets.classes import Color, Part, register_class
from fovkit.render.assets.palette import BRIGHT, DARK, GLASS, METAL, WHITE, WOOD, _jitter, _pick
from fovkit.render.assets.shapes import (
    _ball,
    _box,
    _cone,
    _cyl,
    _lathe,
    _loft,
    _moved,
    _prism,
    _rotated_copies,
    _smooth,
    _torus,
    _tube,
    _v,
)

CAR_PAINT = (*BRIGHT, (190, 190, 195), (120, 20, 25), (20, 40, 80), (230, 230, 225))


_SIDE = (("y", -90.0),)
"""Turn for outlines drawn in the (z, y) side view: the outline's x becomes +Z, the extrusion runs along X."""


def _wheel(radius: float, width: float, at: Sequence[float], hub: Color, n: int = 20) -> list[Part]:
    """A tyre (axis X) with a hub cap on its outer side."""
    side = 1.0 if at[0] >= 0 else -1.0
    cap = _cyl(radius * 0.55, 0.01, (at[0] + side * width / 2, at[1], at[2]), axis="x", n=n)
    return [Part(_cyl(radius, width, at, axis="x", n=n), DARK), Part(cap, hub)]


@register_class("car")
def _car(rng: np.random.Generator) -> list[Part]:
    """Passenger car pointing +Z: sedan, hatchback or SUV body, glass cabin, roof, four wheels, lights."""
    kind = int(rng.integers(3))
    length = rng.uniform(3.8, 4.8)
    width = length * rng.uniform(0.4, 0.45)
    clearance, wheel_r = rng.uniform(0.15, 0.25 if kind < 2 else 0.35), rng.uniform(0.3, 0.37)
    belt = clearance + rng.uniform(0.55, 0.7) + (0.15 if kind == 2 else 0.0)
    roof = belt + rng.uniform(0.45, 0.58)
    paint = _pick(rng, CAR_PAINT)
    half = length / 2
    hood_drop = rng.uniform(0.08, 0.2)
    lower = [
        (-half, clearance + 0.1),
        (-half + 0.15, clearance),
        (half - 0.2, clearance),
        (half, clearance + 0.12),
        (half, belt - hood_drop - 0.05),
        (half - 0.3, belt - hood_drop * 0.3),
        (-half + 0.2, belt),
        (-half, belt - 0.1),
    ]
    front = half - rng.uniform(0.9, 1.3) if kind != 2 else half - rng.uniform(0.8, 1.0)
    rear = -half + (rng.uniform(0.7, 1.0) if kind == 0 else rng.uniform(0.15, 0.3))
    rake = rng.uniform(0.45, 0.7)
    cabin = [(rear, belt - 0.02), (front, belt - 0.02), (front - rake, roof), (rear + rng.uniform(0.15, 0.5), roof)]
    parts = [
        Part(_prism(lower, width, turns=_SIDE), paint),
        Part(_prism(cabin, width * 0.86, turns=_SIDE), GLASS),
        Part(
            _prism(
                [
                    (x, y)
                    for x, y in [
                        (cabin[3][0] - 0.02, roof),
                        (cabin[2][0] + 0.02, roof),
                        (cabin[2][0] + 0.02, roof + 0.05),
                        (cabin[3][0] - 0.02, roof + 0.05),
                    ]
                ],
                width * 0.88,
                turns=_SIDE,
            ),
            paint,
        ),
    ]
    pillar_z = (front - rake / 2 + rear) / 2
    parts.append(Part(_box((width * 0.87, roof - belt, 0.08), (0, (roof + belt) / 2, pillar_z)), paint))
    wheelbase = length * rng.uniform(0.56, 0.64)
    hub = _pick(rng, METAL)
    for x in (-width / 2 + 0.1, width / 2 - 0.1):
        for z in (-wheelbase / 2, wheelbase / 2):
            parts += _wheel(wheel_r, 0.24, (x, wheel_r, z), hub)
    light_y = belt - hood_drop - 0.18
    for x in (-width * 0.33, width * 0.33):
        parts.append(Part(_box((0.28, 0.1, 0.04), (x, light_y, half)), (250, 245, 210)))
        parts.append(Part(_box((0.28, 0.1, 0.04), (x, belt - 0.2, -half)), (200, 20, 20)))
    parts.append(Part(_box((width * 0.4, 0.14, 0.03), (0, light_y - 0.08, half)), DARK))
    return parts


@register_class("bus")
def _bus(rng: np.random.Generator) -> list[Part]:
    """Bus pointing +Z: long box body, a band of windows split by pillars (two bands on a double-decker)."""
    decker = rng.random() < 0.25
    length, width = rng.uniform(9.0, 12.0), 2.5
    height = rng.uniform(4.0, 4.4) if decker else rng.uniform(2.9, 3.3)
    clearance, wheel_r = 0.35, 0.5
    paint = _pick(rng, ((240, 190, 30), (200, 35, 35), (235, 235, 230), (40, 90, 170), (40, 140, 80)))
    parts = [Part(_box((width, height - clearance, length), (0, clearance + (height - clearance) / 2, 0)), paint)]
    parts.append(Part(_box((width + 0.02, 0.15, length + 0.02), (0, height - 0.08, 0)), _jitter(rng, paint, 0.2)))
    bands = [(0.55, 0.88)] if not decker else [(0.3, 0.45), (0.68, 0.87)]
    windows = int(rng.integers(5, 10))
    z0, z1 = -length / 2 + 0.5, length / 2 - 1.6
    for lo, hi in bands:
        y_lo, y_hi = lo * height, hi * height
        for side in (-1, 1):
            parts.append(
                Part(_box((0.04, y_hi - y_lo, z1 - z0), (side * width / 2, (y_lo + y_hi) / 2, (z0 + z1) / 2)), GLASS)
            )
            for z in np.linspace(z0, z1, windows + 1):
                parts.append(Part(_box((0.06, y_hi - y_lo, 0.12), (side * width / 2, (y_lo + y_hi) / 2, z)), paint))
        parts.append(Part(_box((width * 0.9, y_hi - y_lo, 0.04), (0, (y_lo + y_hi) / 2, -length / 2)), GLASS))
    shield_lo = 0.35 * height if not decker else 0.3 * height
    parts.append(
        Part(
            _box((width * 0.92, 0.87 * height - shield_lo, 0.04), (0, (0.87 * height + shield_lo) / 2, length / 2)),
            GLASS,
        )
    )
    parts.append(
        Part(_box((0.04, height * 0.62, 1.0), (width / 2, clearance + height * 0.31, length / 2 - 1.0)), GLASS)
    )
    stripe = _pick(rng, BRIGHT)
    parts.append(
        Part(_box((width + 0.03, 0.2, length + 0.03), (0, height * 0.45 if not decker else height * 0.56, 0)), stripe)
    )
    axles = [length / 2 - 2.2, -length / 2 + 2.5] + ([-length / 2 + 3.8] if length > 11 else [])
    for z in axles:
        for x in (-width / 2 + 0.25, width / 2 - 0.25):
            parts += _wheel(wheel_r, 0.35, (x, wheel_r, z), _pick(rng, METAL))
    for x in (-width * 0.38, width * 0.38):
        parts.append(Part(_box((0.3, 0.15, 0.04), (x, 0.8, length / 2 + 0.01)), (250, 245, 210)))
    return parts


@register_class("truck")
def _truck(rng: np.random.Generator) -> list[Part]:
    """Lorry pointing +Z: a cab with windscreen and, behind it, a box container, a tank or a flatbed with crates."""
    width, cab_l = 2.4, rng.uniform(1.8, 2.4)
    cab_h, cargo_l = rng.uniform(2.6, 3.2), rng.uniform(4.5, 7.5)
    clearance, wheel_r = 0.45, 0.52
    paint = _pick(rng, CAR_PAINT)
    front = (cab_l + cargo_l + 0.2) / 2
    cab_z = front - cab_l / 2
    parts = [Part(_box((width, cab_h - clearance, cab_l), (0, clearance + (cab_h - clearance) / 2, cab_z)), paint)]
    parts.append(Part(_box((width * 0.9, cab_h * 0.3, 0.04), (0, cab_h * 0.72, front)), GLASS))
    for side in (-1, 1):
        parts.append(
            Part(_box((0.04, cab_h * 0.28, cab_l * 0.45), (side * width / 2, cab_h * 0.72, front - cab_l * 0.3)), GLASS)
        )
    parts.append(Part(_box((width * 0.7, 0.4, 0.04), (0, clearance + 0.45, front)), DARK))
    chassis_z = front - cab_l - cargo_l / 2 - 0.1
    parts.append(Part(_box((width * 0.8, 0.3, cargo_l + cab_l), (0, clearance + 0.1, chassis_z + cab_l / 2)), DARK))
    kind = int(rng.integers(3))
    cargo_color = _pick(rng, BRIGHT + METAL)
    deck = clearance + 0.3
    if kind == 0:
        box_h = rng.uniform(2.6, 3.4)
        parts.append(Part(_box((width + 0.05, box_h, cargo_l), (0, deck + box_h / 2, chassis_z)), cargo_color))
    elif kind == 1:
        tank_r = rng.uniform(0.9, 1.15)
        profile = [
            (0, 0),
            (tank_r * 0.9, 0),
            (tank_r, 0.15),
            (tank_r, cargo_l - 0.15),
            (tank_r * 0.9, cargo_l),
            (0, cargo_l),
        ]
        tank = _lathe(profile, turns=(("x", 90.0),), at=(0, deck + tank_r, chassis_z - cargo_l / 2), n=24)
        parts.append(Part(tank, _pick(rng, METAL + BRIGHT)))
    else:
        parts.append(Part(_box((width, 0.12, cargo_l), (0, deck + 0.06, chassis_z)), _pick(rng, WOOD)))
        for _ in range(int(rng.integers(2, 6))):
            size = rng.uniform(0.8, 1.5)
            z = chassis_z + rng.uniform(-cargo_l / 2 + size / 2, cargo_l / 2 - size / 2)
            parts.append(
                Part(
                    _box((size, size, size), (rng.uniform(-0.4, 0.4), deck + 0.12 + size / 2, z)),
                    _pick(rng, WOOD + BRIGHT),
                )
            )
    axles = [front - cab_l * 0.5] + [chassis_z - cargo_l / 2 + 1.0 + 1.2 * k for k in range(int(rng.integers(1, 4)))]
    for z in axles:
        for x in (-width / 2 + 0.25, width / 2 - 0.25):
            parts += _wheel(wheel_r, 0.4, (x, wheel_r, z), _pick(rng, METAL))
    return parts


@register_class("airplane")
def _airplane(rng: np.random.Generator) -> list[Part]:
    """Airliner or light aircraft pointing +Z: fuselage, swept wings, tailplane and fin, jet engines or a propeller."""
    length = rng.uniform(8.0, 12.0)
    radius = length * rng.uniform(0.05, 0.07)
    body = _pick(rng, ((235, 235, 235), (200, 205, 210), (240, 240, 230), *BRIGHT[:3]))
    accent = _pick(rng, BRIGHT)
    nose, tail = rng.uniform(0.08, 0.14) * length, rng.uniform(0.2, 0.3) * length
    profile = [
        (0, 0),
        (radius * 0.25, 0.02 * length),
        (radius * 0.7, tail * 0.5),
        (radius, tail),
        (radius, length - nose),
        (radius * 0.8, length - nose * 0.5),
        (radius * 0.45, length - nose * 0.12),
        (0, length),
    ]
    fuselage = _lathe(profile, turns=(("x", 90.0),), at=(0, 0, -length / 2), n=20)
    span = length * rng.uniform(0.45, 0.6)
    sweep, root, tip = rng.uniform(0.08, 0.3) * length, rng.uniform(0.16, 0.24) * length, 0.0
    tip = root * rng.uniform(0.3, 0.5)
    wing_z = rng.uniform(-0.05, 0.1) * length
    wing = [
        (-span, wing_z - sweep),
        (-span, wing_z - sweep - tip),
        (0, wing_z - root),
        (span, wing_z - sweep - tip),
        (span, wing_z - sweep),
        (0, wing_z),
    ]
    high = rng.random() < 0.25
    wing_y = radius * (0.7 if high else -0.5)
    parts = [Part(fuselage, body), Part(_prism(wing, radius * 0.18, (0, wing_y, 0), (("x", 90.0),)), body)]
    tail_span, tail_root = span * rng.uniform(0.3, 0.4), root * 0.55
    z_tail = -length / 2 + tail_root * 1.1
    tail_sweep = tail_root * 0.6
    plane = [
        (-tail_span, z_tail - tail_sweep),
        (-tail_span, z_tail - tail_sweep - tail_root * 0.5),
        (0, z_tail - tail_root),
        (tail_span, z_tail - tail_sweep - tail_root * 0.5),
        (tail_span, z_tail - tail_sweep),
        (0, z_tail),
    ]
    parts.append(Part(_prism(plane, radius * 0.12, (0, radius * 0.3, 0), (("x", 90.0),)), body))
    fin_h = radius * rng.uniform(2.2, 3.0)
    fin = [
        (z_tail + 0.02 * length, radius * 0.6),
        (z_tail - tail_root, radius * 0.6),
        (z_tail - tail_root * 1.1, radius * 0.6 + fin_h),
        (z_tail - tail_root * 0.55, radius * 0.6 + fin_h),
    ]
    parts.append(Part(_prism(fin, radius * 0.14, turns=_SIDE), accent))
    cockpit = _ball((radius * 0.6, radius * 0.35, nose * 0.35), (0, radius * 0.45, length / 2 - nose * 0.55))
    parts.append(Part(cockpit, GLASS))
    engines = int(rng.choice([0, 2, 2, 4]))
    if engines == 0:
        parts.append(Part(_cone(radius * 0.3, radius * 0.5, (0, 0, length / 2 - 0.05), turns=(("x", 90.0),)), DARK))
        blade = _box((radius * 0.25, radius * 3.2, radius * 0.05), (0, 0, 0))
        for k in range(int(rng.integers(2, 4))):
            parts.append(Part(_moved(blade, (("z", 360 * k / 3 + 20),), (0, 0, length / 2 + 0.1)), DARK))
    else:
        for k in range(engines):
            x = span * (0.35 if k < 2 else 0.65) * (1 if k % 2 else -1)
            z = wing_z - sweep * abs(x) / span + root * 0.1
            nacelle = _cyl(radius * 0.38, root * 0.6, (x, wing_y - radius * 0.45, z), axis="z", n=14, top=radius * 0.32)
            parts.append(Part(nacelle, _pick(rng, METAL)))
    parts.append(Part(_box((radius * 2.02, radius * 0.2, length * 0.55), (0, radius * 0.15, 0.05 * length)), accent))
    return parts


@register_class("helicopter")
def _helicopter(rng: np.random.Generator) -> list[Part]:
    """Helicopter pointing +Z: rounded cabin with a glass nose, tail boom and fin, main and tail rotors, skids."""
    cabin_l, cabin_h = rng.uniform(2.6, 3.6), rng.uniform(1.5, 1.9)
    cabin_w = cabin_h * rng.uniform(0.75, 0.95)
    paint = _pick(rng, (*BRIGHT, (230, 230, 225), (90, 100, 70)))
    skid_y = 0.0
    center_y = 0.55 + cabin_h / 2
    parts = [Part(_ball((cabin_w / 2, cabin_h / 2, cabin_l / 2), (0, center_y, 0)), paint)]
    parts.append(
        Part(
            _ball((cabin_w * 0.42, cabin_h * 0.38, cabin_l * 0.3), (0, center_y + cabin_h * 0.08, cabin_l * 0.25)),
            GLASS,
        )
    )
    boom_l = cabin_l * rng.uniform(0.9, 1.2)
    boom = _cyl(
        cabin_h * 0.16,
        boom_l,
        (0, center_y + cabin_h * 0.15, -cabin_l / 2 - boom_l / 2 + 0.3),
        axis="z",
        n=12,
        top=cabin_h * 0.08,
    )
    parts.append(Part(boom, paint))
    tail_z = -cabin_l / 2 - boom_l + 0.35
    fin = [
        (tail_z + 0.4, center_y),
        (tail_z - 0.15, center_y),
        (tail_z - 0.35, center_y + cabin_h * 0.75),
        (tail_z, center_y + cabin_h * 0.75),
    ]
    parts.append(Part(_prism(fin, 0.08, turns=_SIDE), paint))
    rotor_color = _pick(rng, ((40, 40, 45), (70, 70, 75)))
    for angle in (0.0, 90.0):
        blade = _box((0.05, cabin_h * 0.7, 0.08), (0, 0, 0))
        parts.append(Part(_moved(blade, (("x", angle),), (0.1, center_y + cabin_h * 0.45, tail_z)), rotor_color))
    mast_top = center_y + cabin_h / 2 + 0.3
    parts.append(Part(_cyl(0.08, 0.4, (0, mast_top - 0.15, 0), n=10), rotor_color))
    blades = int(rng.integers(2, 6))
    blade_l = cabin_l * rng.uniform(0.85, 1.1)
    offset = rng.uniform(0, 180)
    for k in range(blades):
        blade = _box((0.22, 0.04, blade_l), (0, 0, blade_l / 2))
        parts.append(Part(_moved(blade, (("y", offset + 360 * k / blades),), (0, mast_top, 0)), rotor_color))
    skid_color = _pick(rng, (*METAL, (40, 40, 45)))
    for x in (-cabin_w * 0.45, cabin_w * 0.45):
        parts.append(
            Part(
                _tube(
                    [
                        (x, skid_y + 0.05, -cabin_l * 0.45),
                        (x, skid_y + 0.05, cabin_l * 0.45),
                        (x, skid_y + 0.2, cabin_l * 0.55),
                    ],
                    0.05,
                    6,
                ),
                skid_color,
            )
        )
        for z in (-cabin_l * 0.25, cabin_l * 0.2):
            parts.append(
                Part(_tube([(x, skid_y + 0.05, z), (x * 0.6, center_y - cabin_h * 0.3, z)], 0.04, 6), skid_color)
            )
    return parts


@register_class("boat")
def _boat(rng: np.random.Generator) -> list[Part]:
    """Boat with its bow at +Z: a lofted hull and deck, then a mast and sails, a cabin cruiser or a wheelhouse."""
    length = rng.uniform(6.0, 10.0)
    beam, depth = length * rng.uniform(0.28, 0.38), length * rng.uniform(0.1, 0.14)
    hull_color = _pick(rng, ((235, 235, 230), (30, 50, 90), (180, 30, 30), (40, 40, 45), (40, 110, 70)))
    deck_color = _pick(rng, (*WOOD, (230, 230, 225)))
    sections = []
    for t in np.linspace(0, 1, 10):
        z = -length / 2 + t * length
        half = beam / 2 * (1 - max(0.0, (t - 0.45) / 0.55) ** 1.8) + 0.02
        sheer = depth * (1 + 0.25 * t**2)
        keel = depth * 0.15 * t
        angles = np.linspace(0, np.pi, 11)
        ring = np.c_[half * np.cos(angles), sheer - (sheer - keel) * np.sin(angles) ** 0.6, np.full(11, z)]
        sections.append(ring)
    hull = _loft(sections)
    normals = hull.face_normals
    colors = np.where((normals[:, 1] > 0.8)[:, None], np.asarray(deck_color, float), np.asarray(hull_color, float))
    parts = [Part(hull, colors)]
    stripe = _pick(rng, BRIGHT)
    parts.append(Part(_box((beam * 0.98, depth * 0.08, length * 0.5), (0, depth * 0.75, -length * 0.2)), stripe))
    kind = int(rng.integers(3))
    white = _jitter(rng, WHITE, 0.04)
    if kind == 0:
        mast_h = length * rng.uniform(0.9, 1.3)
        mast_z = rng.uniform(0.0, 0.15) * length
        parts.append(Part(_cyl(0.07, mast_h, (0, depth + mast_h / 2, mast_z), n=8), _pick(rng, METAL + WOOD)))
        boom = length * rng.uniform(0.35, 0.45)
        main = [(mast_z - 0.05, depth + 0.6), (mast_z - boom, depth + 0.6), (mast_z - 0.05, depth + mast_h * 0.95)]
        parts.append(Part(_prism(main, 0.03, turns=_SIDE), white))
        jib = [(mast_z + 0.1, depth + 0.4), (length / 2 - 0.2, depth + 0.4), (mast_z + 0.1, depth + mast_h * 0.8)]
        parts.append(Part(_prism(jib, 0.03, turns=_SIDE), _jitter(rng, white, 0.05)))
        parts.append(Part(_box((beam * 0.4, 0.4, length * 0.2), (0, depth + 0.2, -length * 0.15)), white))
    elif kind == 1:
        cabin_l = length * rng.uniform(0.3, 0.45)
        cabin = [
            (-cabin_l / 2, depth),
            (cabin_l / 2, depth),
            (cabin_l / 2 - 0.5, depth + 0.9),
            (-cabin_l / 2, depth + 0.9),
        ]
        parts.append(Part(_prism(cabin, beam * 0.7, (0, 0, -0.05 * length), _SIDE), white))
        parts.append(Part(_box((beam * 0.72, 0.3, cabin_l * 0.8), (0, depth + 0.6, -0.07 * length)), GLASS))
    else:
        house_l = length * rng.uniform(0.2, 0.28)
        parts.append(Part(_box((beam * 0.6, 1.4, house_l), (0, depth + 0.7, -length * 0.1)), white))
        parts.append(Part(_box((beam * 0.62, 0.4, house_l * 0.9), (0, depth + 1.0, -length * 0.1)), GLASS))
        parts.append(Part(_box((beam * 0.7, 0.08, house_l * 1.2), (0, depth + 1.42, -length * 0.1)), hull_color))
        parts.append(Part(_cyl(0.06, 1.8, (0, depth + 2.0, -length * 0.1), n=6), _pick(rng, METAL)))
    return parts


@register_class("bicycle")
def _bicycle(rng: np.random.Generator) -> list[Part]:
    """Bicycle pointing +Z: spoked wheels, diamond or step-through frame, fork, handlebar, saddle, crank."""
    wheel_r, wheelbase = rng.uniform(0.31, 0.36), rng.uniform(0.98, 1.1)
    frame = _pick(rng, BRIGHT + METAL)
    tube_r = rng.uniform(0.014, 0.022)
    rear, front = np.array([0, wheel_r, -wheelbase / 2]), np.array([0, wheel_r, wheelbase / 2])
    bb = np.array([0, wheel_r - 0.06, -wheelbase / 2 + rng.uniform(0.4, 0.45)])
    size = rng.uniform(0.5, 0.62)
    seat = bb + _v(0, size, -0.17 * size)
    head_top = np.array([0, wheel_r + size * 0.92, wheelbase / 2 - 0.2])
    head_bottom = np.array([0, wheel_r + 0.2, wheelbase / 2 - 0.12])
    step_through = rng.random() < 0.25
    top_start = seat - (seat - bb) * 0.1
    parts = []
    tubes = [(bb, seat), (bb, head_bottom), (rear, bb), (rear, top_start), (head_bottom, head_top)]
    tubes.append(
        (bb + (seat - bb) * 0.45, head_bottom + (head_top - head_bottom) * 0.3)
        if step_through
        else (top_start, head_top)
    )
    for a, b in tubes:
        parts.append(Part(_tube([a, b], tube_r, 8), frame))
    for x in (-0.05, 0.05):
        parts.append(Part(_tube([head_bottom + _v(x * 0.6, 0, 0), front + _v(x, 0, 0)], tube_r * 0.8, 6), frame))
    bar_y = head_top + _v(0, 0.08, -0.03)
    parts.append(Part(_tube([head_top, bar_y], tube_r, 6), _pick(rng, METAL)))
    bar_w = rng.uniform(0.22, 0.3)
    bar = [
        bar_y + _v(-bar_w, 0, -0.08),
        bar_y + _v(-bar_w * 0.6, 0, 0),
        bar_y + _v(bar_w * 0.6, 0, 0),
        bar_y + _v(bar_w, 0, -0.08),
    ]
    parts.append(Part(_tube(bar, tube_r * 0.9, 6), _pick(rng, METAL)))
    for x in (-bar_w, bar_w):
        parts.append(Part(_cyl(tube_r * 1.5, 0.1, bar_y + _v(x * 0.95, 0, -0.075), axis="x", n=8), DARK))
    post = seat + _v(0, rng.uniform(0.05, 0.15), -0.02)
    parts.append(Part(_tube([seat, post], tube_r * 0.8, 6), _pick(rng, METAL)))
    parts.append(Part(_ball((0.07, 0.03, 0.13), post + _v(0, 0.03, 0)), _pick(rng, ((30, 30, 34), (110, 70, 40)))))
    spokes = int(rng.integers(8, 17))
    rim = _pick(rng, METAL)
    for center in (rear, front):
        parts.append(Part(_torus(wheel_r, 0.022, center, axis="x", n=32, m=6), DARK))
        parts.append(Part(_torus(wheel_r - 0.03, 0.01, center, axis="x", n=32, m=4), rim))
        parts.append(Part(_cyl(0.025, 0.1, center, axis="x", n=8), rim))
        for k in range(spokes):
            angle = np.radians(360 * k / spokes)
            tip = center + (wheel_r - 0.03) * np.array([0, np.cos(angle), np.sin(angle)])
            parts.append(Part(_tube([center, tip], 0.004, 3), rim))
    crank = _box((0.02, 0.17, 0.03), (0, 0.06, 0))
    angle = rng.uniform(0, 360)
    for side, offset in ((-1, 0.0), (1, 180.0)):
        parts.append(Part(_moved(crank, (("x", angle + offset),), bb + _v(side * 0.07, 0, 0)), DARK))
    parts.append(Part(_cyl(0.09, 0.015, bb + _v(0.05, 0, 0), axis="x", n=16), _pick(rng, METAL)))
    return parts


@register_class("rocket")
def _rocket(rng: np.random.Generator) -> list[Part]:
    """Space rocket standing on its fins: cylindrical body, pointed nose cone, three or four fins, nozzle."""
    height = 1.0
    radius = rng.uniform(0.08, 0.13)
    shoulder = rng.uniform(0.55, 0.72)
    body_color = _pick(rng, ((235, 235, 230), (200, 200, 205), (230, 230, 220), *BRIGHT[:3]))
    accent = _pick(rng, BRIGHT)
    base = 0.08
    body = _lathe([(0, base), (radius, base), (radius, shoulder), (0, shoulder)], n=24)
    nose_profile = _smooth(
        [shoulder, shoulder + (height - shoulder) * 0.5, height], [radius, radius * rng.uniform(0.6, 0.8), 0.0], 4
    )
    nose = _lathe([(0, shoulder), *nose_profile], n=24)
    nozzle = _cyl(radius * 0.55, base, (0, base / 2, 0), n=16, top=radius * 0.8)
    fins = int(rng.integers(3, 5))
    span, fin_h = radius * rng.uniform(1.0, 1.8), rng.uniform(0.18, 0.3)
    sweep = rng.uniform(0.3, 0.8) * fin_h
    fin = _prism(
        [
            (radius * 0.8, base - 0.05),
            (radius + span, base - 0.05),
            (radius + span, base - 0.05 + fin_h * 0.4),
            (radius * 0.8, base + fin_h + sweep * 0.3),
        ],
        0.015,
    )
    parts = [Part(body, body_color), Part(nose, accent), Part(nozzle, DARK)]
    parts += [Part(copy, accent) for copy in _rotated_copies(fin, fins, offset=rng.uniform(0, 90))]
    for level in rng.uniform(base + 0.05, shoulder - 0.05, int(rng.integers(0, 3))):
        parts.append(Part(_cyl(radius * 1.01, 0.03, (0, level, 0), n=24), accent))
    if rng.random() < 0.6:
        y = shoulder - rng.uniform(0.08, 0.15)
        parts.append(Part(_torus(radius * 0.3, radius * 0.08, (0, y, radius), axis="z", n=16, m=6), _pick(rng, METAL)))
        parts.append(Part(_cyl(radius * 0.3, 0.02, (0, y, radius * 0.97), axis="z", n=16), GLASS))
    return parts
