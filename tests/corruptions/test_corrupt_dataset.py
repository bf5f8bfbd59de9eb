"""`corrupt_dataset`: a render or a folder of photos into the store, resumable and the same bytes for a seed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from fovkit.corruptions.dataset import CorruptConfig, corrupt_dataset, read_spans, shard_tasks
from fovkit.errors import InputError
from fovkit.render.store import RenderedDataset
from fovkit.store.loader import ShardedDataset

CONFIG = CorruptConfig(corruptions=("contrast", "gaussian_noise"), severities=(1, 5), shard_size=40)
HELD_OUT = {"split": ["held_out"]}


@pytest.fixture(scope="module")
def corrupted(tiny_dataset: RenderedDataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corrupted") / "data"
    corrupt_dataset(tiny_dataset.folder, out, CONFIG, rows=HELD_OUT, workers=1, progress=False)
    return out


def test_rows_carry_the_source_and_the_two_factors(corrupted: Path, tiny_dataset: RenderedDataset):
    dataset = ShardedDataset.open(corrupted, kind="corrupted")
    samples = dataset.samples()
    source = tiny_dataset.samples
    held = source[source["split"] == "held_out"]
    assert len(samples) == len(held) * (1 + 2 * 2)
    counts = samples.groupby(["corruption", "severity"], observed=True).size()
    assert set(counts.index) == {
        ("none", 0),
        ("contrast", 1),
        ("contrast", 5),
        ("gaussian_noise", 1),
        ("gaussian_noise", 5),
    }
    assert (counts == len(held)).all()
    assert set(samples["source_id"].astype(str)) == set(held["sample_id"].astype(str))
    first = samples.iloc[0]
    assert first["sample_id"] == f"{first['corruption']}/{first['severity']}/{first['source_id']}"
    for column in ("label", "class_name", "design", "instance", "pose", "background"):
        assert column in samples.columns
    names = [spec.name for spec in dataset.manifest.factors]
    assert names[-2:] == ["corruption", "severity"]
    assert dataset.manifest["classes"] == {"space": "dataset", "names": list(tiny_dataset.class_names)}


def test_clean_rows_are_the_source_images(corrupted: Path, tiny_dataset: RenderedDataset):
    dataset = ShardedDataset.open(corrupted, kind="corrupted")
    clean = dataset.samples(filter={"corruption": ["none"]}).head(5)
    source = tiny_dataset.samples.set_index(tiny_dataset.samples["sample_id"].astype(str))
    rows = source.loc[clean["source_id"].astype(str)]
    for ours, theirs in zip(dataset.images(clean), tiny_dataset.images(rows.reset_index(drop=True)), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_corruptions_change_images_by_severity(corrupted: Path):
    dataset = ShardedDataset.open(corrupted, kind="corrupted")
    samples = dataset.samples()
    clean = np.stack(list(dataset.images(samples[samples["corruption"] == "none"].head(8)))).astype(float)
    distance = {}
    for severity in (1, 5):
        rows = samples[(samples["corruption"] == "gaussian_noise") & (samples["severity"] == severity)].head(8)
        distance[severity] = np.abs(np.stack(list(dataset.images(rows))).astype(float) - clean).mean()
    assert 0 < distance[1] < distance[5]


def test_same_seed_same_bytes_and_resume(corrupted: Path, tiny_dataset: RenderedDataset, tmp_path: Path):
    again = tmp_path / "again"
    shutil.copytree(corrupted, again)
    manifest = json.loads((again / "manifest.json").read_text())
    victim = manifest["shards"][3]["name"]
    (again / victim).unlink()
    (again / "checksums" / f"{victim}.json").unlink()
    (again / "manifest.json").unlink()
    corrupt_dataset(tiny_dataset.folder, again, CONFIG, rows=HELD_OUT, workers=1, progress=False)
    assert json.loads((again / "manifest.json").read_text())["shards"] == manifest["shards"]


def test_another_seed_changes_only_random_corruptions(tiny_dataset: RenderedDataset, tmp_path: Path):
    def shards(seed: int) -> dict[str, str]:
        out = tmp_path / f"seed{seed}"
        config = CONFIG.model_copy(update={"seed": seed})
        corrupt_dataset(tiny_dataset.folder, out, config, rows=HELD_OUT, workers=1, progress=False)
        return {entry["name"]: entry["sha256"] for entry in json.loads((out / "manifest.json").read_text())["shards"]}

    first, second = shards(0), shards(1)
    assert first.keys() == second.keys()
    for name in first:
        same = first[name] == second[name]
        assert same == (not name.startswith("gaussian_noise")), name


def test_a_different_config_does_not_resume(corrupted: Path, tiny_dataset: RenderedDataset, tmp_path: Path):
    copy = tmp_path / "copy"
    shutil.copytree(corrupted, copy)
    with pytest.raises(InputError, match="another config"):
        corrupt_dataset(tiny_dataset.folder, copy, CONFIG.model_copy(update={"seed": 3}), rows=HELD_OUT, progress=False)


def _photos(root: Path) -> Path:
    generator = np.random.default_rng(0)
    for name in ("cats/a.png", "cats/b.jpg", "dogs/c.png"):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(generator.integers(0, 256, (48, 60, 3), dtype=np.uint8)).save(path)
    return root


def test_a_folder_of_photos(tmp_path: Path):
    photos = _photos(tmp_path / "photos")
    out = tmp_path / "out"
    config = CorruptConfig(corruptions=("pixelate",), severities=(2,), size=40)
    corrupt_dataset(photos, out, config, workers=1, progress=False)
    dataset = ShardedDataset.open(out, kind="corrupted")
    samples = dataset.samples()
    assert sorted(samples["source_id"].astype(str).unique()) == ["cats/a.png", "cats/b.jpg", "dogs/c.png"]
    assert samples.groupby("corruption", observed=True).size().to_dict() == {"none": 3, "pixelate": 3}
    assert dict(zip(samples["source_id"].astype(str), samples["label"], strict=True)) == {
        "cats/a.png": 0,
        "cats/b.jpg": 0,
        "dogs/c.png": 1,
    }
    assert next(iter(dataset.images(samples.head(1)))).shape == (40, 40, 3)
    assert dataset.manifest["classes"] == {"space": "dataset", "names": ["cats", "dogs"]}


@pytest.mark.parametrize(
    ("update", "message"),
    [
        ({"corruptions": ("fogg",)}, "fog"),
        ({"severities": (0,)}, "1 to 5"),
        ({"corruptions": ("fog", "fog")}, "more than once"),
    ],
)
def test_bad_configs_are_refused(update: dict, message: str):
    with pytest.raises(ValueError, match=message):
        CorruptConfig(**update)


def test_output_folders_that_would_lose_files_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    photos = _photos(tmp_path / "photos")
    config = CorruptConfig(corruptions=("contrast",), severities=(1,), size=32)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError):
        corrupt_dataset(photos, Path("."), config, progress=False)
    with pytest.raises(InputError):
        corrupt_dataset(photos, photos / "cats", config, progress=False)
    users = tmp_path / "users"
    users.mkdir()
    (users / "notes.txt").write_text("mine")
    with pytest.raises(InputError):
        corrupt_dataset(photos, users, config, progress=False, overwrite=True)
    assert (users / "notes.txt").read_text() == "mine"


def test_a_corrupted_dataset_is_not_corrupted_again(corrupted: Path, tmp_path: Path):
    with pytest.raises(InputError, match="corrupt the original"):
        corrupt_dataset(corrupted, tmp_path / "twice", CONFIG, progress=False)


def test_shards_and_reads():
    tasks = shard_tasks(CorruptConfig(corruptions=("fog",), severities=(1,), shard_size=4), 10)
    spans = [(task.corruption, task.start, task.stop) for task in tasks]
    assert spans == [("none", 0, 4), ("none", 4, 8), ("none", 8, 10), ("fog", 0, 4), ("fog", 4, 8), ("fog", 8, 10)]
    assert len({task.name for task in tasks}) == len(tasks)
    assert pd.Series([task.size for task in tasks]).sum() == 20
    assert read_spans(2, 12, [3, 10, 20], size=4) == [(2, 3), (3, 7), (7, 10), (10, 12)]


def test_a_stored_dataset_at_224_is_not_cropped(tmp_path: Path):
    from fovkit.corruptions.dataset import _view

    assert _view(224, False).crop_pct == 1.0 and _view(224, True).crop_pct == pytest.approx(224 / 256)
    assert _view(64, True).crop_pct == pytest.approx(224 / 256)
