"""One analysis engine for any factor-labelled images: specs, criteria, count states, tables and run-folder outputs.

Names are imported on first use, so that `fovkit.analysis.config` (read by the CLI's help) loads no numeric library.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fovkit.analysis.config import AnalysisConfig
    from fovkit.analysis.criteria import AcceptableLabels, Criterion, SameGroup, TopOne
    from fovkit.analysis.engine import analyze, analyze_files
    from fovkit.analysis.result import AnalysisResult, CriterionInfo
    from fovkit.analysis.spec import AnalysisSpec, GapSetup, Hierarchy
    from fovkit.analysis.tables import CriterionTables

_HOMES = {
    "AnalysisConfig": "config",
    "AcceptableLabels": "criteria",
    "Criterion": "criteria",
    "SameGroup": "criteria",
    "TopOne": "criteria",
    "analyze": "engine",
    "analyze_files": "engine",
    "AnalysisResult": "result",
    "CriterionInfo": "result",
    "AnalysisSpec": "spec",
    "GapSetup": "spec",
    "Hierarchy": "spec",
    "CriterionTables": "tables",
}
__all__ = [
    "AcceptableLabels",
    "AnalysisConfig",
    "AnalysisResult",
    "AnalysisSpec",
    "Criterion",
    "CriterionInfo",
    "CriterionTables",
    "GapSetup",
    "Hierarchy",
    "SameGroup",
    "TopOne",
    "analyze",
    "analyze_files",
]


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module 'fovkit.analysis' has no attribute {name!r}")
    return getattr(import_module(f"fovkit.analysis.{_HOMES[name]}"), name)
