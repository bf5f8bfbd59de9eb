"""Buildings: houses, towers, lighthouses and windmills."""

from __future__ import annotations

import numpy as np

from fovkit.render.assets.classes import Part, register_class
from fovkit.render.assets.palette import BRIGHT, DARK, WHITE, WOOD, _jitter, _pick
from fovkit.render.assets.shapes import _box, _cone, _cyl, _lathe, _matrix, _moved, _prism, _scaled, _torus


@register_class("house")
def _house(rng: np.random.Generator) -> list[Part]:
    """House facing +Z: walls, gable or hipped roof, door, framed windows, sometimes a chimney."""
    width, depth = rng.uniform(1.0, 1.6), rng.uniform(0.8, 1.2)
    floors = int(rng.integers(1, 3))
    wall_h = floors * rng.uniform(0.45, 0.55)
    roof_h = rng.uniform(0.3, 0.6)
    walls = _pick(
        rng, ((235, 230, 215), (240, 220, 160), (170, 70, 50), (180, 200, 215), (200, 200, 195), (220, 190, 150))
    )
    roof_color = _pick(rng, ((140, 45, 35), (90, 60, 40), (70, 70, 75), (40, 50, 70), (150, 80, 50)))
    trim = _jitter(rng, WHITE, 0.04)
    parts = [Part(_box((width, wall_h, depth), (0, wall_h / 2, 0)), walls)]
    overhang = 0.08
    if rng.random() < 0.7:
        gable = [(-depth / 2, 0), (depth / 2, 0), (0, roof_h)]
        parts.append(Part(_prism(gable, width, (0, wall_h, 0), (("y", 90.0),)), walls))
        slope = float(np.hypot(depth / 2 + overhang, roof_h * (1 + overhang / (depth / 2))))
        angle = float(np.degrees(np.arctan2(roof_h, depth / 2)))
        for side in (-1, 1):
            slab = _box((width + 2 * overhang, 0.04, slope), (0, 0, -side * slope / 2))
            parts.append(Part(_moved(slab, (("x", -side * angle),), (0, wall_h + roof_h + 0.02, 0)), roof_color))
    else:
        pyramid = _cone(1.0, roof_h, n=4)
        pyramid = _moved(pyramid, (("y", 45.0),))
        parts.append(
            Part(
                _scaled(
                    pyramid,
                    ((width + 2 * overhang) / np.sqrt(2), 1, (depth + 2 * overhang) / np.sqrt(2)),
                    (0, wall_h, 0),
                ),
                roof_color,
            )
        )
    door_w, door_h = rng.uniform(0.16, 0.22), rng.uniform(0.3, 0.36)
    door_x = rng.uniform(-width * 0.25, width * 0.25)
    parts.append(Part(_box((door_w, door_h, 0.03), (door_x, door_h / 2, depth / 2)), _pick(rng, WOOD + BRIGHT)))
    window = rng.uniform(0.14, 0.2)
    glass = _jitter(rng, (150, 190, 215), 0.05)
    for floor in range(floors):
        y = wall_h / floors * (floor + 0.55)
        for x in np.linspace(-width / 2, width / 2, 5)[1:-1]:
            if floor == 0 and abs(x - door_x) < door_w / 2 + window * 0.6:
                continue
            parts.append(Part(_box((window + 0.04, window + 0.04, 0.02), (x, y, depth / 2)), trim))
            parts.append(Part(_box((window, window, 0.03), (x, y, depth / 2)), glass))
        for z in (-depth / 4, depth / 4):
            for side in (-1, 1):
                parts.append(Part(_box((0.03, window, window), (side * width / 2, y, z)), glass))
    if rng.random() < 0.6:
        chimney_x = rng.uniform(-width * 0.35, width * 0.35)
        parts.append(
            Part(
                _box((0.12, roof_h + 0.2, 0.12), (chimney_x, wall_h + roof_h * 0.55 + 0.1, -depth * 0.15)),
                _pick(rng, ((150, 60, 45), (110, 110, 110))),
            )
        )
    return parts


@register_class("tower")
def _tower(rng: np.random.Generator) -> list[Part]:
    """Castle tower: round or square keep with arrow slits and a door, crenellated top, sometimes a cone roof."""
    square = rng.random() < 0.3
    radius, height = rng.uniform(0.28, 0.4), rng.uniform(1.5, 2.4)
    stone = _pick(rng, ((160, 155, 145), (190, 175, 150), (130, 125, 120), (175, 160, 130)))
    n = 4 if square else 20
    turn = (("y", 45.0),) if square else ()
    body = _cyl(
        radius / (np.cos(np.pi / 4) if square else 1),
        height,
        (0, height / 2, 0),
        n=n,
        turns=turn,
        top=radius * 0.95 / (np.cos(np.pi / 4) if square else 1),
    )
    parts = [Part(body, stone)]
    ledge = radius * 1.15
    parts.append(
        Part(
            _cyl(ledge / (np.cos(np.pi / 4) if square else 1), 0.08, (0, height + 0.04, 0), n=n, turns=turn),
            _jitter(rng, stone, 0.1),
        )
    )
    merlons = int(rng.integers(6, 12)) if not square else 8
    merlon = _box((0.12, 0.14, 0.06), (0, 0, 0))
    for k in range(merlons):
        angle = 360 * k / merlons
        if square:
            side, step = divmod(k, 2)
            angle = 90 * side
            local = (ledge * (0.45 if step else -0.45), height + 0.15, ledge * 0.95)
            parts.append(
                Part(_moved(merlon, (("y", angle),), np.array(local) @ _matrix((("y", angle),))[:3, :3].T), stone)
            )
        else:
            a = np.radians(angle)
            parts.append(
                Part(
                    _moved(
                        merlon,
                        (("y", -angle + 90),),
                        (ledge * 0.93 * np.cos(a), height + 0.15, ledge * 0.93 * np.sin(a)),
                    ),
                    stone,
                )
            )
    if rng.random() < 0.4:
        roof_h = rng.uniform(0.5, 0.9)
        parts.append(
            Part(
                _cone(
                    ledge * 0.9 / (np.cos(np.pi / 4) if square else 1), roof_h, (0, height + 0.08, 0), n=n, turns=turn
                ),
                _pick(rng, ((150, 40, 35), (40, 60, 120), (80, 80, 85))),
            )
        )
    parts.append(Part(_box((0.16, 0.26, 0.04), (0, 0.13, radius)), _pick(rng, WOOD)))
    for y in rng.uniform(0.35, 0.85, int(rng.integers(2, 5))) * height:
        parts.append(Part(_box((0.035, 0.14, 0.04), (0, y, radius * (1 - 0.05 * y / height))), DARK))
    return parts


@register_class("lighthouse")
def _lighthouse(rng: np.random.Generator) -> list[Part]:
    """Lighthouse: tapered tower in two-colour bands, gallery with railing, glass lantern room, domed cap."""
    height, base_r = rng.uniform(1.4, 2.0), rng.uniform(0.22, 0.3)
    top_r = base_r * rng.uniform(0.55, 0.75)
    first = _jitter(rng, WHITE, 0.03)
    second = _pick(rng, ((200, 35, 35), (30, 30, 34), (30, 70, 140), (40, 120, 70)))
    bands = int(rng.integers(3, 7))
    parts = []
    for k in range(bands):
        y0, y1 = height * k / bands, height * (k + 1) / bands
        r0 = base_r + (top_r - base_r) * k / bands
        r1 = base_r + (top_r - base_r) * (k + 1) / bands
        parts.append(Part(_cyl(r0, y1 - y0, (0, (y0 + y1) / 2, 0), n=24, top=r1), first if k % 2 == 0 else second))
    deck = top_r * 1.45
    dark = _pick(rng, ((30, 30, 34), (150, 30, 30)))
    parts.append(Part(_cyl(deck, 0.04, (0, height + 0.02, 0), n=24), dark))
    parts.append(Part(_torus(deck, 0.01, (0, height + 0.14, 0), n=24, m=4), dark))
    for k in range(8):
        a = np.radians(45 * k)
        parts.append(Part(_cyl(0.008, 0.12, (deck * np.cos(a), height + 0.08, deck * np.sin(a)), n=4), dark))
    lantern_h = rng.uniform(0.16, 0.24)
    parts.append(Part(_cyl(top_r * 0.8, lantern_h, (0, height + 0.04 + lantern_h / 2, 0), n=12), (245, 230, 150)))
    dome_y = height + 0.04 + lantern_h
    parts.append(
        Part(
            _lathe([(0, dome_y), (top_r * 0.95, dome_y), (top_r * 0.6, dome_y + 0.12), (0, dome_y + 0.18)], n=20), dark
        )
    )
    parts.append(Part(_cyl(0.012, 0.1, (0, dome_y + 0.22, 0), n=6), dark))
    parts.append(Part(_box((0.12, 0.2, 0.04), (0, 0.1, base_r - 0.01)), DARK))
    if rng.random() < 0.4:
        parts.append(
            Part(_box((base_r * 2.4, base_r * 1.3, base_r * 1.6), (base_r * 1.6, base_r * 0.65, -base_r * 0.2)), first)
        )
        roof = _prism(
            [(-base_r * 0.9, 0), (base_r * 0.9, 0), (0, base_r * 0.5)],
            base_r * 2.5,
            (base_r * 1.6, base_r * 1.3, -base_r * 0.2),
            (("y", 90.0),),
        )
        parts.append(Part(roof, second))
    return parts


@register_class("windmill")
def _windmill(rng: np.random.Generator) -> list[Part]:
    """Windmill: tapered octagonal tower, cap, four lattice sails on a hub facing +Z, door at the foot."""
    height, base_r = rng.uniform(1.0, 1.4), rng.uniform(0.25, 0.35)
    top_r = base_r * rng.uniform(0.55, 0.75)
    tower_color = _pick(rng, ((235, 230, 220), (170, 70, 50), (150, 110, 70), (200, 200, 195)))
    cap_color = _pick(rng, ((90, 60, 40), (60, 60, 65), (40, 70, 50), (140, 45, 35)))
    parts = [Part(_cyl(base_r, height, (0, height / 2, 0), n=8, top=top_r), tower_color)]
    parts.append(
        Part(
            _lathe(
                [(0, height), (top_r * 1.15, height), (top_r * 0.8, height + top_r * 0.6), (0, height + top_r * 0.8)],
                n=16,
            ),
            cap_color,
        )
    )
    hub = (0, height + top_r * 0.2, top_r * 1.1)
    parts.append(Part(_cyl(0.04, top_r * 0.6, (0, hub[1], top_r * 0.85), axis="z", n=10), cap_color))
    sail_l, sail_w = rng.uniform(0.6, 0.8), rng.uniform(0.12, 0.18)
    sail_color = _pick(rng, ((235, 230, 215), (150, 110, 70), (200, 60, 40)))
    offset = rng.uniform(0, 90)
    blades = int(rng.choice([4, 4, 4, 5, 6]))
    for k in range(blades):
        spar = _box((0.03, sail_l, 0.03), (0, sail_l / 2, 0))
        sail = _box((sail_w, sail_l * 0.8, 0.012), (sail_w / 2 + 0.015, sail_l * 0.58, 0))
        turns = (("z", offset + 360 * k / blades),)
        parts += [Part(_moved(spar, turns, hub), cap_color), Part(_moved(sail, turns, hub), sail_color)]
    parts.append(Part(_box((0.14, 0.22, 0.04), (0, 0.11, base_r * 0.92)), _pick(rng, WOOD)))
    return parts
