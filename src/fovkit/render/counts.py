"""How many images each design of a render config holds: pure arithmetic, so `fovkit render plan` answers at once."""

from __future__ import annotations

from dataclasses import dataclass

from fovkit.render.config import RenderConfig


@dataclass(frozen=True)
class DesignSize:
    """How many images a design holds per object and in total."""

    design: str
    per_object: int
    objects: int

    @property
    def total(self) -> int:
        """Images of the design over all objects."""
        return self.per_object * self.objects


def n_classes(config: RenderConfig) -> int:
    """Number of classes the config asks for."""
    return config.classes if isinstance(config.classes, int) else len(config.classes)


def all_backgrounds(config: RenderConfig) -> list[tuple[str, int]]:
    """Every (type, index) background, type-major."""
    return [(kind, index) for kind in config.background_types for index in range(config.backgrounds_per_type)]


def grid_backgrounds(config: RenderConfig) -> list[tuple[str, int]]:
    """The backgrounds of the paired and all-factor designs: spread over types (index-major), canonical first."""
    ordered = [(kind, index) for index in range(config.backgrounds_per_type) for kind in config.background_types]
    ordered.remove(tuple(config.canonical_background))
    return [tuple(config.canonical_background), *ordered][: config.grid_backgrounds]


def design_sizes(config: RenderConfig) -> list[DesignSize]:
    """Images per object and in total for each design of the config."""
    objects = n_classes(config) * config.instances_per_class
    scalar = len(config.axes)
    grid, backgrounds = config.grid_values, config.grid_backgrounds
    per_object = {
        "single": scalar * config.single_values + len(all_backgrounds(config)),
        "paired": scalar * (scalar - 1) // 2 * grid * grid + scalar * grid * backgrounds,
        "all": config.combinations,
    }
    return [DesignSize(design, per_object[design], objects) for design in config.designs]
