"""The loader: verified reads, filtered metadata, streamed image batches and the torch Dataset."""

from __future__ import annotations

import numpy as np
import pyarrow.dataset as ds
import pytest
import torch
from store_samples import ROWS, pixel

from fovkit.errors import InputError
from fovkit.store import ShardedDataset, ShardImageDataset, codec
from fovkit.store import loader as loader_module


def sample_index(sample_id: str) -> int:
    return int(sample_id[1:])


def test_samples_locate_every_image(stored: ShardedDataset):
    samples = stored.samples()
    assert len(samples) == 12 and "image" not in samples.columns
    assert samples[["shard", "row"]].iloc[5].tolist() == ["fog-00001.parquet", 1]
    for (_, row), image in zip(samples.iterrows(), stored.images(samples), strict=True):
        np.testing.assert_array_equal(image, pixel(sample_index(row["sample_id"])))


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"corruption": "snow"}, lambda frame: frame["corruption"] == "snow"),
        ({"split": ["test"], "label": 1}, lambda frame: (frame["split"] == "test") & (frame["label"] == 1)),
        (ds.field("severity") > 0.5, lambda frame: frame["severity"] > 0.5),
        (
            (ds.field("colour") == "red") | ds.field("flipped"),
            lambda frame: (frame["colour"] == "red") | frame["flipped"],
        ),
    ],
)
def test_filters_give_the_rows_pandas_gives(stored: ShardedDataset, filter, expected):
    everything = stored.samples()
    chosen = stored.samples(columns=["sample_id", "severity"], filter=filter)
    reference = everything[expected(everything)]
    assert chosen["sample_id"].tolist() == reference["sample_id"].tolist()
    assert chosen[["shard", "row"]].values.tolist() == reference[["shard", "row"]].values.tolist()
    assert list(chosen.columns) == ["sample_id", "severity", "shard", "row"]


def test_a_partition_filter_skips_other_shards_unread(stored: ShardedDataset, monkeypatch: pytest.MonkeyPatch):
    read: list[str] = []
    original = loader_module.verified_bytes

    def counted(path, sha256, fix):
        read.append(path.name)
        return original(path, sha256, fix)

    monkeypatch.setattr(loader_module, "verified_bytes", counted)
    assert len(stored.samples(filter={"corruption": "snow"})) == 4
    assert read == ["snow-00002.parquet"]
    assert stored.samples(filter={"corruption": "rain"}).empty


def test_bad_columns_and_filters_are_input_errors(stored: ShardedDataset):
    with pytest.raises(InputError, match="unknown columns \\['colour_name'\\]"):
        stored.samples(columns=["colour_name"])
    with pytest.raises(InputError, match="the filter does not apply") as caught:
        stored.samples(filter={"weather": "fog"})
    assert caught.value.field == "filter"
    with pytest.raises(InputError, match="non-empty"):
        stored.samples(filter={})


def test_iter_batches_decodes_one_shard_at_a_time(stored: ShardedDataset, monkeypatch: pytest.MonkeyPatch):
    decoded = []
    original = codec.decode

    def counted(data, format, shape=None):
        decoded.append(1)
        return original(data, format, shape)

    monkeypatch.setattr(codec, "decode", counted)
    seen = 0
    for batch in stored.iter_batches(columns=["sample_id"], batch_size=100):
        assert len(decoded) - seen <= ROWS  # never more than one shard's images decoded ahead of what was yielded
        assert batch.images.shape == (len(batch.rows), 16, 16, 3)
        for sample_id, image in zip(batch.rows["sample_id"], batch.images, strict=True):
            np.testing.assert_array_equal(image, pixel(sample_index(sample_id)))
        seen += len(batch.rows)
    assert seen == len(decoded) == 12


def test_iter_batches_decodes_only_the_filtered_rows(stored: ShardedDataset, monkeypatch: pytest.MonkeyPatch):
    decoded = []
    original = codec.decode
    monkeypatch.setattr(codec, "decode", lambda *args: decoded.append(1) or original(*args))
    batches = list(stored.iter_batches(filter=ds.field("label") == 1, batch_size=3))
    assert [len(batch.rows) for batch in batches] == [2, 2, 2]  # two matching rows in each of the three shards
    assert len(decoded) == 6
    for batch in batches:
        assert (batch.rows["label"] == 1).all()
        for sample_id, image in zip(batch.rows["sample_id"], batch.images, strict=True):
            np.testing.assert_array_equal(image, pixel(sample_index(sample_id)))
    with pytest.raises(InputError, match="batch_size"):
        next(stored.iter_batches(batch_size=0))


def test_every_read_checks_the_shard_bytes(stored: ShardedDataset, flip_bytes):
    rows = stored.samples()
    shard = stored.folder / "fog-00001.parquet"
    flip_bytes(shard)
    fresh = ShardedDataset.open(stored.folder)
    reads = (
        lambda: fresh.samples(),
        lambda: list(fresh.iter_batches()),
        lambda: list(fresh.image_bytes(rows[rows["shard"] == shard.name])),
    )
    for read in reads:
        with pytest.raises(InputError, match="SHA-256 differs") as caught:
            read()
        assert caught.value.path == shard
    with pytest.raises(InputError, match="SHA-256 differs"):
        ShardedDataset.open(stored.folder, verify=True)
    shard.unlink()
    with pytest.raises(InputError, match="missing"):
        ShardedDataset.open(stored.folder)


def test_truncated_shard_is_named(stored: ShardedDataset):
    shard = stored.folder / "snow-00002.parquet"
    shard.write_bytes(shard.read_bytes()[:100])
    with pytest.raises(InputError, match="truncated") as caught:
        ShardedDataset.open(stored.folder).samples()
    assert caught.value.path == shard


def test_torch_dataset_over_selected_rows(stored: ShardedDataset):
    rows = stored.samples(filter={"corruption": "fog"})
    items = ShardImageDataset(stored, rows)
    image, label = items[3]
    assert isinstance(image, torch.Tensor) and image.shape == (3, 16, 16) and label == 1
    assert torch.allclose(image, torch.full((3, 16, 16), 30 / 255.0))
    batch, labels = next(iter(torch.utils.data.DataLoader(items, batch_size=8)))
    assert batch.shape == (8, 3, 16, 16) and labels.tolist() == [0, 1] * 4


def test_factor_table_follows_the_manifest(stored: ShardedDataset):
    table = stored.factor_table(stored.samples(filter={"corruption": "snow"}))
    varies = table.varies()
    samples = table.frame
    np.testing.assert_array_equal(varies[:, 0], samples["severity"] != 0)
    np.testing.assert_array_equal(varies[:, 2], samples["colour"] != "red")
