"""Rendering to Parquet shards for real (EGL renderer, procedural assets): content, determinism, resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from fovkit.errors import InputError
from fovkit.render.config import RenderConfig
from fovkit.render.dataset import render_dataset, shard_tasks
from fovkit.render.job import run_render
from fovkit.render.store import RenderedDataset

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


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory):
    return run_render(TINY, tmp_path_factory.mktemp("tiny") / "data", workers=2, progress=False)


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
    assert rows["varies_pose"].sum() == 2 * 2 * 3  # objects x pose values (none of the 3 is the canonical 36)
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


def test_killed_render_resumes_to_identical_bytes(tiny_run, tmp_path: Path):
    out = tmp_path / "killed"
    config_file = tiny_toml(tmp_path)
    command = [
        sys.executable,
        "-m",
        "fovkit.cli.main",
        "render",
        "run",
        str(config_file),
        "--out",
        str(out),
        "--workers",
        "1",
        "--quiet",
    ]
    process = subprocess.Popen(command, start_new_session=True)
    deadline = time.monotonic() + 60
    while not list(out.glob("*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (out / "manifest.json").exists()
    (out / ".single-00001.parquet.killed.partial").write_bytes(b"half a shard")  # as a kill mid-write leaves
    subprocess.run(command, check=True)
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
