import numpy as np
import pandas as pd
import pytest
from matplotlib.container import ErrorbarContainer

from fovkit.report import gap_plots
from fovkit.report.plots import FULL_WIDTH, contrast_ratio


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


def _error_bars(axes) -> list[np.ndarray]:
    """(low, high) ends of every drawn error bar, one array per errorbar call."""
    ends = []
    for container in axes.containers:
        if isinstance(container, ErrorbarContainer):
            (segments,) = container.lines[2]
            ends.append(np.array([segment[:, 1] for segment in segments.get_segments()]))
    return ends


def test_gap_bars_draw_the_intervals_as_error_bars(gap_table, gap_intervals):
    gap_intervals.loc[(gap_intervals["group"] == "size") & (gap_intervals["protocol"] == "finetune"), "gap_low"] = (
        np.nan
    )
    figure = gap_plots.gap_bars(gap_table, gap_intervals)
    axes = figure.axes[0]
    ends = _error_bars(axes)
    assert len(ends) == len(gap_table)  # one call per backbone x protocol
    first = gap_intervals[(gap_intervals["backbone"] == "fovkit:default") & (gap_intervals["protocol"] == "linear")]
    expected = first.set_index("group").loc[["pose", "position", "size", "lighting", "background", "all_factors"]]
    np.testing.assert_allclose(ends[0], expected[["gap_low", "gap_high"]].to_numpy(), atol=1e-9)
    assert len(ends[1]) == 5  # finetune: no error bar where the interval is undefined
    assert "95% intervals" in axes.get_title()
    assert _error_bars(gap_plots.gap_bars(gap_table).axes[0]) == []


def test_interval_values_lay_out_the_long_table_like_the_gap_table(gap_table, gap_intervals):
    partial = gap_intervals[gap_intervals["backbone"] != "timm:resnet50"]
    n = gap_plots.interval_values(partial, gap_table.index, "n")
    assert list(n.index) == list(gap_table.index)
    assert n.loc[("fovkit:default", "linear"), "pose"] == 1320 and n.loc[("timm:resnet50", "linear")].isna().all()
    with pytest.raises(ValueError, match="gap_low"):
        gap_plots.interval_values(partial.drop(columns="gap_low"), gap_table.index, "gap_low")


def test_slope_heatmap_writes_light_numbers_on_dark_cells(instances_tables):
    heatmap = instances_tables["heatmaps"]["linear"]
    figure = gap_plots.slope_heatmap_figure(heatmap, "slopes")
    axes = figure.axes[0]
    image = axes.get_images()[0]
    for text in axes.texts:
        column, row = (round(value) for value in text.get_position())
        cell = image.cmap(image.norm(heatmap.iloc[row, column]))
        assert contrast_ratio(text.get_color(), cell) >= 4.5, text.get_text()
    diagonal = [text for text in axes.texts if text.get_position()[0] == text.get_position()[1]]
    assert {text.get_color() for text in diagonal} == {"white"}  # the strongest slopes are the darkest cells


def test_gap_curves_balance_the_panels_and_fit_the_page(instances_tables):
    figure = gap_plots.gap_curves_figure(instances_tables["curves"], "curves")
    visible = [axes for axes in figure.axes if axes.get_visible()]
    assert len(visible) == 5 and figure.get_figwidth() <= FULL_WIDTH
    assert len({round(axes.get_position().x0, 3) for axes in visible}) == 3  # 3 + 2 panels, not 4 + 1
    assert [text.get_text() for text in figure.legends[0].get_texts()] == [
        "fovkit:default / finetune",
        "fovkit:default / linear",
    ]
