"""The integer-id fast path aligns exactly as the string path does, and fails with the same errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from fovkit.errors import InputError
from fovkit.tables.alignment import SampleAligner, SampleUniverse


def both_paths(universe: SampleUniverse) -> list[SampleAligner]:
    assert universe.integer_ids is not None
    return [SampleAligner(universe), SampleAligner(dataclasses.replace(universe, integer_ids=None))]


def test_fast_path_is_taken_and_gives_the_same_rows(val_universe: SampleUniverse, prediction_frame: pd.DataFrame):
    fast, plain = both_paths(val_universe)
    assert fast._target_of_integer is not None and plain._target_of_integer is None
    shuffled = prediction_frame["file_name"].sample(frac=1.0, random_state=1).to_numpy()
    ids = pa.array(shuffled, type=pa.string())
    rows = fast.rows_for(ids, Path("a.csv"), "file_name")
    np.testing.assert_array_equal(rows, plain.rows_for(ids, Path("a.csv"), "file_name"))
    np.testing.assert_array_equal(shuffled[rows], val_universe.target.to_numpy())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("duplicate", "duplicate sample ids"),
        ("unknown", "not in the ImageNet-X val annotations"),
        ("outside_val", "not in the ImageNet-X val annotations"),
        ("missing", "missing rows"),
        ("other_form", "not in the ImageNet-X val annotations"),
    ],
)
def test_fast_path_errors_match_the_string_path(
    val_universe: SampleUniverse, prediction_frame: pd.DataFrame, change: str, message: str
):
    names = prediction_frame["file_name"].to_numpy().copy()
    if change == "duplicate":
        names[5] = names[9]
    elif change == "unknown":
        names[3] = "ILSVRC2012_val_00000000.JPEG"
    elif change == "outside_val":
        names[3] = "ILSVRC2012_val_00050001.JPEG"
    elif change == "missing":
        names = names[:-1]
    else:
        names[3] = "cat.png"
    errors = []
    for aligner in both_paths(val_universe):
        with pytest.raises(InputError, match=message) as raised:
            aligner.rows_for(pa.array(names, type=pa.string()), Path("bad.csv"), "file_name")
        errors.append(str(raised.value))
    assert errors[0] == errors[1]
