"""Exports: ImageFolder with a metadata file that keeps every factor value, WebDataset tars readable by tarfile."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from store_samples import pixel

from fovkit.errors import InputError
from fovkit.store import ShardedDataset, codec, export_imagefolder, export_webdataset


def test_imagefolder_metadata_round_trip(stored: ShardedDataset, tmp_path: Path):
    rows = stored.samples(filter={"corruption": "fog"})
    out = tmp_path / "folder"
    assert export_imagefolder(stored, rows, out, progress=False) == 8
    for metadata in (pd.read_csv(out / "metadata.csv"), pd.read_parquet(out / "metadata.parquet")):
        kept = [column for column in rows.columns if column not in ("shard", "row")]
        assert list(metadata.columns) == ["file_name", *kept]
        pd.testing.assert_frame_equal(
            metadata.drop(columns="file_name"), rows.drop(columns=["shard", "row"]).reset_index(drop=True)
        )
        for name, sample_id in zip(metadata["file_name"], metadata["sample_id"], strict=True):
            image = codec.decode((out / name).read_bytes(), "png")
            np.testing.assert_array_equal(image, pixel(int(sample_id[1:])))
    assert metadata["file_name"].iloc[1] == "train/dog/s0001.png"
    assert sorted(path.name for path in (out / "train").iterdir()) == ["cat", "dog"]
    assert json.loads((out / "run.json").read_text())["config"]["images"] == 8


def test_webdataset_tars_are_readable_with_tarfile(stored: ShardedDataset, tmp_path: Path):
    rows = stored.samples()
    tars = export_webdataset(stored, rows, tmp_path / "tars", shard_size=5, progress=False)
    assert [path.name for path in tars] == ["shard-000000.tar", "shard-000001.tar", "shard-000002.tar"]
    keys = []
    for path in tars:
        with tarfile.open(path) as archive:
            names = archive.getnames()
            for key in dict.fromkeys(name.split(".")[0] for name in names):
                keys.append(key)
                image = codec.decode(archive.extractfile(f"{key}.png").read(), "png")
                np.testing.assert_array_equal(image, pixel(int(key[1:])))
                record = json.loads(archive.extractfile(f"{key}.json").read())
                assert archive.extractfile(f"{key}.cls").read() == str(record["label"]).encode()
                assert set(record) >= {"severity", "flipped", "colour", "corruption"}
    assert keys == rows["sample_id"].tolist()


def test_exports_refuse_unsafe_names_empty_and_repeated_selections(stored: ShardedDataset, tmp_path: Path):
    rows = stored.samples()
    for sample_id, export in (("../escape", export_imagefolder), ("s.1", export_webdataset)):
        bad = rows.assign(sample_id=rows["sample_id"].where(rows.index > 0, sample_id))
        with pytest.raises(InputError, match="cannot be file names") as caught:
            export(stored, bad, tmp_path / "out", progress=False)
        assert caught.value.field == "sample_id"
    with pytest.raises(InputError, match=r"no images \(corruption='rain'\).*fog/test: 2, fog/train: 6, snow/test: 4"):
        export_imagefolder(stored, rows.iloc[:0], tmp_path / "out", selection={"corruption": "rain"}, progress=False)
    with pytest.raises(InputError, match="samples repeat"):
        export_webdataset(stored, rows.iloc[[0, 0]], tmp_path / "out", progress=False)
    with pytest.raises(InputError, match="rows lack the columns"):
        export_webdataset(stored, rows.drop(columns="shard"), tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_a_failing_export_leaves_nothing(stored: ShardedDataset, tmp_path: Path, flip_bytes):
    flip_bytes(stored.folder / "snow-00002.parquet")
    rows = stored.samples(filter={"corruption": "fog"})
    everything = pd.concat([rows, rows.assign(shard="snow-00002.parquet", sample_id=rows["sample_id"] + "x")])
    for export in (export_imagefolder, export_webdataset):
        with pytest.raises(InputError, match="SHA-256 differs"):
            export(stored, everything, tmp_path / "out", progress=False)
        assert sorted(path.name for path in tmp_path.iterdir()) == ["data"]  # no export, no staging folder
