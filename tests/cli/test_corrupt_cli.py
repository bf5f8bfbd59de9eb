"""`fovkit corrupt` from the command line: a render into a corrupted dataset, groups of names, refused input."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from fovkit.cli.main import app

runner = CliRunner()


def test_corrupt_a_render_with_a_group_of_corruptions(tiny_dataset, tmp_path: Path):
    out = tmp_path / "noisy"
    arguments = ["corrupt", str(tiny_dataset.folder), "--out", str(out), "--corruption", "noise", "--severity", "2"]
    result = runner.invoke(app, [*arguments, "--filter", "split=held_out", "--quiet", "--workers", "1"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "corrupted"
    assert set(manifest["counts"]) == {"none", "gaussian_noise", "shot_noise", "impulse_noise"}
    assert "3 corruptions x 1 severities + clean" in result.output
    again = runner.invoke(app, [*arguments, "--filter", "split=held_out", "--quiet", "--workers", "1"])
    assert again.exit_code == 0, again.output  # the same run resumes: every shard verified, nothing rewritten


def test_bad_names_and_severities_exit_2_naming_the_flag(tiny_dataset, tmp_path: Path):
    for flags, words in (
        (["--corruption", "fogg"], ["fogg", "fog"]),
        (["--severity", "6"], ["--severity", "6"]),
        (["--format", "gif"], ["gif"]),
    ):
        result = runner.invoke(app, ["corrupt", str(tiny_dataset.folder), "--out", str(tmp_path / "x"), *flags])
        assert result.exit_code == 2, result.output
        assert all(word in result.output for word in words), result.output
        assert not (tmp_path / "x").exists()
