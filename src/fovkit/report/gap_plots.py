"""Figures of the robustness-limits paper from gap tables and experiment summaries, as pure functions."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from fovkit.report.plots import FULL_WIDTH, HALF_WIDTH, _palette, _styled, annotate_cells, new_figure

CURVE_PANELS_PER_ROW = 4
"""Panels per row of the gap-curve figure, so that every panel stays legible at the page's width."""
INTERVAL_KEYS = ["backbone", "protocol", "group"]
"""Key columns of the probe's long `gap_intervals` table (one row per backbone, protocol and evaluation group)."""
GAP_SUFFIX = "_gap"


def _label(name: object) -> str:
    return str(name).replace(GAP_SUFFIX, "").replace("_", " ")


def interval_values(intervals: pd.DataFrame, index: pd.MultiIndex, value: str) -> pd.DataFrame:
    """One column of the long `gap_intervals` table laid out like the gap table: rows `index`, one column per group.

    Args:
        intervals: Columns `backbone, protocol, group` and `value`; one row per key.
        index: The gap table's (backbone, protocol) index; rows without intervals come out as NaN.
        value: The column to lay out, e.g. `gap_low` or `n`.

    """
    missing = [column for column in [*INTERVAL_KEYS, value] if column not in intervals.columns]
    if missing:
        raise ValueError(f"gap intervals lack column(s) {missing}; they have {list(intervals.columns)}")
    wide = intervals.set_index(INTERVAL_KEYS)[value].unstack("group")
    wide.columns.name = None
    return wide.reindex(index)


def _grouped_bars(
    values: pd.DataFrame,
    ylabel: str,
    title: str,
    legend_title: str | None = None,
    low: pd.DataFrame | None = None,
    high: pd.DataFrame | None = None,
) -> Figure:
    """Bars grouped by column (x axis), one colour per row (legend), with a zero line and optional error bars.

    `low` and `high` (same shape as `values`) are the ends of each bar's interval; NaN draws no error bar.
    """
    rows = [
        " / ".join(f"{item:g}" if isinstance(item, float) else str(item) for item in key)
        if isinstance(key, tuple)
        else str(key)
        for key in values.index
    ]
    figure = new_figure(min(FULL_WIDTH, max(7.0, 0.9 * values.shape[1] * max(1, len(rows)) ** 0.5 + 3.5)), 4.4)
    axes = figure.add_subplot()
    colors = _palette(len(rows))
    width = 0.8 / max(1, len(rows))
    positions = np.arange(values.shape[1])
    for rank, label in enumerate(rows):
        offsets = positions - 0.4 + width * (rank + 0.5)
        heights = values.iloc[rank].to_numpy(dtype=float)
        axes.bar(offsets, heights, width=width, color=colors[rank], label=label)
        if low is not None and high is not None:
            ends = np.vstack([low.iloc[rank].to_numpy(dtype=float), high.iloc[rank].to_numpy(dtype=float)])
            shown = np.isfinite(heights) & np.isfinite(ends).all(axis=0)
            if shown.any():
                spans = np.clip(np.abs(ends[:, shown] - heights[shown]), 0.0, None)
                axes.errorbar(
                    offsets[shown], heights[shown], yerr=spans, fmt="none", ecolor="0.2", elinewidth=1, capsize=2.5
                )
    axes.axhline(0.0, color="0.2", linewidth=0.8)
    axes.set_xticks(positions, [_label(name) for name in values.columns], rotation=30, ha="right")
    axes.set_ylabel(ylabel)
    axes.yaxis.grid(True, color="0.9")
    axes.set_axisbelow(True)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title=legend_title)
    axes.set_title(title)
    return figure


@_styled
def gap_bars(gaps: pd.DataFrame, intervals: pd.DataFrame | None = None) -> Figure:
    """Gap of every factor (and all factors together) per backbone x protocol, bars grouped by factor (Table 1).

    Args:
        gaps: The gap table: index (backbone, protocol), columns `<group>_gap` in points.
        intervals: The probe's long `gap_intervals` table (`gap_low`, `gap_high` per backbone, protocol and group);
            when given, each bar gets its 95% interval as an error bar.

    """
    columns = [column for column in gaps.columns if column.endswith(GAP_SUFFIX) and column != "average_gap"]
    if intervals is None:
        low = high = None
    else:
        groups = [column.removesuffix(GAP_SUFFIX) for column in columns]
        low, high = (
            interval_values(intervals, gaps.index, bound).reindex(columns=groups).set_axis(columns, axis=1)
            for bound in ("gap_low", "gap_high")
        )
    title = "Accuracy gap when a factor varies (held-out instances)"
    return _grouped_bars(
        gaps[columns],
        "gap vs held-out canonical accuracy (points)",
        title + ("; whiskers: 95% intervals" if intervals is not None else ""),
        low=low,
        high=high,
    )


@_styled
def gap_curves_figure(curves: pd.DataFrame, title: str) -> Figure:
    """Gap of the factor varied in training against the percentage of variation, one panel per factor (Fig. 4)."""
    diagonal = curves[curves["train_factor"] == curves["group"]]
    factors = sorted(diagonal["train_factor"].unique())
    lines = sorted({(row.backbone, row.protocol) for row in diagonal.itertuples()})
    panels = max(1, len(factors))
    rows = -(-panels // CURVE_PANELS_PER_ROW)
    columns = -(-panels // rows)  # balanced rows: 5 panels as 3 + 2, not 4 + 1
    figure = new_figure(FULL_WIDTH, 2.6 * rows + 1.1)
    colors = _palette(len(lines))
    axes_grid = figure.subplots(rows, columns, sharey=True, squeeze=False)
    axes_list = list(axes_grid.ravel())
    for axes in axes_list[len(factors) :]:
        axes.set_visible(False)
    for axes, factor in zip(axes_list, factors, strict=False):
        for color, (backbone, protocol) in zip(colors, lines, strict=True):
            part = diagonal[
                (diagonal["train_factor"] == factor)
                & (diagonal["backbone"] == backbone)
                & (diagonal["protocol"] == protocol)
            ].sort_values("fraction")
            axes.plot(
                100 * part["fraction"],
                part["gap"],
                marker="o",
                markersize=3,
                color=color,
                label=f"{backbone} / {protocol}",
            )
        axes.axhline(0.0, color="0.6", linewidth=0.8)
        axes.set_title(_label(factor))
        axes.set_xlabel("% varying in training")
    for axes in axes_grid[:, 0]:
        axes.set_ylabel("gap (points)")
    figure.legend(
        *axes_list[0].get_legend_handles_labels(), loc="outside lower center", ncols=min(4, len(lines)), frameon=False
    )
    figure.suptitle(title)
    return figure


@_styled
def slope_heatmap_figure(heatmap: pd.DataFrame, title: str) -> Figure:
    """Training factor x evaluated factor slope of the gap against % variation (Figure 5); diverging at 0."""
    values = heatmap.to_numpy(dtype=float)
    figure = new_figure(HALF_WIDTH if values.shape[1] <= 6 else FULL_WIDTH, 0.55 * values.shape[0] + 2.0)
    axes = figure.add_subplot()
    limit = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    limit = limit or 1.0
    cmap, norm = mpl.colormaps["RdBu"].with_extremes(bad="white"), TwoSlopeNorm(0.0, -limit, limit)
    image = axes.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto")
    annotate_cells(axes, values, cmap, norm, "{:.2f}")
    axes.set_xticks(range(values.shape[1]), [_label(name) for name in heatmap.columns], rotation=30, ha="right")
    axes.set_yticks(range(values.shape[0]), [_label(name) for name in heatmap.index])
    axes.set_xlabel("evaluated factor")
    axes.set_ylabel("factor varying in training")
    figure.colorbar(image, ax=axes, label="slope (points per % varying)")
    axes.set_title(title)
    return figure


@_styled
def gap_change_bars(changes: pd.DataFrame, title: str) -> Figure:
    """Change of each gap when all factors vary in training, per fraction (Figure 6); positive = smaller gap."""
    return _grouped_bars(
        changes, "gap change vs no variability (points)", title, "backbone / protocol / training / fraction"
    )


@_styled
def similarity_figure(bins: pd.DataFrame) -> Figure:
    """Gap of classes not seen varying against similarity to the nearest varying class, mean ± s.e. (Figure 7)."""
    figure = new_figure(6.4, 4.0)
    axes = figure.add_subplot()
    protocols = sorted(bins.index.get_level_values("protocol").unique())
    for color, protocol in zip(_palette(len(protocols)), protocols, strict=True):
        part = bins.xs(protocol, level="protocol")
        axes.errorbar(
            part["similarity"],
            part["gap"],
            yerr=part["standard_error"],
            marker="o",
            capsize=3,
            color=color,
            label=protocol,
        )
    axes.axhline(0.0, color="0.6", linewidth=0.8)
    axes.set_xlabel("similarity to the nearest class seen varying (class names, MiniLM)")
    axes.set_ylabel("gap (points)")
    axes.legend(frameon=False)
    axes.set_title("Generalisation across classes")
    return figure
