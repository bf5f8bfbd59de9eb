"""Tests of the combined report over several run folders: navigation, the cross-run model table and its errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from tests.report.conftest import (
    make_gap_intervals,
    make_gap_table,
    make_instances_tables,
    write_analysis_folder,
    write_experiment_folder,
    write_probe_folder,
)

from fovkit.errors import InputError
from fovkit.imagenetx.analysis import analyze
from fovkit.imagenetx.annotations import load_factor_table
from fovkit.imagenetx.config import ImageNetXConfig
from fovkit.imagenetx.synthetic import synthetic_predictions
from fovkit.jobs.folder import JobRecord, write_record
from fovkit.report import write_combined_report, write_report
from fovkit.tables import Predictions

MODELS = ("fovkit:default", "timm:resnet50")
"""The analysis scores the probe's backbones, so that the cross-run table joins them."""


def analysis_result():
    """An ImageNet-X analysis of two synthetic models named like the probe's backbones."""
    table = load_factor_table()
    frames = [frame.set_index("file_name").reindex(table.sample_ids) for frame in synthetic_predictions(2, seed=3)]
    predictions = Predictions(
        MODELS,
        table.sample_ids,
        np.stack([frame["predicted_class"].to_numpy() for frame in frames]).astype(np.int16),
        np.stack([frame["predicted_probability"].to_numpy() for frame in frames]).astype(np.float32),
    )
    return analyze(table, predictions, ImageNetXConfig(bootstrap=0))


@pytest.fixture(scope="module")
def run_folders(tmp_path_factory) -> dict[str, Path]:
    """An analysis, a probe and an experiment folder, and a demo folder holding the last two."""
    root = tmp_path_factory.mktemp("runs")
    gap_table = make_gap_table()
    demo = root / "demo"
    folders = {
        "analysis": write_analysis_folder(analysis_result(), root / "analysis"),
        "gaps": write_probe_folder(gap_table, make_gap_intervals(gap_table), demo / "gaps"),
        "instances": write_experiment_folder(make_instances_tables(), demo / "instances"),
    }
    write_record(demo, JobRecord("demo", "fovkit demo", {}, extra={"runs": ["gaps", "instances"], "complete": True}))
    return {**folders, "demo": demo, "gap_table": gap_table}


@pytest.fixture(scope="module")
def combined(run_folders, tmp_path_factory) -> Path:
    folders = [run_folders[name] for name in ("analysis", "gaps", "instances")]
    return write_combined_report(folders, tmp_path_factory.mktemp("combined") / "report", workers=1)


def test_one_nav_entry_per_run_and_their_sections_nested(combined):
    page = combined.read_text(encoding="utf-8")
    nav = re.search(r'<nav class="toc".*?</nav>', page, flags=re.DOTALL).group(0)
    assert re.findall(r'href="#([^"]+)"', nav) == ["models", "run-analysis", "run-gaps", "run-instances"]
    for anchor in ("run-analysis-summary", "run-analysis-criteria", "run-gaps-gap-table", "run-instances-experiment-"):
        assert f'<section id="{anchor}' in page, anchor
    assert 'name="run-analysis-criterion"' in page
    ids = re.findall(r'id="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    plots = combined.parent / "plots"
    assert (plots / "run-gaps" / "gaps.png").is_file() and (plots / "run-analysis").is_dir()
    assert page.count("<img ") == len(list(plots.rglob("*.png")))
    record = json.loads((combined.parent / "run.json").read_text())
    assert record["command"] == "fovkit report" and record["kind"] == "report"


def test_the_model_table_joins_runs_on_model_ids(combined, run_folders):
    page = combined.read_text(encoding="utf-8")
    models = page.split('<section id="models">')[1].split("</section>")[0]
    headers = re.findall(r'<th scope="col">([^<]*)</th>', models)
    assert headers[:3] == ["model", "analysis: accuracy", "analysis: worst factor"]
    assert "gaps: average gap (linear)" in headers and "gaps: held-out accuracy (finetune)" in headers
    rows = re.findall(r'<th scope="row">([^<]*)</th>', models)
    assert rows == list(MODELS)
    gap = run_folders["gap_table"].loc[("timm:resnet50", "linear"), "average_gap"]
    assert f"<td>{gap:.3f}</td>" in models.split('<th scope="row">timm:resnet50</th>')[1]
    finetune = models.split('<th scope="row">timm:resnet50</th>')[1].count("<td>–</td>")
    assert finetune == 2  # timm:resnet50 has no finetune row in the probe


def test_a_demo_folder_stands_for_its_runs(run_folders, tmp_path):
    path = write_combined_report([run_folders["demo"]], tmp_path / "demo-report", workers=1)
    nav = re.search(r'<nav class="toc".*?</nav>', path.read_text(encoding="utf-8"), flags=re.DOTALL).group(0)
    assert re.findall(r'href="#([^"]+)"', nav) == ["models", "run-gaps", "run-instances"]
    demo_page = write_report(run_folders["demo"]).read_text(encoding="utf-8")
    assert 'href="#run-gaps"' in demo_page and 'href="#run-instances"' in demo_page


def test_errors_name_the_bad_input_and_write_nothing(run_folders, tmp_path):
    with pytest.raises(InputError, match="not a fovkit run folder"):
        write_combined_report([run_folders["analysis"], tmp_path], tmp_path / "out")
    with pytest.raises(InputError, match="lies inside the input folder"):
        write_combined_report([run_folders["analysis"]], run_folders["analysis"] / "combined")
    with pytest.raises(InputError, match="no run folder given"):
        write_combined_report([], tmp_path / "out")
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    (unknown / "run.json").write_text(json.dumps({"command": "fovkit future", "kind": "future"}))
    with pytest.raises(InputError, match="unknown run kind 'future'"):
        write_combined_report([unknown], tmp_path / "out")
    assert not (tmp_path / "out").exists()
