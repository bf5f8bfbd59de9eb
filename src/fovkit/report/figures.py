"""Build and save many report figures at once, one figure per task, in forked worker processes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from matplotlib.figure import Figure

from fovkit.engine import map_ordered
from fovkit.report import html


@dataclass(frozen=True)
class FigureJob:
    """One figure to make: the file stem it is saved under and a function that builds it."""

    stem: str
    build: Callable[[], Figure]


_PENDING: dict[str, FigureJob] = {}
"""The jobs of the running `save_figures` call; forked workers inherit them, so only stems cross processes."""


def save_figures(
    jobs: Sequence[FigureJob], directory: Path, svg: bool = False, workers: int | None = None
) -> dict[str, html.SavedFigure]:
    """Build and save every job's figure under `directory`, in parallel worker processes; results by stem.

    Each task builds one figure and writes `<stem>.png` (and `.svg`); only the stem goes to a worker and only the
    paths and PNG bytes come back. Put the slowest figures first: tasks start in order.

    Args:
        jobs: Figures to make; stems must be distinct.
        directory: Folder of the files (created).
        svg: Also write each figure as SVG.
        workers: Processes (default: one per core); 1 builds every figure in this process.

    """
    stems = [job.stem for job in jobs]
    if len(set(stems)) != len(stems):
        raise ValueError(f"figure stems must be distinct, got {stems}")
    _PENDING.clear()
    _PENDING.update({job.stem: job for job in jobs})
    try:
        saved = map_ordered(
            partial(_build_and_save, directory=Path(directory), svg=svg), stems, workers=workers, progress=False
        )
        return dict(zip(stems, saved, strict=True))
    finally:
        _PENDING.clear()


def _build_and_save(stem: str, directory: Path, svg: bool) -> html.SavedFigure:
    return html.save_figure(_PENDING[stem].build(), directory, stem, svg=svg)
