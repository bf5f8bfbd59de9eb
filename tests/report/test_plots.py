"""Tests of the report plots and the HTML building blocks, on small hand-made tables."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from fovkit.imagenetx.annotations import FACTORS, METACLASSES
from fovkit.report import plots
from fovkit.report.html import (
    NA,
    Section,
    bullet_list,
    format_pvalue,
    png_size,
    render_page,
    save_figure,
    table_block,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _ratios(n_models: int = 6, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = np.linspace(1.6, 0.6, len(FACTORS))  # pose hardest ... multiple_objects easiest
    values = base + rng.normal(0, 0.05, size=(n_models, len(FACTORS)))
    return pd.DataFrame(values, index=pd.Index([f"m{i}" for i in range(n_models)], name="model"), columns=FACTORS)


def _bars(figure: Figure) -> list[Rectangle]:
    axes = figure.axes[0]
    return [patch for patch in axes.patches if isinstance(patch, Rectangle)]


@pytest.fixture(autouse=True)
def _no_pyplot_figures():
    before = plt.get_fignums()
    rc = dict(mpl.rcParams)
    yield
    assert plt.get_fignums() == before, "a plot function registered a pyplot figure"
    changed = {key for key, value in mpl.rcParams.items() if rc.get(key) != value and key != "backend"}
    assert not changed, f"a plot function changed global rcParams: {sorted(changed)}"


def test_error_ratio_bars_one_bar_per_factor_and_group_sorted_by_mean():
    ratios = _ratios()
    ratios.iloc[:, 0] = 0.2  # pose becomes the easiest factor
    groups = pd.Series(["a", "b", "a", "b", "a", "b"], index=ratios.index)
    figure = plots.error_ratio_bars(ratios, groups, None)
    assert isinstance(figure, Figure)
    assert len(_bars(figure)) == len(FACTORS) * 2
    labels = [tick.get_text() for tick in figure.axes[0].get_xticklabels()]
    expected = ratios.mean().sort_values(ascending=False).index
    assert labels == [factor.replace("_", " ") for factor in expected]
    assert labels[-1] == "pose"
    heights = sorted(round(bar.get_height(), 6) for bar in _bars(figure))
    means = ratios.groupby(groups).mean().to_numpy().ravel()
    np.testing.assert_allclose(heights, np.sort(means), atol=1e-6)
    dashed = [line for line in figure.axes[0].get_lines() if line.get_linestyle() == "--"]
    assert any(np.allclose(line.get_ydata(), 1.0) for line in dashed)
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert legend == ["a (3)", "b (3)"]


def test_error_ratio_bars_fades_factors_without_significant_difference():
    ratios = _ratios()
    groups = pd.Series(["a", "b"] * 3, index=ratios.index)
    significant = pd.Series(False, index=pd.Index(FACTORS, name="factor"))
    significant["texture"] = True
    figure = plots.error_ratio_bars(ratios, groups, significant)
    bars = _bars(figure)
    opaque = [bar for bar in bars if bar.get_alpha() in (None, 1.0)]
    faded = [bar for bar in bars if bar.get_alpha() == pytest.approx(0.3)]
    assert len(opaque) == 2  # texture, one bar per group
    assert len(faded) == len(bars) - 2
    texture = [tick.get_text() for tick in figure.axes[0].get_xticklabels()].index("texture")
    assert all(abs(bar.get_x() + bar.get_width() / 2 - texture) < 0.5 for bar in opaque)
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert "faded: no significant difference between groups" in legend


def test_error_ratio_bars_without_groups_and_with_nan_and_ungrouped_models():
    ratios = _ratios(3)
    ratios.loc[:, "style"] = np.nan
    ratios.loc["m0", "pose"] = np.inf  # a model without mistakes overall
    figure = plots.error_ratio_bars(ratios, None, None)
    assert len(_bars(figure)) == len(FACTORS) - 1  # style has no finite value: no bar
    assert all(np.isfinite(bar.get_height()) for bar in _bars(figure))
    assert np.isfinite(figure.axes[0].get_ylim()).all()
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["all models (3)"]
    partial = pd.Series({"m0": "a", "m1": "a"})
    figure = plots.error_ratio_bars(ratios, partial, None)
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["a (2)", "ungrouped (1)"]


def test_factor_vs_overall_accuracy_marks_every_factor_and_the_worst_columns():
    accuracies = 0.8 - 0.1 * _ratios() / 2
    accuracies["worst_factor"] = accuracies[list(FACTORS)].min(axis=1)
    accuracies["average"] = np.linspace(0.6, 0.85, len(accuracies))
    accuracies["worst_100_classes"] = accuracies["average"] - 0.1
    figure = plots.factor_vs_overall_accuracy(accuracies)
    axes = figure.axes[0]
    collections = [c for c in axes.collections if isinstance(c, PathCollection)]
    assert len(collections) == len(FACTORS) + 2
    for collection in collections:
        np.testing.assert_allclose(collection.get_offsets()[:, 0], accuracies["average"])
    legend = [text.get_text() for text in figure.legends[0].get_texts()]  # below the axes, beside the other plot
    assert {"worst factor", "worst 100 classes", "y = x", "partial view"} <= set(legend)
    diagonal = [line for line in axes.get_lines() if line.get_linestyle() == "--"]
    assert len(diagonal) == 1
    np.testing.assert_allclose(diagonal[0].get_xdata(), diagonal[0].get_ydata())


def test_factor_vs_overall_accuracy_needs_the_average_column():
    with pytest.raises(ValueError, match="'average'"):
        plots.factor_vs_overall_accuracy(_ratios())


def test_metaclass_heatmap_averages_over_models_and_blanks_nan():
    models = ["m0", "m1"]
    index = pd.MultiIndex.from_product([models, METACLASSES], names=["model", "metaclass"])
    rng = np.random.default_rng(1)
    ratios = pd.DataFrame(rng.uniform(0.5, 1.5, size=(len(index), len(FACTORS))), index=index, columns=FACTORS)
    ratios.loc[(slice(None), "dog"), "shape"] = np.nan
    figure = plots.metaclass_factor_heatmap(ratios)
    image = figure.axes[0].get_images()[0]
    data = image.get_array()
    assert data.shape == (len(METACLASSES), len(FACTORS))
    expected = ratios.groupby(level="metaclass", sort=False).mean()
    np.testing.assert_allclose(data.filled(np.nan), expected.to_numpy())
    dog, shape = METACLASSES.index("dog"), FACTORS.index("shape")
    assert data.mask[dog, shape]
    assert image.norm(1.0) == pytest.approx(0.5)  # centred at 1
    assert len(figure.axes[0].texts) == data.size - 1
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()][:2] == ["device", "dog"]


def test_prevalence_shift_bars_sorted_with_largest_on_top():
    shift = _ratios() - 1.0
    figure = plots.prevalence_shift_bars(shift)
    axes = figure.axes[0]
    widths = [bar.get_width() for bar in _bars(figure)]
    assert widths == sorted(widths)
    assert axes.get_yticklabels()[-1].get_text() == "pose"


def test_correlation_heatmap_shows_only_significant_cells():
    names = [*FACTORS[:3], "dog", "bird"]
    rho = pd.DataFrame(np.full((5, 5), 0.3), index=names, columns=names)
    pvalue = pd.DataFrame(np.full((5, 5), 0.001), index=names, columns=names)
    pvalue.loc["pose", "dog"] = pvalue.loc["dog", "pose"] = 0.2
    figure = plots.correlation_heatmap(rho, pvalue, FACTORS)
    meta, factor = (axes.get_images()[0].get_array() for axes in figure.axes[:2])
    assert meta.shape == (2, 3) and factor.shape == (3, 3)
    assert meta.mask[0, 0] and not meta.mask[0, 1]  # dog/pose blank, dog/background shown
    assert factor.mask.diagonal().all() and not factor.mask[0, 1]


@pytest.mark.parametrize(
    "build",
    [
        lambda empty: plots.error_ratio_bars(empty),
        lambda empty: plots.factor_vs_overall_accuracy(empty.assign(average=[])),
        lambda empty: plots.prevalence_shift_bars(empty),
    ],
)
def test_empty_tables_raise_a_clear_error(build):
    empty = pd.DataFrame(columns=list(FACTORS), dtype=float)
    with pytest.raises(ValueError, match="no rows"):
        build(empty)


def test_save_figure_writes_valid_reproducible_png_and_svg(tmp_path):
    saved = save_figure(plots.error_ratio_bars(_ratios()), tmp_path / "plots", "bars", svg=True)
    assert saved.png == tmp_path / "plots" / "bars.png"
    assert saved.png.read_bytes().startswith(PNG_MAGIC)
    assert saved.png.read_bytes() == saved.png_bytes
    root = ET.parse(saved.svg).getroot()
    assert root.tag.endswith("svg")
    again = save_figure(plots.error_ratio_bars(_ratios()), tmp_path / "again", "bars", svg=True)
    assert again.png.read_bytes() == saved.png.read_bytes()
    assert again.svg.read_bytes() == saved.svg.read_bytes()


def test_save_figure_writes_png_only_by_default(tmp_path):
    saved = save_figure(plots.error_ratio_bars(_ratios()), tmp_path, "bars")
    assert saved.svg is None and [path.name for path in tmp_path.iterdir()] == ["bars.png"]
    width, height = png_size(saved.png_bytes)
    assert (width, height) == (round(plots.FULL_WIDTH * plots.DPI), round(4.4 * plots.DPI))


def _metaclass_heatmap() -> Figure:
    index = pd.MultiIndex.from_product([["m0", "m1"], METACLASSES], names=["model", "metaclass"])
    rng = np.random.default_rng(3)
    ratios = pd.DataFrame(rng.uniform(0.0, 2.5, size=(len(index), len(FACTORS))), index=index, columns=FACTORS)
    return plots.metaclass_factor_heatmap(ratios)


def _correlation_heatmap() -> Figure:
    names = [*FACTORS, "dog", "bird"]
    rho = pd.DataFrame(
        np.random.default_rng(4).uniform(-0.6, 0.6, (len(names), len(names))), index=names, columns=names
    )
    return plots.correlation_heatmap(rho, rho * 0, FACTORS)


def _accuracy_scatter() -> Figure:
    accuracies = 0.8 - 0.1 * _ratios() / 2
    accuracies["worst_factor"] = accuracies[list(FACTORS)].min(axis=1)
    accuracies["average"] = np.linspace(0.6, 0.85, len(accuracies))
    return plots.factor_vs_overall_accuracy(accuracies)


FIGURES = {
    "error_ratio_bars": lambda: plots.error_ratio_bars(_ratios(), pd.Series(["a", "b"] * 3, index=_ratios().index)),
    "factor_vs_overall_accuracy": _accuracy_scatter,
    "prevalence_shift_bars": lambda: plots.prevalence_shift_bars(_ratios() - 1.0),
    "metaclass": _metaclass_heatmap,
    "correlation": _correlation_heatmap,
}


@pytest.mark.parametrize("name", ["metaclass", "correlation"])
def test_heatmap_numbers_contrast_with_their_cell(name):
    figure = FIGURES[name]()
    checked = 0
    for axes in figure.axes:
        for image in axes.get_images():
            data = image.get_array()
            for text in axes.texts:
                column, row = (round(value) for value in text.get_position())
                cell = image.cmap(image.norm(data[row, column]))
                ratio = plots.contrast_ratio(text.get_color(), cell)
                assert ratio >= 4.5, f"{text.get_text()} in {text.get_color()} on {cell}: contrast {ratio:.1f}"
                checked += 1
    colours = {text.get_color() for axes in figure.axes for text in axes.texts}
    assert checked > 20 and colours == {"black", "white"}  # dark cells get white numbers, light cells black


def test_text_color_follows_luminance():
    assert plots.text_color("#08306b") == "white" and plots.text_color("#67001f") == "white"
    assert plots.text_color("#f7f7f7") == "black" and plots.text_color("#fddbc7") == "black"
    assert plots.contrast_ratio("black", "white") == pytest.approx(21.0)
    assert plots.relative_luminance("white") == pytest.approx(1.0)


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figures_fit_the_page_with_legible_labels(name):
    figure = FIGURES[name]()
    assert figure.get_figwidth() <= plots.FULL_WIDTH  # shown at 1:1, never shrunk at 1280 px
    labels = [label for axes in figure.axes for label in [*axes.get_xticklabels(), *axes.get_yticklabels()]]
    labels = [label for label in labels if label.get_text()]
    assert labels
    smallest = min(label.get_fontsize() for label in labels)
    assert smallest * plots.DPI / 72 >= 15, f"tick labels of {smallest} pt are too small on the page"
    for axes in figure.axes:
        for text in axes.texts:
            assert text.get_fontsize() * plots.DPI / 72 >= 12


def test_table_block_rounds_shows_nan_as_dash_escapes_and_cuts_long_tables():
    frame = pd.DataFrame(
        {"accuracy": [0.123456, np.nan, 0.5, 0.25], "name": ["<b>x</b>", "y", "z", "w"], "p": [1e-9, 0.2, 0.3, 0.4]},
        index=pd.Index(["a", "b", "c", "d"], name="model"),
    )
    html = table_block(frame, "Caption `code`", max_rows=3, formatters={"p": format_pvalue})
    assert "0.123" in html and "0.1234" not in html
    assert f"<td>{NA}</td>" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert "&lt;0.001" in html
    assert "Showing the first 3 of 4 models" in html
    assert "<code>code</code>" in html
    assert "<td>w</td>" not in html


def test_render_page_is_self_contained_and_escapes_titles():
    section = Section("A & B", "a-b").add(bullet_list(["x `y`"]))
    page = render_page("Title <1>", [section])
    assert page.startswith("<!DOCTYPE html>")
    assert "Title &lt;1&gt;" in page and "A &amp; B" in page
    assert 'href="#a-b"' in page and "<li>x <code>y</code></li>" in page
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page and "<link" not in page
