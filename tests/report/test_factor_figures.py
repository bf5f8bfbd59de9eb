import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from fovkit.report import factor_figures
from fovkit.report.plots import contrast_ratio


def _texts(axes) -> list[str]:
    return [text.get_text() for text in axes.texts]


def test_active_factors_bars_with_share_labels_and_a_log_axis_for_rare_counts():
    table = pd.DataFrame(
        {"active": [2, 0, 1, 3], "images": [600, 1, 300, 0], "share": [600 / 901, 1 / 901, 300 / 901, 0]}
    )
    figure = factor_figures.active_factors_figure(table)
    assert isinstance(figure, Figure)
    axes = figure.axes[0]
    assert [patch.get_height() for patch in axes.patches] == [1, 300, 600, 0]  # sorted by count of factors
    assert _texts(axes) == ["0.111%", "33.3%", "66.6%", ""]  # share labels; none on the empty bar
    assert axes.get_yscale() == "log" and axes.get_ylabel() == "images (log scale)"
    assert axes.get_xlabel() == "number of factors that vary in an image"
    assert "901 images" in axes.get_title()


def test_active_factors_stay_linear_when_counts_are_close():
    table = pd.DataFrame({"active": [0, 1], "images": [3, 5], "share": [0.375, 0.625]})
    axes = factor_figures.active_factors_figure(table).axes[0]
    assert axes.get_yscale() == "linear" and axes.get_ylabel() == "images"


def test_shift_correlation_heatmap_reads_r_with_stars_and_leaves_nan_blank():
    table = pd.DataFrame(
        {
            "shift": ["ImageNet-R", "ImageNet-R", "Greyscale", "Greyscale"],
            "factor": ["pose", "partial_view", "pose", "partial_view"],
            "pearson_r": [0.912, -0.35, np.nan, 0.1],
            "p_value": [0.0004, 0.03, np.nan, 0.6],
            "n_models": [8, 8, 2, 6],
        }
    )
    figure = factor_figures.shift_correlation_figure(table)
    axes = figure.axes[0]
    assert sorted(_texts(axes)) == sorted(["0.91***", "-0.35*", "0.10"])
    assert [text.get_text() for text in axes.get_xticklabels()] == ["ImageNet-R", "Greyscale"]
    assert [text.get_text() for text in axes.get_yticklabels()] == ["pose", "partial view"]
    image = axes.get_images()[0]
    assert image.get_array().mask[0, 1]  # Greyscale x pose has no r
    assert figure.axes[1].get_ylabel() == "Pearson r"
    assert "2 to 8 models" in axes.get_title()
    for text in axes.texts:
        assert contrast_ratio(text.get_color(), image.cmap(image.norm(float(text.get_text().rstrip("*"))))) >= 4.5


def test_factor_distribution_panels_per_counting_bars_per_partition():
    rows = [
        (partition, counting, factor, 0, share)
        for partition in ("train", "val")
        for counting, factor, share in [
            ("all", "pose", 0.9),
            ("all", "object_blocking", 0.005),
            ("all", "color", 0.3),
            ("top", "pose", 0.3),
            ("top", "object_blocking", 0.01),
            ("top", "color", 0.2),
        ]
    ]
    table = pd.DataFrame(rows, columns=["partition", "counting", "factor", "images", "share"])
    table["share"] *= np.where(table["partition"] == "val", 0.9, 1.0)
    figure = factor_figures.factor_distribution_figure(table)
    top, bottom = figure.axes[:2]
    assert top.get_title(loc="left").startswith("all factors") and bottom.get_title(loc="left").startswith("top factor")
    assert [text.get_text() for text in bottom.get_xticklabels()] == ["pose", "color", "object blocking"]
    assert len(top.patches) == len(bottom.patches) == 3 * 2
    assert [patch.get_height() for patch in top.patches[:3]] == pytest.approx([0.9, 0.3, 0.005])  # train bars
    assert top.get_yscale() == "log" and bottom.get_yscale() == "linear"  # 180x range vs 30x range
    assert [text.get_text() for text in figure.legends[0].get_texts()] == ["train", "val"]
    assert top.yaxis.get_major_formatter()(0.001, 0) == "0.1%"


@pytest.mark.parametrize(
    ("build", "columns"),
    [
        (factor_figures.active_factors_figure, ["active", "images"]),
        (factor_figures.shift_correlation_figure, ["shift", "factor", "pearson_r"]),
        (factor_figures.factor_distribution_figure, ["partition", "factor", "share"]),
    ],
)
def test_tables_without_rows_or_columns_are_refused(build, columns):
    with pytest.raises(ValueError, match="no rows"):
        build(pd.DataFrame(columns=columns))
    with pytest.raises(ValueError, match="lacks column"):
        build(pd.DataFrame({column: [1] for column in columns}))


def test_figures_leave_pyplot_and_rcparams_alone():
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    before = dict(mpl.rcParams)
    factor_figures.active_factors_figure(pd.DataFrame({"active": [0], "images": [1], "share": [1.0]}))
    assert plt.get_fignums() == [] and dict(mpl.rcParams) == before
