"""Read a factor table's file (CSV, gzip CSV or Parquet) into an Arrow table, refusing what is not one.

Like the prediction files, the file is untrusted: its first bytes are checked against its suffix
(`fovkit.tables.sniff`), rows are parsed in bounded blocks and parser messages are made printable.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from fovkit.errors import InputError, preview, printable
from fovkit.tables.sniff import SNIFF_BYTES, content_problem, open_csv, path_problem, unreadable

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
PARQUET_MAGIC = b"PAR1"
CSV_BLOCK_BYTES = 16 << 20
"""Parser block: a row longer than this (a huge cell) is refused with a clear message."""


def read_table(path: Path, text_columns: tuple[str, ...]) -> pa.Table:
    """The file as an Arrow table; in CSV, `text_columns` (where present) are read as text, never as numbers.

    Raises:
        InputError: For a missing file, a suffix other than CSV/Parquet, content that does not match the suffix
            (UTF-16, binary, Parquet named .csv, text named .parquet), an empty or malformed file, cells that are
            not UTF-8, and a row longer than CSV_BLOCK_BYTES.

    """
    name = path.name.lower()
    if not name.endswith(CSV_SUFFIXES + PARQUET_SUFFIXES):
        raise InputError(
            f"unsupported file type {printable(repr(path.suffix), 40)}; a factor table is "
            f"{', '.join(CSV_SUFFIXES + PARQUET_SUFFIXES)}",
            path=path,
        )
    problem = path_problem(path)
    if problem:
        raise InputError(problem, path=path)
    try:
        if name.endswith(PARQUET_SUFFIXES):
            return _read_parquet(path)
        return _read_csv(path, text_columns)
    except InputError:
        raise
    except OSError as error:
        raise unreadable(path, error) from error
    except pa.ArrowException as error:
        raise InputError(_csv_problem(str(error)), path=path, field="format") from error


def _read_csv(path: Path, text_columns: tuple[str, ...]) -> pa.Table:
    """Parse a CSV with `text_columns` as text and empty cells as missing values; refuse cells that are not UTF-8."""
    with open_csv(path) as stream:
        table = pa_csv.read_csv(
            stream,
            read_options=pa_csv.ReadOptions(use_threads=False, block_size=CSV_BLOCK_BYTES),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(text_columns, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_binary(column.type):  # what the parser infers for cells that are not UTF-8
            cells = column.to_pylist()
            rows = [row for row, cell in enumerate(cells) if cell is not None and not _is_utf8(cell)]
            raise InputError(
                f"cells that are not UTF-8 text {preview([cells[row] for row in rows])} at rows {preview(rows)}; "
                "save the file as UTF-8",
                path=path,
                field=printable(name, 60),
            )
    return table


def _is_utf8(cell: bytes) -> bool:
    try:
        cell.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read_parquet(path: Path) -> pa.Table:
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.startswith(PARQUET_MAGIC):
        looks = content_problem(head) or "it looks like text: give a CSV file the suffix .csv"
        raise InputError(f"the file is not Parquet ({looks})", path=path, field="format")
    return pq.read_table(path, use_threads=False)


def _csv_problem(message: str) -> str:
    """A parser message as one line with the fix."""
    if "Empty CSV file" in message:
        return "the file is empty; write a header row and one row per image"
    if "straddling" in message:
        return f"a row is longer than {CSV_BLOCK_BYTES >> 20} MiB (a huge cell?); factor tables hold short values"
    if "invalid UTF8" in message:
        return "the file is not UTF-8 text; save it as UTF-8"
    return f"cannot read the table: {printable(message)}"
