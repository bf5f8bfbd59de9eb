from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fovkit.errors import InputError
from fovkit.render.config import RenderConfig
from fovkit.render.counts import design_sizes
from fovkit.render.design import design_table
from fovkit.render.splits import (
    all_factors_set,
    canonical_rows,
    canonical_training_set,
    varying_classes_set,
    varying_instances_set,
    varying_rows,
    varying_samples_set,
)

CONFIG = RenderConfig(classes=4, instances_per_class=5, single_values=5, combinations=10, designs=("single", "all"))


@pytest.fixture(scope="module")
def samples() -> pd.DataFrame:
    parts = [design_table(CONFIG, size.design, 0, size.total) for size in design_sizes(CONFIG)]
    return pd.concat(parts, ignore_index=True)


def test_canonical_training_set_holds_train_instances_only(samples: pd.DataFrame):
    rows = canonical_training_set(samples)
    assert set(rows["split"]) == {"train"}
    assert not rows.filter(like="varies_").to_numpy().any()
    assert rows.groupby("label")["instance"].nunique().eq(4).all()  # 5 instances, 1 held out


@pytest.mark.parametrize("fraction", [0.0, 0.4, 1.0])
def test_varying_samples_fraction_per_object(samples: pd.DataFrame, fraction: float):
    rows = varying_samples_set(samples, "pose", fraction, seed=0)
    per_object = rows.groupby(["label", "instance"])["varies_pose"].agg(["mean", "size"])
    varying = CONFIG.single_values - 1  # one of the five pose values is the canonical one
    assert per_object["mean"].round(6).eq(round(round(fraction * varying) / varying, 6)).all()
    assert per_object["size"].eq(varying).all()
    assert not rows[["varies_size", "varies_background"]].to_numpy().any()


def test_varying_instances_fraction_per_class(samples: pd.DataFrame):
    rows = varying_instances_set(samples, ["size"], 0.5, seed=3)
    varying_objects = rows[rows["varies_size"]].groupby("label")["instance"].nunique()
    assert varying_objects.eq(2).all()  # round(0.5 * 4 train instances)
    seen_varying = set(map(tuple, rows.loc[rows["varies_size"], ["label", "instance"]].to_numpy()))
    canonical = canonical_rows(rows)
    assert not seen_varying & set(map(tuple, canonical[["label", "instance"]].to_numpy()))
    pd.testing.assert_frame_equal(rows, varying_instances_set(samples, ["size"], 0.5, seed=3))


def test_varying_classes_split_classes(samples: pd.DataFrame):
    rows, labels = varying_classes_set(samples, ["background"], 0.5, seed=1)
    assert len(labels) == 2
    assert set(rows.loc[rows["varies_background"], "label"]) == set(labels)
    assert set(canonical_rows(rows)["label"]).isdisjoint(labels)


def test_all_factors_fraction(samples: pd.DataFrame):
    rows = all_factors_set(samples, 0.5, seed=0)
    train_all = samples[(samples["design"] == "all") & (samples["split"] == "train")]
    assert (rows["design"] == "all").sum() == round(0.5 * len(train_all))
    with pytest.raises(InputError, match="fraction must lie"):
        all_factors_set(samples, 1.5, seed=0)
    with pytest.raises(InputError, match="no rows of the 'all' design"):
        all_factors_set(samples[samples["design"] == "single"], 0.5, seed=0)
    with pytest.raises(InputError, match="unknown factors"):
        varying_samples_set(samples, "colour", 0.5, seed=0)


def test_instance_choices_draw_from_named_seeding_streams(samples: pd.DataFrame):
    from fovkit.seeding import rng

    rows = varying_instances_set(samples, ["size"], 0.5, seed=3)
    for label in range(4):
        train = sorted(samples.loc[(samples["label"] == label) & (samples["split"] == "train"), "instance"].unique())
        picked = rng(3, "splits", "varying_instances", label).choice(4, 2, replace=False)
        expected = sorted(train[index] for index in picked)
        seen = rows.loc[(rows["label"] == label) & rows["varies_size"], "instance"].unique()
        assert sorted(seen.tolist()) == expected


def test_varying_only_is_the_shared_group_definition():
    """`varying_only` (fovkit.tables.factor_table): canonical rows, and rows where only chosen factors vary."""
    from fovkit.tables.factor_table import varying_only

    varies = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1]], dtype=bool)
    assert varying_only(varies).tolist() == [True, False, False, False, False]
    assert varying_only(varies, [0]).tolist() == [False, True, False, False, False]
    assert varying_only(varies, [0, 1]).tolist() == [False, True, True, True, False]
    assert varying_only(np.zeros((2, 0), dtype=bool)).tolist() == [True, True]


def test_canonical_and_varying_rows_follow_the_flags(samples: pd.DataFrame):
    flags = samples[[column for column in samples if column.startswith("varies_")]]
    assert canonical_rows(samples).index.equals(samples.index[~flags.any(axis=1)])
    pose = varying_rows(samples, ["pose"])
    assert pose["varies_pose"].all() and not pose[flags.columns.drop("varies_pose")].any(axis=None)
    with pytest.raises(InputError, match=r"unknown factors \['posture'\]"):
        varying_rows(samples, ["posture"])
