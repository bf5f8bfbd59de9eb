"""Typed configuration of a synthetic factor dataset (robustness-limits paper, section 3.1), loadable from TOML.

Validators check everything a config says on its own (counts, names, axes, seed) with messages in the config's
words; what depends on the user's folders (mesh and background files) is checked by `fovkit.render.sources`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fovkit.errors import InputError
from fovkit.registry import close_matches
from fovkit.seeding import check_seed

BACKGROUND_TYPES = ("sky", "water", "city", "home", "grass")
"""The procedural background types, in the paper's order."""

CATALOG_CLASSES = (
    "airplane", "anchor", "barrel", "bed", "bell", "bench", "bicycle", "boat", "bookshelf", "bottle", "bowl", "bucket",
    "bus", "cabinet", "cactus", "car", "chair", "clock", "cup", "dumbbell", "fan", "fire_hydrant", "gift_box",
    "guitar", "hammer", "helicopter", "house", "ice_cream", "key", "lamp", "laptop", "lighthouse", "monitor", "mug",
    "mushroom", "pencil", "pine_tree", "rocket", "screwdriver", "snowman", "sofa", "stool", "sword", "table",
    "teapot", "tower", "traffic_cone", "tree", "trophy", "truck", "umbrella", "vase", "windmill", "wine_glass",
)  # fmt: skip
"""The procedural catalog's 54 classes, sorted (`fovkit.render.assets.list_classes()`, without importing trimesh).
An integer `classes` takes the first n of them."""

PERIODIC_PARAMETERS = ("yaw", "roll", "light_hue")
"""Render parameters that are angles in degrees: a value and the value 360 degrees away give the same image."""

PERIOD = 360.0
"""Period of the periodic parameters, in degrees."""

RESERVED_NAMES = (
    "sample_id", "design", "index", "label", "class_name", "instance", "split", "background", "background_type",
    "background_index", "bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1", "visible_fraction", "clipped", "blank", "image",
    "shard", "row",
)  # fmt: skip
"""Columns of a rendered dataset; scalar axes take other names."""


class ScalarAxis(BaseModel):
    """A scalar factor: one render parameter swept over [low, high], with the value objects usually show.

    An angle (yaw, roll, light hue) whose range is one full turn (`high - low` = 360) is circular: `low` and `high`
    are the same angle, so its values are sampled over the half-open range [low, high) and `canonical` must lie in
    it. Other axes are linear and include both ends.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    parameter: Literal["yaw", "pitch", "roll", "position_x", "position_y", "size", "light_hue", "light_intensity"]
    low: float
    high: float
    canonical: float

    @property
    def circular(self) -> bool:
        """True for an angle whose range is one full turn."""
        return self.parameter in PERIODIC_PARAMETERS and math.isclose(self.high - self.low, PERIOD)

    @model_validator(mode="after")
    def _canonical_in_range(self) -> ScalarAxis:
        if not all(math.isfinite(value) for value in (self.low, self.high, self.canonical)):
            values = (self.low, self.high, self.canonical)
            raise ValueError(f"low, high and canonical must be finite numbers, got {values}")
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.parameter in PERIODIC_PARAMETERS and self.high - self.low > PERIOD and not self.circular:
            raise ValueError(
                f"{self.parameter} is an angle: low {self.low} to high {self.high} spans more than one turn "
                f"(360 degrees); use e.g. low = {self.low}, high = {self.low + PERIOD}"
            )
        if self.circular and not self.low <= self.canonical < self.high:
            same = self.low + (self.canonical - self.low) % PERIOD
            raise ValueError(
                f"canonical {self.canonical} lies outside [{self.low}, {self.high}) of this full turn "
                f"(high is the same angle as low); use canonical = {same:g}"
            )
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

    @field_validator("classes")
    @classmethod
    def _classes_listed_once(cls, classes: list[str] | int) -> list[str] | int:
        if isinstance(classes, int):
            if classes < 1:
                raise ValueError(f"classes = {classes}: at least 1 class is needed (e.g. classes = 5)")
            return classes
        blank = [name for name in classes if not name.strip() or "/" in name or "\\" in name]
        if blank:
            raise ValueError(f"class names must be plain names (no slashes, not empty), got {blank}")
        return _listed_once(
            "classes", classes, 'name at least one class (e.g. classes = ["mug", "car"]) or give a count'
        )

    @field_validator("designs")
    @classmethod
    def _designs_listed_once(cls, designs: tuple[str, ...]) -> tuple[str, ...]:
        return _listed_once("designs", designs, 'choose at least one of "single", "paired", "all"')

    @field_validator("background_types")
    @classmethod
    def _types_listed_once(cls, types: tuple[str, ...]) -> tuple[str, ...]:
        return _listed_once("background_types", types, f"name at least one type, e.g. {list(BACKGROUND_TYPES)}")

    @field_validator("axes")
    @classmethod
    def _axes_set_distinct_parameters(cls, axes: dict[str, ScalarAxis]) -> dict[str, ScalarAxis]:
        if not axes:
            raise ValueError("at least one scalar axis is needed, e.g. the default pose, position, size, lighting")
        reserved = [name for name in axes if name in RESERVED_NAMES]
        if reserved:
            why = "'background' is the categorical factor" if "background" in reserved else "they name columns"
            raise ValueError(f"axis names {reserved} are taken ({why}); choose other names")
        by_parameter: dict[str, list[str]] = {}
        for name, axis in axes.items():
            by_parameter.setdefault(axis.parameter, []).append(name)
        shared = {parameter: names for parameter, names in by_parameter.items() if len(names) > 1}
        if shared:
            parameter, names = next(iter(shared.items()))
            raise ValueError(
                f"axes {names} all set the render parameter {parameter!r}; each axis needs its own parameter "
                "(only the last would take effect); remove one or give it another parameter"
            )
        return axes

    @field_validator("seed")
    @classmethod
    def _seed_in_range(cls, seed: int) -> int:
        try:
            return check_seed(seed, "seed")
        except InputError as error:
            raise ValueError(error.reason) from None

    @model_validator(mode="after")
    def _consistent(self) -> RenderConfig:
        self._check_catalog_classes()
        kind, index = self.canonical_background
        if kind not in self.background_types:
            raise ValueError(
                f"canonical_background {list(self.canonical_background)}: type {kind!r} is not among "
                f"background_types {list(self.background_types)}"
            )
        if not 0 <= index < self.backgrounds_per_type:
            raise ValueError(
                f"canonical_background {list(self.canonical_background)}: index {index} is outside "
                f"0..{self.backgrounds_per_type - 1} (backgrounds_per_type = {self.backgrounds_per_type})"
            )
        available = len(self.background_types) * self.backgrounds_per_type
        if self.grid_backgrounds > available:
            raise ValueError(
                f"grid_backgrounds = {self.grid_backgrounds} exceeds the {available} backgrounds "
                f"({len(self.background_types)} types x {self.backgrounds_per_type}); use at most {available}"
            )
        cells = self.grid_values ** len(self.axes) * self.grid_backgrounds
        if "all" in self.designs and self.combinations > cells:
            raise ValueError(
                f"combinations = {self.combinations} exceeds the {cells:,} distinct points of the all-factor grid "
                f"(grid_values^{len(self.axes)} x grid_backgrounds); use at most {cells}"
            )
        held_out = round(self.held_out_fraction * self.instances_per_class)
        if held_out >= self.instances_per_class:
            raise ValueError(
                f"held_out_fraction = {self.held_out_fraction} holds out all {self.instances_per_class} instances "
                "per class, leaving none to train on; lower it or add instances"
            )
        return self

    def _check_catalog_classes(self) -> None:
        """Without `assets`, classes come from the procedural catalog: a count it holds, or names it knows."""
        if self.assets is not None:
            return
        if isinstance(self.classes, int):
            if self.classes > len(CATALOG_CLASSES):
                raise ValueError(
                    f"classes = {self.classes}: the procedural catalog has {len(CATALOG_CLASSES)} classes; use at "
                    f"most {len(CATALOG_CLASSES)}, or your own meshes with assets = <folder>"
                )
            return
        unknown = [name for name in self.classes if name not in CATALOG_CLASSES]
        if unknown:
            from fovkit.render.assets import list_classes  # classes registered beyond the shipped catalog

            registered = list_classes()
            unknown = [name for name in unknown if name not in registered]
            if unknown:
                close = close_matches(unknown[0], registered, limit=3)
                hint = f"; did you mean {close}?" if close else ""
                raise ValueError(
                    f"classes: unknown class {unknown[0]!r}{hint} (unknown: {unknown}); the catalog's classes are "
                    "listed by `fovkit.render.assets.list_classes()`, or use your own meshes with assets = <folder>"
                )

    @property
    def factors(self) -> list[str]:
        """Factor names: the scalar axes, then `background`."""
        return [*self.axes, "background"]


def _listed_once(key: str, names: Sequence[str], example: str) -> Sequence[str]:
    """`names` if it is not empty and no name repeats, else a ValueError that says so in the config's words."""
    if not names:
        raise ValueError(f"{key} = []: {example}")
    repeated = sorted({name for name in names if list(names).count(name) > 1})
    if repeated:
        raise ValueError(f"{key} must differ; listed more than once: {repeated}")
    return names
