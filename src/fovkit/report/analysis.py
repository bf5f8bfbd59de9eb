"""The factor-analysis report of a run folder: every plot as PNG (SVG on request) and the page's sections.

Generic over the factor table: factor names, scoring criteria (labels, descriptions), the hierarchy of sample groups
(e.g. ImageNet-X meta-labels, or none) and the reference model come from the folder's `analysis.json`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from fovkit.report import plots
from fovkit.report.factor_sections import extra_figure_jobs, extra_sections
from fovkit.report.figures import FigureJob, figure_key, save_figures
from fovkit.report.html import (
    SavedFigure,
    Section,
    bullet_list,
    code_block,
    details,
    figure_block,
    figure_row,
    format_count,
    format_pvalue,
    heading,
    interval_table,
    note,
    paragraph,
    readable,
    table_block,
    tabs,
)
from fovkit.report.page import Page, versions_table
from fovkit.report.run_folder import RunFolder

MAX_ROWS = 50
"""Longest per-model table shown in the page; the full tables are in the analysis output."""
PLOT_PREFIXES = ("error_ratios_by_group", "factor_vs_overall_accuracy", "prevalence_shift")
"""Per-criterion plots, saved as `<prefix>_<criterion>.png` (and `.svg`); with a hierarchy H of sample groups also
`<H>_error_ratios_<criterion>.png`."""
ANNOTATION_PLOT = "annotation_correlations"


class FactorAnalysis:
    """What the page needs of an analysis folder: `analysis.json` and tables, read on demand."""

    def __init__(self, run: RunFolder):
        self.run = run
        spec = run.analysis
        self.title: str = str(spec.get("title") or "Factor analysis")
        self.factors: list[str] = [str(name) for name in spec.get("factors", [])]
        self.criteria: dict[str, dict] = dict(spec.get("criteria") or {})
        self.hierarchy: str | None = spec.get("hierarchy")
        self.reference_model: str | None = spec.get("reference_model")
        self.notes: list[str] = [str(text) for text in spec.get("notes", [])]
        self.confidence: float = float(spec.get("confidence", 0.95))
        self.alpha: float = float(run.record.get("config", {}).get("alpha", 0.05))
        self.declared: set[str] = {str(name) for name in spec.get("tables", [])}
        """Tables the folder must hold: a missing one is an InputError, not a section left out."""

    def label(self, criterion: str) -> str:
        """The criterion's label in the page, e.g. `ReaL labels`."""
        return str(self.criteria.get(criterion, {}).get("label", criterion))

    def description(self, criterion: str) -> str:
        """One sentence saying when a prediction is correct under the criterion."""
        return str(self.criteria.get(criterion, {}).get("description", ""))

    def table(self, criterion: str, name: str) -> pd.DataFrame | None:
        """A criterion's table (`factor_accuracies`, ...; `hierarchy_*` names use the hierarchy's name).

        The first criterion's tables sit at the top of the folder, every other one's in a subfolder named after it.
        """
        if name.startswith("hierarchy_"):
            if self.hierarchy is None:
                return None
            name = f"{self.hierarchy}_{name.removeprefix('hierarchy_')}"
        path = ("" if criterion == next(iter(self.criteria), None) else f"{criterion}/") + name
        return self.run.table(path) if f"{path}.csv" in self.declared else self.run.optional(path)

    def scored(self) -> list[str]:
        """Criteria with at least one scored model, in the order of `analysis.json`."""
        return [name for name in self.criteria if _rows(self.table(name, "factor_accuracies"))]

    @property
    def groups(self) -> pd.Series | None:
        """Model -> group of the between-group tests (`groups` table), or None when the run had none."""
        frame = self.run.optional("groups")
        if frame is None:
            return None
        frame = frame.reset_index() if "model" not in frame.columns else frame
        return frame.set_index("model")["group"]


def analysis_page(
    run: RunFolder,
    plot_dir: Path,
    svg: bool = False,
    workers: int | None = None,
    prefix: str = "",
    meanwhile: Callable[[], object] | None = None,
) -> Page:
    """The sections of an analysis folder's page; its plots are saved under `plot_dir` by worker processes.

    Args:
        run: The analysis folder.
        plot_dir: Folder of the plots (created).
        svg: Also save every plot as SVG.
        workers: Processes that draw the plots, one figure each (default: one per core; 1 draws them here).
        prefix: Prepended to anchors and tab names, so that several runs share a page.
        meanwhile: Work for this process while the plots are drawn.

    """
    analysis = FactorAnalysis(run)
    scored = analysis.scored()
    jobs = [*_figure_jobs(analysis, scored), *extra_figure_jobs(run)]
    figures = save_figures(jobs, plot_dir, svg=svg, workers=workers, meanwhile=meanwhile)
    sections = [_summary_section(analysis, prefix)]
    if scored:
        sections.append(_criteria_section(analysis, scored, figures, prefix))
    sections.append(_annotation_section(analysis, figures, prefix))
    sections.extend(extra_sections(run, figures, prefix))
    sections.append(_differences_section(analysis, prefix))
    sections.append(_config_section(analysis, prefix))
    return Page(analysis.title, sections, _intro(analysis, scored, svg))


def _rows(frame: pd.DataFrame | None) -> int:
    return 0 if frame is None else len(frame)


def _figure_jobs(analysis: FactorAnalysis, criteria: list[str]) -> list[FigureJob]:
    """Every plot of the page, the slowest first (the correlation and hierarchy heatmaps write many numbers)."""
    jobs = []
    correlation = analysis.run.optional("correlation")
    if correlation is not None and len(correlation):
        pvalue = analysis.run.table("correlation_pvalue")
        build = partial(plots.correlation_heatmap, correlation, pvalue, analysis.factors)
        jobs.append(FigureJob(ANNOTATION_PLOT, build, figure_key([correlation, pvalue], [])))
    for name in criteria:
        error_ratios = analysis.table(name, "error_ratios")
        group_tests = analysis.table(name, "group_tests")
        significant = None if group_tests is None else group_tests["significant"]
        hierarchy = analysis.table(name, "hierarchy_error_ratios")
        if hierarchy is not None and len(hierarchy):
            counts = analysis.table(name, "hierarchy_counts")
            build = partial(plots.metaclass_factor_heatmap, hierarchy, level=analysis.hierarchy, counts=counts)
            jobs.append(FigureJob(f"{analysis.hierarchy}_error_ratios_{name}", build))
        jobs += [
            FigureJob(
                f"error_ratios_by_group_{name}",
                partial(plots.error_ratio_bars, error_ratios, _plot_groups(error_ratios.index, analysis), significant),
            ),
            FigureJob(
                f"factor_vs_overall_accuracy_{name}",
                partial(plots.factor_vs_overall_accuracy, analysis.table(name, "factor_accuracies")),
            ),
            FigureJob(
                f"prevalence_shift_{name}",
                partial(plots.prevalence_shift_bars, analysis.table(name, "prevalence_shift")),
            ),
        ]
    return jobs


def _intro(analysis: FactorAnalysis, criteria: list[str], svg: bool) -> list[Markup]:
    """What the page holds: only the criteria and plots that are actually shown."""
    if not criteria:
        return [paragraph("No model is scored against any criterion: the page shows the annotation statistics only.")]
    models = list(analysis.run.table("summary").index)
    shown = ", ".join(f"`{model}`" for model in models[:8]) + (
        f" and {len(models) - 8} more" if len(models) > 8 else ""
    )
    labels = join_words([analysis.label(name) for name in criteria])
    blocks = [
        paragraph(
            f"Per-factor accuracy, error ratios and prevalence shifts of {len(models)} model"
            f"{'s' if len(models) != 1 else ''} ({shown}) over {len(analysis.factors)} factors, scored against the "
            f"{labels}" + (", one tab each." if len(criteria) > 1 else ".")
        )
    ]
    skipped = [name for name in analysis.criteria if name not in criteria]
    if skipped:
        reference = analysis.reference_model
        reason = f" (`{reference}` is scored against {analysis.label('real')} only)" if reference in models else ""
        blocks.append(
            note(
                f"Not shown: no model is scored against the {join_words([analysis.label(n) for n in skipped])}{reason}."
            )
        )
    formats = "PNG and SVG" if svg else "PNG"
    blocks.append(
        note(
            "Error ratio = (1 - accuracy on images where the factor varies) / (1 - overall accuracy): above 1 the "
            f"factor is harder than the dataset as a whole. Every plot is also saved as {formats} in `plots/`."
        )
    )
    return blocks


def join_words(words: Sequence[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _summary_section(analysis: FactorAnalysis, prefix: str) -> Section:
    section = Section("Summary", f"{prefix}summary")
    summary = analysis.run.table("summary")
    if len(summary) == 0:
        return section.add(note("No model was analysed."))
    calibration = ", and the expected calibration error (ECE)" if "ece" in summary.columns else ""
    section.add(
        paragraph(
            "One row per model: overall accuracy under each criterion, the worst factor and its accuracy (under the "
            f"criterion named), the accuracy on the worst classes{calibration}."
        )
    )
    formatters = {"worst_factor": readable, "criterion": lambda value: analysis.label(str(value))}
    return section.add(table_block(summary, max_rows=MAX_ROWS, formatters=formatters))


def _criteria_section(
    analysis: FactorAnalysis, criteria: list[str], figures: Mapping[str, SavedFigure], prefix: str
) -> Section:
    """One section for every scoring criterion, a tab each, so the page shows one criterion at a time."""
    section = Section("Results by criterion", f"{prefix}criteria", nav="By criterion")
    panels = [(analysis.label(name), _criterion_blocks(analysis, name, figures)) for name in criteria]
    if len(panels) == 1:
        label, blocks = panels[0]
        return section.add(paragraph(f"Scored against the {label}."), *blocks)
    return section.add(tabs(f"{prefix}criterion", panels))


def _criterion_blocks(analysis: FactorAnalysis, name: str, figures: Mapping[str, SavedFigure]) -> list[Markup]:
    label = analysis.label(name)
    group_tests = analysis.table(name, "group_tests")
    blocks = [
        paragraph(analysis.description(name)),
        heading("Error ratio per factor"),
        figure_block(
            figures[f"error_ratios_by_group_{name}"],
            f"Error ratio per factor ({label})",
            "Mean error ratio per factor and model group (paper Figure 1b); whiskers: standard error over models"
            + (
                "; faded bars: no significant difference between groups (Holm-corrected Alexander-Govern)."
                if group_tests is not None
                else "."
            ),
        ),
    ]
    if group_tests is not None:
        blocks.append(_group_tests_block(group_tests, analysis.alpha))
    blocks.append(
        figure_row(
            figure_block(
                figures[f"factor_vs_overall_accuracy_{name}"],
                f"Factor accuracy against overall accuracy ({label})",
                "One point per model and factor (paper Figure 4); below the dashed line the factor is harder than "
                "average.",
            ),
            figure_block(
                figures[f"prevalence_shift_{name}"],
                f"Prevalence shift ({label})",
                "How much more often a factor appears among a model's mistakes than among all images (paper Figure "
                "12).",
            ),
        )
    )
    hierarchy = analysis.hierarchy
    if f"{hierarchy}_error_ratios_{name}" in figures:
        level = readable(hierarchy)
        blocks += [
            heading(f"Error ratio by {level}"),
            figure_block(
                figures[f"{hierarchy}_error_ratios_{name}"],
                f"Error ratio by {level} and factor ({label})",
                f"Error ratio of each factor within each {level}, relative to the {level}'s accuracy, averaged over "
                f"models; blank cells hold fewer than 30 scored images (their ratios are noise), counts in "
                f"{hierarchy}_counts.csv.",
            ),
        ]
    blocks += [
        heading("Tables"),
        table_block(
            headline_first(analysis.table(name, "factor_accuracies")), "Accuracy per factor", max_rows=MAX_ROWS
        ),
        details(
            "Error ratio per factor",
            table_block(headline_first(analysis.table(name, "error_ratios")), max_rows=MAX_ROWS),
        ),
        details(
            "Prevalence shift per factor", table_block(analysis.table(name, "prevalence_shift"), max_rows=MAX_ROWS)
        ),
    ]
    calibration = analysis.table(name, "calibration")
    if calibration is not None:
        blocks.append(
            details(
                "Expected calibration error per factor (`worst factor` is the highest)",
                table_block(headline_first(calibration), max_rows=MAX_ROWS),
            )
        )
    intervals = analysis.table(name, "intervals")
    if intervals is not None and len(intervals):
        blocks += _interval_blocks(intervals, analysis.factors, analysis.confidence)
    by_hierarchy = analysis.table(name, "hierarchy_error_ratios")
    if by_hierarchy is not None and len(by_hierarchy):
        mean = by_hierarchy.groupby(level=hierarchy, sort=False).mean()
        blocks.append(
            details(
                f"Error ratio by {readable(hierarchy)}, mean over models (the heatmap's numbers)",
                table_block(mean, row_label=f"{readable(hierarchy)}s"),
            )
        )
    return blocks


def headline_first(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with `average`, `worst_factor` and `worst_<k>_classes` first, seen without scrolling sideways."""
    first = [
        column
        for column in frame.columns
        if column in plots.SPECIAL_ACCURACY_COLUMNS or plots.WORST_K_CLASSES.match(str(column))
    ]
    first.sort(key=lambda column: (column != "average", column != "worst_factor"))
    return frame[[*first, *[column for column in frame.columns if column not in first]]]


def _plot_groups(models: pd.Index, analysis: FactorAnalysis) -> pd.Series | None:
    """The bar plot's groups: the run's model groups, with the reference model always shown as its own bar."""
    reference = analysis.reference_model
    groups = analysis.groups
    if groups is None:
        if reference is None or reference not in models or len(models) == 1:
            return None
        groups = pd.Series(plots.ALL_MODELS, index=models, dtype=object)
    else:
        groups = groups.reindex(models).astype(object)
    if reference is not None:
        groups[models == reference] = f"{reference} (original labels)"
    return groups


def _group_tests_block(group_tests: pd.DataFrame, alpha: float) -> Markup:
    count = int(group_tests["significant"].fillna(False).astype(bool).sum())
    return details(
        f"Between-group tests of the error ratio: {count} of {len(group_tests)} factors differ significantly "
        f"(Alexander-Govern per factor, Holm-corrected, alpha = {alpha:g})",
        table_block(group_tests, formatters={"pvalue": format_pvalue, "pvalue_holm": format_pvalue}),
    )


def _interval_blocks(intervals: pd.DataFrame, factors: list[str], confidence: float) -> list[Markup]:
    """Bootstrap intervals, collapsed: one cell per model and factor (estimate, `[low, high]` below), per metric."""
    models = list(pd.unique(intervals["model"]))[:MAX_ROWS]
    kept = intervals[intervals["model"].isin(models)]
    level = f"{100 * confidence:g}%"
    blocks = []
    for metric, title in (("error_ratio", "Error ratio"), ("accuracy", "Accuracy")):
        part = kept[kept["metric"] == metric]
        if part.empty:
            continue
        present_models, present_factors = set(part["model"].unique()), set(part["factor"].unique())
        rows = [model for model in models if model in present_models]
        columns = [factor for factor in ("average", *factors) if factor in present_factors]
        estimate, low, high = (
            part.pivot(index="model", columns="factor", values=value).reindex(index=rows, columns=columns)
            for value in ("estimate", "low", "high")
        )
        blocks.append(
            details(f"{title}: {level} bootstrap intervals", table_block(interval_table(estimate, low, high)))
        )
    total = intervals["model"].nunique()
    if blocks and total > MAX_ROWS:
        blocks.append(note(f"Intervals: showing the first {MAX_ROWS} of {total} models."))
    return blocks


def _annotation_section(analysis: FactorAnalysis, figures: Mapping[str, SavedFigure], prefix: str) -> Section:
    section = Section("Annotation statistics", f"{prefix}annotations", nav="Annotations")
    hierarchy = analysis.hierarchy
    across = f" and {readable(hierarchy)}s" if hierarchy else ""
    section.add(paragraph(f"How often each factor occurs and how factors{across} go together; no model involved."))
    prevalence = analysis.run.optional("factor_prevalence")
    if prevalence is not None and len(prevalence):
        overall = pd.DataFrame(
            {"images": prevalence.loc[("count", "all")], "share": prevalence.loc[("share", "all")]}
        ).rename_axis("factor")
        section.add(
            details(
                "Factor prevalence (all annotated images)",
                table_block(overall, formatters={"images": format_count}, row_label="factors"),
            )
        )
        counts = prevalence.loc["count"]
        if hierarchy and len(counts) > 1:
            plural = f"{readable(hierarchy)}s"
            section.add(
                details(
                    f"Factor counts per {readable(hierarchy)}",
                    table_block(
                        counts, formatters={str(column): format_count for column in counts.columns}, row_label=plural
                    ),
                ),
                details(
                    f"Factor shares per {readable(hierarchy)}", table_block(prevalence.loc["share"], row_label=plural)
                ),
            )
    if ANNOTATION_PLOT in figures:
        section.add(
            figure_block(
                figures[ANNOTATION_PLOT],
                f"Spearman correlations between factors{across}",
                f"Spearman correlation of factor{'/' + readable(hierarchy) if hierarchy else ''} and factor/factor "
                "indicators (paper Figure 8); only correlations with p <= 0.05 are shown.",
            )
        )
    return section


def _differences_section(analysis: FactorAnalysis, prefix: str) -> Section:
    section = Section("How fovkit differs from the reference toolkit", f"{prefix}differences", nav="Differences")
    if not analysis.notes:
        return section.add(note("No differences recorded for this analysis."))
    return section.add(bullet_list(analysis.notes))


def _config_section(analysis: FactorAnalysis, prefix: str) -> Section:
    section = Section("Configuration", f"{prefix}configuration")
    section.add(code_block(json.dumps(analysis.run.record.get("config", {}), indent=2)))
    groups = analysis.groups
    if groups is not None:
        sizes = groups.value_counts().sort_index().rename("models").rename_axis("group").to_frame()
        section.add(table_block(sizes, "Model groups", row_label="groups"))
    return section.add(versions_table(analysis.run.record))
