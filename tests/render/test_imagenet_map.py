"""The catalog's ImageNet counterparts: real ImageNet-1k classes, real catalog classes, padded lists."""

import numpy as np
import pytest

from fovkit.render.assets import list_classes
from fovkit.render.imagenet import CATALOG_IMAGENET, IMAGENET_CLASSES, imagenet_lists


def test_every_counterpart_is_the_imagenet_class_its_wordnet_id_names():
    timm_data = pytest.importorskip("timm.data")
    info = timm_data.ImageNetInfo()
    for name, counterparts in CATALOG_IMAGENET.items():
        for index, wordnet_id in counterparts:
            assert 0 <= index < IMAGENET_CLASSES
            assert info.index_to_label_name(index) == wordnet_id, (name, index, wordnet_id)


def test_every_mapped_class_is_in_the_catalog_and_lists_no_index_twice():
    assert set(CATALOG_IMAGENET) <= set(list_classes())
    for counterparts in CATALOG_IMAGENET.values():
        indices = [index for index, _ in counterparts]
        assert len(indices) == len(set(indices))


def test_lists_are_padded_and_unmapped_classes_have_none():
    lists = imagenet_lists(["bottle", "anchor", "mug"])
    assert lists.shape == (3, 5)
    assert sorted(lists[0]) == [440, 720, 737, 898, 907]
    assert (lists[1] == -1).all()
    assert set(lists[2][lists[2] >= 0]) == {504, 968}
    assert imagenet_lists([]).shape == (0, 1)
    assert np.issubdtype(lists.dtype, np.integer)
