"""DataFrames as GitHub-flavoured Markdown tables (for result folders and terminals), without extra dependencies."""

from __future__ import annotations

import numpy as np
import pandas as pd


def markdown_table(frame: pd.DataFrame, digits: int = 2) -> str:
    """The frame (index included when named) as a Markdown table; floats rounded, NaN as an empty cell."""
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    header = [str(column) for column in frame.columns]
    rows = [[_cell(value, digits) for value in row] for row in frame.itertuples(index=False)]
    align = ["---:" if pd.api.types.is_numeric_dtype(frame[column]) else ":---" for column in frame.columns]
    lines = [header, align, *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines) + "\n"


def _cell(value: object, digits: int) -> str:
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else f"{value:.{digits}f}"
    return str(value).replace("|", "\\|")
