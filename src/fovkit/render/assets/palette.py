"""Colour helpers shared by the class builders: palettes of plausible colours, jittered per instance."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fovkit.render.assets.classes import Color

WOOD = ((150, 100, 60), (120, 80, 45), (185, 140, 90), (95, 60, 35), (205, 165, 115), (140, 90, 50))
METAL = ((175, 175, 180), (135, 135, 140), (205, 205, 210), (95, 95, 100), (180, 160, 120))
BRIGHT = (
    (205, 40, 40),
    (40, 90, 195),
    (240, 190, 40),
    (40, 150, 70),
    (235, 120, 30),
    (125, 60, 165),
    (30, 160, 170),
    (225, 90, 150),
    (235, 235, 230),
    (45, 45, 50),
)
FABRIC = ((120, 130, 150), (165, 60, 60), (75, 100, 75), (195, 185, 160), (85, 85, 95), (60, 90, 145), (150, 115, 85))
PASTEL = ((245, 200, 200), (200, 225, 245), (215, 240, 205), (250, 235, 190), (230, 215, 245), (245, 245, 240))
DARK = (30, 30, 34)
GLASS = (55, 75, 95)
WHITE = (240, 240, 235)
CERAMIC = ((235, 235, 228), (40, 80, 160), (175, 70, 45), (120, 165, 140), (35, 35, 38), (225, 200, 90), (150, 40, 60))


def _jitter(rng: np.random.Generator, rgb: Sequence[int], amount: float = 0.1) -> Color:
    """`rgb` with its brightness scaled by up to +-`amount` and a little independent noise per channel."""
    scaled = np.asarray(rgb, dtype=np.float64) * (1 + rng.uniform(-amount, amount)) + rng.uniform(-10, 10, 3)
    r, g, b = (int(v) for v in np.clip(np.rint(scaled), 0, 255))
    return (r, g, b)


def _shade(rgb: Sequence[int], factor: float) -> Color:
    """`rgb` darkened (factor < 1) or lightened (factor > 1) by a fixed factor: a second tone for another part."""
    base = np.asarray(rgb, dtype=np.float64)
    scaled = base * factor if factor <= 1 else base + (255 - base) * (factor - 1)
    r, g, b = (int(v) for v in np.clip(np.rint(scaled), 0, 255))
    return (r, g, b)


def _pick(rng: np.random.Generator, palette: Sequence[Sequence[int]], amount: float = 0.1) -> Color:
    """A jittered colour drawn from `palette`."""
    return _jitter(rng, palette[int(rng.integers(len(palette)))], amount)
