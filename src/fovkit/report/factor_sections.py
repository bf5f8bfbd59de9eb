"""Sections of an analysis page for the tables written only when they apply.

Gaps, active factors, factor distribution and the correlation with distribution shifts; the figures are drawn by
`fovkit.report.factor_figures`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import partial

import pandas as pd
from matplotlib.figure import Figure

from fovkit.report.figures import FigureJob, figure_key
from fovkit.report.html import (
    SavedFigure,
    Section,
    figure_block,
    format_count,
    format_pvalue,
    interval_table,
    paragraph,
    table_block,
)
from fovkit.report.run_folder import RunFolder

FIGURES = {
    "active_factors": "active_factors_figure",
    "shift_correlation": "shift_correlation_figure",
    "factor_distribution": "factor_distribution_figure",
    "corruption_errors": "corruption_error_figure",
    "mce": "mce_figure",
}
"""Table -> function of `fovkit.report.factor_figures` that draws it."""
MODULE = "fovkit.report.factor_figures"
GAP_DIGITS = 1
CANONICAL = "canonical"


def extra_figure_jobs(run: RunFolder) -> list[FigureJob]:
    """A figure job for each of the optional tables the folder holds."""
    return [
        FigureJob(table, partial(_draw, FIGURES[table], run.table(table)), figure_key([run.table(table)], [MODULE]))
        for table in FIGURES
        if run.has(table)
    ]


def _draw(function: str, table: pd.DataFrame) -> Figure:
    """Draw with `fovkit.report.factor_figures.<function>` (imported in the worker that draws it)."""
    return getattr(importlib.import_module(MODULE), function)(table)


def extra_sections(run: RunFolder, figures: Mapping[str, SavedFigure], prefix: str = "") -> list[Section]:
    """The sections of the optional tables the folder holds, in the order the paper shows them."""
    sections = []
    if run.has("mce"):
        sections.append(_corruption_section(run, figures, prefix))
    if run.has("gaps"):
        sections.append(_gaps_section(run.table("gaps"), prefix))
    if run.has("factor_distribution"):
        section = Section("Factor distribution, train vs val", f"{prefix}factor-distribution", nav="Distribution")
        section.add(
            paragraph("Share of images in which each factor is annotated, counting all factors or the top one only."),
            figure_block(figures["factor_distribution"], "factor distribution", "Paper Figure 2."),
        )
        sections.append(section)
    if run.has("active_factors"):
        table = run.table("active_factors")
        section = Section("Active factors per image", f"{prefix}active-factors", nav="Active factors")
        section.add(
            figure_block(figures["active_factors"], "active factors per image", "Paper Figure 7."),
            table_block(table.set_index("active"), formatters={"images": format_count}, row_label="counts"),
        )
        sections.append(section)
    if run.has("shift_correlation"):
        table = run.table("shift_correlation")
        section = Section("Error ratios and distribution shifts", f"{prefix}shift-correlation", nav="Shifts")
        section.add(
            paragraph(
                "Pearson correlation, across models, between each factor's error ratio and the models' score on each "
                "distribution shift given by the user."
            ),
            figure_block(figures["shift_correlation"], "shift correlations", "Paper Figure 19."),
            table_block(table.set_index(["shift", "factor"]), formatters={"p_value": format_pvalue}, row_label="rows"),
        )
        sections.append(section)
    return sections


def _gaps_section(gaps: pd.DataFrame, prefix: str) -> Section:
    """The gap of each group against the canonical rows, in points, with its bootstrap interval."""
    section = Section("Gaps against canonical images", f"{prefix}gaps", nav="Gaps")
    section.add(
        paragraph(
            "Accuracy on the rows where a factor varies minus the accuracy on the canonical rows, in points (negative: "
            "worse when the factor varies); under each value its bootstrap interval over clusters."
        )
    )
    varied = gaps[gaps["group"] != CANONICAL]
    groups = list(pd.unique(varied["group"]))
    estimate, low, high = (
        varied.pivot(index="model", columns="group", values=value).reindex(columns=groups)
        for value in ("gap", "gap_low", "gap_high")
    )
    cells = interval_table(estimate, low, high, digits=GAP_DIGITS)
    canonical = gaps[gaps["group"] == CANONICAL].set_index("model")
    if len(canonical):
        accuracy = interval_table(
            *(canonical[[value]].reindex(estimate.index) for value in ("accuracy", "accuracy_low", "accuracy_high")),
            digits=GAP_DIGITS,
        )
        cells.insert(0, "canonical accuracy", accuracy["accuracy"])
    return section.add(table_block(cells, row_label="models"))


def _corruption_section(run: RunFolder, figures: Mapping[str, SavedFigure], prefix: str) -> Section:
    """Errors per corruption and severity, CE and mCE (ImageNet-C), for a corrupted dataset's analysis."""
    per_model = _indexed(run.table("mce"), ["model"])
    baseline = per_model["baseline"].dropna().unique().tolist() if "baseline" in per_model.columns else []
    section = Section("Corruption errors", f"{prefix}corruptions", nav="Corruptions")
    normaliser = (
        "normalised by AlexNet's published ImageNet-C errors"
        if baseline == ["alexnet"]
        else f"normalised by the errors of {baseline[0]}"
        if baseline
        else "not normalised (give --baseline-model to normalise by a model)"
    )
    section.add(
        paragraph(
            "Top-1 error per corruption and severity (Hendrycks & Dietterich 2019). Mean corruption error averages "
            "over every corruption and severity; CE divides a corruption's summed error by a baseline's, mCE "
            f"averages CE over the 15 common corruptions, relative mCE measures the drop from clean. Here {normaliser}."
        ),
        figure_block(figures["mce"], "mean corruption error", "Lower is better."),
        table_block(per_model.drop(columns=["baseline"], errors="ignore").mul(100).round(1), row_label="models"),
        figure_block(figures["corruption_errors"], "error against severity", "One panel per corruption."),
    )
    per_corruption = _indexed(run.table("corruption_ce"), ["model", "corruption"])
    section.add(table_block(per_corruption.mul(100).round(1), row_label="rows"))
    return section


def _indexed(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """`table` indexed by `keys` (a Parquet copy keeps its index; a CSV has the keys as columns)."""
    return table.set_index(keys) if set(keys) <= set(table.columns) else table
