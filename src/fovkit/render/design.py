"""The paper's three designs as pure index arithmetic: sample number -> object and factor values.

Single factor: each scalar factor over `single_values` evenly spaced values, then every background, the rest
canonical. Paired factors: every pair of factors over `grid_values` values (and `grid_backgrounds` backgrounds),
the rest canonical. All factors: `combinations` distinct random points of that grid per object, drawn from the
`fovkit.seeding` stream ("render", "all_factors", object). A sample is a pure function of (config, design, index):
shards can be rendered in any order, on any machine, and give the same table.

The values of an axis (`axis_values`) always include its canonical value, so the canonical rows of every design show
the same images:

- A circular axis (an angle over one full turn: yaw, roll, light hue) takes `count` values 360/count degrees apart,
  stepped from the canonical value and wrapped into [low, high): no two values are the same angle (-180 and 180, or
  0 and 360, would render identical images).
- A linear axis takes `count` evenly spaced values from low to high, both ends included; when the canonical value
  falls between two of them, the one nearest to it is moved onto it (ties: the lower one), so the ends stay and
  the spacing changes only next to the canonical value.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

from fovkit.render.config import PERIOD, RenderConfig, ScalarAxis
from fovkit.render.counts import all_backgrounds, design_sizes, grid_backgrounds, n_classes
from fovkit.seeding import rng

if TYPE_CHECKING:
    import pandas as pd


def axis_values(axis: ScalarAxis, count: int) -> np.ndarray:
    """`count` distinct values of `axis`, ascending, its canonical value among them (see the module docstring)."""
    if axis.circular:
        steps = axis.canonical - axis.low + np.arange(count) * (PERIOD / count)
        values = np.sort(axis.low + np.mod(steps, PERIOD))
    else:
        values = np.linspace(axis.low, axis.high, count)
    values[np.argmin(np.abs(values - axis.canonical))] = axis.canonical
    return values


def design_table(config: RenderConfig, design: str, start: int, stop: int) -> pd.DataFrame:
    """Samples `start`..`stop`-1 of one design: object, split and every factor value, one row per image.

    Columns: `sample_id`, `design`, `index`, `label` (class number), `instance`, `split`, one column per scalar
    factor (its parameter value), `background_type`, `background_index`, and `varies_<factor>` flags.
    """
    import pandas as pd  # imported here so that planning (`design_sizes`) stays fast

    from fovkit.tables.factor_table import FactorSpec, varies_from_canonical

    size = next((item for item in design_sizes(config) if item.design == design), None)
    if size is None:
        raise ValueError(f"design {design!r} is not in the config's designs {config.designs}")
    if not 0 <= start <= stop <= size.total:
        raise ValueError(f"range {start}..{stop} outside the {size.total} samples of design {design!r}")
    index = np.arange(start, stop, dtype=np.int64)
    obj, local = np.divmod(index, size.per_object)
    values, background = _values(config, design, obj, local)
    label, instance = np.divmod(obj, config.instances_per_class)
    frame = pd.DataFrame(
        {
            "sample_id": [f"{design}-{number:09d}" for number in index],
            "design": design,
            "index": index,
            "label": label,
            "instance": instance,
            "split": np.where(_held_out(config)[label, instance], "held_out", "train"),
        }
    )
    names = list(config.axes)
    for column, name in enumerate(names):
        frame[name] = values[:, column]
    kinds = np.array([kind for kind, _ in all_backgrounds(config)], dtype=object)
    frame["background_type"] = kinds[background]
    frame["background_index"] = background % config.backgrounds_per_type
    canonical_background = all_backgrounds(config).index(tuple(config.canonical_background))
    for column, name in enumerate(names):
        spec = FactorSpec(name, "scalar", config.axes[name].canonical)
        frame[f"varies_{name}"] = varies_from_canonical(values[:, column], spec)
    background_spec = FactorSpec("background", "categorical", canonical_background)
    frame["varies_background"] = varies_from_canonical(background, background_spec)
    return frame


def _values(config: RenderConfig, design: str, obj: np.ndarray, local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scalar values (samples x axes) and background numbers (index into `all_backgrounds`)."""
    axes = list(config.axes.values())
    canonical = np.array([axis.canonical for axis in axes])
    values = np.tile(canonical, (len(local), 1))
    every = all_backgrounds(config)
    grid_bg = np.array([every.index(item) for item in grid_backgrounds(config)])
    background = np.full(len(local), every.index(tuple(config.canonical_background)))
    grids = [axis_values(axis, config.grid_values) for axis in axes]
    if design == "single":
        n = config.single_values
        scalar = local < len(axes) * n
        axis, step = np.divmod(local[scalar], n)
        singles = np.array([axis_values(item, n) for item in axes])
        values[np.flatnonzero(scalar), axis] = singles[axis, step]
        background[~scalar] = local[~scalar] - len(axes) * n
    elif design == "paired":
        for offset, (left, right) in _pair_blocks(config):
            block = (local >= offset) & (local < offset + _pair_size(config, left, right))
            rows, position = np.flatnonzero(block), local[block] - offset
            right_count = config.grid_backgrounds if right is None else config.grid_values
            first, second = np.divmod(position, right_count)
            values[rows, left] = grids[left][first]
            if right is None:
                background[rows] = grid_bg[second]
            else:
                values[rows, right] = grids[right][second]
    else:
        values, background = _combinations(config, obj, local, grids, grid_bg)
    return values, background


def _pair_blocks(config: RenderConfig) -> list[tuple[int, tuple[int, int | None]]]:
    """(offset, (left axis, right axis or None for background)) of every pair, in a fixed order."""
    pairs = [*itertools.combinations(range(len(config.axes)), 2), *((axis, None) for axis in range(len(config.axes)))]
    blocks, offset = [], 0
    for left, right in pairs:
        blocks.append((offset, (left, right)))
        offset += _pair_size(config, left, right)
    return blocks


def _pair_size(config: RenderConfig, left: int, right: int | None) -> int:
    return config.grid_values * (config.grid_backgrounds if right is None else config.grid_values)


def _combinations(
    config: RenderConfig, obj: np.ndarray, local: np.ndarray, grids: list[np.ndarray], grid_bg: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Points of the (grid^axes x backgrounds) grid, distinct per object, from a generator seeded per object."""
    radix = [config.grid_values] * len(grids) + [config.grid_backgrounds]
    cells = int(np.prod(radix))
    values = np.empty((len(local), len(grids)))
    background = np.empty(len(local), dtype=np.int64)
    for unique_obj in np.unique(obj):
        rows = np.flatnonzero(obj == unique_obj)
        draw = rng(config.seed, "render", "all_factors", int(unique_obj))
        points = draw.choice(cells, size=config.combinations, replace=False)[local[rows]]
        digits = np.array(np.unravel_index(points, radix)).T
        for axis, grid in enumerate(grids):
            values[rows, axis] = grid[digits[:, axis]]
        background[rows] = grid_bg[digits[:, -1]]
    return values, background


def _held_out(config: RenderConfig) -> np.ndarray:
    """(classes x instances) True for instances kept out of training; same count per class, drawn per class."""
    n = config.instances_per_class
    count = round(config.held_out_fraction * n)
    mask = np.zeros((n_classes(config), n), dtype=bool)
    for label in range(n_classes(config)):
        mask[label, rng(config.seed, "render", "held_out", label).permutation(n)[:count]] = True
    return mask
