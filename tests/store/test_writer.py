"""The sharded writer: atomic shards, per-shard records, resume that redoes only what is missing, damage named."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from store_samples import LAYOUT, Task, build, write_dataset

from fovkit.errors import InputError
from fovkit.store import ShardedDataset, write_shards
from fovkit.store.manifest import MANIFEST, RECORDS


def counting(calls: list[int]) -> Callable[[Task], pa.Table]:
    """`build`, noting which shards it was asked for."""

    def counted(task: Task) -> pa.Table:
        calls.append(task.number)
        return build(task)

    return counted


def tasks() -> list[Task]:
    return [Task(number) for number in range(3)]


def test_shards_have_records_and_the_same_bytes_every_time(stored: ShardedDataset, tmp_path: Path):
    for record in stored.manifest.shards:
        entry = json.loads((stored.folder / RECORDS / f"{record.name}.json").read_text())
        assert entry == {"name": record.name, "corruption": record.partition, "rows": 4, "sha256": record.sha256}
    again = write_dataset(tmp_path / "again")
    assert again.manifest["shards"] == stored.manifest["shards"]


def test_half_written_temp_file_and_unrecorded_shard_are_redone(stored: ShardedDataset):
    folder = stored.folder
    (folder / MANIFEST).unlink()  # as a job killed before its end leaves the folder
    (folder / RECORDS / "fog-00001.parquet.json").unlink()  # killed between the shard's rename and its record
    (folder / "snow-00002.parquet").unlink()
    (folder / RECORDS / "snow-00002.parquet.json").unlink()
    partial = folder / ".snow-00002.parquet.x1y2.partial"
    partial.write_bytes(b"half a shard")  # killed in the middle of writing it
    calls: list[int] = []
    records = write_shards(counting(calls), tasks(), folder, LAYOUT, workers=1, progress=False)
    assert calls == [1, 2]  # the verified first shard is not built again
    assert [record.sha256 for record in records] == [record.sha256 for record in stored.manifest.shards]
    assert not partial.exists() and not list(folder.glob(".*partial"))


def test_resume_names_a_damaged_shard(stored: ShardedDataset, flip_bytes):
    shard = stored.folder / "fog-00001.parquet"
    flip_bytes(shard)
    with pytest.raises(InputError, match="SHA-256 differs") as caught:
        write_shards(build, tasks(), stored.folder, LAYOUT, existing=stored.manifest, workers=1, progress=False)
    assert caught.value.path == shard and "delete that shard file" in str(caught.value)


def test_resume_refuses_a_shard_that_comes_out_with_other_bytes(stored: ShardedDataset):
    (stored.folder / "fog-00000.parquet").unlink()

    def other(task: Task) -> pa.Table:
        return build(task).slice(1)

    with pytest.raises(InputError, match="differs from the one recorded") as caught:
        write_shards(other, tasks(), stored.folder, LAYOUT, workers=1, progress=False)
    assert caught.value.path == stored.folder / "fog-00000.parquet"
    assert not (stored.folder / "fog-00000.parquet").exists()


def test_bad_record_file_and_disagreeing_manifest_are_named(stored: ShardedDataset):
    record = stored.folder / RECORDS / "fog-00000.parquet.json"
    text = record.read_text()
    record.write_text('{"name": 1}')
    with pytest.raises(InputError, match="not a shard record") as caught:
        write_shards(build, tasks(), stored.folder, LAYOUT, workers=1, progress=False)
    assert caught.value.path == record
    record.write_text(text.replace(stored.manifest.shards[0].sha256, "0" * 64))
    with pytest.raises(InputError, match="record different SHA-256"):
        write_shards(build, tasks(), stored.folder, LAYOUT, existing=stored.manifest, workers=1, progress=False)


def test_a_failing_shard_leaves_no_file_under_its_name(tmp_path: Path):
    folder = tmp_path / "data"
    folder.mkdir()

    def fails_on_the_second(task: Task) -> pa.Table:
        if task.number == 1:
            raise KeyboardInterrupt  # as a kill while building it
        return build(task)

    with pytest.raises(KeyboardInterrupt):
        write_shards(fails_on_the_second, tasks(), folder, LAYOUT, workers=1, progress=False)
    assert sorted(path.name for path in folder.glob("*.parquet")) == ["fog-00000.parquet"]
    assert not list(folder.glob(".*")) and not (folder / MANIFEST).exists()


def test_local_processes_write_the_same_bytes(stored: ShardedDataset, tmp_path: Path):
    folder = tmp_path / "parallel"
    folder.mkdir()
    records = write_shards(build, tasks(), folder, LAYOUT, workers=2, progress=False)
    assert [record.sha256 for record in records] == [record.sha256 for record in stored.manifest.shards]


def test_a_table_without_images_or_with_reserved_columns_is_refused(tmp_path: Path):
    for broken in (
        lambda task: build(task).drop_columns(["image"]),
        lambda task: build(task).append_column("row", pa.array(range(4))),
    ):
        with pytest.raises(ValueError, match="needs an 'image' column"):
            write_shards(broken, tasks(), tmp_path, LAYOUT, workers=1, progress=False)
    assert not list(tmp_path.glob("*.parquet"))
