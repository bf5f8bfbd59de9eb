"""`fovkit render run` as a job: the store's folder gains the run's kind and a report; shards and resume unchanged."""

from __future__ import annotations

import json

from tests.conftest import TINY_STUDY

from fovkit.jobs.render import run_render


def test_render_job_records_kind_writes_a_report_and_resumes_byte_for_byte(tmp_path):
    out = tmp_path / "data"
    first = run_render(TINY_STUDY, out, workers=1, progress=False)
    record = json.loads((out / "run.json").read_text())
    assert record["command"] == "fovkit render run" and record["kind"] == "render"
    assert record["seeds"] == {"render": TINY_STUDY.seed} and record["device"] == "cpu"
    assert record["classes"] == list(TINY_STUDY.classes) and "inputs" in record  # as the render started it
    assert first.report == out / "report.html"
    page = first.report.read_text(encoding="utf-8")
    assert f"{len(first.dataset.samples):,} images of 32x32 px" in page
    assert f"Factors: {', '.join(TINY_STUDY.factors)};" in page
    assert page.count("<img ") == len(TINY_STUDY.designs) and "Render checks per class" in page
    shards = {path.name: path.read_bytes() for path in out.glob("*.parquet")}
    manifest = (out / "manifest.json").read_bytes()
    again = run_render(TINY_STUDY, out, workers=1, progress=False)  # resumes: nothing left to render
    assert {path.name: path.read_bytes() for path in out.glob("*.parquet")} == shards
    assert (out / "manifest.json").read_bytes() == manifest
    assert json.loads((out / "run.json").read_text())["inputs"] == record["inputs"]
    assert again.report.is_file()
