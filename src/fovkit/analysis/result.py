"""The result of a factor analysis: per-criterion tables, a per-model summary and model-independent statistics."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from pydantic import BaseModel

from fovkit.analysis.tables import CriterionTables


@dataclass(frozen=True)
class CriterionInfo:
    """How the report names and explains a criterion."""

    name: str
    label: str
    description: str


@dataclass(frozen=True)
class AnalysisResult:
    """Everything an analysis computed; `fovkit.analysis.outputs.write_analysis` writes it as a run folder."""

    config: BaseModel
    title: str
    factors: tuple[str, ...]
    criteria_info: tuple[CriterionInfo, ...]
    criteria: dict[str, CriterionTables]
    summary: pd.DataFrame
    factor_prevalence: pd.DataFrame
    correlation: pd.DataFrame
    correlation_pvalue: pd.DataFrame
    active_factors: pd.DataFrame
    hierarchy: str | None = None
    reference_model: str | None = None
    groups: pd.Series | None = None
    gaps: pd.DataFrame | None = None
    """Gap table with cluster-bootstrap intervals (`metrics.gaps.gap_intervals` layout) when the spec has one."""
    shift_correlation: pd.DataFrame | None = None
    corruption: dict[str, pd.DataFrame] | None = None
    """Corruption error tables of a corrupted dataset: `corruption_errors`, `corruption_ce`, `mce`."""
    factor_distribution: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)
    """SHA-256 of every prediction file read, by path (hashed by the worker that read it)."""
