from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fovkit.errors import InputError
from fovkit.tables import FactorSpec, FactorTable, Predictions

SPECS = (FactorSpec("yaw", "scalar", 0.0), FactorSpec("background", "categorical", "grass"), FactorSpec("pose"))


def frame(**overrides) -> pd.DataFrame:
    base = {
        "sample_id": ["a", "b", "c"],
        "label": [0, 1, 2],
        "yaw": [0.0, 30.0, 0.0],
        "background": ["grass", "grass", "water"],
        "pose": [0, 1, 0],
    }
    return pd.DataFrame({**base, **overrides})


def test_varies_compares_each_factor_with_its_canonical_value():
    table = FactorTable(frame(), SPECS)
    np.testing.assert_array_equal(table.varies(), [[False, False, False], [True, False, True], [False, True, False]])
    np.testing.assert_array_equal(table.varies(["background"])[:, 0], [False, False, True])
    with pytest.raises(InputError, match=r"unknown factors \['roll'\]"):
        table.varies(["roll"])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (frame().drop(columns="yaw"), r"missing columns \['yaw'\]"),
        (frame(sample_id=["a", "a", "c"]), r"duplicate sample ids \['a'\]"),
        (frame(label=[0, None, 2]), r"field 'label': missing values in rows \[1\]"),
        (frame(label=["x", "y", "z"]), "labels must be integers"),
    ],
)
def test_invalid_tables_are_rejected(data: pd.DataFrame, message: str):
    with pytest.raises(InputError, match=message):
        FactorTable(data, SPECS, source="my.parquet")


def test_subset_keeps_order():
    table = FactorTable(frame(), SPECS).subset(np.array([True, False, True]))
    assert list(table.sample_ids) == ["a", "c"]


def test_predictions_shape_stack_chunks_and_long_frame():
    ids = pd.Index(["a", "b"])
    first = Predictions(("m1",), ids, np.array([[1, 2]], np.int16), np.array([[0.5, 0.6]], np.float32))
    second = Predictions(("m2", "m3"), ids, np.array([[3, 4], [5, 6]], np.int16), np.ones((2, 2), np.float32))
    stacked = Predictions.stack([first, second])
    assert stacked.models == ("m1", "m2", "m3")
    assert [chunk.models for chunk in stacked.chunks(2)] == [("m1", "m2"), ("m3",)]
    long = stacked.to_frame()
    assert list(long.columns) == ["model", "sample_id", "predicted", "probability"]
    assert long.set_index(["model", "sample_id"]).loc[("m2", "b"), "predicted"] == 4
    with pytest.raises(InputError, match="expected \\(models, samples\\)"):
        Predictions(("m",), ids, np.zeros((1, 3), np.int16))
    with pytest.raises(InputError, match="duplicate model names"):
        Predictions.stack([first, first])
    without = Predictions(("m4",), ids, np.zeros((1, 2), np.int16))
    with pytest.raises(InputError, match="carry probabilities and others do not"):
        Predictions.stack([first, without])


def test_a_factor_without_canonical_value_has_no_varies():
    from fovkit.tables.factor_table import NO_CANONICAL

    table = FactorTable(
        pd.DataFrame({"sample_id": ["a", "b"], "label": [0, 1], "yaw": [0.0, 10.0]}),
        (FactorSpec("yaw", "scalar", NO_CANONICAL),),
    )
    with pytest.raises(InputError, match=r"yaw.*no canonical value"):
        table.varies()
