"""The manifest: written once with kind, factors, image and checksums; every damaged field named on read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from store_samples import FACTORS, IMAGE

from fovkit.errors import InputError
from fovkit.store import ShardedDataset, ShardRecord, read_manifest, write_manifest
from fovkit.store.manifest import MANIFEST

FIX = "write the dataset again"


def test_manifest_records_kind_factors_image_and_shards(stored: ShardedDataset):
    manifest = read_manifest(stored.folder / MANIFEST, FIX, kind="corruption")
    assert manifest.kind == "corruption" and manifest.partition == "corruption"
    assert manifest.factors == FACTORS and manifest.image == IMAGE
    assert [record.partition for record in manifest.shards] == ["fog", "fog", "snow"]
    assert manifest["counts"] == {"fog": 8, "snow": 4} and manifest["total"] == 12
    assert manifest["shards"][0]["corruption"] == "fog"  # the partition column's name is the entry's key
    table = stored.factor_table()
    assert table.factor_names == ["severity", "flipped", "colour"] and len(table) == 12


def test_a_manifest_is_never_rewritten_with_other_checksums(stored: ShardedDataset):
    before = (stored.folder / MANIFEST).read_bytes()
    records = list(stored.manifest.shards)
    write_manifest(stored.folder, "corruption", "corruption", FACTORS, IMAGE, records, existing=stored.manifest)
    changed = [ShardRecord(records[0].name, "fog", records[0].rows, "0" * 64), *records[1:]]
    with pytest.raises(InputError, match="never rewritten"):
        write_manifest(stored.folder, "corruption", "corruption", FACTORS, IMAGE, changed, existing=stored.manifest)
    assert (stored.folder / MANIFEST).read_bytes() == before


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"kind": None}, "kind", "no dataset kind"),
        ({"kind": "render"}, "kind", "holds a render dataset, not a corruption dataset"),
        ({"partition": 3}, "partition", "no partition column name"),
        ({"shards": []}, "shards", "no list of shards"),
        ({"factors": [{"name": "severity", "kind": "ordinal", "canonical": 0}]}, "factors", "kind in"),
        ({"factors": [{"name": "severity", "kind": "scalar", "canonical": "zero"}]}, "factors", "canonical value"),
        ({"factors": "severity"}, "factors", "no list of factors"),
        ({"image": {"format": "gif", "height": 16, "width": 16}}, "image", "format in"),
        ({"image": {"format": "png", "height": 0, "width": 16}}, "image", "positive height"),
    ],
)
def test_damaged_manifest_fields_are_named(stored: ShardedDataset, change: dict, field: str, words: str):
    path = stored.folder / MANIFEST
    manifest = {**json.loads(path.read_text()), **change}
    path.write_text(json.dumps({key: value for key, value in manifest.items() if value is not None}))
    with pytest.raises(InputError, match=words) as caught:
        ShardedDataset.open(stored.folder, kind="corruption")
    assert caught.value.path == path and caught.value.field == field


def test_repeated_and_escaping_shard_entries_are_refused(stored: ShardedDataset):
    path = stored.folder / MANIFEST
    manifest = json.loads(path.read_text())
    for shards, words in (
        ([manifest["shards"][0], manifest["shards"][0]], "listed twice"),
        ([{**manifest["shards"][0], "name": "../outside.parquet"}], "plain file name"),
        ([{key: value for key, value in manifest["shards"][0].items() if key != "corruption"}], "a corruption, rows"),
    ):
        path.write_text(json.dumps({**manifest, "shards": shards}))
        with pytest.raises(InputError, match=words):
            ShardedDataset.open(stored.folder)


def test_not_a_dataset_is_one_clear_error(tmp_path: Path):
    with pytest.raises(InputError, match=r"no manifest\.json"):
        ShardedDataset.open(tmp_path)
    (tmp_path / MANIFEST).write_text("[1]")
    with pytest.raises(InputError, match="not an object"):
        ShardedDataset.open(tmp_path)
