from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from fovkit.render.config import RenderConfig, ScalarAxis
from fovkit.render.design import all_backgrounds, design_sizes, design_table, grid_backgrounds

SMALL = RenderConfig(
    classes=3, instances_per_class=5, single_values=5, grid_values=3, grid_backgrounds=4, combinations=20
)


def whole(config: RenderConfig, design: str) -> pd.DataFrame:
    size = next(size for size in design_sizes(config) if size.design == design)
    return design_table(config, design, 0, size.total)


def test_paper_counts():
    sizes = {size.design: size.total for size in design_sizes(RenderConfig(classes=54, instances_per_class=50))}
    assert sizes == {"single": 1_158_300, "paired": 3_148_200, "all": 2_700_000}


def test_single_design_matches_a_loop_over_factors():
    table = whole(SMALL, "single")
    expected = []
    for _ in range(3 * 5):
        for name, axis in SMALL.axes.items():
            for value in np.linspace(axis.low, axis.high, 5):
                expected.append((name, value, ("sky", 0)))
        for background in all_backgrounds(SMALL):
            expected.append(("background", None, background))
    assert len(table) == len(expected)
    for (_, row), (name, value, background) in zip(table.iterrows(), expected, strict=True):
        for axis_name, axis in SMALL.axes.items():
            assert row[axis_name] == pytest.approx(value if axis_name == name else axis.canonical)
        assert (row["background_type"], row["background_index"]) == background


@pytest.mark.parametrize(("design", "most"), [("single", 1), ("paired", 2), ("all", 5)])
def test_varying_factors_per_design(design: str, most: int):
    table = whole(SMALL, design)
    varies = table[[column for column in table if column.startswith("varies_")]].sum(axis=1)
    assert varies.max() <= most
    if design == "single":
        assert (varies[table["background_type"].eq("sky") & table["background_index"].eq(0)] <= 1).all()


def test_paired_design_covers_every_pair_grid():
    table = whole(SMALL, "paired")
    first = table[(table["label"] == 0) & (table["instance"] == 0)]
    grid = np.linspace(-180, 180, 3)
    combos = set(zip(first["pose"].round(6), first["size"].round(6), strict=True))
    sizes = np.linspace(SMALL.axes["size"].low, SMALL.axes["size"].high, 3).round(6)
    assert set(itertools.product(grid.round(6), sizes)) <= combos


def test_all_design_draws_distinct_grid_points_per_object():
    table = whole(SMALL, "all")
    keys = [*SMALL.axes, "background_type", "background_index"]
    per_object = table.groupby(["label", "instance"])[keys].apply(lambda frame: frame.duplicated().sum())
    assert (per_object == 0).all()
    assert set(zip(table["background_type"], table["background_index"], strict=True)) <= set(grid_backgrounds(SMALL))


@pytest.mark.parametrize("design", ["single", "paired", "all"])
def test_any_range_equals_the_slice_of_the_whole(design: str):
    full = whole(SMALL, design)
    part = design_table(SMALL, design, 37, 91)
    pd.testing.assert_frame_equal(part.reset_index(drop=True), full.iloc[37:91].reset_index(drop=True))
    assert full["sample_id"].is_unique


def test_held_out_instances_are_the_same_in_every_design_and_per_class_count():
    single, paired = whole(SMALL, "single"), whole(SMALL, "paired")
    held = single[single["split"] == "held_out"].groupby("label")["instance"].unique()
    assert all(len(instances) == 1 for instances in held)  # 20% of 5 instances
    assert held.equals(paired[paired["split"] == "held_out"].groupby("label")["instance"].unique())


def test_seed_changes_combinations_and_splits_only():
    other = SMALL.model_copy(update={"seed": 1})
    assert not whole(SMALL, "all")[list(SMALL.axes)].equals(whole(other, "all")[list(SMALL.axes)])
    assert whole(SMALL, "single")[list(SMALL.axes)].equals(whole(other, "single")[list(SMALL.axes)])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {
                "axes": {"pose": ScalarAxis(parameter="yaw", low=0, high=10, canonical=0)},
                "canonical_background": ("x", 0),
            },
            "canonical_background",
        ),
        ({"grid_backgrounds": 99}, "grid_backgrounds"),
    ],
)
def test_inconsistent_configs_are_rejected(change: dict, message: str):
    with pytest.raises(ValueError, match=message):
        RenderConfig(**{**SMALL.model_dump(), **change})


def test_axis_canonical_must_lie_in_range():
    with pytest.raises(ValueError, match="outside"):
        ScalarAxis(parameter="size", low=0.2, high=0.5, canonical=0.9)
