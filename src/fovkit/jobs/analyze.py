"""`fovkit analyze` as a job: a factor table + prediction files -> tables, `analysis.json`, run record and report.

The factor table is a user's CSV/Parquet (`fovkit.tables.factor_files`) or a rendered dataset.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from fovkit.analysis import AnalysisResult, AnalysisSpec, analyze_files
from fovkit.analysis.config import AnalysisConfig, AnalyzeConfig
from fovkit.analysis.outputs import write_csv_tables, write_description
from fovkit.errors import InputError
from fovkit.jobs.folder import REPORT, JobRecord, ReportOptions, job_folder
from fovkit.jobs.inputs import load_groups
from fovkit.metrics.shift_correlation import load_shift_scores
from fovkit.tables.prediction_files import expand_prediction_paths

REPORT_MODULE = "fovkit.report.pages"
"""Imported while the analysis workers run (matplotlib takes ~0.3 s to load, and the workers do not need it)."""
MANIFEST = "manifest.json"
"""A folder holding this file is a rendered dataset."""


@dataclass(frozen=True)
class AnalysisJob:
    """What every analysis command records: its name, config, the inputs it hashes and the paths `out` must avoid."""

    command: str
    config: AnalysisConfig
    inputs: list[Path]
    guard: list[Path]

    def run(
        self,
        out: Path,
        analyze: Callable[[Callable[[], object], pd.Series | None, pd.DataFrame | None], AnalysisResult],
        groups_csv: Path | None,
        shift_scores: Path | None,
        overwrite: bool,
        report: ReportOptions,
    ) -> AnalysisResult:
        """Read the groups and shift scores, run `analyze(meanwhile, groups, scores)` and write the run folder.

        The Parquet tables and `analysis.json` are written first; the CSVs while the report's plots are drawn.
        """
        groups = load_groups(groups_csv) if groups_csv else None
        scores = load_shift_scores(shift_scores) if shift_scores else None
        seeds = {"bootstrap": self.config.seed}
        record = JobRecord("analysis", self.command, self.config, inputs=self.inputs, seeds=seeds, device="cpu")
        with job_folder(out, record, guard=self.guard, overwrite=overwrite, report=report) as job:
            result = analyze(partial(importlib.import_module, REPORT_MODULE), groups, scores)
            job.meanwhile(partial(write_csv_tables, write_description(result, job.path), job.path))
            job.update(checksums=result.inputs)
        return result


@dataclass(frozen=True)
class AnalyzeRun:
    """What a run produced: the result and where its folder and report are."""

    result: AnalysisResult
    out: Path
    report: Path


def run_analyze(
    factors: Path,
    predictions: Sequence[Path],
    out: Path,
    config: AnalyzeConfig,
    classes: Path | None = None,
    groups_csv: Path | None = None,
    shift_scores: Path | None = None,
    file_names: Path | None = None,
    overwrite: bool = False,
    workers: int | None = None,
    progress: bool = True,
    svg: bool = False,
) -> AnalyzeRun:
    """Analyse prediction files on the factors of `factors` and write tables, plots, report and run record to `out`.

    Args:
        factors: A factor table (CSV, gzip CSV or Parquet; see `fovkit.tables.factor_files`) or a rendered dataset.
        predictions: Prediction files or folders of them, one model per file, keyed by `file_name` = the table's ids.
        out: The run folder (new or empty; `overwrite` replaces an earlier fovkit run).
        config: How to read the table and analyse.
        classes: Class-name file of the table's labels (line i = class id i).
        groups_csv: `model,group` CSV for the between-group tests.
        shift_scores: `model,shift,score` CSV: correlations of each factor's error ratio with the shift scores.
        file_names: Row order of NPY/NPZ logits files that carry no ids.
        overwrite: Replace an earlier fovkit run in `out`.
        workers: Worker processes (default: one per core).
        progress: Show progress bars.
        svg: Also save the report's plots as SVG.

    """
    paths = expand_prediction_paths(predictions) if predictions else []
    if not paths:
        raise InputError("no prediction files given; pass prediction files or folders after --factors TABLE")
    spec = load_spec(Path(factors), config, classes)
    extras = [path for path in (classes, groups_csv, shift_scores, file_names) if path is not None]
    table_file = Path(factors) / MANIFEST if Path(factors).is_dir() else Path(factors)

    def analyze(meanwhile: Callable[[], object], groups: pd.Series | None, scores: pd.DataFrame | None):
        return analyze_files(
            spec, paths, config, groups, file_names, workers, progress, meanwhile, True, shift_scores=scores
        )

    job = AnalysisJob("fovkit analyze", config, [table_file, *extras], [*predictions, Path(factors), *extras])
    result = job.run(out, analyze, groups_csv, shift_scores, overwrite, ReportOptions(svg=svg, workers=workers))
    return AnalyzeRun(result, Path(out), Path(out) / REPORT)


def load_spec(factors: Path, config: AnalyzeConfig, classes: Path | None = None) -> AnalysisSpec:
    """The analysis spec of a factor table file, a rendered dataset folder or a corrupted one."""
    from fovkit.analysis.sources import corrupted_spec, factor_file_spec, rendered_spec
    from fovkit.tables.factor_files import FactorFileOptions, load_factor_file

    if factors.is_dir():
        if not (factors / MANIFEST).is_file():
            raise InputError(
                "a folder given as factor table must be a rendered or corrupted dataset (with manifest.json); give a "
                "CSV or Parquet factor table otherwise",
                path=factors,
            )
        if _manifest_kind(factors) == "corrupted":
            return corrupted_spec(factors, config.split, config.title, config.designs, config.label_space)
        if config.baseline_model is not None:
            raise InputError("--baseline-model applies to corrupted datasets (fovkit corrupt) only", path=factors)
        return rendered_spec(factors, config.split, config.title, config.designs, config.label_space)
    if config.baseline_model is not None:
        raise InputError("--baseline-model applies to corrupted datasets (fovkit corrupt) only", path=factors)
    if config.split is not None or config.designs is not None or config.label_space != "dataset":
        raise InputError(
            "--split, --design and --label-space apply to rendered datasets only; the factor table is a file",
            path=factors,
        )
    options = FactorFileOptions(
        id_column=config.id_column,
        label_column=config.label_column,
        factor_columns=config.factor_columns,
        group_column=config.group_column,
        acceptable_column=config.acceptable_column,
        classes=classes,
        num_classes=config.num_classes,
        numeric_bins=config.numeric_bins,
        canonical=config.canonical or None,
    )
    return factor_file_spec(load_factor_file(factors, options), config.title)


def _manifest_kind(folder: Path) -> str | None:
    """The `kind` a dataset folder's manifest records (None when unreadable: the spec's reader then says why)."""
    import json

    try:
        data = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return data.get("kind") if isinstance(data, dict) else None
