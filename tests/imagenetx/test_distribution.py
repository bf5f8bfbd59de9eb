import pandas as pd
import pytest
from imagenet_x import FACTORS as REFERENCE_FACTORS
from imagenet_x.utils import load_annotations

from fovkit.imagenetx.annotations import FACTORS
from fovkit.imagenetx.distribution import factor_distribution


@pytest.fixture(scope="module")
def distribution() -> pd.DataFrame:
    return factor_distribution()


def _shares(distribution: pd.DataFrame, partition: str, counting: str) -> pd.Series:
    part = distribution[(distribution["partition"] == partition) & (distribution["counting"] == counting)]
    return part.set_index("factor")["share"]


def test_layout_one_row_per_partition_counting_and_factor(distribution):
    assert list(distribution.columns) == ["partition", "counting", "factor", "images", "share"]
    assert len(distribution) == 2 * 2 * len(FACTORS)
    keys = distribution[["partition", "counting"]].drop_duplicates().apply(tuple, axis=1).tolist()
    assert keys == [("train", "all"), ("train", "top"), ("val", "all"), ("val", "top")]
    assert distribution["images"].dtype == "int64"
    assert distribution["share"].between(0, 1).all()


@pytest.mark.parametrize("partition", ["train", "val"])
@pytest.mark.parametrize(("counting", "which_factor"), [("all", "multi"), ("top", "top")])
def test_equals_the_reference_toolkit_share_of_images(distribution, partition, counting, which_factor):
    annotations = load_annotations(which_factor=which_factor, partition=partition, filter_prototypes=True)
    expected = annotations[REFERENCE_FACTORS].sum(axis=0) / len(annotations)  # plots.factor_distribution_comparison
    part = distribution[(distribution["partition"] == partition) & (distribution["counting"] == counting)]
    assert part.set_index("factor")["images"].to_dict() == annotations[REFERENCE_FACTORS].sum(axis=0).to_dict()
    pd.testing.assert_series_equal(part.set_index("factor")["share"], expected, check_names=False, rtol=1e-12)


def test_numbers_say_what_the_paper_says(distribution):
    for partition in ("train", "val"):
        every = _shares(distribution, partition, "all").sort_values(ascending=False)
        top = _shares(distribution, partition, "top")
        # "pose, background, pattern, and color factors are commonly selected" (both partitions match)
        assert set(every.index[:4]) == {"pose", "background", "pattern", "color"}
        assert set(top.sort_values(ascending=False).index[:4]) == {"pose", "background", "pattern", "color"}
        # "a clear reduction of those factors in Figure 2 (all vs top factors)"
        assert (top[["pose", "background"]] < every[["pose", "background"]] / 2).all()
        # one top factor per image: the shares add up to 1 but for the few images without any factor
        assert top.sum() == pytest.approx(1.0, abs=1e-3)
        assert every.sum() > 2  # several factors per image when all of them count
    val = _shares(distribution, "val", "all")
    # "pose and background are active for around 80% of the validation images"
    assert list(val.sort_values(ascending=False).index[:2]) == ["pose", "background"]
    assert val[["pose", "background"]].between(0.7, 0.9).all()


def test_prototypes_are_val_images_only(distribution):
    kept = factor_distribution(keep_prototypes=True)
    is_train = kept["partition"] == "train"
    pd.testing.assert_frame_equal(kept[is_train], distribution[is_train])
    val_images = (kept[~is_train]["images"].to_numpy() >= distribution[~is_train]["images"].to_numpy()).all()
    assert val_images and kept[~is_train]["images"].sum() > distribution[~is_train]["images"].sum()
