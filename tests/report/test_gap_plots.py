import numpy as np
import pandas as pd

from fovkit.report import gap_plots


def test_gap_bars_draw_one_bar_per_model_and_factor():
    gaps = pd.DataFrame(
        {
            "train_accuracy": [99.0, 98.0],
            "pose_gap": [-40.0, -30.0],
            "average_gap": [-20, -15],
            "all_factors_gap": [-50, -45],
        },
        index=pd.MultiIndex.from_tuples([("a", "linear"), ("a", "finetune")], names=["backbone", "protocol"]),
    )
    figure = gap_plots.gap_bars(gaps)
    axes = figure.axes[0]
    assert len(axes.patches) == 2 * 2  # pose and all factors, two models; the average is not drawn
    assert [text.get_text() for text in axes.get_xticklabels()] == ["pose", "all factors"]
    assert [text.get_text() for text in axes.get_legend().get_texts()] == ["a / linear", "a / finetune"]


def test_curves_heatmap_changes_and_similarity_figures():
    curves = pd.DataFrame(
        {
            "backbone": "b",
            "protocol": "linear",
            "train_factor": ["pose"] * 3,
            "fraction": [0.0, 0.5, 1.0],
            "group": ["pose"] * 3,
            "gap": [-40.0, -20.0, -5.0],
        }
    )
    figure = gap_plots.gap_curves_figure(curves, "title")
    line = figure.axes[0].get_lines()[0]
    assert np.allclose(line.get_xdata(), [0, 50, 100]) and np.allclose(line.get_ydata(), [-40, -20, -5])
    heatmap = pd.DataFrame([[0.4, 0.1], [0.05, 0.3]], index=["pose", "size"], columns=["pose", "size"])
    assert len(gap_plots.slope_heatmap_figure(heatmap, "slopes").axes[0].texts) == 4
    changes = pd.DataFrame(
        {"pose": [5.0], "size": [-1.0]}, index=pd.MultiIndex.from_tuples([("b", "linear", "all", 0.5)])
    )
    assert len(gap_plots.gap_change_bars(changes, "changes").axes[0].patches) == 2
    bins = pd.DataFrame(
        {"similarity": [0.2, 0.6], "gap": [-30.0, -10.0], "n": [3, 3], "standard_error": [2.0, 1.0]},
        index=pd.MultiIndex.from_tuples([("linear", 0), ("linear", 1)], names=["protocol", "bin"]),
    )
    assert gap_plots.similarity_figure(bins).axes[0].get_xlabel().startswith("similarity")
