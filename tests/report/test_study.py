"""Tests of the study reports: the gap table with and without intervals, an experiment's section, and both pages
built from their run folders."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from tests.report.conftest import write_experiment_folder, write_probe_folder

from fovkit.report import write_report
from fovkit.report.study import experiment_section, probe_section


def _headers(html: str) -> list[str]:
    head = re.search(r"<thead>(.*?)</thead>", html).group(1)
    return [re.sub(r"<[^>]+>", " ", cell).split() for cell in re.findall(r"<th[^>]*>(.*?)</th>", head)]


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr>(.*?)</tr>", re.search(r"<tbody>(.*?)</tbody>", html).group(1))


def test_gap_table_without_intervals_has_one_row_of_readable_headers(gap_table, tmp_path):
    section = probe_section(gap_table, tmp_path / "plots")
    html = "".join(section.blocks)
    assert html.count("<thead><tr>") == 1 and "</tr><tr><th" not in html.split("</thead>")[0]
    assert [" ".join(words) for words in _headers(html)] == [
        "backbone",
        "protocol",
        "train accuracy",
        "held-out accuracy",
        "pose gap",
        "position gap",
        "size gap",
        "lighting gap",
        "background gap",
        "average gap",
        "all-factors gap",
    ]
    first = _rows(html)[0]
    assert '<th scope="row">fovkit:default</th><th scope="row">linear</th>' in first
    assert f"<td>{gap_table['pose_gap'].iloc[0]:.1f}</td>" in first
    second = _rows(html)[1]
    assert second.startswith('<th scope="row"></th><th scope="row">finetune</th>')  # the backbone is not repeated
    assert [path.name for path in (tmp_path / "plots").iterdir()] == ["gaps.png"]
    assert "whiskers" not in html


def test_gap_table_with_intervals_shows_each_interval_and_n(gap_table, gap_intervals, tmp_path):
    section = probe_section(gap_table, tmp_path / "plots", intervals=gap_intervals, svg=True)
    html = "".join(section.blocks)
    headers = {words[0]: words for words in _headers(html)}
    assert headers["pose"] == ["pose", "gap", "n", "=", "1,320"]
    assert headers["all-factors"] == ["all-factors", "gap", "n", "=", "400"]
    assert headers["held-out"] == ["held-out", "accuracy", "n", "=", "120"]
    assert headers["average"] == ["average", "gap"]  # no interval rows for the average: the plain value
    pose = gap_intervals.query("group == 'pose'").iloc[0]
    cell = f'{pose["gap"]:.1f}<span class="ci">[{pose["gap_low"]:.1f}, {pose["gap_high"]:.1f}]</span>'
    assert f"<td>{cell}</td>" in _rows(html)[0]
    assert "95% bootstrap interval" in html and "whiskers: 95% bootstrap intervals" in html
    assert sorted(path.name for path in (tmp_path / "plots").iterdir()) == ["gaps.png", "gaps.svg"]


def test_gap_table_puts_n_in_the_cell_when_rows_differ_and_tolerates_missing_intervals(
    gap_table, gap_intervals, tmp_path
):
    intervals = gap_intervals.copy()
    pose = intervals["group"] == "pose"
    intervals.loc[pose, "n"] = [1320, 1200, 1320]
    intervals.loc[pose & (intervals["protocol"] == "finetune"), ["gap_low", "gap_high"]] = np.nan
    intervals = intervals[~((intervals["backbone"] == "timm:resnet50") & (intervals["group"] == "size"))]
    html = "".join(probe_section(gap_table, tmp_path / "plots", intervals=intervals).blocks)
    headers = {words[0]: words for words in _headers(html)}
    assert headers["pose"] == ["pose", "gap"]
    first, second, third = _rows(html)
    assert '<span class="ci">n = 1,320</span>' in first
    assert f'<td>{gap_table["pose_gap"].iloc[1]:.1f}<span class="ci">n = 1,200</span></td>' in second
    assert f"<td>{gap_table['size_gap'].iloc[2]:.1f}</td>" in third  # no interval row: the value alone
    assert not re.search(r"\bnan\b", html.split("<figure")[0], flags=re.IGNORECASE)


def test_experiment_section_has_readable_headers_and_side_by_side_heatmaps(instances_tables, tmp_path):
    section = experiment_section("instances", "5.2: instances seen varying", instances_tables, tmp_path / "plots")
    html = "".join(section.blocks)
    assert [" ".join(words) for words in _headers(html)][:4] == [
        "backbone",
        "protocol",
        "factor varied in training",
        "0%",
    ]
    assert html.count('<div class="figure-row">') == 1 and html.count("<img ") == 3
    assert not [header for words in _headers(html) for header in words if "_" in header]


def test_experiment_page_from_its_run_folder(instances_tables, tmp_path):
    folder = write_experiment_folder(instances_tables, tmp_path / "instances")
    page = write_report(folder).read_text(encoding="utf-8")
    assert 'href="#experiment-instances"' in page and "<script" not in page
    assert "Experiment 5.2 (instances)" in page and "<title>Variability experiment instances</title>" in page
    assert page.count("<img ") == 3  # gap curves and one slope heatmap per protocol
    assert sorted(path.name for path in (folder / "plots").iterdir()) == [
        "instances_curves.png",
        "instances_slopes_finetune.png",
        "instances_slopes_linear.png",
    ]
    same_factor = instances_tables["same_factor"]
    assert f"<td>{same_factor['100%'].iloc[0]:.2f}</td>" in page


def test_probe_page_from_its_run_folder(gap_table, gap_intervals, tmp_path):
    folder = write_probe_folder(gap_table, gap_intervals, tmp_path / "gaps")
    page = write_report(folder, svg=True).read_text(encoding="utf-8")
    pose = gap_intervals.query("group == 'pose'").iloc[0]
    assert f'{pose["gap"]:.1f}<span class="ci">[{pose["gap_low"]:.1f}, {pose["gap_high"]:.1f}]</span>' in page
    assert sorted(path.name for path in (folder / "plots").iterdir()) == ["gaps.png", "gaps.svg"]
    assert "<h2>Configuration</h2>" in page and "numpy" in page


def test_gap_table_uses_accuracy_bounds_and_the_average_row_when_the_intervals_have_them(
    gap_table, gap_intervals, tmp_path
):
    """The metric's full table: `clusters`, accuracy bounds (the held-out accuracy's interval) and `average` rows."""
    canonical = gap_intervals["group"] == "canonical"
    full = gap_intervals.assign(
        clusters=20,
        accuracy_low=gap_intervals["accuracy"] - 4.0,
        accuracy_high=gap_intervals["accuracy"] + 3.0,
    )
    full.loc[canonical, ["gap_low", "gap_high"]] = 0.0
    average = gap_table.reset_index()[["backbone", "protocol", "average_gap"]].rename(columns={"average_gap": "gap"})
    average = average.assign(
        group="average", n=6600, clusters=20, gap_low=average["gap"] - 2, gap_high=average["gap"] + 2
    )
    full = pd.concat([full, average], ignore_index=True)
    html = "".join(probe_section(gap_table, tmp_path / "plots", intervals=full).blocks)
    headers = {words[0]: words for words in _headers(html)}
    assert headers["held-out"] == ["held-out", "accuracy", "n", "=", "120"]
    assert headers["average"] == ["average", "gap", "n", "=", "6,600"]
    first = _rows(html)[0]
    held_out = gap_table["held_out_accuracy"].iloc[0]
    assert f'<td>{held_out:.1f}<span class="ci">[{held_out - 4:.1f}, {held_out + 3:.1f}]</span></td>' in first
    mean = gap_table["average_gap"].iloc[0]
    assert f'<td>{mean:.1f}<span class="ci">[{mean - 2:.1f}, {mean + 2:.1f}]</span></td>' in first
