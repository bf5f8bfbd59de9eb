"""Rendering to Parquet shards for real (EGL renderer, procedural assets): content, determinism, resume."""

from __future__ import annotations

import errno
import json
import shutil
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from fovkit.errors import InputError
from fovkit.jobs.render import run_render
from fovkit.render.config import RenderConfig
from fovkit.render.dataset import render_dataset, shard_tasks
from fovkit.render.store import RenderedDataset
from fovkit.store import writer

TINY = RenderConfig(
    classes=["mug", "car"],
    instances_per_class=2,
    image_size=48,
    designs=("single", "all"),
    single_values=3,
    grid_values=3,
    combinations=4,
    shard_size=25,
    samples=2,
)


MICRO_FIELDS = {
    "instances_per_class": 1,
    "image_size": 16,
    "designs": ("single",),
    "single_values": 2,
    "backgrounds_per_type": 1,
    "grid_backgrounds": 1,
    "held_out_fraction": 0.0,
    "shard_size": 5,
    "samples": 1,
}
BACKGROUNDS = ("sky", "water", "city", "home", "grass")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory):
    return run_render(TINY, tmp_path_factory.mktemp("tiny") / "data", workers=2, progress=False, report=None)


def test_manifest_counts_and_checksums(tiny_run):
    manifest = tiny_run.dataset.manifest
    assert manifest["counts"] == {"single": 2 * 2 * (4 * 3 + 25), "all": 2 * 2 * 4}
    assert [shard["name"] for shard in manifest["shards"]] == [task.name for task in shard_tasks(TINY)]
    RenderedDataset.open(tiny_run.dataset.folder, verify=True)


def test_shard_columns_images_and_hf_metadata(tiny_run):
    shard = tiny_run.dataset.folder / "single-00000.parquet"
    table = pq.read_table(shard)
    for column in (
        "sample_id",
        "label",
        "class_name",
        "instance",
        "split",
        "pose",
        "background_type",
        "varies_pose",
        "bbox_x0",
        "visible_fraction",
        "blank",
        "image",
    ):
        assert column in table.column_names
    features = json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]
    assert features["image"] == {"_type": "Image"}
    image = next(tiny_run.dataset.images(tiny_run.dataset.samples.iloc[:1]))
    assert image.shape == (48, 48, 3) and image.dtype == np.uint8
    assert not tiny_run.dataset.samples["blank"].any()


def test_select_pose_varies_all_else_canonical(tiny_run):
    rows = tiny_run.dataset.select(varies=["pose"], design="single")
    assert rows["varies_pose"].sum() == 2 * 2 * 2  # objects x pose values (one of the 3 is the canonical 36)
    others = [f"varies_{name}" for name in ("position", "size", "lighting", "background")]
    assert not rows[others].to_numpy().any()
    assert rows["position"].eq(TINY.axes["position"].canonical).all()
    with pytest.raises(InputError, match="unknown factors"):
        tiny_run.dataset.select(varies=["colour"])


def test_factor_table_knows_canonical_values(tiny_run):
    table = tiny_run.dataset.factor_table(designs=["single"])
    varies = table.varies()
    assert varies.shape == (len(table), 5)
    assert varies.sum(axis=1).max() == 1


def test_contact_sheets_and_checks(tiny_run):
    assert [sheet.name for sheet in tiny_run.contact_sheets] == ["contact_single.png", "contact_all.png"]
    assert tiny_run.contact_sheets[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(tiny_run.checks.index) == {"mug", "car"}
    assert (tiny_run.checks["visible_fraction"] > 0.9).all()


def test_same_config_gives_identical_bytes_and_changed_config_is_refused(tiny_run, tmp_path: Path):
    again = render_dataset(TINY, tmp_path / "again", workers=1, progress=False)
    assert [record.sha256 for record in again] == [shard["sha256"] for shard in tiny_run.dataset.manifest["shards"]]
    with pytest.raises(InputError, match="another config"):
        render_dataset(TINY.model_copy(update={"seed": 5}), tmp_path / "again", workers=1, progress=False)


def tiny_toml(folder: Path) -> Path:
    """TINY as a TOML file (its axes are the defaults, so they are left out)."""
    path = folder / "tiny.toml"
    settings = TINY.model_dump(mode="json", exclude={"axes"}).items()
    path.write_text("\n".join(f"{key} = {json.dumps(value)}" for key, value in settings if value is not None))
    return path


KILLED_AFTER_FIRST_SHARD = """
import os, signal, sys
import fovkit.store.writer as writer
original, started = writer.write_shard, []
def render_then_die(*args, **kwargs):
    if started:  # the second shard starts: the process dies as under kill -9, with no clean-up
        os.kill(os.getpid(), signal.SIGKILL)
    started.append(1)
    return original(*args, **kwargs)
writer.write_shard = render_then_die
from fovkit.cli.main import app
sys.argv = ["fovkit", *sys.argv[1:]]
app()
"""


def test_killed_render_resumes_to_identical_bytes(tiny_run, tmp_path: Path):
    """A render killed (SIGKILL) after its first shard, at a fixed point rather than a timed one, resumes exactly."""
    out = tmp_path / "killed"
    arguments = ["render", "run", str(tiny_toml(tmp_path)), "--out", str(out), "--workers", "1", "--quiet"]
    killed = subprocess.run([sys.executable, "-c", KILLED_AFTER_FIRST_SHARD, *arguments], check=False)
    assert killed.returncode == -signal.SIGKILL
    assert len(list(out.glob("*.parquet"))) == 1 and not (out / "manifest.json").exists()
    (out / ".single-00001.parquet.killed.partial").write_bytes(b"half a shard")  # as a kill mid-write leaves
    subprocess.run([sys.executable, "-m", "fovkit.cli.main", *arguments], check=True)
    resumed = json.loads((out / "manifest.json").read_text())
    assert resumed["shards"] == tiny_run.dataset.manifest["shards"]
    assert not list(out.glob(".*partial"))


def test_ray_engine_renders_identical_shards(tiny_run, tmp_path: Path):
    from typer.testing import CliRunner

    from fovkit.cli.main import app

    config_file = tiny_toml(tmp_path)
    out = tmp_path / "ray"
    command = ["render", "run", str(config_file), "--out", str(out), "--workers", "2", "--engine", "ray", "--quiet"]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["shards"] == tiny_run.dataset.manifest["shards"]


# Hostile inputs ---------------------------------------------------------------------------------------------------


def render(config: RenderConfig, out: Path, overwrite: bool = False) -> RenderedDataset:
    return run_render(config, out, workers=1, progress=False, overwrite=overwrite, report=None).dataset


def test_resume_refuses_a_flipped_shard_and_never_rewrites_the_manifest(
    flip_bytes, micro: RenderConfig, tmp_path: Path
):
    out = tmp_path / "data"
    render(micro, out)
    manifest = (out / "manifest.json").read_bytes()
    shard = out / "single-00001.parquet"
    flip_bytes(shard)
    with pytest.raises(InputError, match="SHA-256 differs") as caught:
        render(micro, out)
    assert caught.value.path == shard and "delete that shard file" in str(caught.value)
    assert (out / "manifest.json").read_bytes() == manifest
    shard.unlink()  # the fix the message gives: the shard is rendered again, to the same bytes
    render(micro, out)
    assert (out / "manifest.json").read_bytes() == manifest
    RenderedDataset.open(out, verify=True)


def test_resume_checks_shards_against_their_records_before_the_manifest_exists(
    flip_bytes, micro: RenderConfig, tmp_path: Path
):
    out = tmp_path / "data"
    shards = render(micro, out).manifest["shards"]
    (out / "manifest.json").unlink()  # as a run killed before its end leaves the folder
    (out / "checksums" / "single-00002.parquet.json").unlink()  # killed between a shard's rename and its record
    flip_bytes(out / "single-00000.parquet")
    with pytest.raises(InputError, match="SHA-256 differs") as caught:
        render(micro, out)
    assert caught.value.path == out / "single-00000.parquet"
    (out / "single-00000.parquet").unlink()
    assert render(micro, out).manifest["shards"] == shards  # the unrecorded shard was rendered again, same bytes


def test_truncated_shard_is_one_input_error_for_readers_and_resume(micro: RenderConfig, tmp_path: Path):
    out = tmp_path / "data"
    render(micro, out)
    shard = out / "single-00000.parquet"
    shard.write_bytes(shard.read_bytes()[:100])
    with pytest.raises(InputError, match="truncated") as caught:
        RenderedDataset.open(out).samples  # noqa: B018
    assert caught.value.path == shard
    with pytest.raises(InputError, match="truncated"):
        render(micro, out)


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("manifest.json", "{", "not valid JSON"),
        ("manifest.json", "[]", "not an object"),
        ("manifest.json", '{"config": {}, "shards": []}', "no list of shards"),
        ("manifest.json", "SHARD:../../outside.parquet", "plain file name"),
        ("manifest.json", "CONFIG:0", r"not a valid render config \(classes"),
        ("config.json", "{", "not valid JSON"),
        ("config.json", None, "missing"),
        ("checksums/single-00001.parquet.json", '{"name": 1}', "not a shard record"),
    ],
)
def test_damaged_dataset_files_are_one_input_error_naming_them(
    micro: RenderConfig, tmp_path: Path, name: str, content: str | None, words: str
):
    out = tmp_path / "data"
    render(micro, out)
    target = out / name
    if content is None:
        target.unlink()
    elif content.startswith(("SHARD:", "CONFIG:")):
        manifest = json.loads(target.read_text())
        if content.startswith("SHARD:"):
            manifest["shards"][0]["name"] = content.removeprefix("SHARD:")
        else:
            manifest["config"]["classes"] = int(content.removeprefix("CONFIG:"))
        target.write_text(json.dumps(manifest))
    else:
        target.write_text(content)
    readers = [lambda: render(micro, out)]
    if name == "manifest.json":
        readers.append(lambda: RenderedDataset.open(out))
    for read in readers:
        with pytest.raises(InputError, match=words) as caught:
            read()
        assert caught.value.path == target


def test_output_folder_rules(micro: RenderConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    for overwrite in (False, True):
        with pytest.raises(InputError, match="fovkit did not write"):
            render(micro, mine, overwrite=overwrite)
    assert [path.name for path in mine.iterdir()] == ["notes.txt"]
    out = tmp_path / "data"
    (out).mkdir()  # an empty folder is rendered into
    render(micro, out)
    other = micro.model_copy(update={"seed": 3})
    with pytest.raises(InputError, match=r"another config \(differs in \['seed'\]\).*--overwrite"):
        render(other, out)
    assert render(other, out, overwrite=True).config.seed == 3
    assert json.loads((out / "run.json").read_text())["command"] == "fovkit render run"
    with pytest.raises(InputError, match="not a folder"):
        render(micro, out / "run.json")
    monkeypatch.chdir(out)
    with pytest.raises(InputError, match="current folder"):
        render(micro, Path("."))


def test_output_in_or_around_the_asset_and_background_folders_is_refused(meshes: Path, photos: Path, tmp_path: Path):
    config = RenderConfig(**{**MICRO_FIELDS, "classes": ["box"], "assets": meshes, "backgrounds": photos})
    for out in (meshes, meshes / "box" / "data", tmp_path, photos, photos / "sky" / "data"):
        with pytest.raises(InputError, match="input") as caught:
            render(config, out)
        assert caught.value.field == "--out"
    assert not (meshes / "box" / "data").exists()


def test_unwritable_or_full_output_location_is_one_input_error(
    micro: RenderConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(InputError, match="cannot write"):
        render(micro, blocker / "data")

    @contextmanager
    def full_disk(path: Path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
        yield path

    monkeypatch.setattr(writer, "atomic_file", full_disk)
    with pytest.raises(InputError, match="No space left on device"):
        render(micro, tmp_path / "data")
    assert not (tmp_path / "data").exists()  # nothing rendered: no folder that a corrected rerun would trip over


def test_bad_mesh_stops_the_render_before_anything_is_written(meshes: Path, tmp_path: Path):
    bad = meshes / "box" / "b.obj"
    original = bad.read_bytes()
    bad.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nv nan 0 1\nf 1 2 3\nf 1 2 4\n")
    config = RenderConfig(**{**MICRO_FIELDS, "classes": ["box"], "assets": meshes, "instances_per_class": 2})
    out = tmp_path / "data"
    with pytest.raises(InputError, match="NaN or infinite") as caught:
        render(config, out)
    assert caught.value.path == bad and not out.exists()
    bad.write_bytes(original)  # the corrected rerun is not refused
    assert render(config, out).class_names == ["box"]


def test_named_asset_classes_render_only_those_folders(meshes: Path, tmp_path: Path):
    config = RenderConfig(**{**MICRO_FIELDS, "classes": ["box"], "assets": meshes, "instances_per_class": 2})
    data = render(config, tmp_path / "data")
    assert set(data.samples["class_name"]) == {"box"} and data.class_names == ["box"]
    with pytest.raises(InputError, match=r"\['cube'\] are not class folders.*'ball', 'box'"):
        render(config.model_copy(update={"classes": ["cube"]}), tmp_path / "other")
    with pytest.raises(InputError, match="classes = 5, but"):
        render(config.model_copy(update={"classes": 5}), tmp_path / "other")
    assert not (tmp_path / "other").exists()


def test_edited_meshes_and_backgrounds_refuse_the_resume(meshes: Path, photos: Path, tmp_path: Path):
    config = RenderConfig(**{**MICRO_FIELDS, "classes": ["box"], "assets": meshes, "backgrounds": photos})
    out = tmp_path / "data"
    render(config, out)
    inputs = json.loads((out / "run.json").read_text())["inputs"]
    assert set(inputs) == {str(meshes / "box" / "a.obj"), *(str(photos / kind / "one.png") for kind in BACKGROUNDS)}
    for edited in (meshes / "box" / "a.obj", photos / "sky" / "one.png"):
        original = edited.read_bytes()
        edited.write_bytes(original + b"\n")
        with pytest.raises(InputError, match="changed since the dataset's render started") as caught:
            render(config, out)
        assert caught.value.path == edited
        edited.write_bytes(original)
        render(config, out)  # restored: the resume goes on


def test_a_dataset_rendered_before_run_records_resumes_verified(flip_bytes, micro: RenderConfig, tmp_path: Path):
    out = tmp_path / "data"
    shards = render(micro, out).manifest["shards"]
    (out / "run.json").unlink()  # as fovkit wrote dataset folders before run records
    shutil.rmtree(out / "checksums")
    flip_bytes(out / "single-00000.parquet")
    with pytest.raises(InputError, match="SHA-256 differs"):
        render(micro, out)  # adopted, and its shards checked against its manifest
    (out / "single-00000.parquet").unlink()
    assert render(micro, out).manifest["shards"] == shards
    assert json.loads((out / "run.json").read_text())["command"] == "fovkit render run"


def test_a_dataset_written_before_the_store_layer_reads_and_resumes(micro: RenderConfig, tmp_path: Path):
    out = tmp_path / "data"
    current = render(micro, out)
    manifest = json.loads((out / "manifest.json").read_text())
    for field in ("kind", "partition", "factors", "image"):  # what manifests held before the store layer
        del manifest[field]
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    before = (out / "manifest.json").read_bytes()
    old = RenderedDataset.open(out, verify=True)
    assert old.manifest.kind == "render" and old.manifest.factors == current.manifest.factors
    assert old.factor_table().varies().sum() == current.factor_table().varies().sum()
    assert render(micro, out).manifest["shards"] == current.manifest["shards"]
    assert (out / "manifest.json").read_bytes() == before  # resumed and verified, never rewritten
