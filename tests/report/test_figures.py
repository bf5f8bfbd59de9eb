"""Tests of figure saving in worker processes: results by stem, same images as in-process, errors surface."""

from __future__ import annotations

from functools import partial

import pytest

from fovkit.report import plots
from fovkit.report.figures import FigureJob, save_figures
from fovkit.report.html import png_size


def _bars(height: float):
    figure = plots.new_figure(3, 2)
    figure.add_subplot().bar([0, 1], [1.0, height])
    return figure


def _broken():
    raise ValueError("this figure cannot be drawn")


def test_save_figures_in_workers_match_the_figures_drawn_here(tmp_path):
    jobs = [FigureJob(f"bars_{number}", partial(_bars, float(number))) for number in range(4)]
    parallel = save_figures(jobs, tmp_path / "parallel", workers=2)
    inline = save_figures(jobs, tmp_path / "inline", workers=1)
    assert list(parallel) == [job.stem for job in jobs]
    for stem, saved in parallel.items():
        assert saved.png == tmp_path / "parallel" / f"{stem}.png" and saved.svg is None
        assert saved.png.read_bytes() == saved.png_bytes
        assert png_size(saved.png_bytes) == png_size(inline[stem].png_bytes) == (3 * plots.DPI, 2 * plots.DPI)
    assert sorted(path.name for path in (tmp_path / "parallel").iterdir()) == [f"bars_{n}.png" for n in range(4)]


def test_save_figures_writes_svg_when_asked_and_reports_a_failing_figure(tmp_path):
    saved = save_figures([FigureJob("bars", partial(_bars, 2.0))], tmp_path, svg=True, workers=2)
    assert saved["bars"].svg == tmp_path / "bars.svg" and saved["bars"].svg.read_text().lstrip().startswith("<?xml")
    with pytest.raises(ValueError, match="cannot be drawn"):
        save_figures([FigureJob("ok", partial(_bars, 1.0)), FigureJob("broken", _broken)], tmp_path, workers=2)
    with pytest.raises(ValueError, match="distinct"):
        save_figures([FigureJob("same", _broken), FigureJob("same", _broken)], tmp_path)
