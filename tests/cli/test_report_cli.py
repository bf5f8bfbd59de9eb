"""`fovkit report` from the command line: one page over run folders, and exit code 2 for what is not one."""

from __future__ import annotations

import json
from pathlib import Path

from tests.report.conftest import make_gap_intervals, make_gap_table, write_probe_folder
from typer.testing import CliRunner

from fovkit.cli.main import app

runner = CliRunner()


def test_report_writes_one_page_over_the_runs(tmp_path: Path):
    gaps = make_gap_table()
    first = write_probe_folder(gaps, make_gap_intervals(gaps), tmp_path / "gaps")
    second = write_probe_folder(gaps, None, tmp_path / "runs" / "gaps")
    out = tmp_path / "page"
    result = runner.invoke(app, ["report", str(first), str(second), "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'href="#run-gaps"' in page and 'href="#run-gaps-2"' in page  # same folder names, distinct anchors
    assert json.loads((out / "run.json").read_text())["config"]["runs"] == [str(first), str(second)]
    again = runner.invoke(app, ["report", str(first), "--out", str(out)])
    assert again.exit_code == 2 and "not empty" in again.output
    assert runner.invoke(app, ["report", str(first), "--out", str(out), "--overwrite"]).exit_code == 0


def test_report_refuses_what_is_not_a_run_folder_and_an_output_inside_an_input(tmp_path: Path):
    gaps = make_gap_table()
    run = write_probe_folder(gaps, None, tmp_path / "gaps")
    plain = tmp_path / "plain"
    plain.mkdir()
    result = runner.invoke(app, ["report", str(run), str(plain), "--out", str(tmp_path / "page")])
    assert result.exit_code == 2 and "not a fovkit run folder" in result.output
    inside = runner.invoke(app, ["report", str(run), "--out", str(run / "page")])
    assert inside.exit_code == 2 and "lies inside the input folder" in inside.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["gaps", "plain"]
