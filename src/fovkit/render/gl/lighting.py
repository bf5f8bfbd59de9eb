"""The light rig: a fixed spot, ambient and fill set-up, and the per-image spot colour."""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass

from fovkit.errors import InputError


@dataclass(frozen=True)
class Lighting:
    """The fixed light rig; the per-image spot colour and intensity are arguments of `Renderer.render`.

    Attributes:
        spot_offset: Spot position relative to the object's centre, in object units (scaled with the object);
            the spot is aimed at the centre. Default: above, right and in front.
        spot_inner_deg: Half-angle of the cone's full-strength core, degrees.
        spot_outer_deg: Half-angle at which the soft edge reaches zero, degrees.
        ambient: Strength of the white ambient light.
        fill: Strength of the white directional fill light.
        fill_dir: Direction towards the fill light (world; normalised here). Default: from the camera's left.
        specular: Strength of the spot's specular highlight.
        shininess: Blinn-Phong exponent of the highlight (Schlick's rational approximation of the power).

    """

    spot_offset: tuple[float, float, float] = (1.0, 1.5, 2.0)
    spot_inner_deg: float = 12.0
    spot_outer_deg: float = 28.0
    ambient: float = 0.16
    fill: float = 0.22
    fill_dir: tuple[float, float, float] = (-1.0, 0.4, 1.0)
    specular: float = 0.25
    shininess: float = 32.0


def light_color(hue: float | None, intensity: float) -> tuple[float, float, float]:
    """Linear RGB of the spot: fully saturated `hue` (degrees) or white, times `intensity`."""
    if not (math.isfinite(intensity) and intensity >= 0):
        raise InputError(f"light_intensity must be a non-negative number, got {intensity}", field="light_intensity")
    if hue is None:
        return (intensity,) * 3
    if not math.isfinite(hue):
        raise InputError(f"light_hue must be a finite number of degrees, got {hue}", field="light_hue")
    rgb = colorsys.hsv_to_rgb((hue % 360.0) / 360.0, 1.0, 1.0)
    return tuple(intensity * channel**2 for channel in rgb)
