"""Inputs of jobs that are not factor tables or predictions: the model -> group CSV of between-group tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fovkit.errors import InputError, preview
from fovkit.tables.user_csv import check_names, read_text_columns

GROUP_COLUMNS = ("model", "group")


def load_groups(path: Path) -> pd.Series:
    """Model -> group mapping from a CSV with columns `model,group` (one row per model).

    The CSV is checked like a prediction CSV (gzip read, UTF-16 and binary content refused by their first bytes);
    the Series keeps the file name in `attrs["path"]`, so that the check against the analysed models can name it.
    """
    path = Path(path)
    frame = read_text_columns(path, GROUP_COLUMNS, "groups CSV", "'model,group' per model")
    check_names(frame, GROUP_COLUMNS, path)
    duplicated = frame["model"][frame["model"].duplicated()]
    if len(duplicated):
        raise InputError(f"models listed twice: {preview(duplicated.tolist())}", path=path, field="model")
    groups = frame.set_index("model")["group"]
    groups.attrs["path"] = str(path)  # text: pandas writes attrs into Parquet metadata as JSON
    return groups
