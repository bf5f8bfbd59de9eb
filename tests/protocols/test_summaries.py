import numpy as np
import pandas as pd
import pytest

from fovkit.protocols import summaries


def test_curves_start_at_the_baseline_and_slopes_recover_the_generating_lines(linear_gap_runs: pd.DataFrame):
    runs = linear_gap_runs
    curves = summaries.gap_curves(runs, ["pose", "size"])
    start = curves[(curves["fraction"] == 0) & (curves["train_factor"] == "size") & (curves["group"] == "size")]
    assert start["gap"].tolist() == [-40.0, -40.0]
    slope_table = summaries.slopes(curves)
    heatmap = summaries.slope_heatmap(slope_table, "linear")
    assert heatmap.loc["pose", "pose"] == pytest.approx(0.4)
    assert heatmap.loc["pose", "size"] == pytest.approx(0.1)
    assert heatmap.loc["size", "pose"] == pytest.approx(0.05)
    assert summaries.slope_heatmap(slope_table, "finetune").loc["size", "size"] == pytest.approx(0.15)
    average = summaries.average_slopes(slope_table)
    assert average.loc["linear", "mean"] == pytest.approx(0.35)
    assert average.loc["linear", "std"] == pytest.approx(np.std([0.4, 0.3], ddof=1))
    same = summaries.same_factor_curves(curves)
    assert list(same.columns) == ["0%", "25%", "50%", "75%"]
    assert same.loc[("fovkit:default", "linear", "pose"), "50%"] == pytest.approx(-20.0)


def test_gap_changes_are_relative_to_no_variability(linear_gap_runs: pd.DataFrame):
    runs = linear_gap_runs
    changes = summaries.gap_changes(runs)
    row = changes.loc[("fovkit:default", "linear", "pose", 0.5)]
    assert row["pose"] == pytest.approx(20.0)
    assert row["all_factors"] == pytest.approx(10.0)


class Letters:
    """A fake sentence encoder: names sharing a first letter are identical vectors."""

    def encode(self, sentences: list[str]) -> np.ndarray:
        return np.array([[1.0, 0.0] if name[0] < "m" else [0.0, 1.0] for name in sentences]) + 0.01


def class_runs() -> pd.DataFrame:
    rows = []
    for label, varying, gap in ((0, True, -10.0), (1, False, -30.0), (2, False, -50.0), (3, True, -20.0)):
        rows.append(("b", "linear", 0, "pose", 0.5, label, "pose", gap, varying))
        rows.append(("b", "linear", 0, "pose", 0.5, label, "canonical", 0.0, varying))
    columns = ["backbone", "protocol", "seed", "train_factor", "fraction", "label", "group", "gap", "varying_class"]
    return pd.DataFrame(rows, columns=columns)


def test_class_gaps_and_nearest_varying_class():
    runs = class_runs()
    table = summaries.class_gaps(runs)
    row = table.loc[("b", "linear", "pose")]
    assert row["varying_classes_gap"] == -15.0
    assert row["other_classes_gap"] == -40.0
    assert row["difference"] == -25.0
    similarity = summaries.class_similarity(runs, ["apple", "avocado", "zebra", "zucchini"], Letters())
    assert similarity.set_index("class_name")["nearest_varying_class"].to_dict() == {
        "avocado": "apple",
        "zebra": "zucchini",
    }
    bins = summaries.similarity_bins(similarity, bins=2)
    assert bins["n"].sum() == 2
