"""Tests of reading run folders for a report: what is a fovkit run folder, its kind, and its tables."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from fovkit.errors import InputError
from fovkit.report.run_folder import open_run_folder


def _record(folder: Path, **record) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run.json").write_text(json.dumps(record))
    return folder


def test_kind_comes_from_the_record_or_from_the_command_of_an_older_folder(tmp_path):
    assert open_run_folder(_record(tmp_path / "a", command="fovkit probe", kind="probe")).kind == "probe"
    assert open_run_folder(_record(tmp_path / "b", command="fovkit imagenetx")).kind == "analysis"
    assert open_run_folder(_record(tmp_path / "c", command="fovkit experiment classes")).kind == "experiment"
    assert open_run_folder(_record(tmp_path / "d", command="fovkit render run")).kind == "render"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda root: root / "missing", "not a folder"),
        (lambda root: (root / "file.txt").write_text("x") and root / "file.txt", "not a folder"),
        (lambda root: (root / "empty").mkdir() or root / "empty", r"not a fovkit run folder \(no run.json\)"),
        (lambda root: _record(root / "other", command="make all"), "not a fovkit run record"),
        (lambda root: _record(root / "future", command="fovkit corrupt", kind="corruption"), "unknown run kind"),
        (lambda root: _record(root / "page", command="fovkit report", kind="report"), "a combined report, not a run"),
    ],
)
def test_what_is_not_a_run_folder_is_one_clear_error(tmp_path, make, message):
    with pytest.raises(InputError, match=message):
        open_run_folder(make(tmp_path))


def test_a_record_that_is_not_a_json_object_names_the_file(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "run.json").write_text("[1, 2]")
    with pytest.raises(InputError, match="expected a JSON object") as caught:
        open_run_folder(folder)
    assert caught.value.path == folder / "run.json"


def test_tables_come_from_parquet_first_then_csv_and_a_missing_one_names_it(tmp_path):
    run = open_run_folder(_record(tmp_path / "run", command="fovkit probe", kind="probe"))
    frame = pd.DataFrame({"a": [1, 2]}, index=pd.Index(["x", "y"], name="model"))
    (run.path / "parquet").mkdir()
    frame.to_parquet(run.path / "parquet" / "summary.parquet")
    frame.assign(a=[9, 9]).to_csv(run.path / "summary.csv")
    pd.testing.assert_frame_equal(run.table("summary"), frame)
    frame.to_csv(run.path / "only_csv.csv")
    pd.testing.assert_frame_equal(run.table("only_csv", "model"), frame)
    assert run.optional("absent") is None and not run.has("absent")
    with pytest.raises(InputError, match="lacks the table 'absent'"):
        run.table("absent")


def test_an_analysis_folder_without_its_description_says_to_run_again(tmp_path):
    run = open_run_folder(_record(tmp_path / "old", command="fovkit imagenetx"))
    with pytest.raises(InputError, match=r"no analysis\.json .* run the command again") as caught:
        run.analysis  # noqa: B018 - reading the property is the test
    assert caught.value.path == tmp_path / "old" / "analysis.json"
