"""`fovkit render` commands: plan (checked config, estimates, speed), run's output folder, help texts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fovkit.cli.main import app
from fovkit.render.config import RenderConfig
from fovkit.render.presets import list_presets

runner = CliRunner()


def toml(config: RenderConfig, path: Path) -> Path:
    """`config` as a TOML file (default axes left out)."""
    settings = config.model_dump(mode="json", exclude={"axes"}).items()
    path.write_text("\n".join(f"{key} = {json.dumps(value)}" for key, value in settings if value is not None))
    return path


def test_plan_prints_the_paper_counts_with_estimates():
    result = runner.invoke(app, ["render", "plan", "paper"])
    assert result.exit_code == 0, result.output
    for text in ("1,158,300", "3,148,200", "2,700,000", "7,006,500", "est. time", "est. disk", "estimate"):
        assert text in result.output


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("classes = 0", "at least 1 class"),
        ("classes = 500", "at most 54"),
        ('classes = ["mug", "cra"]', "'car'"),
        ('classes = ["mug", "mug"]', "more than once"),
        ("designs = []", "designs = []"),
        ("seed = -1", "seed"),
        ('classes = ["box"]\nassets = "no-such-folder"', "does not exist"),
    ],
)
def test_plan_checks_the_config_like_run(tmp_path: Path, text: str, words: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    result = runner.invoke(app, ["render", "plan", str(path)])
    assert result.exit_code == 2 and words in result.output, result.output
    assert "Traceback" not in result.output


def test_plan_names_the_config_for_asset_class_problems(tmp_path: Path, meshes: Path):
    path = tmp_path / "config.toml"
    path.write_text(f'classes = ["bx"]\nassets = "{meshes}"\ninstances_per_class = 1')
    result = runner.invoke(app, ["render", "plan", str(path)])
    assert result.exit_code == 2 and str(path) in result.output and "'box'" in result.output


def test_a_folder_named_like_a_preset_leaves_the_preset_in_charge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "small").mkdir()
    result = runner.invoke(app, ["render", "plan", "small"])
    assert result.exit_code == 0, result.output
    assert "small is a folder here, not a TOML file, so the preset small is used" in result.output
    (tmp_path / "mine").mkdir()
    result = runner.invoke(app, ["render", "plan", "mine"])
    assert result.exit_code == 2 and "a folder, not a TOML config file" in result.output


def test_importing_the_command_module_stays_light():
    code = (
        "import sys, fovkit.cli.render\n"
        "heavy = ['pandas', 'pyarrow', 'trimesh', 'moderngl', 'torch', 'fovkit.render.gl', 'fovkit.render.dataset']\n"
        "print([name for name in heavy if name in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_help_lists_every_preset_and_keeps_bracketed_text():
    result = runner.invoke(app, ["render", "run", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert ", ".join(list_presets()) in result.output and len(list_presets()) == 5
    assert "fovkit[ray]" in result.output
    assert "--overwrite" in result.output and "one per core" in result.output


def test_run_command_output_folder(micro: RenderConfig, tmp_path: Path):
    config = toml(micro, tmp_path / "micro.toml")
    out = tmp_path / "data"
    command = ["render", "run", str(config), "--out", str(out), "--workers", "1", "--quiet"]
    assert runner.invoke(app, command).exit_code == 0
    assert runner.invoke(app, command).exit_code == 0  # the same config resumes (nothing left to render)
    other = toml(micro.model_copy(update={"seed": 4}), tmp_path / "other.toml")
    result = runner.invoke(app, ["render", "run", str(other), *command[3:]])
    assert result.exit_code == 2 and "another config" in result.output and "--overwrite" in result.output
    assert runner.invoke(app, ["render", "run", str(other), *command[3:], "--overwrite"]).exit_code == 0
    assert json.loads((out / "config.json").read_text())["seed"] == 4
    result = runner.invoke(app, ["render", "run", str(config), "--out", str(config), "--quiet"])
    assert result.exit_code == 2 and "not a folder" in result.output and "Traceback" not in result.output
