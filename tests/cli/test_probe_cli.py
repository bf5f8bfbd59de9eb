"""`fovkit probe` and `fovkit experiment` from the command line: outputs, and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from fovkit.cli.main import app

runner = CliRunner()
RANDOM = "fovkit:resnet_small@random"


def test_probe_prints_and_writes_the_gap_table(tiny_dataset, tmp_path: Path):
    out = tmp_path / "probe"
    result = runner.invoke(app, ["probe", str(tiny_dataset.folder), "--backbone", RANDOM, "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "Gap table" in result.output and "Report:" in result.output
    gaps = pd.read_csv(out / "gap_table.csv", index_col=["backbone", "protocol"])
    assert list(gaps.index) == [("fovkit:resnet_small", "linear")]


def test_probe_with_an_unknown_model_exits_2_and_writes_nothing(tiny_dataset, tmp_path: Path):
    out = tmp_path / "probe"
    result = runner.invoke(
        app, ["probe", str(tiny_dataset.folder), "--backbone", "timm:resnet_51@random", "-o", str(out)]
    )
    assert result.exit_code == 2
    assert "resnet_51" in result.output and "resnet50" in result.output
    assert not out.exists()
    assert not list(tmp_path.glob(".probe.partial-*"))


def test_probe_without_cached_weights_says_how_to_provide_them(tiny_dataset, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf"))
    result = runner.invoke(app, ["probe", str(tiny_dataset.folder), "--backbone", "timm:resnet18", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "weights" in result.output and "random" in result.output


def test_experiment_runs_and_refuses_unknown_factors(tiny_dataset, tmp_path: Path):
    out = tmp_path / "instances"
    arguments = ["experiment", "instances", str(tiny_dataset.folder), "--backbone", RANDOM, "--factor", "pose"]
    result = runner.invoke(app, [*arguments, "--fraction", "0.5", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "Gap of the factor seen varying" in result.output and "Report:" in result.output
    assert "| " not in result.output and "---:" not in result.output  # a terminal table, not Markdown source
    assert "pose" in result.output and "50%" in result.output
    bad = runner.invoke(app, ["experiment", "samples", str(tiny_dataset.folder), "--factor", "colour"])
    assert bad.exit_code == 2
    assert "unknown factors ['colour']" in bad.output


def test_probe_backbone_without_source_suggests_one(tmp_path: Path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["probe", str(tmp_path), "--backbone", "resnet18", "-o", str(out)])
    assert result.exit_code == 2
    assert "field '--backbone'" in result.output and "did you mean timm:resnet18" in result.output
    assert not out.exists()


def test_probe_refuses_a_negative_seed(tmp_path: Path):
    result = runner.invoke(app, ["probe", str(tmp_path), "--seed", "-1", "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "field '--seed'" in result.output and "got -1" in result.output
