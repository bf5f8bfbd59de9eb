"""The tables of a factor analysis, derived from merged counts, and the per-model summary.

Per criterion: accuracies, error ratios and prevalence shifts (overall and per hierarchy group), calibration,
bootstrap intervals and between-group tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fovkit.analysis.layout import GroupLayout
from fovkit.metrics import (
    GroupCounts,
    alexander_govern_by_column,
    error_ratio,
    expected_calibration_error,
    prevalence_shift,
    worst_k_group_accuracy,
)
from fovkit.metrics.bootstrap import BootstrapIntervals


@dataclass(frozen=True)
class CriterionTables:
    """Every table of one scoring criterion; DataFrames indexed by `model` (and the hierarchy's group)."""

    criterion: str
    factor_accuracies: pd.DataFrame
    error_ratios: pd.DataFrame
    prevalence_shift: pd.DataFrame
    hierarchy_accuracies: pd.DataFrame | None = None
    hierarchy_error_ratios: pd.DataFrame | None = None
    hierarchy_prevalence_shift: pd.DataFrame | None = None
    hierarchy_counts: pd.DataFrame | None = None
    """Images scored in each hierarchy group (rows) x factor (columns) cell: how much each cell's numbers rest on."""
    calibration: pd.DataFrame | None = None
    intervals: pd.DataFrame | None = None
    group_tests: pd.DataFrame | None = None


@dataclass(frozen=True)
class TableSettings:
    """What the derivation needs besides the counts."""

    factors: list[str]
    hierarchy: str | None
    levels: list[str]
    worst_k_classes: int
    """k of the worst-k-classes accuracy, at most the number of classes with samples."""
    alpha: float


def criterion_tables(
    criterion: str,
    counts: GroupCounts,
    layout: GroupLayout,
    models: pd.Index,
    settings: TableSettings,
    images: np.ndarray,
    calibration_gaps: np.ndarray | None = None,
    intervals: BootstrapIntervals | None = None,
    groups: pd.Series | None = None,
) -> CriterionTables:
    """The tables of one criterion from its counts over every block of `layout` (models x groups).

    `images` (groups,) counts the samples the criterion scores in each group, whatever the models.
    """
    factors = settings.factors
    accuracy = counts.accuracy
    overall = accuracy[:, layout.all][:, 0]
    factor_acc = pd.DataFrame(accuracy[:, layout.factors], index=models, columns=factors)
    ratios = pd.DataFrame(error_ratio(factor_acc.to_numpy(), overall), index=models, columns=factors)
    factor_acc["worst_factor"] = factor_acc[factors].min(axis=1)
    factor_acc["average"] = overall
    class_counts = GroupCounts(counts.correct[:, layout.classes], counts.total[:, layout.classes])
    factor_acc[f"worst_{settings.worst_k_classes}_classes"] = worst_k_group_accuracy(
        class_counts, settings.worst_k_classes
    )
    mistakes, totals = counts.mistakes, counts.total
    shift = pd.DataFrame(
        prevalence_shift(mistakes[:, layout.factors], totals[:, layout.factors]), index=models, columns=factors
    )
    hierarchy = _hierarchy_tables(counts, layout, models, settings, images) if settings.hierarchy else {}
    calibration = None
    if calibration_gaps is not None:
        ece = expected_calibration_error(calibration_gaps, totals[:, : layout.factors.stop])
        calibration = pd.DataFrame(ece[:, layout.factors], index=models, columns=factors)
        calibration["worst_factor"] = calibration[factors].max(axis=1)
        calibration["average"] = ece[:, 0]
    group_tests = None
    if groups is not None:
        group_tests = alexander_govern_by_column(ratios, groups.reindex(models), alpha=settings.alpha)
    return CriterionTables(
        criterion=criterion,
        factor_accuracies=factor_acc,
        error_ratios=ratios,
        prevalence_shift=shift,
        calibration=calibration,
        intervals=None if intervals is None else interval_table(intervals, models, factor_acc, ratios, factors),
        group_tests=group_tests,
        **hierarchy,
    )


def _hierarchy_tables(
    counts: GroupCounts, layout: GroupLayout, models: pd.Index, settings: TableSettings, images: np.ndarray
) -> dict[str, pd.DataFrame]:
    """Accuracies, error ratios, prevalence shifts and image counts per (model, hierarchy group) x factor."""
    n_models, n_levels, factors = len(models), len(settings.levels), settings.factors
    index = pd.MultiIndex.from_product([models, settings.levels], names=["model", settings.hierarchy])
    cell_acc = counts.accuracy[:, layout.cells].reshape(n_models * n_levels, len(factors))
    level_overall = counts.accuracy[:, layout.levels].reshape(-1)
    accuracies = pd.DataFrame(cell_acc, index=index, columns=factors)
    ratios = pd.DataFrame(error_ratio(cell_acc, level_overall), index=index, columns=factors)
    accuracies["worst_factor"] = accuracies[factors].min(axis=1)
    accuracies["average"] = level_overall
    cell_shift = prevalence_shift(
        counts.mistakes[:, layout.cells].reshape(n_models, n_levels, len(factors)),
        counts.total[:, layout.cells].reshape(n_models, n_levels, len(factors)),
    )
    cell_totals = images[layout.cells].reshape(n_levels, len(factors)).astype(np.int64)
    return {
        "hierarchy_accuracies": accuracies,
        "hierarchy_error_ratios": ratios,
        "hierarchy_prevalence_shift": pd.DataFrame(cell_shift.reshape(-1, len(factors)), index=index, columns=factors),
        "hierarchy_counts": pd.DataFrame(
            cell_totals, index=pd.Index(settings.levels, name=settings.hierarchy), columns=factors
        ),
    }


def interval_table(
    intervals: BootstrapIntervals,
    models: pd.Index,
    accuracy: pd.DataFrame,
    ratios: pd.DataFrame,
    factors: list[str],
) -> pd.DataFrame:
    """Long table: model, metric, factor, estimate, low, high."""
    parts = []
    for metric, estimate, low, high in (
        ("accuracy", accuracy[factors], intervals.accuracy_low, intervals.accuracy_high),
        ("error_ratio", ratios, intervals.error_ratio_low, intervals.error_ratio_high),
    ):
        for column, name in enumerate(factors):
            parts.append(
                pd.DataFrame(
                    {
                        "model": models,
                        "metric": metric,
                        "factor": name,
                        "estimate": estimate[name].to_numpy(),
                        "low": low[:, column],
                        "high": high[:, column],
                    }
                )
            )
    overall = pd.DataFrame(
        {
            "model": models,
            "metric": "accuracy",
            "factor": "average",
            "estimate": accuracy["average"].to_numpy(),
            "low": intervals.overall_low,
            "high": intervals.overall_high,
        }
    )
    return pd.concat([*parts, overall], ignore_index=True)


def summary_table(
    tables: dict[str, CriterionTables], models: pd.Index, primary_of: pd.Series, factors: list[str]
) -> pd.DataFrame:
    """One row per model: accuracy under each criterion, then worst factor, worst-k classes and ECE.

    The last three use each model's primary criterion (`primary_of`): the first criterion, or the reference
    model's own (ImageNet-X: `human` is scored against ReaL, its top-1 label accuracy being 1 by construction).
    """
    summary = pd.DataFrame(index=models)
    first = next(iter(tables))  # the primary criterion
    for criterion, criterion_tables in tables.items():
        column = "accuracy" if criterion == first else f"{criterion}_accuracy"
        summary[column] = criterion_tables.factor_accuracies["average"]
    summary["criterion"] = primary_of.reindex(models).to_numpy()
    worst_classes = next(column for column in tables[first].factor_accuracies if column.endswith("_classes"))
    parts = []
    for criterion in dict.fromkeys(summary["criterion"]):
        accuracies = tables[criterion].factor_accuracies
        part = pd.DataFrame(index=accuracies.index)
        factor_only = accuracies[factors]
        part["worst_factor"] = factor_only.fillna(np.inf).idxmin(axis=1).where(factor_only.notna().any(axis=1))
        part["worst_factor_accuracy"] = accuracies["worst_factor"]
        part[worst_classes] = accuracies[worst_classes]
        if tables[criterion].calibration is not None:
            part["ece"] = tables[criterion].calibration["average"]
        parts.append(part.loc[part.index.intersection(summary.index[summary["criterion"] == criterion])])
    return summary.join(pd.concat(parts))
