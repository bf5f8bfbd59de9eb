"""Every kind of report opened in a real headless Chromium at 1280x800 and checked the way a reader would see it.

Chromium comes from Debian (`apt-get install -y chromium-headless-shell`, which `make test` runs when it is missing)
and is driven by Playwright (the `dev` extra); Playwright's own browser download is never used. Without either, the
tests fail with the command that installs it: they never skip.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from tests.report.conftest import (
    make_gap_intervals,
    make_gap_table,
    make_instances_tables,
    write_analysis_folder,
    write_experiment_folder,
    write_probe_folder,
)

from fovkit.imagenetx.analysis import analyze
from fovkit.imagenetx.annotations import load_factor_table
from fovkit.imagenetx.config import ImageNetXConfig
from fovkit.imagenetx.synthetic import synthetic_predictions
from fovkit.jobs.folder import JobRecord, write_record
from fovkit.report import write_combined_report, write_report
from fovkit.report.html import readable
from fovkit.tables import Predictions

CHROMIUM = ("/usr/lib/chromium/chromium-headless-shell", "chromium-headless-shell")
"""The Debian package's binary (the `/usr/bin` name is a shell wrapper around it); `FOVKIT_CHROMIUM` overrides."""
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
INSTALL = "install it with `apt-get install -y chromium-headless-shell` (as root or with sudo; `make test` does it)"

PAGE_PROBLEMS = """() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  const describe = (element) => {
    const text = (element.textContent || element.getAttribute('alt') || '').trim().replace(/\\s+/g, ' ');
    return `<${element.tagName.toLowerCase()}> "${text.slice(0, 40)}"`;
  };
  const clipping = (element) => {
    for (let box = element.parentElement; box; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== 'visible') return box;
    }
    return null;
  };
  for (const image of document.images) {
    if (!image.complete || image.naturalWidth === 0) problems.push(`image not loaded: ${describe(image)}`);
    else if (image.clientWidth > 0 && image.clientWidth < 0.9 * image.naturalWidth) {
      problems.push(`image shrunk to ${image.clientWidth} of ${image.naturalWidth} px: ${describe(image)}`);
    }
  }
  if (document.documentElement.scrollWidth > width) {
    problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${width} px`);
  }
  for (const element of document.body.querySelectorAll('*')) {
    const rect = element.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0 || rect.right <= width + 0.5) continue;
    const box = clipping(element);
    if (box && box.getBoundingClientRect().right <= width + 0.5) continue;  // inside a box that scrolls on purpose
    problems.push(`beyond the right edge (${Math.round(rect.right)} px): ${describe(element)}`);
  }
  for (const head of document.querySelectorAll('thead')) {
    if (head.rows.length !== 1) problems.push(`a table with ${head.rows.length} header rows`);
  }
  for (const cell of document.querySelectorAll('thead th')) {
    if (cell.textContent.includes('_')) problems.push(`header with an underscore: ${describe(cell)}`);
  }
  return problems;
}"""

VISIBILITY_PROBLEMS = """(element) => {
  const rect = element.getBoundingClientRect();
  window.scrollTo(0, window.scrollY + rect.top + rect.height / 2 - window.innerHeight / 2);  // the page only
  const box = element.getBoundingClientRect();
  const problems = [];
  if (!element.checkVisibility({opacityProperty: true, visibilityProperty: true})) problems.push('not displayed');
  if (box.width === 0 || box.height === 0) problems.push('zero size');
  const inside = (outer) => box.left >= outer.left - 0.5 && box.right <= outer.right + 0.5
    && box.top >= outer.top - 0.5 && box.bottom <= outer.bottom + 0.5;
  if (!inside({left: 0, top: 0, right: window.innerWidth, bottom: window.innerHeight})) {
    problems.push(`outside the viewport: ${JSON.stringify(box)}`);
  }
  for (let outer = element.parentElement; outer; outer = outer.parentElement) {
    const style = getComputedStyle(outer);
    if ((style.overflowX !== 'visible' || style.overflowY !== 'visible') && !inside(outer.getBoundingClientRect())) {
      problems.push(`cut off by its scrolling box <${outer.tagName.toLowerCase()} class="${outer.className}">`);
    }
  }
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  if (!hit || !(hit === element || element.contains(hit))) problems.push('covered by another element');
  return problems;
}"""

CELL_BY_HEADER = """([root, header, row]) => {
  const table = document.querySelector(root);
  if (!table) return null;
  const headers = Array.from(table.tHead.rows[0].cells).map((cell) => cell.textContent.trim());
  const column = headers.findIndex((text) => text.startsWith(header));
  return column < 0 ? null : table.tBodies[0].rows[row].cells[column];
}"""


def chromium_executable() -> str:
    """The Chromium binary to drive, or a test failure that says how to install it."""
    for candidate in (os.environ.get("FOVKIT_CHROMIUM"), *CHROMIUM):
        if not candidate:
            continue
        found = shutil.which(candidate)
        if found:
            return found
    pytest.fail(f"no headless Chromium found ({', '.join(CHROMIUM)}): {INSTALL}")


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser test needs Playwright: pip install -e '.[dev]' (never run `playwright install`)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_executable(), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


class OpenedPage:
    """A report loaded in a fresh browser context, with the console errors it logged."""

    def __init__(self, browser, path: Path):
        self.context = browser.new_context(viewport=VIEWPORT)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(path.as_uri(), wait_until="load")

    def problems(self) -> list[str]:
        """Layout problems of the page as it is shown now, plus console errors so far."""
        return [*self.page.evaluate(PAGE_PROBLEMS), *(f"console error: {error}" for error in self.errors)]

    def cell(self, table: str, header: str, row: int = 0):
        """The body cell of `table` (a CSS selector) under the header that starts with `header`."""
        handle = self.page.evaluate_handle(CELL_BY_HEADER, [table, header, row]).as_element()
        assert handle is not None, f"no column {header!r} in {table}"
        return handle

    def hidden(self, element) -> list[str]:
        """Why `element` is not visible after scrolling the page (not its boxes) to it; empty when it is."""
        return element.evaluate(VISIBILITY_PROBLEMS)

    def screenshot(self, path: Path) -> Path:
        """Save what the viewport shows and check it is not blank."""
        self.page.screenshot(path=str(path))
        colours = Image.open(path).convert("L").getextrema()
        assert colours[1] - colours[0] > 100, f"blank screenshot {path}"
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def opened(browser):
    pages: list[OpenedPage] = []

    def open_page(path: Path) -> OpenedPage:
        pages.append(OpenedPage(browser, path))
        return pages[-1]

    yield open_page
    for page in pages:
        page.close()


@pytest.fixture(scope="module")
def imagenetx_report(tmp_path_factory):
    """The ImageNet-X report of three synthetic models and the human baseline (every criterion has a tab)."""
    table = load_factor_table()
    frames = [frame.set_index("file_name").reindex(table.sample_ids) for frame in synthetic_predictions(3, seed=5)]
    predictions = Predictions(
        ("model_a", "model_b", "model_c"),
        table.sample_ids,
        np.stack([frame["predicted_class"].to_numpy() for frame in frames]).astype(np.int16),
        np.stack([frame["predicted_probability"].to_numpy() for frame in frames]).astype(np.float32),
    )
    result = analyze(table, predictions, ImageNetXConfig(bootstrap=20, human=True))
    folder = write_analysis_folder(result, tmp_path_factory.mktemp("runs") / "imagenetx")
    return result, write_report(folder, workers=1)


def test_imagenetx_report_reads_well_at_1280_px(opened, imagenetx_report, tmp_path):
    result, path = imagenetx_report
    page = opened(path)
    assert page.problems() == []
    worst = page.cell("#summary table", "worst factor")
    assert worst.text_content() == readable(result.summary["worst_factor"].iloc[0])
    assert page.hidden(worst) == []
    assert page.hidden(page.cell("#summary table", "accuracy")) == []
    page.screenshot(tmp_path / "imagenetx.png")
    labels = page.page.locator(".tabs > label")
    assert labels.all_text_contents() == ["top-1 label", "ReaL labels", "meta-label"]
    for number in range(labels.count()):
        labels.nth(number).click()
        panel = page.page.locator(".tab-panel").nth(number)
        assert panel.is_visible() and page.page.locator(".tab-panel:visible").count() == 1
        assert page.problems() == [], labels.nth(number).text_content()
        bars = panel.locator("img").first.element_handle()
        assert page.hidden(bars) == []
    height = page.page.evaluate("document.documentElement.scrollHeight")
    assert height < 9000, f"the page is {height} px tall"


def test_probe_report_shows_gaps_with_intervals_and_n(opened, gap_table, gap_intervals, tmp_path):
    page = opened(write_report(write_probe_folder(gap_table, gap_intervals, tmp_path / "gaps")))
    assert page.problems() == []
    for header in ("pose gap", "all-factors gap"):
        cell = page.cell("#gap-table table", header)
        assert page.hidden(cell) == [], header
    pose = page.cell("#gap-table table", "pose gap")
    low, high = gap_intervals.query("group == 'pose'")[["gap_low", "gap_high"]].iloc[0]
    assert pose.inner_text().split("\n") == [f"{gap_table['pose_gap'].iloc[0]:.1f}", f"[{low:.1f}, {high:.1f}]"]
    headers = page.page.locator("#gap-table thead th").all_inner_texts()
    assert any(text.replace("\n", " ") == "pose gap n = 1,320" for text in headers), headers
    page.screenshot(tmp_path / "probe.png")


def test_probe_report_without_intervals(opened, gap_table, tmp_path):
    page = opened(write_report(write_probe_folder(gap_table, None, tmp_path / "gaps")))
    assert page.problems() == []
    first = page.cell("#gap-table table", "pose gap")
    assert first.inner_text() == f"{gap_table['pose_gap'].iloc[0]:.1f}"
    assert page.hidden(first) == []


def test_experiment_report_reads_well(opened, instances_tables, tmp_path):
    page = opened(write_report(write_experiment_folder(instances_tables, tmp_path / "instances")))
    assert page.problems() == []
    first = page.cell("#experiment-instances table", "100%")
    assert first.inner_text() == f"{instances_tables['same_factor']['100%'].iloc[0]:.2f}"
    assert page.hidden(first) == []
    assert page.page.locator("img").count() == 3  # gap curves and one slope heatmap per protocol
    page.screenshot(tmp_path / "experiment.png")


def test_combined_report_of_three_runs_navigates_without_errors(opened, imagenetx_report, tiny_dataset, tmp_path):
    """An analysis, a demo folder (probe and experiment) and a rendered dataset on one page: each nav entry scrolls
    to its run."""
    _, analysis_page = imagenetx_report
    demo = tmp_path / "demo"
    gap_table = make_gap_table()
    write_probe_folder(gap_table, make_gap_intervals(gap_table), demo / "gaps")
    write_experiment_folder(make_instances_tables(), demo / "instances")
    write_record(demo, JobRecord("demo", "fovkit demo", {}, extra={"runs": ["gaps", "instances"], "complete": True}))
    folders = [analysis_page.parent, demo, tiny_dataset.folder]
    path = write_combined_report(folders, tmp_path / "combined", workers=2)
    page = opened(path)
    assert page.problems() == []
    links = page.page.locator("nav.toc a")
    assert links.all_text_contents() == ["Models", "imagenetx", "gaps", "instances", tiny_dataset.folder.name]
    for number in range(links.count()):
        target = links.nth(number).get_attribute("href")
        links.nth(number).click()
        page.page.wait_for_function("(anchor) => location.hash === anchor", arg=target)
        heading = page.page.locator(f"section{target} > h2")
        assert heading.is_visible() and page.hidden(heading.element_handle()) == [], target
    labels = page.page.locator("#run-imagenetx .tabs > label")
    assert labels.all_text_contents() == ["top-1 label", "ReaL labels", "meta-label"]
    labels.nth(2).click()
    assert page.page.locator("#run-imagenetx .tab-panel:visible").count() == 1
    assert page.problems() == []
    page.screenshot(tmp_path / "combined.png")


BROKEN_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin: 0">
<img alt="missing plot" src="data:image/png;base64,AAAA">
<table><thead><tr><th>held_out_accuracy</th></tr><tr><th>model</th></tr></thead>
<tbody><tr><td style="white-space: nowrap">{wide}</td></tr></tbody></table>
<div style="overflow-x: auto; width: 300px"><table><tbody><tr><td style="white-space: nowrap">{wide}</td>
<td id="behind">-12.0</td></tr></tbody></table></div>
<script>console.error("something broke");</script>
</body></html>"""


def test_the_checks_catch_a_broken_page(opened, tmp_path):
    path = tmp_path / "broken.html"
    path.write_text(BROKEN_PAGE.format(wide="0.123 " * 400), encoding="utf-8")
    page = opened(path)
    found = page.problems()
    problems = "\n".join(found)
    assert "image not loaded" in problems and "missing plot" in problems
    assert "the page scrolls sideways" in problems
    assert "2 header rows" in problems
    assert "header with an underscore" in problems and "held_out_accuracy" in problems
    assert "console error: something broke" in problems
    beyond = [problem for problem in found if problem.startswith("beyond the right edge")]
    assert any("<table>" in problem for problem in beyond)  # the table that is not in a scrolling box
    assert not any("-12.0" in problem for problem in beyond)  # the one in a box that scrolls on purpose
    hidden = page.hidden(page.page.locator("#behind").element_handle())
    assert any("cut off by its scrolling box" in reason for reason in hidden)


def test_the_checks_pass_a_wide_table_that_scrolls_on_purpose(opened, tmp_path):
    wide = pd.DataFrame([np.arange(60) / 7], columns=[f"column {number}" for number in range(60)])
    from fovkit.report.html import Section, render_page, table_block

    path = tmp_path / "wide.html"
    path.write_text(render_page("Wide", [Section("Wide", "wide").add(table_block(wide))]), encoding="utf-8")
    page = opened(path)
    assert page.problems() == []
    assert page.hidden(page.cell("#wide table", "column 0")) == []
    assert page.hidden(page.cell("#wide table", "column 59")) != []  # reachable only by scrolling the table
