"""Reading rendered datasets back: exports and the torch Dataset."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from fovkit.cli.main import app
from fovkit.errors import InputError
from fovkit.jobs.render import run_render
from fovkit.render.config import RenderConfig
from fovkit.render.store import (
    RenderedDataset,
    ShardImageDataset,
    export_imagefolder,
    export_webdataset,
)

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
    return run_render(SMALL, tmp_path_factory.mktemp("store") / "data", workers=1, progress=False, report=None).dataset


def test_imagefolder_export(dataset: RenderedDataset, tmp_path: Path):
    rows = dataset.select(varies=["size"])
    assert export_imagefolder(dataset, rows, tmp_path) == len(rows)
    files = sorted(tmp_path.rglob("*.png"))
    assert len(files) == len(rows)
    assert {path.parent.name for path in files} == {"bottle"}
    assert files[0].read_bytes()[:4] == b"\x89PNG"
    metadata = pd.read_csv(tmp_path / "metadata.csv")
    assert sorted(metadata["file_name"]) == sorted(str(path.relative_to(tmp_path)) for path in files)
    assert {"size", "pose", "background_type", "varies_size"} <= set(metadata.columns)
    assert metadata["size"].tolist() == rows["size"].tolist()


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


def test_manifest_carries_the_store_fields(dataset: RenderedDataset):
    manifest = dataset.manifest
    assert manifest.kind == "render" and manifest.partition == "design"
    assert manifest.image.format == "png" and manifest.image.shape == (32, 32, 3)
    assert [factor.name for factor in manifest.factors] == [*SMALL.axes, "background"]
    assert dataset.factor_table().factors == manifest.factors


def test_iter_batches_streams_a_selection(dataset: RenderedDataset):
    batches = list(dataset.iter_batches(columns=["sample_id", "size"], filter={"varies_size": True}, batch_size=3))
    rows = pd.concat([batch.rows for batch in batches], ignore_index=True)
    expected = dataset.samples[dataset.samples["varies_size"]]
    assert rows["sample_id"].tolist() == expected["sample_id"].tolist()
    first = next(dataset.images(expected.iloc[:1]))
    assert (batches[0].images[0] == first).all() and batches[0].images.shape[1:] == (32, 32, 3)


def test_missing_or_tampered_dataset_is_reported(dataset: RenderedDataset, tmp_path: Path):
    with pytest.raises(InputError, match=r"no manifest\.json"):
        RenderedDataset.open(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(dataset.folder, copy)
    shard = copy / dataset.manifest["shards"][0]["name"]
    shard.write_bytes(shard.read_bytes()[:-10] + b"0" * 10)
    with pytest.raises(InputError, match="SHA-256 differs"):
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


# Hostile inputs ---------------------------------------------------------------------------------------------------


def copy_of(dataset: RenderedDataset, folder: Path) -> Path:
    shutil.copytree(dataset.folder, folder)
    return folder


def test_every_read_of_a_flipped_shard_is_refused(flip_bytes, dataset: RenderedDataset, tmp_path: Path):
    folder = copy_of(dataset, tmp_path / "copy")
    shard = folder / dataset.manifest["shards"][1]["name"]
    flip_bytes(shard)
    copy = RenderedDataset.open(folder)
    with pytest.raises(InputError, match="SHA-256 differs") as caught:
        copy.samples  # noqa: B018
    assert caught.value.path == shard and "render it again" in str(caught.value)
    rows = dataset.samples[dataset.samples["shard"] == shard.name]
    with pytest.raises(InputError, match="SHA-256 differs"):
        next(copy.images(rows))
    with pytest.raises(InputError, match="SHA-256 differs"):
        list(copy.image_bytes(rows))
    copy.__dict__["samples"] = dataset.samples  # rows known: the export still reads every image it writes
    for export in (export_imagefolder, export_webdataset):
        with pytest.raises(InputError, match="SHA-256 differs"):
            export(copy, dataset.samples, tmp_path / "out", progress=False)
        assert not (tmp_path / "out").exists()


def test_export_is_atomic(dataset: RenderedDataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    original = RenderedDataset.image_bytes

    def broken(self: RenderedDataset, rows: pd.DataFrame):
        yield from original(self, rows.iloc[:3])
        raise KeyboardInterrupt  # as a kill in the middle of the export

    monkeypatch.setattr(RenderedDataset, "image_bytes", broken)
    for export in (export_imagefolder, export_webdataset):
        with pytest.raises(KeyboardInterrupt):
            export(dataset, dataset.samples, tmp_path / "out", progress=False)
        assert list(tmp_path.iterdir()) == []  # no loose files, no truncated tar, no staging folder


def test_export_output_folder_rules(dataset: RenderedDataset, tmp_path: Path):
    rows = dataset.select(varies=["size"])
    out = tmp_path / "out"
    export_imagefolder(dataset, rows, out, progress=False)
    record = json.loads((out / "run.json").read_text())
    assert record["command"] == "fovkit render export" and record["config"]["images"] == len(rows)
    with pytest.raises(InputError, match="not empty"):
        export_webdataset(dataset, rows, out, progress=False)
    assert export_webdataset(dataset, rows, out, overwrite=True, progress=False)[0].parent == out
    assert not list(out.rglob("*.png"))  # replaced, not merged
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "photo.jpg").write_bytes(b"keep")
    with pytest.raises(InputError, match="did not write"):
        export_imagefolder(dataset, rows, mine, overwrite=True, progress=False)
    for inside in (dataset.folder, dataset.folder / "export"):
        with pytest.raises(InputError, match="input"):
            export_imagefolder(dataset, rows, inside, progress=False)
    assert not (dataset.folder / "export").exists()


def test_export_refuses_empty_and_repeated_selections(dataset: RenderedDataset, tmp_path: Path):
    with pytest.raises(InputError, match=r"no images \(split='held_out'\)"):
        export_imagefolder(dataset, dataset.select(split="held_out"), tmp_path / "out", selection={"split": "held_out"})
    rows = dataset.samples.iloc[[0, 0]]
    with pytest.raises(InputError, match="samples repeat"):
        export_webdataset(dataset, rows, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_select_refuses_unknown_designs_and_splits(dataset: RenderedDataset):
    with pytest.raises(InputError, match=r"unknown design 'paired'; this dataset's designs are \['single'\]"):
        dataset.select(design="paired")
    with pytest.raises(InputError, match=r"unknown split 'test'; the splits are \['train', 'held_out'\]"):
        dataset.select(split="test")


def test_export_command_refuses_misspelt_selections_and_non_empty_folders(dataset: RenderedDataset, tmp_path: Path):
    runner = CliRunner()
    base = ["render", "export", str(dataset.folder), "--quiet"]
    for option, words in (
        (["--design", "singel"], "designs are ['single']"),
        (["--split", "heldout"], "the splits are ['train', 'held_out']"),
        (["--split", "held_out"], "no images"),
        (["--varies", "colour"], "unknown factors"),
    ):
        result = runner.invoke(app, [*base, *option, "--out", str(tmp_path / "out")])
        assert result.exit_code == 2 and words in result.output, result.output
    assert not (tmp_path / "out").exists()
    assert runner.invoke(app, [*base, "--out", str(tmp_path / "out")]).exit_code == 0
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "--overwrite" in result.output
    assert runner.invoke(app, [*base, "--out", str(tmp_path / "out"), "--overwrite"]).exit_code == 0
