from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from fovkit.render.config import RenderConfig, ScalarAxis
from fovkit.render.counts import all_backgrounds, design_sizes, grid_backgrounds
from fovkit.render.design import axis_values, design_table

SMALL = RenderConfig(
    classes=3, instances_per_class=5, single_values=5, grid_values=3, grid_backgrounds=4, combinations=20
)


def whole(config: RenderConfig, design: str) -> pd.DataFrame:
    size = next(size for size in design_sizes(config) if size.design == design)
    return design_table(config, design, 0, size.total)


def test_paper_counts():
    sizes = {size.design: size.total for size in design_sizes(RenderConfig(classes=54, instances_per_class=50))}
    assert sizes == {"single": 1_158_300, "paired": 3_148_200, "all": 2_700_000}


# Five values per axis, written out: circular axes step 72 degrees from their canonical value (36 and 40) over
# [low, high); linear ones are evenly spaced with both ends, and their canonical values are on that grid already.
SINGLE_VALUES = {
    "pose": [-180.0, -108.0, -36.0, 36.0, 108.0],
    "position": [-0.5, -0.25, 0.0, 0.25, 0.5],
    "size": [0.25, 0.4, 0.55, 0.7, 0.85],
    "lighting": [40.0, 112.0, 184.0, 256.0, 328.0],
}


def test_single_design_matches_a_loop_over_factors():
    table = whole(SMALL, "single")
    expected = []
    for _ in range(3 * 5):
        for name in SMALL.axes:
            for value in SINGLE_VALUES[name]:
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
    grid = np.array([-84.0, 36.0, 156.0])  # three yaw values 120 degrees apart, one of them the canonical 36
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


PAPER = RenderConfig(classes=54, instances_per_class=50)


def default_axes_list() -> list[ScalarAxis]:
    return list(PAPER.axes.values())


@pytest.mark.parametrize("count", [PAPER.single_values, PAPER.grid_values, 2, 7])
@pytest.mark.parametrize("name", ["pose", "lighting"])
def test_circular_axes_never_repeat_an_angle(name: str, count: int):
    axis = PAPER.axes[name]
    values = axis_values(axis, count)
    assert axis.circular and len(values) == count
    assert (values >= axis.low).all() and (values < axis.high).all()  # half-open: -180 and 180 are one angle
    turns = np.sort(np.mod(values, 360.0))
    assert len(np.unique(turns.round(9))) == count
    gaps = np.diff(np.append(turns, turns[0] + 360.0))
    np.testing.assert_allclose(gaps, 360.0 / count)  # evenly spaced around the circle


def test_circular_values_in_every_design_are_distinct_angles():
    for design in ("single", "paired"):
        table = whole(SMALL, design)
        for name in ("pose", "lighting"):
            angles = np.mod(table[name].to_numpy(), 360.0).round(9)
            assert len(np.unique(angles)) == len(np.unique(table[name].round(9)))


@pytest.mark.parametrize(
    "axis",
    [
        *default_axes_list(),
        ScalarAxis(parameter="yaw", low=0, high=360, canonical=359.5),
        ScalarAxis(parameter="light_hue", low=-90, high=270, canonical=-90),
        ScalarAxis(parameter="size", low=0.2, high=0.9, canonical=0.33),
        ScalarAxis(parameter="pitch", low=-30, high=30, canonical=30),
        ScalarAxis(parameter="roll", low=-45, high=45, canonical=10),  # part of a turn: linear
    ],
    ids=lambda axis: f"{axis.parameter}-{axis.canonical}",
)
@pytest.mark.parametrize("count", [2, 3, 11, 101])
def test_canonical_value_is_on_every_grid(axis: ScalarAxis, count: int):
    values = axis_values(axis, count)
    assert axis.canonical in values.tolist()
    assert len(np.unique(values)) == count and (np.diff(values) > 0).all()


def test_linear_canonical_off_the_grid_replaces_the_nearest_value():
    axis = ScalarAxis(parameter="size", low=0.0, high=1.0, canonical=0.33)
    np.testing.assert_allclose(axis_values(axis, 5), [0.0, 0.33, 0.5, 0.75, 1.0])
    tie = ScalarAxis(parameter="size", low=0.0, high=1.0, canonical=0.5)
    np.testing.assert_allclose(axis_values(tie, 2), [0.5, 1.0])  # a tie moves the lower value


def test_canonical_rows_are_the_same_images_in_every_design():
    columns = [*SMALL.axes, "background_type", "background_index"]
    settings = set()
    for design in ("single", "paired", "all"):
        table = whole(SMALL, design)
        canonical = table[~table.filter(like="varies_").any(axis=1)]
        assert len(canonical) > 0 or design == "all"
        settings |= set(map(tuple, canonical[columns].round(9).to_numpy().tolist()))
    expected = (*(round(axis.canonical, 9) for axis in SMALL.axes.values()), "sky", 0)
    assert settings == {expected}


def test_all_factor_design_contains_the_canonical_point_in_its_grid():
    config = RenderConfig(classes=1, instances_per_class=1, designs=("all",), grid_values=2, combinations=2**4 * 10)
    table = whole(config, "all")  # every point of the grid: the canonical one among them
    assert (~table.filter(like="varies_").any(axis=1)).sum() == 1


def test_axis_over_a_full_turn_takes_canonical_below_high():
    with pytest.raises(ValueError, match="use canonical = -180"):
        ScalarAxis(parameter="yaw", low=-180, high=180, canonical=180)
    with pytest.raises(ValueError, match="more than one turn"):
        ScalarAxis(parameter="light_hue", low=0, high=720, canonical=0)
    assert not ScalarAxis(parameter="pitch", low=-180, high=180, canonical=0).circular


def test_random_choices_draw_from_named_seeding_streams():
    from fovkit.seeding import rng

    config = SMALL.model_copy(update={"seed": 11})
    table = whole(config, "all")
    for label in range(3):
        held = table.loc[(table["label"] == label) & (table["split"] == "held_out"), "instance"].unique()
        assert held.tolist() == rng(11, "render", "held_out", label).permutation(5)[:1].tolist()
    first = table[(table["label"] == 0) & (table["instance"] == 0)]
    points = rng(11, "render", "all_factors", 0).choice(3**4 * 4, size=20, replace=False)
    pose_digit = np.unravel_index(points, [3, 3, 3, 3, 4])[0]
    np.testing.assert_allclose(first["pose"], axis_values(config.axes["pose"], 3)[pose_digit])


@pytest.mark.parametrize("design", ["single", "paired", "all"])
def test_varies_flags_are_the_factor_table_definition(design: str):
    """The `varies_*` flags come from `varies_from_canonical`, the one definition `FactorTable.varies` uses too."""
    from fovkit.tables.factor_table import FactorSpec, FactorTable

    frame = whole(SMALL, design)
    names = list(SMALL.axes)
    specs = tuple(FactorSpec(name, "scalar", SMALL.axes[name].canonical) for name in names)
    table = FactorTable(frame, specs)
    flags = frame[[f"varies_{name}" for name in names]].to_numpy()
    assert np.array_equal(table.varies(), flags)
    canonical = all_backgrounds(SMALL).index(tuple(SMALL.canonical_background))
    background = frame["background_type"] + "/" + frame["background_index"].astype(str)
    kind, index = all_backgrounds(SMALL)[canonical]
    assert np.array_equal(frame["varies_background"], background != f"{kind}/{index % SMALL.backgrounds_per_type}")
