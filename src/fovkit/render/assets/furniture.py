"""Furniture: chairs (including swivel chairs), stools, tables, benches, sofas, beds, shelves, cabinets and lamps."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import trimesh

from fovkit.render.assets.classes import Part, register_class
from fovkit.render.assets.palette import (
    BRIGHT,
    CERAMIC,
    DARK,
    FABRIC,
    METAL,
    PASTEL,
    WHITE,
    WOOD,
    _jitter,
    _pick,
    _shade,
)
from fovkit.render.assets.shapes import _ball, _box, _cyl, _lathe, _moved, _smooth, _torus, _tube


def _leg(radius: float, bottom: Sequence[float], top: Sequence[float], square: bool) -> trimesh.Trimesh:
    """A straight leg between two points: a square or round post."""
    if square:
        start, stop = np.asarray(bottom, dtype=np.float64), np.asarray(top, dtype=np.float64)
        length = float(np.linalg.norm(stop - start))
        box = _box((2 * radius, length, 2 * radius))
        direction = (stop - start) / length
        matrix = trimesh.geometry.align_vectors([0.0, 1.0, 0.0], direction)
        matrix[:3, 3] = (start + stop) / 2
        return trimesh.Trimesh(box.vertices @ matrix[:3, :3].T + matrix[:3, 3], box.faces, process=False)
    return _tube([bottom, top], radius, n=10)


@register_class("chair")
def _chair(rng: np.random.Generator) -> list[Part]:
    """Dining chair (four legs, slatted or panelled back, optional arms) or swivel office chair (star base)."""
    if rng.random() < 0.25:
        return _office_chair(rng)
    width, depth = rng.uniform(0.42, 0.54), rng.uniform(0.4, 0.5)
    seat_h, seat_t = rng.uniform(0.42, 0.5), rng.uniform(0.03, 0.06)
    back_h, tilt = rng.uniform(0.38, 0.6), rng.uniform(0, 12)
    leg_r, square = rng.uniform(0.016, 0.028), bool(rng.random() < 0.5)
    wood = _pick(rng, (*WOOD, (235, 235, 230), (40, 40, 45)))
    seat_color = _shade(wood, 1.15) if rng.random() < 0.5 else _pick(rng, FABRIC)
    parts = [Part(_box((width, seat_t, depth), (0, seat_h - seat_t / 2, 0)), seat_color)]
    inset_x, inset_z = width / 2 - leg_r * 1.5, depth / 2 - leg_r * 1.5
    for x in (-inset_x, inset_x):
        parts.append(Part(_leg(leg_r, (x, 0, inset_z), (x, seat_h - seat_t, inset_z), square), wood))
        parts.append(Part(_leg(leg_r, (x, 0, -inset_z), (x, seat_h - seat_t, -inset_z), square), wood))
    back = []
    for x in (-inset_x, inset_x):
        back.append(_leg(leg_r, (x, 0, 0), (x, back_h, 0), square))
    style = int(rng.integers(3))
    rail_h = rng.uniform(0.05, 0.12)
    if style == 0:
        slats = int(rng.integers(2, 6))
        back.append(_box((2 * inset_x, rail_h, leg_r * 1.5), (0, back_h - rail_h / 2, 0)))
        for x in np.linspace(-inset_x, inset_x, slats + 2)[1:-1]:
            back.append(
                _box((rng.uniform(0.02, 0.05), back_h - rail_h - 0.08, leg_r), (x, (back_h - rail_h + 0.08) / 2, 0))
            )
        back.append(_box((2 * inset_x, 0.03, leg_r * 1.5), (0, 0.08, 0)))
    elif style == 1:
        for y in np.linspace(0.1, back_h - 0.04, int(rng.integers(2, 5))):
            back.append(_box((2 * inset_x, rng.uniform(0.035, 0.07), leg_r * 1.5), (0, y, 0)))
    else:
        back.append(_box((2 * inset_x + 0.02, back_h * rng.uniform(0.55, 0.8), 0.035), (0, back_h * 0.6, 0)))
    pivot = (0, seat_h, -inset_z)
    parts += [
        Part(_moved(piece, (("x", -tilt),), pivot), wood if i < 2 or style < 2 else seat_color)
        for i, piece in enumerate(back)
    ]
    if rng.random() < 0.25:
        arm_h = rng.uniform(0.2, 0.26)
        for x in (-inset_x, inset_x):
            parts.append(Part(_box((0.05, 0.03, depth * 0.95), (x, seat_h + arm_h, -0.02)), wood))
            parts.append(
                Part(_leg(leg_r * 0.8, (x, seat_h, inset_z - 0.02), (x, seat_h + arm_h, inset_z - 0.02), square), wood)
            )
    return parts


def _office_chair(rng: np.random.Generator) -> list[Part]:
    """Swivel chair: five-star base on casters, gas column, padded seat and back, optional arms."""
    seat_h, width = rng.uniform(0.45, 0.55), rng.uniform(0.46, 0.54)
    frame = _pick(rng, ((30, 30, 34), (150, 150, 155), (60, 60, 65)))
    fabric = _pick(rng, (*FABRIC, (30, 30, 34)))
    spokes = int(rng.integers(4, 6))
    reach = rng.uniform(0.28, 0.34)
    parts = []
    for k in range(spokes):
        angle = np.radians(360 * k / spokes + 90)
        end = (reach * np.cos(angle), 0.07, reach * np.sin(angle))
        parts.append(Part(_tube([(0, 0.09, 0), end], 0.022, 6), frame))
        parts.append(Part(_ball(0.03, (end[0], 0.03, end[2]), level=1), DARK))
    parts.append(Part(_cyl(0.03, seat_h - 0.1, (0, (seat_h + 0.06) / 2, 0), n=12), frame))
    parts.append(Part(_box((width, 0.08, width * 0.95), (0, seat_h, 0)), fabric))
    back_h, tilt = rng.uniform(0.4, 0.65), rng.uniform(5, 15)
    support = _box((0.05, 0.3, 0.03), (0, 0.1, 0))
    panel = _ball((width * 0.48, back_h / 2, 0.05), (0, 0.15 + back_h / 2, 0))
    pivot = (0, seat_h, -width * 0.5)
    parts += [Part(_moved(support, (("x", -tilt),), pivot), frame), Part(_moved(panel, (("x", -tilt),), pivot), fabric)]
    if rng.random() < 0.6:
        for x in (-width / 2 - 0.03, width / 2 + 0.03):
            parts.append(Part(_box((0.03, 0.2, 0.04), (x, seat_h + 0.1, 0)), frame))
            parts.append(Part(_box((0.06, 0.03, 0.26), (x, seat_h + 0.21, 0)), frame))
    return parts


@register_class("stool")
def _stool(rng: np.random.Generator) -> list[Part]:
    """Backless stool: round seat on three or four splayed legs, often with a foot ring or rungs."""
    seat_r, height = rng.uniform(0.16, 0.22), rng.uniform(0.45, 0.8)
    thickness, legs = rng.uniform(0.035, 0.07), int(rng.integers(3, 5))
    splay, leg_r = rng.uniform(1.05, 1.35), rng.uniform(0.014, 0.022)
    wood = _pick(rng, WOOD + METAL)
    seat_color = _shade(wood, 1.15) if rng.random() < 0.5 else _pick(rng, FABRIC + BRIGHT)
    parts = [Part(_cyl(seat_r, thickness, (0, height - thickness / 2, 0), n=28), seat_color)]
    foot_level = rng.uniform(0.25, 0.4)
    ring = rng.random() < 0.6
    offset = rng.uniform(0, 360)
    for k in range(legs):
        angle = np.radians(offset + 360 * k / legs)
        direction = np.array([np.cos(angle), 0.0, np.sin(angle)])
        top = direction * seat_r * 0.7 + [0, height - thickness, 0]
        bottom = direction * seat_r * splay
        parts.append(Part(_tube([bottom, top], leg_r, 8), wood))
        if not ring:
            nxt = np.radians(offset + 360 * (k + 1) / legs)
            radius = seat_r * (splay - (splay - 0.7) * foot_level)
            a = np.array([np.cos(angle), 0, np.sin(angle)]) * radius + [0, height * foot_level, 0]
            b = np.array([np.cos(nxt), 0, np.sin(nxt)]) * radius + [0, height * foot_level, 0]
            parts.append(Part(_tube([a, b], leg_r * 0.7, 6), wood))
    if ring:
        radius = seat_r * (splay - (splay - 0.7) * foot_level)
        parts.append(Part(_torus(radius, leg_r * 0.8, (0, height * foot_level, 0), n=24, m=6), wood))
    return parts


@register_class("table")
def _table(rng: np.random.Generator) -> list[Part]:
    """Table: rectangular top on four (or six) legs with aprons, or a round top on a pedestal or three legs."""
    height, thickness = rng.uniform(0.7, 0.78), rng.uniform(0.03, 0.06)
    wood = _pick(rng, (*WOOD, (235, 235, 230), (45, 45, 50)))
    top_color = wood if rng.random() < 0.7 else _pick(rng, (*WOOD, (230, 230, 225)))
    leg_color = _shade(wood, 0.85) if rng.random() < 0.7 else _pick(rng, (*METAL, (30, 30, 34)))
    parts = []
    if rng.random() < 0.7:
        width, depth = rng.uniform(1.0, 1.9), rng.uniform(0.6, 1.0)
        leg_r, square = rng.uniform(0.02, 0.04), bool(rng.random() < 0.6)
        parts.append(Part(_box((width, thickness, depth), (0, height - thickness / 2, 0)), top_color))
        xs = [-width / 2 + 0.08, width / 2 - 0.08]
        if width > 1.6 and rng.random() < 0.5:
            xs.append(0.0)
        for x in xs:
            for z in (-depth / 2 + 0.08, depth / 2 - 0.08):
                parts.append(Part(_leg(leg_r, (x, 0, z), (x, height - thickness, z), square), leg_color))
        apron = rng.uniform(0.05, 0.1)
        for z in (-depth / 2 + 0.08, depth / 2 - 0.08):
            parts.append(Part(_box((width - 0.16, apron, 0.02), (0, height - thickness - apron / 2, z)), leg_color))
        for x in (-width / 2 + 0.08, width / 2 - 0.08):
            parts.append(Part(_box((0.02, apron, depth - 0.16), (x, height - thickness - apron / 2, 0)), leg_color))
    else:
        radius = rng.uniform(0.4, 0.6)
        parts.append(Part(_cyl(radius, thickness, (0, height - thickness / 2, 0), n=36), top_color))
        if rng.random() < 0.5:
            parts.append(
                Part(
                    _cyl(rng.uniform(0.04, 0.07), height - thickness, (0, (height - thickness) / 2, 0), n=14), leg_color
                )
            )
            foot = rng.uniform(0.22, 0.32)
            if rng.random() < 0.5:
                parts.append(Part(_cyl(foot, 0.04, (0, 0.02, 0), top=foot * 0.8, n=28), leg_color))
            else:
                for k in range(4):
                    angle = np.radians(45 + 90 * k)
                    end = (foot * np.cos(angle), 0.02, foot * np.sin(angle))
                    parts.append(Part(_tube([(0, 0.08, 0), end], 0.025, 6), leg_color))
        else:
            legs = int(rng.integers(3, 5))
            for k in range(legs):
                angle = np.radians(90 + 360 * k / legs)
                d = np.array([np.cos(angle), 0, np.sin(angle)])
                parts.append(
                    Part(_tube([d * radius * 0.85, d * radius * 0.6 + [0, height - thickness, 0]], 0.025, 8), leg_color)
                )
    return parts


@register_class("bench")
def _bench(rng: np.random.Generator) -> list[Part]:
    """Park bench: wooden slats on two end frames, with a slatted backrest most of the time."""
    length, depth = rng.uniform(1.3, 2.0), rng.uniform(0.38, 0.5)
    seat_h, slats = rng.uniform(0.4, 0.48), int(rng.integers(3, 6))
    wood = _pick(rng, (*WOOD, (40, 110, 60), (200, 60, 40)))
    frame = _pick(rng, ((35, 35, 38), (60, 60, 64), (90, 60, 35), (30, 70, 45)))
    slat_t = rng.uniform(0.025, 0.04)
    slat_d = depth / slats * rng.uniform(0.65, 0.85)
    parts = [
        Part(_box((length, slat_t, slat_d), (0, seat_h - slat_t / 2, z)), wood)
        for z in np.linspace(-depth / 2 + slat_d / 2, depth / 2 - slat_d / 2, slats)
    ]
    has_back, tilt = bool(rng.random() < 0.75), rng.uniform(8, 20)
    ends = [-length / 2 + 0.12, length / 2 - 0.12] + ([0.0] if length > 1.7 else [])
    for x in ends:
        parts.append(Part(_box((0.05, seat_h - slat_t, 0.05), (x, (seat_h - slat_t) / 2, depth / 2 - 0.05)), frame))
        parts.append(Part(_box((0.05, seat_h - slat_t, 0.05), (x, (seat_h - slat_t) / 2, -depth / 2 + 0.05)), frame))
        parts.append(Part(_box((0.05, 0.05, depth), (x, seat_h - slat_t - 0.025, 0)), frame))
        if has_back:
            post = _box((0.05, 0.5, 0.04), (0, 0.25, 0))
            parts.append(Part(_moved(post, (("x", -tilt),), (x, seat_h - 0.05, -depth / 2 + 0.03)), frame))
    if has_back:
        back_slats = int(rng.integers(2, 4))
        for y in np.linspace(0.15, 0.42, back_slats):
            slat = _box((length, 0.07, slat_t), (0, y, 0.03))
            parts.append(Part(_moved(slat, (("x", -tilt),), (0, seat_h - 0.05, -depth / 2 + 0.03)), wood))
        if rng.random() < 0.5:
            for x in (-length / 2 + 0.12, length / 2 - 0.12):
                parts.append(Part(_box((0.06, 0.04, depth * 0.8), (x, seat_h + 0.2, 0.0)), frame))
                parts.append(Part(_box((0.04, 0.2, 0.04), (x, seat_h + 0.1, depth / 2 - 0.08)), frame))
    return parts


@register_class("sofa")
def _sofa(rng: np.random.Generator) -> list[Part]:
    """Upholstered sofa: plinth, two or three seat and back cushions, padded arms, short feet."""
    width, depth = rng.uniform(1.5, 2.4), rng.uniform(0.8, 0.95)
    seats, arm_w = int(rng.integers(2, 4)), rng.uniform(0.12, 0.24)
    arm_h, back_h = rng.uniform(0.55, 0.7), rng.uniform(0.75, 0.95)
    fabric = _pick(rng, (*FABRIC, (200, 190, 170), (110, 60, 40)))
    cushion = _jitter(rng, fabric, 0.08)
    feet = _pick(rng, (*WOOD, (30, 30, 34)))
    base_y, base_h = 0.1, 0.22
    inner_w = width - 2 * arm_w
    parts = [
        Part(_box((width, base_h, depth), (0, base_y + base_h / 2, 0)), fabric),
        Part(_box((width, back_h - base_y, 0.2), (0, (back_h + base_y) / 2, -depth / 2 + 0.1)), fabric),
    ]
    for side in (-1, 1):
        x = side * (width / 2 - arm_w / 2)
        parts.append(Part(_box((arm_w, arm_h - base_y, depth), (x, (arm_h + base_y) / 2, 0)), fabric))
        if rng.random() < 0.5:
            parts.append(Part(_cyl(arm_w / 2, depth, (x, arm_h, 0), axis="z", n=12), fabric))
    seat_w = inner_w / seats
    for k in range(seats):
        x = -inner_w / 2 + seat_w * (k + 0.5)
        parts.append(Part(_box((seat_w - 0.015, 0.14, depth - 0.22), (x, base_y + base_h + 0.07, 0.1)), cushion))
        back = _box((seat_w - 0.015, back_h - base_y - base_h - 0.12, 0.16), (0, 0, 0))
        parts.append(
            Part(_moved(back, (("x", -8.0),), (x, (back_h + base_y + base_h + 0.1) / 2, -depth / 2 + 0.27)), cushion)
        )
    for x in (-width / 2 + 0.08, width / 2 - 0.08):
        for z in (-depth / 2 + 0.08, depth / 2 - 0.08):
            parts.append(Part(_cyl(0.03, base_y, (x, base_y / 2, z), n=8, top=0.04), feet))
    return parts


@register_class("bed")
def _bed(rng: np.random.Generator) -> list[Part]:
    """Bed: frame, white mattress, pillows at the headboard (-Z), coloured blanket towards the foot (+Z)."""
    length, width = rng.uniform(1.9, 2.2), rng.uniform(0.95, 1.8)
    frame_h, mattress_h = rng.uniform(0.25, 0.4), rng.uniform(0.18, 0.28)
    wood = _pick(rng, (*WOOD, (235, 235, 230), (45, 45, 50)))
    sheet = _jitter(rng, WHITE, 0.04)
    blanket = _pick(rng, FABRIC + BRIGHT)
    head_h = frame_h + rng.uniform(0.55, 0.95)
    top = frame_h + mattress_h
    parts = [
        Part(_box((width, frame_h - 0.1, length), (0, 0.1 + (frame_h - 0.1) / 2, 0)), wood),
        Part(_box((width - 0.05, mattress_h, length - 0.06), (0, frame_h + mattress_h / 2, 0.01)), sheet),
        Part(_box((width + 0.06, head_h, 0.07), (0, head_h / 2, -length / 2 - 0.02)), wood),
    ]
    cover = rng.uniform(0.55, 0.75) * length
    parts.append(Part(_box((width + 0.03, 0.06, cover), (0, top + 0.01, length / 2 - cover / 2 + 0.015)), blanket))
    parts.append(
        Part(_box((width + 0.035, mattress_h * 0.8, 0.02), (0, top - mattress_h * 0.4, length / 2 + 0.02)), blanket)
    )
    pillows = 1 if width < 1.3 else 2
    for k in range(pillows):
        x = (k - (pillows - 1) / 2) * width / 2
        parts.append(
            Part(
                _ball((width / pillows * 0.4, 0.07, 0.18), (x, top + 0.05, -length / 2 + 0.25)),
                _jitter(rng, sheet, 0.05),
            )
        )
    if rng.random() < 0.5:
        foot_h = frame_h + rng.uniform(0.1, 0.35)
        parts.append(Part(_box((width + 0.06, foot_h, 0.06), (0, foot_h / 2, length / 2 + 0.06)), wood))
    for x in (-width / 2 + 0.05, width / 2 - 0.05):
        for z in (-length / 2 + 0.05, length / 2 - 0.05):
            parts.append(Part(_box((0.06, 0.1, 0.06), (x, 0.05, z)), wood))
    return parts


@register_class("bookshelf")
def _bookshelf(rng: np.random.Generator) -> list[Part]:
    """Open bookcase facing +Z: side panels, back panel, three to six shelves filled with coloured books."""
    width, height, depth = rng.uniform(0.7, 1.2), rng.uniform(1.1, 2.0), rng.uniform(0.28, 0.36)
    board = rng.uniform(0.02, 0.035)
    shelves = int(np.clip(round(height / rng.uniform(0.3, 0.4)), 3, 6))
    wood = _pick(rng, (*WOOD, (235, 235, 230), (40, 40, 45)))
    parts = [
        Part(_box((board, height, depth), (-width / 2 + board / 2, height / 2, 0)), wood),
        Part(_box((board, height, depth), (width / 2 - board / 2, height / 2, 0)), wood),
        Part(_box((width, board, depth), (0, height - board / 2, 0)), wood),
        Part(_box((width, 0.01, depth), (0, 0, 0)), wood),
        Part(_box((width, height, 0.01), (0, height / 2, -depth / 2)), _jitter(rng, wood, 0.15)),
    ]
    gap = (height - board) / shelves
    inner = width - 2 * board
    for k in range(shelves):
        y = k * gap
        parts.append(Part(_box((inner, board, depth - 0.01), (0, y + board / 2 + (0.04 if k == 0 else 0), 0)), wood))
        x, fill = -inner / 2 + 0.005, rng.uniform(0.5, 1.0)
        base = y + board + (0.04 if k == 0 else 0)
        while x < -inner / 2 + inner * fill:
            w = rng.uniform(0.025, 0.06)
            h = min(rng.uniform(0.6, 0.92) * (gap - board), gap - board - 0.01)
            d = depth * rng.uniform(0.7, 0.9)
            if x + w > inner / 2 - 0.005:
                break
            color = _pick(rng, (*BRIGHT, *FABRIC, (235, 220, 190)), 0.15)
            parts.append(Part(_box((w, h, d), (x + w / 2, base + h / 2, depth / 2 - d / 2 - 0.01)), color))
            x += w + (0.002 if rng.random() < 0.85 else rng.uniform(0.02, 0.08))
    return parts


@register_class("cabinet")
def _cabinet(rng: np.random.Generator) -> list[Part]:
    """Closed cabinet facing +Z: two doors, a stack of drawers, or drawers over doors, with metal pulls."""
    width, height, depth = rng.uniform(0.5, 1.2), rng.uniform(0.7, 1.9), rng.uniform(0.4, 0.55)
    body = _pick(rng, (*WOOD, (235, 235, 230), (130, 135, 140), (60, 90, 120)))
    front = _jitter(rng, body, 0.12)
    pull = _pick(rng, (*METAL, (30, 30, 34)))
    legs = rng.random() < 0.5
    base = 0.1 if legs else 0.06
    parts = [Part(_box((width, height - base, depth), (0, base + (height - base) / 2, 0)), body)]
    if legs:
        for x in (-width / 2 + 0.05, width / 2 - 0.05):
            for z in (-depth / 2 + 0.05, depth / 2 - 0.05):
                parts.append(Part(_cyl(0.022, base, (x, base / 2, z), n=8), _pick(rng, METAL + WOOD)))
    else:
        parts.append(Part(_box((width - 0.04, base, depth - 0.04), (0, base / 2, -0.01)), _jitter(rng, body, 0.3)))
    layout = int(rng.integers(3))
    z, gap = depth / 2 + 0.01, 0.012
    inner_w, inner_h = width - 0.04, height - base - 0.04
    split = {0: 0.0, 1: 1.0, 2: rng.uniform(0.25, 0.45)}[layout]
    drawers = int(rng.integers(2, 6)) if layout == 1 else int(rng.integers(1, 3))
    drawer_zone = inner_h * split
    top = height - 0.02
    for k in range(drawers if split > 0 else 0):
        h = drawer_zone / drawers
        y = top - h * (k + 0.5)
        parts.append(Part(_box((inner_w, h - gap, 0.02), (0, y, z)), front))
        parts.append(Part(_box((min(0.16, inner_w * 0.35), 0.02, 0.03), (0, y, z + 0.02)), pull))
    door_h = inner_h - drawer_zone
    if door_h > 0.05:
        doors = 2 if width > 0.65 or rng.random() < 0.3 else 1
        door_w = inner_w / doors
        y = base + 0.02 + door_h / 2
        for k in range(doors):
            x = -inner_w / 2 + door_w * (k + 0.5)
            parts.append(Part(_box((door_w - gap, door_h - gap, 0.02), (x, y, z)), front))
            handle_x = x + (door_w / 2 - 0.05) * (1 if k == 0 and doors == 2 else -1 if doors == 2 else 1)
            parts.append(
                Part(_box((0.02, min(0.18, door_h * 0.3), 0.03), (handle_x, y + door_h * 0.2, z + 0.02)), pull)
            )
    return parts


@register_class("lamp")
def _lamp(rng: np.random.Generator) -> list[Part]:
    """Shaded lamp: table lamp (turned base, short stem) or floor lamp (disc base, long pole), drum or cone shade."""
    floor = rng.random() < 0.4
    shade_color = _pick(rng, (*PASTEL, (235, 225, 200), (170, 40, 40), (40, 70, 120)))
    base_color = _pick(rng, METAL + CERAMIC + WOOD)
    parts = []
    if floor:
        pole = rng.uniform(1.2, 1.6)
        parts.append(Part(_cyl(rng.uniform(0.14, 0.2), 0.04, (0, 0.02, 0), n=28, top=0.12), base_color))
        parts.append(Part(_cyl(0.018, pole, (0, pole / 2, 0), n=10), base_color))
        top = pole
        shade_r = rng.uniform(0.18, 0.26)
    else:
        stem = rng.uniform(0.25, 0.45)
        belly = rng.uniform(0.09, 0.16)
        profile = _smooth([0, stem * 0.35, stem * 0.8, stem], [belly * 0.7, belly, belly * 0.5, 0.03], 4)
        parts.append(Part(_lathe([(0, 0), *profile, (0, stem)], n=24), base_color))
        parts.append(Part(_cyl(0.012, 0.18, (0, stem + 0.09, 0), n=8), _pick(rng, METAL)))
        top = stem + 0.16
        shade_r = rng.uniform(0.17, 0.24)
    shade_h = shade_r * rng.uniform(0.8, 1.3)
    upper = shade_r * rng.uniform(0.55, 1.0)
    y0 = top - shade_h * 0.4
    ring = [(shade_r, y0), (upper, y0 + shade_h), (upper - 0.008, y0 + shade_h), (shade_r - 0.008, y0), (shade_r, y0)]
    parts.append(Part(_lathe(ring, n=32), shade_color))
    parts.append(Part(_ball(0.05, (0, y0 + shade_h * 0.4, 0), level=1), (250, 240, 200)))
    return parts
