"""The one way a job writes its run folder: staged, `run.json` with kind, seeds, device and inputs, then the report."""

from __future__ import annotations

import json

import pytest
from tests.report.conftest import make_gap_intervals, make_gap_table

from fovkit.errors import InputError
from fovkit.jobs.folder import KINDS, JobRecord, ReportOptions, finish_in_place, job_folder, resolved
from fovkit.runs import file_checksum


def _probe_tables(folder) -> None:
    gaps = make_gap_table()
    gaps.to_csv(folder / "gap_table.csv")
    make_gap_intervals(gaps).to_csv(folder / "gap_intervals.csv", index=False)


def test_a_job_folder_records_the_run_and_gets_its_report(tmp_path):
    source = tmp_path / "data.txt"
    source.write_text("input")
    record = JobRecord("probe", "fovkit probe", {"dataset": "data"}, inputs=[source], seeds={"training": [0, 1]})
    done = []
    with job_folder(tmp_path / "out", record) as job:
        assert job.path != tmp_path / "out" and not (tmp_path / "out").exists()  # staged beside it
        _probe_tables(job.path)
        job.update(device="cpu", precision="float32", checksums={"remote.csv": "ab" * 32}, extra={"models": {}})
        job.update(extra={"dataset_digest": "d"})
        job.meanwhile(lambda: done.append(True))
    written = json.loads((tmp_path / "out" / "run.json").read_text())
    assert written["kind"] == "probe" and written["command"] == "fovkit probe"
    assert written["seeds"] == {"training": [0, 1]} and written["device"] == "cpu"
    assert written["precision"] == "float32" and written["config"] == {"dataset": "data"}
    assert written["inputs"] == {"remote.csv": "ab" * 32, str(source): file_checksum(source)}
    assert written["models"] == {} and written["dataset_digest"] == "d"
    assert "numpy" in written["versions"] and done == [True]
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Gap table" in page and (tmp_path / "out" / "plots" / "gaps.png").is_file()


def test_an_error_leaves_nothing_and_no_report_is_an_option(tmp_path):
    record = JobRecord("probe", "fovkit probe", {})
    with pytest.raises(RuntimeError, match="boom"), job_folder(tmp_path / "out", record) as job:
        (job.path / "half.csv").write_text("x")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with job_folder(tmp_path / "plain", record, report=None):
        pass
    assert sorted(path.name for path in (tmp_path / "plain").iterdir()) == ["run.json"]


def test_a_missing_declared_table_fails_the_job_with_one_clear_error(tmp_path):
    with (
        pytest.raises(InputError, match="lacks the table 'gap_table'"),
        job_folder(tmp_path / "out", JobRecord("probe", "fovkit probe", {})),
    ):
        pass
    assert not (tmp_path / "out").exists()


def test_the_output_may_not_lie_inside_a_guarded_input(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with (
        pytest.raises(InputError, match="lies inside the input folder"),
        job_folder(data / "out", JobRecord("probe", "fovkit probe", {}), guard=[data]),
    ):
        pass


def test_unknown_kinds_are_refused():
    with pytest.raises(ValueError, match="unknown run kind 'corruptions'"):
        JobRecord("corruptions", "fovkit corrupt", {})


def test_finishing_in_place_keeps_the_record_the_writer_started(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    started = {"command": "fovkit probe", "inputs": {"mesh.obj": "cd" * 32}, "config": {}}
    (folder / "run.json").write_text(json.dumps(started))
    _probe_tables(folder)
    report = finish_in_place(folder, "probe", {"seeds": {"training": [3]}}, ReportOptions())
    record = json.loads((folder / "run.json").read_text())
    assert record == {**started, "kind": "probe", "seeds": {"training": [3]}}
    assert report == folder / "report.html" and report.is_file()
    with pytest.raises(InputError, match="cannot read the run record"):
        finish_in_place(tmp_path / "elsewhere", "probe", {}, None)


def test_every_kind_a_job_writes_has_a_report_page():
    from fovkit.report.run_folder import KINDS as REPORT_KINDS

    assert KINDS == REPORT_KINDS


def test_resolved_names_the_device_every_fit_shares():
    assert resolved(["cpu", "cpu", None]) == "cpu"
    assert resolved(["cuda:0", "cpu"]) == "cpu, cuda:0"
    assert resolved([None]) is None and resolved([]) is None
