"""Write an ImageNet-X result as CSV tables (reference-compatible layout) with Parquet copies."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from fovkit.imagenetx.analysis import CriterionTables, ImageNetXResult

CRITERION_FOLDERS = {"class": ".", "real": "real", "metaclass": "metaclass"}
"""Top-1 label tables sit at the top of the output folder, like the reference's accuracies_per_factor.csv."""
REFERENCE_LAYOUT = ("factor_accuracies", "error_ratios")
"""Tables written exactly as pandas writes them (no quotes), so they diff line by line with the reference's CSVs."""


def write_tables(result: ImageNetXResult, folder: Path) -> list[Path]:
    """Write every table of `result` under `folder` as CSV and, mirrored under `parquet/`, as Parquet."""
    tables: dict[str, pd.DataFrame] = {
        "summary": result.summary,
        "factor_prevalence": result.factor_prevalence,
        "correlation": result.correlation,
        "correlation_pvalue": result.correlation_pvalue,
    }
    for criterion, criterion_tables in result.criteria.items():
        for name, table in _criterion_frames(criterion_tables).items():
            tables[str(Path(CRITERION_FOLDERS[criterion]) / name)] = table
    written = []
    for name, table in tables.items():
        csv_path, parquet_path = Path(folder) / f"{name}.csv", Path(folder) / "parquet" / f"{name}.parquet"
        written.append(_write(table, csv_path, parquet_path, quote_text=Path(name).name not in REFERENCE_LAYOUT))
    return written


def _criterion_frames(tables: CriterionTables) -> dict[str, pd.DataFrame]:
    frames = {
        "factor_accuracies": tables.factor_accuracies,
        "error_ratios": tables.error_ratios,
        "metaclass_accuracies": tables.metaclass_accuracies,
        "metaclass_error_ratios": tables.metaclass_error_ratios,
        "prevalence_shift": tables.prevalence_shift,
        "metaclass_prevalence_shift": tables.metaclass_prevalence_shift,
        "metaclass_counts": tables.metaclass_counts,
        "calibration": tables.calibration,
        "intervals": tables.intervals,
        "group_tests": tables.group_tests,
    }
    return {name: frame for name, frame in frames.items() if frame is not None}


def _write(table: pd.DataFrame, csv_path: Path, parquet_path: Path, quote_text: bool) -> Path:
    """Write `table` as CSV (index columns first, floats in shortest round-trip form) and as Parquet.

    With `quote_text`, Arrow's CSV writer does it, ~5x faster than pandas on the large float tables (it quotes text
    values, which every CSV reader accepts); otherwise pandas. The Parquet file keeps pandas' index metadata.
    """
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    parquet_path.parent.mkdir(parents=True, exist_ok=True)
    is_long = isinstance(table.index, pd.RangeIndex)
    if quote_text:
        pa_csv.write_csv(
            pa.Table.from_pandas(table if is_long else table.reset_index(), preserve_index=False), csv_path
        )
    else:
        table.to_csv(csv_path, index=not is_long)
    table.to_parquet(parquet_path, index=not is_long)
    return csv_path
