"""Tests of the HTML building blocks: readable headers, one header row, interval cells, tabs and the page frame."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from markupsafe import Markup

from fovkit.report.html import (
    MAX_TABS,
    SCROLL_ROWS,
    Section,
    interval_cell,
    interval_table,
    readable,
    render_page,
    table_block,
    tabs,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("held_out_accuracy", "held-out accuracy"),
        ("pose_gap", "pose gap"),
        ("all_factors_gap", "all-factors gap"),
        ("pvalue_holm", "p-value (Holm)"),
        ("real_accuracy", "ReaL accuracy"),
        ("metaclass_accuracy", "meta-label accuracy"),
        ("worst_100_classes", "worst 100 classes"),
        ("ece", "ECE"),
        ("train_factor", "factor varied in training"),
        (0.25, "0.25"),
        (("gap", "pose"), "gap pose"),
    ],
)
def test_readable_headers(name, expected):
    assert readable(name) == expected


def test_table_block_has_one_header_row_for_a_multiindex():
    index = pd.MultiIndex.from_tuples(
        [("b1", "linear", "multiple_objects"), ("b1", "linear", "pose"), ("b1", "finetune", "pose")],
        names=["backbone", "protocol", "factor"],
    )
    frame = pd.DataFrame({"held_out_accuracy": [1.0, 2.0, 3.0], "n_groups": [2, 3, 4]}, index=index)
    frame.columns.name = "statistic"
    html = table_block(frame, digits=1)
    head = re.search(r"<thead>(.*?)</thead>", html).group(1)
    assert head.count("<tr>") == 1
    assert re.findall(r"<th[^>]*>([^<]*)</th>", head) == [
        "backbone",
        "protocol",
        "factor",
        "held-out accuracy",
        "groups",
    ]
    rows = re.findall(r"<tr>(.*?)</tr>", html.split("<tbody>")[1])
    assert re.findall(r">([^<]*)</th>", rows[1]) == ["", "", "pose"]  # repeated outer labels left blank
    assert re.findall(r">([^<]*)</th>", rows[2]) == ["", "finetune", "pose"]
    assert "multiple objects" in rows[0]  # factor names read like the headers
    assert "<td>2</td>" in rows[0] and "<td>1.0</td>" in rows[0]  # integer columns stay integers


def test_table_block_scrolls_long_tables_and_keeps_markup_cells():
    frame = pd.DataFrame({"value": np.arange(SCROLL_ROWS + 1) / 3})
    assert 'class="table-wrap scroll"' in table_block(frame)
    assert 'class="table-wrap"' in table_block(frame.head(SCROLL_ROWS))
    assert "<th" not in table_block(frame).split("<tbody>")[1]  # an unnamed RangeIndex is not shown
    cells = pd.DataFrame({"gap": pd.Series([interval_cell(-12.0, -18.5, -6.0, 1), "<b>"], dtype=object)})
    html = table_block(cells)
    assert '<td>-12.0<span class="ci">[-18.5, -6.0]</span></td>' in html and "<td>&lt;b&gt;</td>" in html


def test_interval_cells():
    assert interval_cell(np.nan, 0.1, 0.2) == "–"
    assert interval_cell(0.5, np.nan, 0.7) == "0.500"
    assert interval_cell(-3.25, -5.0, -1.5, 1, n=1320) == Markup(
        '-3.2<span class="ci">[-5.0, -1.5]</span><span class="ci">n = 1,320</span>'
    )
    estimate = pd.DataFrame({"pose": [0.5, np.nan]}, index=pd.Index(["a", "b"], name="model"))
    table = interval_table(estimate, estimate - 0.1, estimate + 0.1)
    assert isinstance(table.iloc[0, 0], Markup) and table.iloc[1, 0] == "–"
    assert list(table.index) == ["a", "b"] and list(table.columns) == ["pose"]


def test_tabs_are_radio_buttons_with_one_panel_each():
    html = tabs("criterion", [("top-1 `label`", [Markup("<p>one</p>")]), ("ReaL", [Markup("<p>two</p>")])])
    assert html.count('type="radio" name="criterion"') == 2 and html.count(" checked") == 1
    assert '<label for="criterion-0">top-1 <code>label</code></label>' in html
    assert html.count('<div class="tab-panel">') == 2
    with pytest.raises(ValueError, match="1 to"):
        tabs("empty", [])
    with pytest.raises(ValueError, match="1 to"):
        tabs("many", [(str(number), []) for number in range(MAX_TABS + 1)])


def test_page_has_sticky_navigation_of_the_sections_and_css_for_every_tab():
    sections = [Section("How fovkit differs", "differences", nav="Differences"), Section("Summary", "summary")]
    page = render_page("Title", sections)
    nav = re.search(r'<nav class="toc".*?</nav>', page, flags=re.DOTALL).group(0)
    assert re.findall(r'<a href="#([^"]+)">([^<]+)</a>', nav) == [
        ("differences", "Differences"),
        ("summary", "Summary"),
    ]
    assert re.search(r"nav\.toc \{ position: sticky; top: 0;", page)
    assert f".tab-panel:nth-of-type({MAX_TABS})" in page
    assert "<script" not in page and "url(" not in page
