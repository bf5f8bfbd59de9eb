"""`fovkit imagenetx` as a library call: annotations + prediction files -> tables, plots and report in a folder."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from fovkit.errors import InputError, preview, printable
from fovkit.imagenetx.analysis import ImageNetXResult, analyze_files
from fovkit.imagenetx.annotations import load_factor_table
from fovkit.imagenetx.config import ImageNetXConfig
from fovkit.imagenetx.outputs import write_tables
from fovkit.runs import atomic_output_dir, write_run_record
from fovkit.tables.prediction_files import expand_prediction_paths
from fovkit.tables.sniff import open_csv, unreadable

if TYPE_CHECKING:
    from fovkit.report.html import Section

REPORT_MODULE = "fovkit.report.imagenetx"
"""Imported while the analysis workers run (matplotlib takes ~0.3 s to load, and the workers do not need it)."""

GROUP_COLUMNS = ("model", "group")


@dataclass(frozen=True)
class ImageNetXRun:
    """What a run produced: the result and where its folder and report are."""

    result: ImageNetXResult
    out: Path
    report: Path


def run_imagenetx(
    predictions: Sequence[Path],
    out: Path,
    config: ImageNetXConfig,
    groups_csv: Path | None = None,
    file_names: Path | None = None,
    overwrite: bool = False,
    workers: int | None = None,
    progress: bool = True,
    svg: bool = False,
    extra_sections: Sequence[Section] = (),
) -> ImageNetXRun:
    """Analyse prediction files (and/or the human baseline) and write tables, plots, report and run record to `out`.

    Nothing is left in `out` if any input is bad: the folder is assembled under a temporary name and renamed.
    """
    paths = expand_prediction_paths(predictions) if predictions else []
    if not paths and not config.human:
        raise InputError("no prediction files given; pass files or folders, or --human for the human baseline")
    groups = load_groups(groups_csv) if groups_csv else None
    table = load_factor_table(config.which_factor, config.partition, config.keep_prototypes)
    extras = [*([groups_csv] if groups_csv else []), *([file_names] if file_names else [])]
    with atomic_output_dir(out, overwrite, inputs=[*predictions, *extras]) as staging:
        load_report = partial(importlib.import_module, REPORT_MODULE)
        result = analyze_files(
            table, paths, config, groups, file_names, workers, progress, meanwhile=load_report, checksums=True
        )
        tables = partial(write_tables, result, staging)  # written while the report's workers draw the plots
        report = importlib.import_module(REPORT_MODULE)
        report.write_imagenetx_report(
            result, staging, extra_sections=extra_sections, svg=svg, workers=workers, meanwhile=tables
        )
        write_run_record(staging, "fovkit imagenetx", config, extras, checksums=result.inputs)
    return ImageNetXRun(result, Path(out), Path(out) / "report.html")


def load_groups(path: Path) -> pd.Series:
    """Model -> group mapping from a CSV with columns `model,group` (one row per model).

    The CSV is checked like a prediction CSV (gzip read, UTF-16 and binary content refused by their first bytes);
    the Series keeps the file in `attrs["path"]`, so that the check against the analysed models can name it.
    """
    path = Path(path)
    as_text = pa_csv.ConvertOptions(column_types=dict.fromkeys(GROUP_COLUMNS, pa.string()), strings_can_be_null=False)
    try:
        with open_csv(path) as stream:
            table = pa_csv.read_csv(stream, convert_options=as_text)
    except OSError as error:
        raise unreadable(path, error, "groups CSV") from error
    except pa.ArrowException as error:
        raise InputError(f"cannot read the groups CSV: {printable(error)}", path=path) from error
    missing = [column for column in GROUP_COLUMNS if column not in table.column_names]
    if missing:
        raise InputError(
            f"missing column(s) {missing}; the file has {preview(table.column_names)}", path=path, field=missing[0]
        )
    repeated = [column for column in GROUP_COLUMNS if table.column_names.count(column) > 1]
    if repeated:
        raise InputError(f"column '{repeated[0]}' appears more than once; keep one", path=path, field=repeated[0])
    frame = table.select(list(GROUP_COLUMNS)).to_pandas()
    empty = frame.index[(frame["model"].str.strip() == "") | (frame["group"].str.strip() == "")]
    if len(empty):
        raise InputError(f"empty model or group at rows {preview(empty.tolist())}", path=path, field="group")
    duplicated = frame["model"][frame["model"].duplicated()]
    if len(duplicated):
        raise InputError(f"models listed twice: {preview(duplicated.tolist())}", path=path, field="model")
    groups = frame.set_index("model")["group"]
    groups.attrs["path"] = path
    return groups
