import numpy as np
import pandas as pd
import pytest

from fovkit.errors import InputError
from fovkit.metrics.gaps import ALL_FACTORS, CANONICAL, gap_group_masks, gap_intervals, gap_table
from fovkit.tables import FactorSpec, FactorTable, Predictions


def study_table() -> FactorTable:
    """Two classes; rows: canonical, pose varies, size varies, both vary (all design), repeated twice."""
    frame = pd.DataFrame(
        {
            "sample_id": [f"s{i}" for i in range(8)],
            "label": [0, 0, 0, 0, 1, 1, 1, 1],
            "pose": [36.0, 72.0, 36.0, 90.0] * 2,
            "size": [0.55, 0.55, 0.25, 0.85] * 2,
            "design": ["single", "single", "single", "all"] * 2,
        }
    )
    return FactorTable(frame, (FactorSpec("pose", "scalar", 36.0), FactorSpec("size", "scalar", 0.55)))


def test_groups_follow_the_canonical_values():
    masks = gap_group_masks(study_table())
    assert masks[CANONICAL].tolist() == [True, False, False, False] * 2
    assert masks["pose"].tolist() == [False, True, False, False] * 2
    assert masks["size"].tolist() == [False, False, True, False] * 2
    assert masks[ALL_FACTORS].tolist() == [False, False, False, True] * 2


def test_gaps_are_group_accuracy_minus_canonical_in_points():
    table = study_table()
    # model a: right on canonical and size, wrong on pose for class 1 and on the all-factor images.
    predicted = np.array([[0, 0, 0, 1, 1, 0, 1, 0], [0, 0, 0, 0, 1, 1, 1, 1]])
    predictions = Predictions(("a", "b"), table.sample_ids, predicted)
    gaps = gap_table(table, predictions).set_index("model")
    assert gaps.loc["a", "canonical_accuracy"] == 100
    assert gaps.loc["a", "pose_gap"] == -50
    assert gaps.loc["a", "size_gap"] == 0
    assert gaps.loc["a", "average_gap"] == -25
    assert gaps.loc["a", "all_factors_gap"] == -100
    assert (gaps.loc["b", ["pose_gap", "size_gap", "all_factors_gap"]] == 0).all()
    assert gaps.loc["a", "n_pose"] == 2


def test_gaps_per_class_and_on_a_subset_of_samples():
    table = study_table()
    answers = {"s5": 1, "s4": 1, "s3": 1, "s2": 0, "s1": 1, "s0": 0}  # s6, s7 are not predicted
    predictions = Predictions(("a",), pd.Index(list(answers)), np.array([list(answers.values())]))
    gaps = gap_table(table, predictions, by="label").set_index("label")
    assert gaps.loc[0, "canonical_accuracy"] == 100  # s0
    assert gaps.loc[0, "pose_gap"] == -100  # s1 predicted 1, label 0
    assert gaps.loc[0, "size_gap"] == 0  # s2
    assert gaps.loc[1, "pose_gap"] == 0  # s4 canonical and s5 pose both right
    assert np.isnan(gaps.loc[1, "size_gap"])  # s6 (size, class 1) was not predicted
    assert gaps.loc[1, "n_size"] == 0


def test_unknown_samples_are_refused():
    table = study_table()
    predictions = Predictions(("a",), pd.Index(["s0", "zz"]), np.array([[0, 0]]))
    with pytest.raises(InputError, match="zz"):
        gap_table(table, predictions)


def test_designs_choose_the_rows_of_the_canonical_and_one_factor_groups():
    table = study_table()
    frame = table.frame.assign(design=["single", "paired", "single", "all"] * 2)
    table = FactorTable(frame, table.factors)
    pooled = gap_group_masks(table)
    single = gap_group_masks(table, designs=["single"])
    assert pooled["pose"].tolist() == [False, True, False, False] * 2
    assert not single["pose"].any()
    assert single[CANONICAL].tolist() == pooled[CANONICAL].tolist()
    with pytest.raises(InputError, match="'single3'"):
        gap_group_masks(table, designs=["single3"])


def object_study(n_objects: int, seed: int) -> tuple[FactorTable, Predictions, np.ndarray]:
    """Per object: 1 canonical image, 4 pose images; pose accuracy varies strongly between objects."""
    generator = np.random.default_rng(seed)
    rows, predicted = [], []
    for obj in range(n_objects):
        skill = generator.uniform(0, 1)
        for image in range(5):
            rows.append({"sample_id": f"o{obj}-{image}", "label": obj % 2, "pose": 36.0 if image == 0 else 90.0})
            right = image == 0 or generator.uniform() < skill
            predicted.append(obj % 2 if right else 1 - obj % 2)
    frame = pd.DataFrame(rows)
    table = FactorTable(frame, (FactorSpec("pose", "scalar", 36.0),))
    clusters = frame["sample_id"].str.split("-").str[0].to_numpy()
    return table, Predictions(("m",), table.sample_ids, np.array([predicted])), clusters


def brute_force_cluster_bootstrap(table, predictions, clusters, n_resamples, seed):
    """Independent reference: draw whole objects with replacement, recompute the pose gap from the drawn rows."""
    generator = np.random.default_rng(seed)
    correct = predictions.predicted[0] == table.labels
    canonical = table.frame["pose"].to_numpy() == 36.0
    names = np.unique(clusters)
    rows_of = [np.flatnonzero(clusters == name) for name in names]
    gaps = []
    for _ in range(n_resamples):
        drawn = np.concatenate([rows_of[i] for i in generator.integers(0, len(names), len(names))])
        gaps.append(100 * (correct[drawn][~canonical[drawn]].mean() - correct[drawn][canonical[drawn]].mean()))
    return np.percentile(gaps, [2.5, 97.5])


def test_gap_intervals_match_an_independent_cluster_bootstrap():
    table, predictions, clusters = object_study(40, seed=3)
    long = gap_intervals(table, predictions, clusters, n_resamples=4000, seed=0).set_index("group")
    wide = gap_table(table, predictions).iloc[0]
    assert long.loc["pose", "gap"] == pytest.approx(wide["pose_gap"])
    assert long.loc["pose", "n"] == 160 and long.loc["pose", "clusters"] == 40
    assert long.loc[CANONICAL, ["gap", "gap_low", "gap_high"]].tolist() == [0.0, 0.0, 0.0]
    reference = brute_force_cluster_bootstrap(table, predictions, clusters, 4000, seed=1)
    # Two independent Monte-Carlo runs of 4,000 resamples: their 2.5% and 97.5% points differ by a few % of the width.
    spread = reference[1] - reference[0]
    assert long.loc["pose", ["gap_low", "gap_high"]].to_numpy() == pytest.approx(reference, abs=0.06 * spread)
    assert long.loc["pose", "gap_low"] < long.loc["pose", "gap"] < long.loc["pose", "gap_high"]


def test_image_level_resampling_would_be_too_narrow():
    """The cluster bootstrap is wider than pretending the 160 pose images were independent."""
    table, predictions, clusters = object_study(40, seed=3)
    by_object = gap_intervals(table, predictions, clusters, n_resamples=2000).set_index("group")
    by_image = gap_intervals(table, predictions, table.sample_ids.to_numpy(), n_resamples=2000).set_index("group")
    width = lambda frame: frame.loc["pose", "gap_high"] - frame.loc["pose", "gap_low"]  # noqa: E731
    assert width(by_object) > 1.2 * width(by_image)


def test_pooled_seeds_sum_counts_and_same_seed_gives_same_bounds():
    table, predictions, clusters = object_study(20, seed=5)
    doubled = Predictions(("m/seed0", "m/seed1"), predictions.sample_ids, np.repeat(predictions.predicted, 2, axis=0))
    one = gap_intervals(table, predictions, clusters, n_resamples=500, seed=4)
    two = gap_intervals(table, doubled, clusters, n_resamples=500, seed=4, pool=["m", "m"])
    pd.testing.assert_frame_equal(one, two)
    again = gap_intervals(table, predictions, clusters, n_resamples=500, seed=4)
    pd.testing.assert_frame_equal(one, again)
    with pytest.raises(InputError, match="pool"):
        gap_intervals(table, doubled, clusters, pool=["m"])


def test_average_row_is_the_mean_of_the_factor_gaps_with_its_own_interval():
    table = study_table()
    predicted = np.array([[0, 0, 0, 1, 1, 0, 1, 0]])
    clusters = table.frame["label"].to_numpy()
    long = gap_intervals(table, Predictions(("a",), table.sample_ids, predicted), clusters, n_resamples=200)
    long = long.set_index("group")
    assert list(long.index) == [CANONICAL, "pose", "size", ALL_FACTORS, "average"]
    assert long.loc["average", "gap"] == pytest.approx((long.loc["pose", "gap"] + long.loc["size", "gap"]) / 2)
    assert long.loc["average", "n"] == 4 and np.isnan(long.loc["average", "accuracy"])
    assert long.loc["average", "gap_low"] <= long.loc["average", "gap"] <= long.loc["average", "gap_high"]
