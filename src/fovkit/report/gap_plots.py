"""Figures of the robustness-limits paper from gap tables and experiment summaries, as pure functions."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from fovkit.report.plots import _palette, _styled, new_figure


def _label(name: object) -> str:
    return str(name).replace("_gap", "").replace("_", " ")


def _grouped_bars(values: pd.DataFrame, ylabel: str, title: str, legend_title: str | None = None) -> Figure:
    """Bars grouped by column (x axis), one colour per row (legend), with a zero line."""
    rows = [
        " / ".join(f"{item:g}" if isinstance(item, float) else str(item) for item in key)
        if isinstance(key, tuple)
        else str(key)
        for key in values.index
    ]
    figure = new_figure(max(7.0, 0.9 * values.shape[1] * max(1, len(rows)) ** 0.5 + 3.0), 4.0)
    axes = figure.add_subplot()
    colors = _palette(len(rows))
    width = 0.8 / max(1, len(rows))
    positions = np.arange(values.shape[1])
    for rank, label in enumerate(rows):
        offsets = positions - 0.4 + width * (rank + 0.5)
        axes.bar(offsets, values.iloc[rank].to_numpy(dtype=float), width=width, color=colors[rank], label=label)
    axes.axhline(0.0, color="0.2", linewidth=0.8)
    axes.set_xticks(positions, [_label(name) for name in values.columns], rotation=30, ha="right")
    axes.set_ylabel(ylabel)
    axes.yaxis.grid(True, color="0.9")
    axes.set_axisbelow(True)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title=legend_title)
    axes.set_title(title)
    return figure


@_styled
def gap_bars(gaps: pd.DataFrame) -> Figure:
    """Gap of every factor (and all factors together) per backbone x protocol, bars grouped by factor (Table 1)."""
    columns = [column for column in gaps.columns if column.endswith("_gap") and column != "average_gap"]
    return _grouped_bars(
        gaps[columns],
        "gap vs held-out canonical accuracy (points)",
        "Accuracy gap when a factor varies (held-out instances)",
    )


@_styled
def gap_curves_figure(curves: pd.DataFrame, title: str) -> Figure:
    """Gap of the factor varied in training against the percentage of variation, one panel per factor (Fig. 4)."""
    diagonal = curves[curves["train_factor"] == curves["group"]]
    factors = sorted(diagonal["train_factor"].unique())
    lines = sorted({(row.backbone, row.protocol) for row in diagonal.itertuples()})
    figure = new_figure(max(6.0, 2.4 * len(factors)), 2.8)
    colors = _palette(len(lines))
    axes_list = figure.subplots(1, max(1, len(factors)), sharey=True, squeeze=False)[0]
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
    axes_list[0].set_ylabel("gap (points)")
    axes_list[-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    figure.suptitle(title)
    return figure


@_styled
def slope_heatmap_figure(heatmap: pd.DataFrame, title: str) -> Figure:
    """Training factor x evaluated factor slope of the gap against % variation (Figure 5); diverging at 0."""
    values = heatmap.to_numpy(dtype=float)
    figure = new_figure(1.1 * values.shape[1] + 2.5, 0.7 * values.shape[0] + 1.8)
    axes = figure.add_subplot()
    limit = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    limit = limit or 1.0
    image = axes.imshow(values, cmap="RdBu", norm=TwoSlopeNorm(0.0, -limit, limit), aspect="auto")
    for (row, column), value in np.ndenumerate(values):
        if np.isfinite(value):
            axes.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=7)
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
    figure = new_figure(5.5, 3.4)
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
