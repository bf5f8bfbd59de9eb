import numpy as np
import pandas as pd
import pytest

from fovkit.metrics.active_factors import active_factor_counts


def test_counts_images_per_number_of_varying_factors_with_empty_counts_kept():
    varies = np.array(
        [
            [False, False, False],
            [True, False, False],
            [True, False, True],
            [True, True, True],
            [False, True, False],
        ]
    )
    table = active_factor_counts(varies)
    assert table["active"].tolist() == [0, 1, 2, 3]
    assert table["images"].tolist() == [1, 2, 1, 1]
    np.testing.assert_allclose(table["share"], [0.2, 0.4, 0.2, 0.2])
    assert table.dtypes.to_dict() == {"active": np.int64, "images": np.int64, "share": np.float64}


def test_matches_a_per_row_count_on_random_data():
    rng = np.random.default_rng(3)
    varies = rng.random((500, 16)) < rng.uniform(0.01, 0.6, 16)
    table = active_factor_counts(varies)
    expected = pd.Series([int(row.sum()) for row in varies]).value_counts()
    assert table["images"].sum() == 500
    assert table["active"].max() == expected.index.max()
    counted = table.set_index("active")["images"]
    assert counted[counted > 0].to_dict() == expected.sort_index().to_dict()
    assert table["share"].sum() == pytest.approx(1.0)


def test_images_gap_and_edge_shapes():
    gap = active_factor_counts(np.array([[True, True], [True, True]]))
    assert gap["images"].tolist() == [0, 0, 2]  # one row per count up to the largest, zeros included
    no_factors = active_factor_counts(np.zeros((4, 0), dtype=bool))
    assert no_factors.to_dict("list") == {"active": [0], "images": [4], "share": [1.0]}
    no_samples = active_factor_counts(np.zeros((0, 3), dtype=bool))
    assert len(no_samples) == 0 and list(no_samples.columns) == ["active", "images", "share"]


@pytest.mark.parametrize("varies", [np.ones((3, 2), dtype=np.int64), np.ones(3, dtype=bool)])
def test_refuses_what_is_not_a_boolean_matrix(varies):
    with pytest.raises(ValueError, match="2-D boolean"):
        active_factor_counts(varies)
