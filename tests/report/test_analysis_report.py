"""Tests of the factor-analysis report of a run folder: files on disk, a self-contained page, empty criteria, group
significance, and labels, criteria and hierarchy taken from `analysis.json` only."""

from __future__ import annotations

import ast
import base64
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.report.conftest import write_analysis_folder

import fovkit.report
from fovkit.errors import InputError
from fovkit.imagenetx.analysis import ImageNetXResult, analyze
from fovkit.imagenetx.annotations import load_factor_table
from fovkit.imagenetx.config import ImageNetXConfig
from fovkit.report import analysis as report_module
from fovkit.report import html, plots, write_report
from fovkit.report.html import SavedFigure, inline_text
from fovkit.tables import Predictions

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FRAGILE_FACTORS = ("texture", "subcategory")


@pytest.fixture(scope="module")
def table():
    return load_factor_table()


@pytest.fixture(scope="module")
def grouped_result(table) -> ImageNetXResult:
    """Six models in two groups; the `fragile` group fails far more often where texture or subcategory varies."""
    rng = np.random.default_rng(0)
    labels = table.labels
    fragile_mask = table.varies(list(FRAGILE_FACTORS)).any(axis=1)
    models, rows = [], []
    for index in range(6):
        group = "fragile" if index % 2 else "robust"
        accuracy = np.full(len(labels), 0.75)  # one overall accuracy: error ratios differ by group only
        if group == "fragile":
            accuracy[fragile_mask] = 0.15
        correct = rng.random(len(labels)) < accuracy
        rows.append(np.where(correct, labels, (labels + 1 + rng.integers(0, 998, len(labels))) % 1000))
        models.append(f"{group}_{index}")
    predictions = Predictions(
        tuple(models),
        table.sample_ids,
        np.stack(rows).astype(np.int16),
        rng.uniform(0.3, 1.0, size=(len(models), len(labels))).astype(np.float32),
    )
    groups = pd.Series({model: model.split("_")[0] for model in models})
    return analyze(table, predictions, ImageNetXConfig(bootstrap=20, human=True), groups=groups)


@pytest.fixture(scope="module")
def grouped_report(grouped_result, tmp_path_factory) -> Path:
    """The grouped result's run folder and report with SVGs, its plots drawn by two worker processes."""
    folder = write_analysis_folder(grouped_result, tmp_path_factory.mktemp("grouped") / "report")
    return write_report(folder, svg=True, workers=2)


@pytest.fixture(scope="module")
def human_result(table) -> ImageNetXResult:
    return analyze(table, [], ImageNetXConfig(bootstrap=20, human=True))


def _images(page: str) -> list[bytes]:
    return [base64.b64decode(data) for data in re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)]


def _check_plots(plot_dir: Path, page: str, svg: bool = True) -> list[str]:
    pngs = sorted(plot_dir.glob("*.png"))
    assert pngs, "no plot was saved"
    for png in pngs:
        assert png.read_bytes().startswith(PNG_MAGIC), png
        if svg:
            assert png.with_suffix(".svg").exists(), f"{png.name} has no SVG twin"
            assert ET.parse(png.with_suffix(".svg")).getroot().tag.endswith("svg")
    assert len(list(plot_dir.glob("*.svg"))) == (len(pngs) if svg else 0)
    inline = _images(page)
    assert len(inline) == len(pngs) == page.count("<img ")
    assert sorted(inline) == sorted(png.read_bytes() for png in pngs)  # the page embeds exactly the saved plots
    return [png.stem for png in pngs]


def _assert_self_contained(page: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, flags=re.IGNORECASE)
    assert not re.search(r"url\(|@import|<script|<link", page, flags=re.IGNORECASE)
    assert "http://" not in page and "https://" not in page


def test_grouped_report_writes_every_plot_and_a_self_contained_page(grouped_report, grouped_result):
    assert grouped_report.name == "report.html" and grouped_report.exists()
    page = grouped_report.read_text(encoding="utf-8")
    stems = _check_plots(grouped_report.parent / "plots", page)
    for criterion in ("class", "real", "metaclass"):
        for prefix in (*report_module.PLOT_PREFIXES, "metaclass_error_ratios"):
            assert f"{prefix}_{criterion}" in stems
    assert "annotation_correlations" in stems
    _assert_self_contained(page)
    for heading in ("Summary", "top-1 label", "ReaL labels", "meta-label", "Annotation statistics", "Configuration"):
        assert heading in page
    assert "How fovkit differs from the reference toolkit" in page
    for note in grouped_result.notes:
        assert str(inline_text(note)) in page
    assert '"bootstrap": 20' in page


def test_grouped_report_shows_group_tests_intervals_and_calibration(grouped_report, grouped_result):
    page = grouped_report.read_text(encoding="utf-8")
    tests = grouped_result.criteria["class"].group_tests
    assert tests is not None and tests.loc[list(FRAGILE_FACTORS), "significant"].all()
    assert not tests["significant"].all(), "the test data should leave some factors without a group difference"
    assert "Between-group tests" in page and "p-value (Holm)" in page and "pvalue" not in page
    assert f"{int(tests['significant'].sum())} of {len(tests)} factors differ significantly" in page
    assert "95% bootstrap intervals" in page
    estimate = grouped_result.criteria["class"].intervals.iloc[0]
    assert f'{estimate["estimate"]:.3f}<span class="ci">[{estimate["low"]:.3f}, {estimate["high"]:.3f}]</span>' in page
    assert "Expected calibration error" in page
    assert "fragile_1" in page and "robust_0" in page
    cells = set(re.findall(r"<td>([^<]*)</td>", page))
    assert "–" in cells and not cells & {"nan", "NaN", "None", "<NA>", "NA"}


def test_grouped_report_puts_criteria_in_tabs_with_readable_tables(grouped_report):
    page = grouped_report.read_text(encoding="utf-8")
    labels = re.findall(r'<input type="radio" name="criterion"[^>]*><label for="[^"]+">([^<]+)</label>', page)
    assert labels == ["top-1 label", "ReaL labels", "meta-label"]
    assert page.count('<div class="tab-panel">') == 3 and page.count(" checked>") == 1
    nav = re.search(r'<nav class="toc".*?</nav>', page, flags=re.DOTALL).group(0)
    anchors = re.findall(r'href="#([^"]+)"', nav)
    assert anchors == [
        "summary",
        "criteria",
        "annotations",
        "factor-distribution",
        "active-factors",
        "differences",
        "configuration",
    ]
    assert all(f'<section id="{anchor}">' in page for anchor in anchors)
    heads = re.findall(r"<thead>(.*?)</thead>", page)
    assert heads and all(head.count("<tr>") == 1 for head in heads)
    headers = [re.sub(r"<[^>]+>", "", cell) for head in heads for cell in re.findall(r"<th[^>]*>(.*?)</th>", head)]
    assert "held-out" not in headers and not [header for header in headers if "_" in header]
    assert {"worst factor", "ReaL accuracy", "meta-label accuracy", "ECE", "p-value (Holm)"} <= set(headers)
    intro = page.split('<nav class="toc"')[0]
    assert "scored against the top-1 label, ReaL labels and meta-label, one tab each." in intro
    assert "saved as PNG and SVG" in intro


def test_report_cuts_long_tables(grouped_result, tmp_path, monkeypatch):
    monkeypatch.setattr(report_module, "MAX_ROWS", 2)
    # Real plots are not needed to check the tables: swap in tiny figures and a saver that writes nothing.
    builders = (
        "error_ratio_bars",
        "factor_vs_overall_accuracy",
        "metaclass_factor_heatmap",
        "prevalence_shift_bars",
        "correlation_heatmap",
    )
    for name in builders:
        monkeypatch.setattr(plots, name, lambda *args, **kwargs: plots.new_figure(1, 1))
    monkeypatch.setattr(html, "save_figure", _stub_saver(tmp_path))
    folder = write_analysis_folder(grouped_result, tmp_path / "cut")
    page = write_report(folder, workers=1).read_text(encoding="utf-8")
    assert "Showing the first 2 of 7 models" in page  # summary and ReaL tables hold the six models and human
    assert "Showing the first 2 of 6 models" in page
    assert "Intervals: showing the first 2 of 6 models" in page
    assert '<th scope="row">robust_0</th>' in page and '<th scope="row">robust_4</th>' not in page


def test_human_only_report_skips_the_empty_criteria(human_result, tmp_path):
    assert len(human_result.criteria["class"].factor_accuracies) == 0
    path = write_report(write_analysis_folder(human_result, tmp_path / "human"))
    page = path.read_text(encoding="utf-8")
    stems = _check_plots(tmp_path / "human" / "plots", page, svg=False)
    assert sorted(stems) == sorted(
        [
            "active_factors",
            "annotation_correlations",
            "error_ratios_by_group_real",
            "factor_distribution",
            "factor_vs_overall_accuracy_real",
            "metaclass_error_ratios_real",
            "prevalence_shift_real",
        ]
    )
    _assert_self_contained(page)
    assert f"<title>{human_result.title}</title>" in page
    intro = page.split('<nav class="toc"')[0]
    assert "scored against the ReaL labels." in intro and "one tab each" not in intro
    assert "Not shown: no model is scored against the top-1 label and meta-label (<code>human</code>" in intro
    assert "saved as PNG in" in intro and "SVG" not in intro
    assert 'class="tabs"' not in page  # one criterion: no tabs
    assert "Scored against the ReaL labels." in page
    assert "Scored against the top-1 label" not in page and "Scored against the meta-label" not in page


def test_labels_criteria_and_hierarchy_come_from_the_folder(grouped_result, tmp_path):
    """A folder whose analysis.json renames the criteria and has no hierarchy: the page follows it, not ImageNet-X."""
    folder = write_analysis_folder(grouped_result, tmp_path / "generic")
    spec = json.loads((folder / "analysis.json").read_text())
    spec["title"] = "My photos"
    spec["criteria"] = {
        "class": {"label": "exact label", "description": "Correct when the label matches."},
        "real": {"label": "any listed label", "description": "Correct when listed."},
    }
    spec["hierarchy"] = None
    spec["notes"] = ["A note of this analysis."]
    (folder / "analysis.json").write_text(json.dumps(spec))
    page = write_report(folder, workers=1).read_text(encoding="utf-8")
    labels = re.findall(r'<input type="radio" name="criterion"[^>]*><label for="[^"]+">([^<]+)</label>', page)
    assert labels == ["exact label", "any listed label"]
    assert "<title>My photos</title>" in page and "Correct when listed." in page and "A note of this analysis." in page
    assert "Error ratio by meta-label" not in page and "Factor counts per" not in page
    assert not list((folder / "plots").glob("metaclass_*"))


def test_a_folder_missing_a_declared_table_is_one_clear_error(grouped_result, tmp_path):
    folder = write_analysis_folder(grouped_result, tmp_path / "broken")
    (folder / "real" / "error_ratios.csv").unlink()
    (folder / "parquet" / "real" / "error_ratios.parquet").unlink()
    with pytest.raises(InputError, match="lacks the table 'real/error_ratios'") as caught:
        write_report(folder, workers=1)
    assert caught.value.path == folder


def test_report_package_never_imports_the_cli():
    package = Path(fovkit.report.__file__).parent
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(name == "fovkit.cli" or name.startswith("fovkit.cli.") for name in names), source


def _stub_saver(directory: Path):
    png = directory / "stub.png"
    png.write_bytes(PNG_MAGIC)

    def save(figure, plot_dir, stem, svg=False):
        figure.clear()
        return SavedFigure(png, PNG_MAGIC)

    return save
