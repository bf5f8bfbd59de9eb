"""Build and save many report figures at once, one figure per task, in forked worker processes.

A figure that depends only on fixed inputs (e.g. the ImageNet-X annotation correlations) can carry a `cache_key`:
its files are then kept in fovkit's cache (verified on read) and copied instead of drawn the next time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from fovkit.cache import cache_dir, load_verified, store_verified
from fovkit.engine import map_ordered
from fovkit.report import html


@dataclass(frozen=True)
class FigureJob:
    """One figure to make: the file stem it is saved under and a function that builds it.

    `cache_key`, when given, must change whenever the figure would (its data, and how it is drawn).
    """

    stem: str
    build: Callable[[], Figure]
    cache_key: str | None = None


def figure_key(tables: Sequence[pd.DataFrame], modules: Sequence[str]) -> str:
    """A cache key for a figure: digest of the tables it shows, the modules that draw it and the package versions."""
    digest = hashlib.sha256()
    for table in tables:
        digest.update(repr((list(table.index.names), list(table.columns))).encode())
        digest.update(pd.util.hash_pandas_object(table, index=True).to_numpy().tobytes())
    for module in (*modules, "fovkit.report.plots", "fovkit.report.html"):
        digest.update(Path(find_spec(module).origin).read_bytes())
    digest.update(f"{version('matplotlib')}|{version('fovkit')}".encode())
    return digest.hexdigest()[:20]


_PENDING: dict[str, FigureJob] = {}
"""The jobs of the running `save_figures` call; forked workers inherit them, so only stems cross processes."""


def save_figures(
    jobs: Sequence[FigureJob],
    directory: Path,
    svg: bool = False,
    workers: int | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> dict[str, html.SavedFigure]:
    """Build and save every job's figure under `directory`, in parallel worker processes; results by stem.

    Each task builds one figure and writes `<stem>.png` (and `.svg`); only the stem goes to a worker and only the
    paths and PNG bytes come back. Put the slowest figures first: tasks start in order.

    Args:
        jobs: Figures to make; stems must be distinct.
        directory: Folder of the files (created).
        svg: Also write each figure as SVG.
        workers: Processes (default: one per core); 1 builds every figure in this process.
        meanwhile: Work for this process while the workers draw (e.g. writing tables); done before returning.

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
        if meanwhile is not None:
            meanwhile()
        return dict(zip(stems, saved, strict=True))
    finally:
        _PENDING.clear()


def _build_and_save(stem: str, directory: Path, svg: bool) -> html.SavedFigure:
    job = _PENDING[stem]
    if job.cache_key is None:
        return html.save_figure(job.build(), directory, stem, svg=svg)
    suffixes = (".png", ".svg") if svg else (".png",)
    entries = [cache_dir() / "figures" / f"{stem}-{job.cache_key}{suffix}" for suffix in suffixes]
    stored = [load_verified(entry) for entry in entries]
    if any(data is None for data in stored):
        saved = html.save_figure(job.build(), directory, stem, svg=svg)
        for entry, path in zip(entries, (saved.png, saved.svg), strict=False):
            store_verified(entry, path.read_bytes())
        return saved
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"{stem}{suffix}" for suffix in suffixes]
    for path, data in zip(paths, stored, strict=True):
        path.write_bytes(data)
    return html.SavedFigure(paths[0], stored[0], paths[1] if svg else None)
