"""Reading rendered datasets back: exports and the torch Dataset."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from fovkit.cli.main import app
from fovkit.errors import InputError
from fovkit.render.config import RenderConfig
from fovkit.render.job import run_render
from fovkit.render.store import RenderedDataset, ShardImageDataset, export_imagefolder, export_webdataset

SMALL = RenderConfig(
    classes=["bottle"],
    instances_per_class=2,
    image_size=32,
    designs=("single",),
    single_values=2,
    shard_size=20,
    samples=1,
    image_format="png",
)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> RenderedDataset:
    return run_render(SMALL, tmp_path_factory.mktemp("store") / "data", workers=1, progress=False).dataset


def test_imagefolder_export(dataset: RenderedDataset, tmp_path: Path):
    rows = dataset.select(varies=["size"])
    assert export_imagefolder(dataset, rows, tmp_path) == len(rows)
    files = sorted(tmp_path.rglob("*.png"))
    assert len(files) == len(rows)
    assert {path.parent.name for path in files} == {"bottle"}
    assert files[0].read_bytes()[:4] == b"\x89PNG"


def test_webdataset_export(dataset: RenderedDataset, tmp_path: Path):
    rows = dataset.samples
    shards = export_webdataset(dataset, rows, tmp_path, shard_size=30)
    assert len(shards) == -(-len(rows) // 30)
    with tarfile.open(shards[0]) as archive:
        names = archive.getnames()
        first = json.loads(archive.extractfile(names[2]).read())
    assert names[:3] == [f"{rows['sample_id'].iloc[0]}.{suffix}" for suffix in ("png", "cls", "json")]
    assert first["class_name"] == "bottle"


def test_torch_dataset_returns_tensors(dataset: RenderedDataset):
    items = ShardImageDataset(dataset, dataset.select(varies=["pose"]))
    image, label = items[1]
    assert isinstance(image, torch.Tensor) and image.shape == (3, 32, 32)
    assert float(image.min()) >= 0.0 and float(image.max()) <= 1.0 and label == 0
    loader = torch.utils.data.DataLoader(items, batch_size=4)
    batch, labels = next(iter(loader))
    assert batch.shape == (4, 3, 32, 32) and labels.tolist() == [0, 0, 0, 0]


def test_missing_or_tampered_dataset_is_reported(dataset: RenderedDataset, tmp_path: Path):
    with pytest.raises(InputError, match=r"no manifest\.json"):
        RenderedDataset.open(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(dataset.folder, copy)
    shard = copy / dataset.manifest["shards"][0]["name"]
    shard.write_bytes(shard.read_bytes()[:-10] + b"0" * 10)
    with pytest.raises(InputError, match="checksum differs"):
        RenderedDataset.open(copy, verify=True)
    shard.unlink()
    with pytest.raises(InputError, match="missing"):
        RenderedDataset.open(copy)


def test_plan_command_prints_the_paper_counts():
    result = CliRunner().invoke(app, ["render", "plan", "paper"])
    assert result.exit_code == 0, result.output
    for count in ("1,158,300", "3,148,200", "2,700,000", "7,006,500"):
        assert count in result.output
    assert CliRunner().invoke(app, ["render", "plan", "no-such-preset"]).exit_code == 2


def test_hugging_face_parquet_loader_decodes_the_image_column(dataset: RenderedDataset, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import datasets

    files = [str(dataset.folder / shard["name"]) for shard in dataset.manifest["shards"]]
    loaded = datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=str(tmp_path))
    assert isinstance(loaded.features["image"], datasets.Image)
    assert loaded[0]["image"].size == (32, 32)
    assert len(loaded) == len(dataset.samples) and loaded[0]["class_name"] == "bottle"


def test_export_command(dataset: RenderedDataset, tmp_path: Path):
    runner = CliRunner()
    out = tmp_path / "folder"
    result = runner.invoke(app, ["render", "export", str(dataset.folder), "--out", str(out), "--varies", "size"])
    assert result.exit_code == 0, result.output
    assert len(list(out.rglob("*.png"))) == len(dataset.select(varies=["size"]))
    tars = tmp_path / "tars"
    result = runner.invoke(
        app, ["render", "export", str(dataset.folder), "--out", str(tars), "--format", "webdataset", "--split", "train"]
    )
    assert result.exit_code == 0, result.output
    assert list(tars.glob("*.tar"))
    result = runner.invoke(app, ["render", "export", str(dataset.folder), "--out", str(out), "--varies", "colour"])
    assert result.exit_code == 2 and "unknown factors" in result.output
