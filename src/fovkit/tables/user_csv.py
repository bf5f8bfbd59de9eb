"""Small user CSVs of named columns (model groups, shift scores), read with the prediction files' checks.

gzip content is read; UTF-16 and binary content is refused by its first bytes; every problem is one InputError that
names the file, the column and the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from fovkit.errors import InputError, preview, printable
from fovkit.tables.sniff import open_csv, unreadable


def read_text_columns(path: Path, columns: Sequence[str], what: str, row: str) -> pd.DataFrame:
    """`columns` of the CSV at `path` as text, in file order; other columns are ignored.

    Args:
        path: The CSV.
        columns: Required columns, each present once.
        what: The file in words for messages, e.g. "groups CSV".
        row: What one row holds, for messages, e.g. "'model,group' per model".

    """
    path = Path(path)
    as_text = pa_csv.ConvertOptions(column_types=dict.fromkeys(columns, pa.string()), strings_can_be_null=False)
    try:
        with open_csv(path) as stream:
            table = pa_csv.read_csv(stream, convert_options=as_text)
    except OSError as error:
        raise unreadable(path, error, what) from error
    except pa.ArrowException as error:
        raise InputError(f"cannot read the {what}: {printable(error)}", path=path) from error
    missing = [column for column in columns if column not in table.column_names]
    if missing:
        raise InputError(
            f"missing column(s) {missing}; the file has {preview(table.column_names)}; give one row {row}",
            path=path,
            field=missing[0],
        )
    repeated = [column for column in columns if table.column_names.count(column) > 1]
    if repeated:
        raise InputError(f"column '{repeated[0]}' appears more than once; keep one", path=path, field=repeated[0])
    frame = table.select(list(columns)).to_pandas()
    if frame.empty:
        raise InputError(f"no rows; give one row {row}", path=path)
    return frame


def check_names(frame: pd.DataFrame, columns: Sequence[str], path: Path) -> None:
    """No empty (or blank) name in the text `columns`."""
    for column in columns:
        empty = np.flatnonzero((frame[column].str.strip() == "").to_numpy())
        if len(empty):
            raise InputError(f"empty {column} names at rows {preview(empty.tolist())}", path=path, field=column)
