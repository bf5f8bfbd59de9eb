"""`fovkit imagenetx` as a job: annotations + prediction files -> tables, `analysis.json`, run record and report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fovkit.errors import InputError
from fovkit.imagenetx.analysis import ImageNetXResult, analyze_files
from fovkit.imagenetx.annotations import load_factor_table
from fovkit.imagenetx.config import ImageNetXConfig
from fovkit.jobs.analyze import AnalysisJob
from fovkit.jobs.folder import REPORT, ReportOptions
from fovkit.tables.prediction_files import expand_prediction_paths


@dataclass(frozen=True)
class ImageNetXRun:
    """What a run produced: the result and where its folder and report are."""

    result: ImageNetXResult
    out: Path
    report: Path


def run_imagenetx(
    predictions: Sequence[Path],
    out: Path,
    config: ImageNetXConfig,
    groups_csv: Path | None = None,
    file_names: Path | None = None,
    overwrite: bool = False,
    workers: int | None = None,
    progress: bool = True,
    svg: bool = False,
    shift_scores: Path | None = None,
) -> ImageNetXRun:
    """Analyse prediction files (and/or the human baseline) and write tables, plots, report and run record to `out`.

    Nothing is left in `out` if any input is bad: the folder is assembled under a temporary name and renamed.
    """
    paths = expand_prediction_paths(predictions) if predictions else []
    if not paths and not config.human:
        raise InputError("no prediction files given; pass files or folders, or --human for the human baseline")
    table = load_factor_table(config.which_factor, config.partition, config.keep_prototypes)
    extras = [path for path in (groups_csv, file_names, shift_scores) if path is not None]

    def analyze(meanwhile: Callable[[], object], groups: pd.Series | None, scores: pd.DataFrame | None):
        return analyze_files(
            table, paths, config, groups, file_names, workers, progress, meanwhile, True, shift_scores=scores
        )

    job = AnalysisJob("fovkit imagenetx", config, extras, [*predictions, *extras])
    result = job.run(out, analyze, groups_csv, shift_scores, overwrite, ReportOptions(svg=svg, workers=workers))
    return ImageNetXRun(result, Path(out), Path(out) / REPORT)
