"""Figures of the factor tables an analysis folder holds: active factors, shift correlations, factor distribution."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, NullFormatter, StrMethodFormatter

from fovkit.report.plots import (
    ANNOTATION_SIZE,
    FULL_WIDTH,
    _palette,
    _require_rows,
    _styled,
    new_figure,
    text_color,
)

LOG_SCALE_RANGE = 100.0
"""Bars switch to a logarithmic axis when the largest positive value is this many times the smallest one, so that
rare counts (one image with eleven active factors) stay visible beside common ones."""
COUNTING_TITLES = {
    "all": "all factors: every factor the annotator selected",
    "top": "top factor: the one main factor per image",
}
SIGNIFICANCE_STARS = ((0.001, "***"), (0.01, "**"), (0.05, "*"))


def _require_columns(table: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}; it has {list(table.columns)}")


def _label(name: object) -> str:
    return str(name).replace("_", " ")


def _percent(share: float) -> str:
    """A share as a percentage with three significant digits: 39.4%, 3.67%, 0.00434%."""
    return f"{100 * share:.3g}%"


def _log_if_wide(axes: Axes, values: np.ndarray) -> bool:
    """Put the y axis on a log scale when positive `values` span `LOG_SCALE_RANGE` or more; say whether it did."""
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size == 0 or positive.max() < LOG_SCALE_RANGE * positive.min():
        return False
    axes.set_yscale("log")
    axes.set_ylim(positive.min() / 2, positive.max() * 3)  # room below the smallest bar and above for labels
    axes.yaxis.set_minor_formatter(NullFormatter())  # decade labels only; minor labels would crowd the axis
    return True


@_styled
def active_factors_figure(table: pd.DataFrame) -> Figure:
    """Images by the number of factors that vary in them, each bar labelled with its share (ImageNet-X Figure 7).

    Args:
        table: `active_factors.csv`: columns `active`, `images` and `share`, one row per count.

    """
    _require_rows(table, "active_factors")
    _require_columns(table, ["active", "images", "share"], "active_factors")
    table = table.sort_values("active")
    active = table["active"].to_numpy(dtype=np.int64)
    images = table["images"].to_numpy(dtype=np.float64)

    figure = new_figure(min(FULL_WIDTH, 3.6 + 0.45 * len(table)), 3.8)
    axes = figure.add_subplot()
    bars = axes.bar(active, images, width=0.7, color=_palette(1)[0])
    labels = [_percent(share) if count > 0 else "" for count, share in zip(images, table["share"], strict=True)]
    axes.bar_label(bars, labels, padding=2, fontsize=ANNOTATION_SIZE)
    log = _log_if_wide(axes, images)
    if not log:
        axes.set_ylim(0, max(images.max(), 1) * 1.15)
    axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes.set_xticks(active)
    axes.set_xlabel("number of factors that vary in an image")
    axes.set_ylabel("images" + (" (log scale)" if log else ""))
    axes.yaxis.grid(True, color="0.9")
    axes.set_axisbelow(True)
    axes.set_title(f"Factors varying per image ({int(images.sum()):,} images; labels: share)")
    return figure


@_styled
def shift_correlation_figure(table: pd.DataFrame) -> Figure:
    """Factor x distribution-shift heatmap of the Pearson r between error ratios and shift scores (Figure 19).

    Args:
        table: `shift_correlation.csv`: columns `shift`, `factor`, `pearson_r`, `p_value` and `n_models`.

    Returns:
        The figure; cells read r with stars for its two-sided p-value (unadjusted), blank where r is NaN.

    """
    _require_rows(table, "shift_correlation")
    _require_columns(table, ["shift", "factor", "pearson_r", "p_value", "n_models"], "shift_correlation")
    shifts = list(dict.fromkeys(table["shift"]))
    factors = list(dict.fromkeys(table["factor"]))
    r, p = (
        table.pivot(index="factor", columns="shift", values=column).reindex(index=factors, columns=shifts)
        for column in ("pearson_r", "p_value")
    )
    values, p_values = r.to_numpy(dtype=np.float64), p.to_numpy(dtype=np.float64)

    figure = new_figure(max(6.4, 3.4 + 1.1 * len(shifts)), 0.34 * len(factors) + 2.4)
    axes = figure.add_subplot()
    cmap = mpl.colormaps["RdBu_r"].with_extremes(bad="white")
    norm = mpl.colors.Normalize(-1.0, 1.0)
    image = axes.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto")
    for row, column in zip(*np.nonzero(np.isfinite(values)), strict=True):
        value = values[row, column]
        stars = next((mark for level, mark in SIGNIFICANCE_STARS if p_values[row, column] <= level), "")
        axes.text(
            column,
            row,
            f"{value:.2f}{stars}",
            ha="center",
            va="center",
            fontsize=ANNOTATION_SIZE,
            color=text_color(cmap(norm(value))),
            in_layout=False,
        )
    axes.set_xticks(range(len(shifts)), [str(shift) for shift in shifts], rotation=30, ha="right")
    axes.set_yticks(range(len(factors)), [_label(factor) for factor in factors])
    axes.tick_params(length=0)
    for spine in axes.spines.values():
        spine.set_visible(False)
    axes.set_xlabel("distribution shift")
    figure.colorbar(image, ax=axes, shrink=0.8, pad=0.01, label="Pearson r")
    counts = table["n_models"].to_numpy(dtype=np.int64)
    models = f"{counts.max()}" if counts.min() == counts.max() else f"{counts.min()} to {counts.max()}"
    axes.set_title(f"Factor error ratio vs shift score (Pearson r across {models} models)")
    figure.supxlabel("* p < 0.05   ** p < 0.01   *** p < 0.001 (unadjusted); blank: too few models", fontsize=9)
    return figure


@_styled
def factor_distribution_figure(table: pd.DataFrame) -> Figure:
    """Share of images in which each factor is active, bars per partition, one panel per counting (Figure 2).

    Args:
        table: `factor_distribution.csv`: columns `partition`, `counting`, `factor`, `images` and `share`.

    Returns:
        The figure; factors are sorted by their mean share over all bars, highest first, in every panel.

    """
    _require_rows(table, "factor_distribution")
    _require_columns(table, ["partition", "counting", "factor", "share"], "factor_distribution")
    countings = list(dict.fromkeys(table["counting"]))
    partitions = list(dict.fromkeys(table["partition"]))
    order = table.groupby("factor", sort=False)["share"].mean().sort_values(ascending=False, kind="stable").index
    colors = _palette(len(partitions))
    width = 0.8 / len(partitions)
    positions = np.arange(len(order))

    figure = new_figure(FULL_WIDTH, 2.3 * len(countings) + 1.6)
    axes_grid = figure.subplots(len(countings), 1, sharex=True, squeeze=False)
    for axes, counting in zip(axes_grid[:, 0], countings, strict=True):
        shares = (
            table[table["counting"] == counting]
            .pivot(index="factor", columns="partition", values="share")
            .reindex(index=order, columns=partitions)
        )
        for rank, partition in enumerate(partitions):
            offsets = positions - 0.4 + width * (rank + 0.5)
            axes.bar(offsets, shares[partition].to_numpy(dtype=np.float64), width=width, color=colors[rank])
        log = _log_if_wide(axes, shares.to_numpy(dtype=np.float64))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{100 * value:g}%"))  # 0.1%, not 0%
        axes.set_ylabel("share of images" + (" (log)" if log else ""))
        axes.yaxis.grid(True, color="0.9")
        axes.set_axisbelow(True)
        axes.set_title(COUNTING_TITLES.get(str(counting), str(counting)), loc="left")
    axes_grid[-1, 0].set_xticks(positions, [_label(factor) for factor in order], rotation=30, ha="right")
    handles = [Patch(color=colors[rank], label=str(partition)) for rank, partition in enumerate(partitions)]
    figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
    figure.suptitle("How often each factor is annotated")
    return figure


@_styled
def corruption_error_figure(errors: pd.DataFrame) -> Figure:
    """Error against severity, one panel per corruption and one line per model (ImageNet-C's Figure 3 layout)."""
    _require_columns(errors, ["model", "corruption", "severity", "error"], "corruption_errors")
    _require_rows(errors, "corruption_errors")
    corruptions = list(pd.unique(errors["corruption"]))
    models = list(pd.unique(errors["model"]))
    columns = min(5, len(corruptions))
    rows = -(-len(corruptions) // columns)
    figure = new_figure(FULL_WIDTH, 1.7 * rows + 0.6)
    grid = figure.subplots(rows, columns, squeeze=False, sharex=True, sharey=True)
    colors = dict(zip(models, _palette(len(models)), strict=True))
    for axes, corruption in zip(grid.flat, corruptions, strict=False):
        part = errors[errors["corruption"] == corruption]
        for model, lines in part.groupby("model", sort=False):
            lines = lines.sort_values("severity")
            axes.plot(
                lines["severity"], 100 * lines["error"], marker="o", markersize=3, color=colors[model], label=model
            )
        axes.set_title(_label(corruption), fontsize=ANNOTATION_SIZE)
        axes.set_ylim(0, 100)
    for axes in grid.flat[len(corruptions) :]:
        axes.set_visible(False)
    for axes in grid[-1]:
        axes.set_xlabel("severity")
    for axes in grid[:, 0]:
        axes.set_ylabel("error (%)")
    if len(models) > 1:
        figure.legend(*grid.flat[0].get_legend_handles_labels(), loc="outside lower center", ncol=min(4, len(models)))
    return figure


@_styled
def mce_figure(per_model: pd.DataFrame) -> Figure:
    """Per model: clean error and mean corruption error (and mCE when a baseline normalises it), as bars."""
    _require_rows(per_model, "mce")
    table = per_model.set_index("model") if "model" in per_model.columns else per_model
    measures = [column for column in ("clean_error", "mean_error", "mce", "relative_mce") if column in table.columns]
    measures = [column for column in measures if table[column].notna().any()]
    figure = new_figure(FULL_WIDTH, 0.5 + 0.35 * len(table) * len(measures) + 0.8)
    axes = figure.subplots()
    height = 0.8 / len(measures)
    positions = np.arange(len(table))
    for index, (measure, color) in enumerate(zip(measures, _palette(len(measures)), strict=True)):
        values = 100 * table[measure].to_numpy(dtype=float)
        label = {
            "clean_error": "clean error",
            "mean_error": "mean corruption error",
            "mce": "mCE",
            "relative_mce": "relative mCE",
        }
        axes.barh(positions + index * height, values, height=height, color=color, label=label[measure])
    axes.set_yticks(positions + height * (len(measures) - 1) / 2, [str(model) for model in table.index])
    axes.invert_yaxis()
    axes.set_xlabel("percent")
    axes.legend(loc="lower right", fontsize=ANNOTATION_SIZE)
    return figure
