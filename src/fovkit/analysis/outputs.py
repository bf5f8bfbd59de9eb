"""Write an analysis result as a run folder's tables: CSV, Parquet copies under `parquet/`, and `analysis.json`.

`analysis.json` tells the report what the tables hold, so the report imports no analysis.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from fovkit.analysis.result import AnalysisResult
from fovkit.analysis.tables import CriterionTables

ANALYSIS_FILE = "analysis.json"
KIND = "factor_analysis"
REFERENCE_LAYOUT = ("factor_accuracies", "error_ratios")
"""Tables written exactly as pandas writes them (no quotes), so they diff line by line with the reference's CSVs."""


def write_analysis(result: AnalysisResult, folder: Path) -> list[Path]:
    """Write every table of `result` under `folder` as Parquet and CSV, and `analysis.json`; returns the CSVs."""
    return write_csv_tables(write_description(result, folder), folder)


def write_description(result: AnalysisResult, folder: Path) -> dict[str, pd.DataFrame]:
    """Write the Parquet copies (under `parquet/`) and `analysis.json`: all a report reads. Returns the tables.

    The CSVs (`write_csv_tables`) can then be written while the report draws. The first criterion's tables sit at
    the top of the folder (like the reference's accuracies_per_factor.csv); every other criterion's in a subfolder
    named after it.
    """
    tables = {name: _plain(table) for name, table in table_frames(result).items()}
    for name, table in tables.items():
        path = Path(folder) / "parquet" / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        table.to_parquet(path, index=not isinstance(table.index, pd.RangeIndex))
    description = {
        "kind": KIND,
        "title": result.title,
        "factors": list(result.factors),
        "criteria": {
            info.name: {"label": info.label, "description": info.description} for info in result.criteria_info
        },
        "hierarchy": result.hierarchy,
        "reference_model": result.reference_model,
        "notes": list(result.notes),
        "confidence": 0.95,
        "bootstrap": int(getattr(result.config, "bootstrap", 0)),
        "tables": [f"{name}.csv" for name in tables],
    }
    (Path(folder) / ANALYSIS_FILE).write_text(json.dumps(description, indent=2) + "\n")
    return tables


def write_csv_tables(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Write each table as `<name>.csv` (index columns first, floats in shortest round-trip form).

    Arrow's CSV writer is ~5x faster than pandas on the large float tables (it quotes text values, which every CSV
    reader accepts); the reference-layout tables go through pandas so they diff line by line with the reference's.
    """
    written = []
    for name, table in tables.items():
        path = Path(folder) / f"{name}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        is_long = isinstance(table.index, pd.RangeIndex)
        if Path(name).name in REFERENCE_LAYOUT:
            table.to_csv(path, index=not is_long)
        else:
            pa_csv.write_csv(
                pa.Table.from_pandas(table if is_long else table.reset_index(), preserve_index=False), path
            )
        written.append(path)
    return written


def table_frames(result: AnalysisResult) -> dict[str, pd.DataFrame]:
    """Every table by its path in the folder, without suffix."""
    tables: dict[str, pd.DataFrame] = {
        "summary": result.summary,
        "factor_prevalence": result.factor_prevalence,
        "correlation": result.correlation,
        "correlation_pvalue": result.correlation_pvalue,
        "active_factors": result.active_factors,
    }
    optional = {
        "gaps": result.gaps,
        "shift_correlation": result.shift_correlation,
        "factor_distribution": result.factor_distribution,
        "groups": None if result.groups is None else result.groups.rename("group").rename_axis("model").to_frame(),
    }
    tables.update({name: frame for name, frame in optional.items() if frame is not None})
    tables.update(result.corruption or {})
    first = next(iter(result.criteria), None)
    for criterion, criterion_tables in result.criteria.items():
        folder = Path("." if criterion == first else criterion)
        for name, table in criterion_frames(criterion_tables, result.hierarchy).items():
            tables[str(folder / name)] = table
    return tables


def criterion_frames(tables: CriterionTables, hierarchy: str | None) -> dict[str, pd.DataFrame]:
    """The tables of one criterion by file name; hierarchy tables are named after the hierarchy."""
    frames = {
        "factor_accuracies": tables.factor_accuracies,
        "error_ratios": tables.error_ratios,
        f"{hierarchy}_accuracies": tables.hierarchy_accuracies,
        f"{hierarchy}_error_ratios": tables.hierarchy_error_ratios,
        "prevalence_shift": tables.prevalence_shift,
        f"{hierarchy}_prevalence_shift": tables.hierarchy_prevalence_shift,
        f"{hierarchy}_counts": tables.hierarchy_counts,
        "calibration": tables.calibration,
        "intervals": tables.intervals,
        "group_tests": tables.group_tests,
    }
    return {name: frame for name, frame in frames.items() if frame is not None}


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """`table` without `attrs`: pandas would write them into the Parquet metadata, and not every value serialises."""
    table = table.copy(deep=False)
    table.attrs = {}
    return table
