import numpy as np
import pandas as pd
import pytest

from fovkit.errors import InputError
from fovkit.metrics.gaps import ALL_FACTORS, CANONICAL, gap_group_masks, gap_table
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
