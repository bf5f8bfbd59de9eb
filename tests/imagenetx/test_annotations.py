from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from fovkit.errors import InputError
from fovkit.imagenetx.annotations import (
    FACTORS,
    METACLASSES,
    annotation_dir,
    class_metaclass,
    load_factor_table,
    real_label_matrix,
    sample_universe,
    val_file_names,
    val_numbers,
)


def test_partition_sizes_and_prototypes():
    assert len(load_factor_table("top", "val")) == 46110
    assert len(load_factor_table("top", "val", keep_prototypes=True)) == 48868
    assert len(load_factor_table("multi", "train", keep_prototypes=True)) == 11233


def test_factors_are_binary_and_top_has_one_factor_per_image():
    table = load_factor_table("top", "val")
    varies = table.varies()
    assert varies.shape == (46110, 16)
    assert set(np.unique(table.frame[list(FACTORS)].to_numpy())) <= {0, 1}
    assert (varies.sum(axis=1) <= 1).all()
    assert (load_factor_table("multi", "val").varies().sum(axis=1) >= varies.sum(axis=1)).all()


def test_seventeen_metaclasses_cover_every_class():
    names = class_metaclass()
    assert len(names) == 1000
    assert set(names) == set(METACLASSES)


def test_real_matrix_matches_the_shipped_lists():
    lists = json.loads((annotation_dir() / "imagenet_real_labels.jsonl").read_text())
    ids = pd.Index(["ILSVRC2012_val_00000001.JPEG", "ILSVRC2012_val_00000002.JPEG", "ILSVRC2012_val_00049999.JPEG"])
    matrix = real_label_matrix(ids)
    for row, name in enumerate(ids):
        expected = lists[int(name[15:23]) - 1]
        assert sorted(matrix[row][matrix[row] >= 0].tolist()) == sorted(expected)


def test_val_numbers_read_fixed_width_names_and_refuse_any_other_form():
    names = pd.Index(["ILSVRC2012_val_00000001.JPEG", "ILSVRC2012_val_00049999.JPEG", "ILSVRC2012_val_00012345.JPEG"])
    assert val_numbers(names).tolist() == [1, 49999, 12345]
    assert val_numbers(names[1:]).tolist() == [49999, 12345]  # a slice: offsets that do not start at zero
    for odd in ["ILSVRC2012_val_0000000x.JPEG", "ILSVRC2012_val_00000001.jpeg", "n01440764_10026.JPEG", "a"]:
        assert val_numbers(pd.Index([names[0], odd])) is None


def test_real_labels_refuse_names_outside_the_val_set():
    with pytest.raises(InputError, match=r"ILSVRC2012_val_00000000\.JPEG"):
        real_label_matrix(pd.Index(["ILSVRC2012_val_00000001.JPEG", "ILSVRC2012_val_00000000.JPEG"]))
    with pytest.raises(InputError, match="n01440764_10026"):
        real_label_matrix(pd.Index(["n01440764_10026.JPEG"]))


def test_universe_accepts_unannotated_val_images_only():
    table = load_factor_table("top", "val")
    universe = sample_universe(table, "val")
    unannotated = val_file_names().difference(table.sample_ids)[:3].to_numpy()
    assert universe.is_known_extra(unannotated).all()
    assert not universe.is_known_extra(np.array(["n01440764_10026.JPEG", "cat.png"])).any()
    train = sample_universe(load_factor_table("top", "train"), "train")
    assert train.is_known_extra(np.array(["n01440764_10026.JPEG"])).all()
    assert not train.is_known_extra(np.array(["ILSVRC2012_val_00000001.JPEG"])).any()
