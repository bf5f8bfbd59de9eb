"""`fovkit topfactor` from the command line: --quiet silences every progress bar, and seeds are checked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from fovkit.cli.main import app

runner = CliRunner()


def test_quiet_prints_no_progress_bar_of_any_library(tmp_path: Path):
    out = tmp_path / "top"
    command = [sys.executable, "-m", "fovkit.cli.main", "topfactor", "--out", str(out), "--limit", "8", "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    assert "agreement with the shipped top factor" in done.stdout
    assert done.stderr == ""  # no "Loading weights", "Batches" or fovkit bar
    assert (out / "top_factors.csv").is_file()


def test_negative_seed_is_refused(tmp_path: Path):
    out = tmp_path / "top"
    result = runner.invoke(app, ["topfactor", "--out", str(out), "--limit", "8", "--seed", "-1"])
    assert result.exit_code == 2
    assert "field '--seed'" in result.output and "whole number from 0" in result.output
    assert not out.exists()
