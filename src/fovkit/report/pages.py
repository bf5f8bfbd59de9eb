"""One entry point from a run folder to its report: the page of each run kind, written into the folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fovkit.report.analysis import analysis_page
from fovkit.report.page import Page, write_page
from fovkit.report.render import render_page
from fovkit.report.run_folder import RunFolder, open_run_folder
from fovkit.report.study import experiment_page, probe_page
from fovkit.report.topfactor import topfactor_page

PLOTS = "plots"


def run_page(
    run: RunFolder,
    plot_dir: Path,
    svg: bool = False,
    workers: int | None = None,
    prefix: str = "",
    meanwhile: Callable[[], object] | None = None,
) -> Page:
    """The page of one run folder (any kind but `demo`, whose runs are pages of their own), plots under `plot_dir`.

    Args:
        run: The folder, opened with `open_run_folder`.
        plot_dir: Where the page's plots are saved (PNG, and SVG when `svg`).
        svg: Also save every plot as SVG.
        workers: Processes that draw an analysis page's plots (default: one per core).
        prefix: Prepended to the page's anchors and tab names, so that several runs share one page.
        meanwhile: Work for this process while the plots are drawn; done before returning.

    """
    if run.kind == "analysis":
        return analysis_page(run, plot_dir, svg=svg, workers=workers, prefix=prefix, meanwhile=meanwhile)
    if meanwhile is not None:
        meanwhile()
    if run.kind == "probe":
        return probe_page(run, plot_dir, svg=svg, prefix=prefix)
    if run.kind == "experiment":
        return experiment_page(run, plot_dir, svg=svg, prefix=prefix)
    if run.kind == "render":
        return render_page(run, prefix=prefix)
    if run.kind == "topfactor":
        return topfactor_page(run, prefix=prefix)
    raise ValueError(f"a {run.kind} folder has no page of its own; report its runs together (report.combined)")


def write_report(
    folder: Path, svg: bool = False, workers: int | None = None, meanwhile: Callable[[], object] | None = None
) -> Path:
    """Build the report of the finished run folder `folder` from its files alone; returns `folder/report.html`.

    A demo folder gets the combined page of its runs. Plots go to `folder/plots/`.
    """
    run = open_run_folder(folder)
    if run.kind == "demo":
        from fovkit.report.combined import combined_page, demo_runs

        page = combined_page(demo_runs(run), Path(folder) / PLOTS, svg=svg, workers=workers, meanwhile=meanwhile)
    else:
        page = run_page(run, Path(folder) / PLOTS, svg=svg, workers=workers, meanwhile=meanwhile)
    return write_page(page, folder)
