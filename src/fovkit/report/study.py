"""Report pages of the robustness-limits protocols, read from their run folders: gap tables and experiments."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from markupsafe import Markup

from fovkit.report import gap_plots
from fovkit.report.html import (
    Section,
    figure_block,
    figure_row,
    format_count,
    format_number,
    interval_cell,
    markup_frame,
    note,
    paragraph,
    readable,
    save_figure,
    table_block,
)
from fovkit.report.page import Page, versions_table
from fovkit.report.run_folder import RunFolder

GAP_NOTE = (
    "A factor's gap is the held-out accuracy on images where only that factor varies minus the held-out canonical "
    "accuracy, in points (negative: the model does worse when the factor varies); the average gap is their mean and "
    "the all-factors gap uses the images where every factor varies together (robustness-limits paper, Table 1)."
)
INTERVAL_NOTE = (
    " Under each value: its 95% bootstrap interval; n is the number of held-out images the value rests on (under "
    "the header when every row has the same n)."
)
GAP_DIGITS = 1
"""Decimals of accuracies and gaps in points."""
CANONICAL_GROUP = "canonical"
GAP_INDEX = ["backbone", "protocol"]
SUMMARY_INDEX = {
    "same_factor": ["backbone", "protocol", "train_factor"],
    "slopes": ["backbone", "protocol", "train_factor"],
    "average_slopes": ["protocol"],
    "heatmaps": ["train_factor"],
}
"""Index columns of an experiment's summary tables when read from CSV (their Parquet copies keep the index)."""


def probe_page(run: RunFolder, plot_dir: Path, svg: bool = False, prefix: str = "") -> Page:
    """The page of a `fovkit probe` folder: its gap table (with intervals when written) and bar chart."""
    gaps = run.table("gap_table", GAP_INDEX)
    intervals = run.optional("gap_intervals")
    section = probe_section(gaps, plot_dir, intervals=intervals, svg=svg, anchor=f"{prefix}gap-table")
    config = Section("Configuration", f"{prefix}configuration").add(versions_table(run.record))
    return Page("Robustness to factors of variation: gap table", [section, config])


def experiment_page(run: RunFolder, plot_dir: Path, svg: bool = False, prefix: str = "") -> Page:
    """The page of a `fovkit experiment` folder: the summary tables its run record lists, with their figures."""
    name = str(run.record.get("experiment", run.command.rsplit(" ", 1)[-1]))
    description = str(run.record.get("description", f"{name}: variability experiment"))
    tables: dict = {}
    for key in run.record.get("tables", []):
        if key.startswith("heatmap_"):
            heatmap = run.table(key, SUMMARY_INDEX["heatmaps"])
            tables.setdefault("heatmaps", {})[key.removeprefix("heatmap_")] = heatmap
        else:
            tables[key] = run.table(key, SUMMARY_INDEX.get(key))
    section = experiment_section(name, description, tables, plot_dir, svg=svg, anchor=f"{prefix}experiment-{name}")
    config = Section("Configuration", f"{prefix}configuration").add(versions_table(run.record))
    return Page(f"Variability experiment {name}", [section, config])


def probe_section(
    gaps: pd.DataFrame,
    plot_dir: Path,
    title: str = "Gap table",
    intervals: pd.DataFrame | None = None,
    svg: bool = False,
    anchor: str = "gap-table",
) -> Section:
    """The gap table (one row per backbone x protocol) and its bar chart.

    Args:
        gaps: The gap table: index (backbone, protocol), accuracies and `<group>_gap` columns in points.
        plot_dir: Folder of the bar chart's files.
        title: Title of the section.
        intervals: The probe's long `gap_intervals` table (`backbone, protocol, group, n, accuracy, gap, gap_low,
            gap_high`); when given, every gap shows its 95% interval and n, and the bars get error bars.
        svg: Also save the bar chart as SVG.
        anchor: The section's anchor in the page.

    """
    section = Section(title, anchor)
    section.add(paragraph(GAP_NOTE + (INTERVAL_NOTE if intervals is not None else "")))
    section.add(gap_table_block(gaps, intervals))
    saved = save_figure(gap_plots.gap_bars(gaps, intervals), plot_dir, "gaps", svg=svg)
    caption = "Gap per factor and model" + ("; whiskers: 95% bootstrap intervals." if intervals is not None else ".")
    return section.add(figure_block(saved, "gap per factor", caption))


def gap_table_block(gaps: pd.DataFrame, intervals: pd.DataFrame | None = None) -> Markup:
    """The gap table with readable headers in points to one decimal; with `intervals`, each value's interval and n."""
    if intervals is None:
        return table_block(gaps, digits=GAP_DIGITS, row_label="backbones x protocols")
    groups = set(intervals["group"])
    headers, columns = [], []
    for column in gaps.columns:
        group = _interval_group(str(column))
        if group in groups:
            header, cells = _interval_column(str(column), gaps[column], group, intervals)
        else:
            header, cells = readable(column), [format_number(value, GAP_DIGITS) for value in gaps[column]]
        headers.append(header)
        columns.append(cells)
    frame = markup_frame(list(zip(*columns, strict=True)), gaps.index, headers)
    return table_block(frame, row_label="backbones x protocols")


def _interval_group(column: str) -> str | None:
    """The `gap_intervals` group of a gap-table column: `canonical` (held-out accuracy), `<g>` for `<g>_gap`."""
    if column == "held_out_accuracy":
        return CANONICAL_GROUP
    return column.removesuffix(gap_plots.GAP_SUFFIX) if column.endswith(gap_plots.GAP_SUFFIX) else None


def _interval_column(column: str, values: pd.Series, group: str, intervals: pd.DataFrame) -> tuple[Markup, list]:
    """Header (with `n = ...` when every row has the same n) and cells `value [low, high]` of one gap-table column."""
    field = "accuracy" if group == CANONICAL_GROUP else "gap"
    bounds = [f"{field}_low", f"{field}_high"]
    index = values.index
    low, high = (
        gap_plots.interval_values(intervals, index, bound)[group]
        if bound in intervals.columns
        else pd.Series(float("nan"), index=index)
        for bound in bounds
    )
    n = gap_plots.interval_values(intervals, index, "n")[group] if "n" in intervals.columns else None
    shared_n = n is not None and n.notna().all() and n.nunique() == 1
    header = Markup(readable(column))
    if shared_n:
        header += Markup('<span class="n">n = {}</span>').format(format_count(n.iloc[0]))
    cells = [
        interval_cell(value, lo, hi, GAP_DIGITS, None if shared_n or n is None else n.iloc[row])
        for row, (value, lo, hi) in enumerate(zip(values, low, high, strict=True))
    ]
    return header, cells


def experiment_section(
    name: str,
    description: str,
    tables: dict[str, pd.DataFrame],
    plot_dir: Path,
    svg: bool = False,
    anchor: str | None = None,
) -> Section:
    """One experiment: its summary tables and figures (which ones depends on the experiment); SVGs when `svg`."""
    section = Section(f"Experiment {description.split(':')[0]} ({name})", anchor or f"experiment-{name}")
    section.add(paragraph(description[description.index(":") + 1 :].strip().capitalize() + "."))
    blocks: list[Markup] = []
    if "curves" in tables:
        figure = gap_plots.gap_curves_figure(tables["curves"], "Gap of the factor varied in training")
        blocks.append(figure_block(save_figure(figure, plot_dir, f"{name}_curves", svg=svg), "gap curves"))
        blocks.append(table_block(tables["same_factor"], caption="Gap of the factor varied, by % varying", digits=2))
    heatmaps = []
    for protocol, heatmap in tables.get("heatmaps", {}).items():
        if not heatmap.notna().any(axis=None):
            blocks.append(note(f"No slopes for {protocol}: a slope needs at least two fractions."))
            continue
        figure = gap_plots.slope_heatmap_figure(heatmap, f"Cross-factor slopes ({protocol})")
        saved = save_figure(figure, plot_dir, f"{name}_slopes_{protocol}", svg=svg)
        heatmaps.append(figure_block(saved, "slope heatmap", "Slope of each gap against % varying (Figure 5)."))
    if heatmaps:
        blocks.append(figure_row(*heatmaps))
    if "average_slopes" in tables:
        blocks.append(table_block(tables["average_slopes"], caption="Average slope of the varied factor's gap"))
    if "changes" in tables:
        figure = gap_plots.gap_change_bars(tables["changes"], "Gap change with all factors varying in training")
        blocks.append(figure_block(save_figure(figure, plot_dir, f"{name}_changes", svg=svg), "gap changes"))
        blocks.append(table_block(tables["changes"], caption="Gap change vs no variability (points)", digits=2))
    if "class_gaps" in tables:
        blocks.append(table_block(tables["class_gaps"], caption="Per-class gaps (Table 3)", digits=2))
    if "similarity_bins" in tables and len(tables["similarity_bins"]):
        figure = gap_plots.similarity_figure(tables["similarity_bins"])
        blocks.append(figure_block(save_figure(figure, plot_dir, f"{name}_similarity", svg=svg), "similarity"))
        blocks.append(table_block(tables["similarity_bins"], caption="Gap by similarity bin", digits=3))
    if not blocks:
        blocks.append(note("No summary for this experiment."))
    return section.add(*blocks)
