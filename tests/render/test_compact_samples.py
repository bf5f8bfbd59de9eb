"""The sample table kept light (categoricals, int32) gives the same values and selections as plain columns."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from fovkit.errors import InputError
from fovkit.protocols.probe import evaluation_rows
from fovkit.render.splits import canonical_training_set
from fovkit.render.store import CATEGORICAL_COLUMNS, INT32_COLUMNS, RenderedDataset
from fovkit.store import loader as loader_module


def plain_samples(dataset: RenderedDataset) -> pd.DataFrame:
    """The samples as the shards store them (strings, int64), read with pyarrow alone, with `shard` and `row`."""
    parts = []
    for record in dataset.manifest.shards:
        table = pq.read_table(dataset.folder / record.name).drop_columns(["image"])
        frame = table.to_pandas()
        parts.append(frame.assign(shard=record.name, row=range(len(frame))))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture
def plain_dataset(tiny_dataset: RenderedDataset) -> RenderedDataset:
    """The tiny dataset opened again, its `samples` replaced by the plain table."""
    copy = RenderedDataset.open(tiny_dataset.folder)
    copy.__dict__["samples"] = plain_samples(tiny_dataset)
    return copy


def test_repeated_strings_are_categoricals_and_small_integers_int32(tiny_dataset: RenderedDataset):
    samples = tiny_dataset.samples
    for name in (*CATEGORICAL_COLUMNS, "shard"):
        assert isinstance(samples[name].dtype, pd.CategoricalDtype), name
        assert samples[name].cat.categories.is_monotonic_increasing, name
    for name in (*INT32_COLUMNS, "row"):
        assert samples[name].dtype == "int32", name
    assert samples["label"].dtype == "int64"


def test_values_are_the_stored_ones_in_half_the_memory(tiny_dataset: RenderedDataset):
    samples, plain = tiny_dataset.samples, plain_samples(tiny_dataset)
    assert list(samples.columns) == list(plain.columns)
    pd.testing.assert_frame_equal(samples.astype(plain.dtypes.to_dict()), plain)
    assert samples.memory_usage(deep=True).sum() < 0.6 * plain.memory_usage(deep=True).sum()


def test_selections_and_tables_match_those_of_plain_columns(tiny_dataset, plain_dataset):
    for varies, split in (((), None), (("pose",), "held_out"), (("size", "background"), "train")):
        compact = tiny_dataset.select(varies=list(varies), split=split)
        plain = plain_dataset.select(varies=list(varies), split=split)
        assert compact["sample_id"].tolist() == plain["sample_id"].tolist()
    for choose in (canonical_training_set, lambda frame: evaluation_rows(frame, tiny_dataset.config.factors)):
        assert choose(tiny_dataset.samples).index.tolist() == choose(plain_dataset.samples).index.tolist()
    compact_table, plain_table = tiny_dataset.factor_table(["single"]), plain_dataset.factor_table(["single"])
    pd.testing.assert_frame_equal(compact_table.frame.astype(plain_table.frame.dtypes.to_dict()), plain_table.frame)
    assert tiny_dataset.contents() == plain_dataset.contents()
    assert tiny_dataset.class_names == plain_dataset.class_names


def test_filtered_and_empty_samples_keep_the_compact_dtypes(tiny_dataset: RenderedDataset):
    everything = tiny_dataset.samples
    chosen = tiny_dataset.store.samples(columns=["sample_id", "class_name"], filter={"split": "held_out"})
    assert chosen["sample_id"].tolist() == everything.loc[everything["split"] == "held_out", "sample_id"].tolist()
    empty = tiny_dataset.store.samples(columns=["class_name", "index"], filter={"class_name": "nothing"})
    assert empty.empty and isinstance(empty["class_name"].dtype, pd.CategoricalDtype)
    assert empty["index"].dtype == "int32" and empty["row"].dtype == "int32"


def test_batches_of_named_shards_read_only_those(tiny_dataset, monkeypatch: pytest.MonkeyPatch):
    read: list[str] = []
    original = loader_module.verified_bytes
    monkeypatch.setattr(
        loader_module, "verified_bytes", lambda path, *args: read.append(path.name) or original(path, *args)
    )
    name = tiny_dataset.manifest.shards[2].name
    batches = list(tiny_dataset.store.iter_batches(columns=["sample_id"], batch_size=64, shards=[name]))
    assert read == [name]
    everything = tiny_dataset.samples
    expected = everything.loc[everything["shard"] == name, "sample_id"].tolist()
    assert [sample for batch in batches for sample in batch.rows["sample_id"]] == expected
    assert sum(len(batch.images) for batch in batches) == len(expected)
    with pytest.raises(InputError, match="not in the dataset's manifest"):
        list(tiny_dataset.store.iter_batches(shards=["nowhere.parquet"]))
