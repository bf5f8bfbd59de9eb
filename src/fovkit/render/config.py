"""Typed configuration of a synthetic factor dataset (robustness-limits paper, section 3.1), loadable from TOML."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

BACKGROUND_TYPES = ("sky", "water", "city", "home", "grass")


class ScalarAxis(BaseModel):
    """A scalar factor: one render parameter swept over [low, high], with the value objects usually show."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    parameter: Literal["yaw", "pitch", "roll", "position_x", "position_y", "size", "light_hue", "light_intensity"]
    low: float
    high: float
    canonical: float

    @model_validator(mode="after")
    def _canonical_in_range(self) -> ScalarAxis:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if not self.low <= self.canonical <= self.high:
            raise ValueError(f"canonical {self.canonical} lies outside [{self.low}, {self.high}]")
        return self


def default_axes() -> dict[str, ScalarAxis]:
    """The paper's four scalar factors: pose (yaw), position (horizontal), size and lighting colour (hue)."""
    return {
        "pose": ScalarAxis(parameter="yaw", low=-180.0, high=180.0, canonical=36.0),
        "position": ScalarAxis(parameter="position_x", low=-0.5, high=0.5, canonical=0.0),
        "size": ScalarAxis(parameter="size", low=0.25, high=0.85, canonical=0.55),
        "lighting": ScalarAxis(parameter="light_hue", low=0.0, high=360.0, canonical=40.0),
    }


class RenderConfig(BaseModel):
    """What to render: objects, factor axes, backgrounds, designs, image encoding and sharding.

    Counts follow the paper: 101 values per scalar factor in the single-factor design, 11 values and 10 backgrounds
    in the paired and all-factor designs, 1000 random combinations per object in the all-factor design.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    classes: list[str] | int = Field(5, description="class names, or how many of the catalog's classes to take")
    instances_per_class: int = Field(50, ge=1)
    assets: Path | None = Field(None, description="folder of user meshes <class>/<instance>.obj|ply|glb|stl")
    backgrounds: Path | None = Field(None, description="folder of user images <type>/*.jpg|png")
    background_types: tuple[str, ...] = BACKGROUND_TYPES
    backgrounds_per_type: int = Field(5, ge=1)
    canonical_background: tuple[str, int] = ("sky", 0)
    axes: dict[str, ScalarAxis] = Field(default_factory=default_axes)
    designs: tuple[Literal["single", "paired", "all"], ...] = ("single", "paired", "all")
    single_values: int = Field(101, ge=2, description="values per scalar factor in the single-factor design")
    grid_values: int = Field(11, ge=2, description="values per scalar factor in the paired and all-factor designs")
    grid_backgrounds: int = Field(10, ge=1, description="backgrounds used in the paired and all-factor designs")
    combinations: int = Field(1000, ge=1, description="random combinations per object in the all-factor design")
    held_out_fraction: float = Field(0.2, ge=0.0, lt=1.0, description="instances per class kept for evaluation")
    image_size: int = Field(224, ge=16, le=4096)
    image_format: Literal["jpeg", "png", "webp", "raw"] = "jpeg"
    jpeg_quality: int = Field(90, ge=1, le=100)
    samples: int = Field(4, ge=1, le=16, description="multisampling (anti-aliasing) samples per pixel")
    shard_size: int = Field(2000, ge=1, description="images per Parquet shard")
    seed: int = 0

    @model_validator(mode="after")
    def _consistent(self) -> RenderConfig:
        if not self.axes:
            raise ValueError("at least one scalar axis is needed")
        if "background" in self.axes:
            raise ValueError("'background' is the categorical factor; choose another name for a scalar axis")
        kind, index = self.canonical_background
        if kind not in self.background_types or not 0 <= index < self.backgrounds_per_type:
            raise ValueError(f"canonical_background {self.canonical_background} is not among the backgrounds")
        if self.grid_backgrounds > len(self.background_types) * self.backgrounds_per_type:
            raise ValueError("grid_backgrounds exceeds the number of backgrounds")
        return self

    @property
    def factors(self) -> list[str]:
        """Factor names: the scalar axes, then `background`."""
        return [*self.axes, "background"]
