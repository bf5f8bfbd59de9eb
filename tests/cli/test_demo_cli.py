"""`fovkit demo` from the command line: its folder layout, reruns, and refusing folders it did not write."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from fovkit.cli.main import app
from fovkit.jobs import demo
from fovkit.models import load_backbone
from fovkit.protocols import backbones

runner = CliRunner()


@pytest.fixture
def tiny_demo(tiny_dataset, monkeypatch):
    """The demo's wiring on the tiny study config, one seed, and a random backbone in place of the pretrained one."""
    monkeypatch.setattr(demo, "load_render_config", lambda name: tiny_dataset.config)
    monkeypatch.setattr(demo, "DEMO_SEEDS", (0,))
    monkeypatch.setattr(backbones, "default_backbone", lambda progress=True: load_backbone("fovkit:resnet_small"))


def test_demo_writes_everything_under_out_and_reruns_only_with_overwrite(tiny_demo, tmp_path: Path):
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "Gap table" in result.output and "held-out objects" in result.output
    assert re.search(r"pose gap, n=\d+ .* -?\d+\.\d \[-?\d+\.\d, -?\d+\.\d\]", result.output)  # gap, interval, n
    assert "Experiment 5.2" in result.output and "|" not in result.output  # tables, not Markdown
    assert sorted(path.name for path in tmp_path.iterdir()) == ["demo"]  # nothing beside it
    assert (out / "dataset" / "manifest.json").is_file()
    assert (out / "gaps" / "gap_table.csv").is_file() and (out / "gaps" / "gap_intervals.csv").is_file()
    assert "contact sheet" in (out / "dataset" / "report.html").read_text()
    assert (out / "instances" / "runs.csv").is_file()
    for run, kind in (
        ("gaps", "probe"),
        ("instances", "experiment"),
        ("imagenet_gaps", "probe"),
        ("imagenet", "analysis"),
        ("corruptions", "analysis"),
    ):
        assert json.loads((out / run / "run.json").read_text())["kind"] == kind
    assert "EfficientNet-Lite0, ImageNet weights, no training" in result.output
    assert (out / "predictions" / "efficientnet_lite0.parquet").is_file()
    assert (out / "imagenet" / "factor_accuracies.csv").is_file()
    record = json.loads((out / "run.json").read_text())
    assert record["command"] == "fovkit demo" and record["complete"] is True and record["kind"] == "demo"
    assert record["runs"] == ["dataset", "gaps", "instances", "imagenet_gaps", "imagenet", "corruptions"]
    assert "Default backbone under 19 corruptions" in result.output
    assert {"default", "default_bn"} <= set(pd.read_csv(out / "corruptions" / "mce.csv")["model"])
    assert json.loads((out / "corrupted" / "manifest.json").read_text())["kind"] == "corrupted"
    page = (out / "report.html").read_text()  # the runs on one page
    assert all(f'href="#run-{run}"' in page for run in record["runs"])
    assert f"Report: {(out / 'report.html').resolve()}" in result.output.replace("\n", "")
    shards = {path: path.stat().st_mtime_ns for path in (out / "dataset").glob("*.parquet")}

    again = runner.invoke(app, ["demo", "--out", str(out), "--quiet"])
    assert again.exit_code == 2 and "not empty" in again.output
    rerun = runner.invoke(app, ["demo", "--out", str(out), "--quiet", "--overwrite"])
    assert rerun.exit_code == 0, rerun.output
    assert {path: path.stat().st_mtime_ns for path in shards} == shards  # the renders were verified, not redone


def test_demo_never_touches_a_folder_it_did_not_write(tiny_demo, tmp_path: Path, monkeypatch):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    result = runner.invoke(app, ["demo", "--out", str(mine), "--quiet", "--overwrite"])
    assert result.exit_code == 2 and "did not write" in result.output
    assert sorted(path.name for path in mine.iterdir()) == ["notes.txt"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mine"]
    monkeypatch.chdir(mine)
    here = runner.invoke(app, ["demo", "--out", ".", "--quiet", "--overwrite"])
    assert here.exit_code == 2 and "current folder" in here.output
    assert (mine / "notes.txt").read_text() == "keep me"
