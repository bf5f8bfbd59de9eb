"""`fovkit experiment NAME` as a job: a variability experiment's runs and summary tables, run record and report.

Every summary table is written as CSV and Markdown at the top of the folder and as Parquet under `parquet/` (which
the report reads); the record lists them under `tables`.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fovkit.jobs.folder import REPORT, JobRecord, ReportOptions, job_folder, resolved
from fovkit.jobs.work import work_folder
from fovkit.models.base import Backbone
from fovkit.protocols.config import ExperimentConfig
from fovkit.protocols.experiments import EXPERIMENTS, ExperimentName, ExperimentResult, run_experiment, summarize
from fovkit.store.manifest import MANIFEST
from fovkit.tables.markdown import markdown_table


@dataclass(frozen=True)
class ExperimentRun:
    """A finished `fovkit experiment`: runs, summary tables and output folder."""

    result: ExperimentResult
    tables: dict
    folder: Path
    report: Path


def run_experiment_job(
    name: ExperimentName,
    config: ExperimentConfig,
    out: Path,
    overwrite: bool = False,
    progress: bool = True,
    modules: Sequence[Backbone] = (),
    svg: bool = False,
) -> ExperimentRun:
    """Run experiment `name` and write its runs, summary tables (CSV, Markdown, Parquet), report and `run.json`."""
    work = work_folder(f"experiment-{name}", config)
    seeds = {"training": list(config.seeds), "finetune": config.settings.finetune.seed}
    record = JobRecord(
        "experiment",
        f"fovkit experiment {name}",
        config,
        inputs=[config.dataset / MANIFEST],
        seeds=seeds,
        extra={"experiment": name, "description": EXPERIMENTS[name]},
    )
    with job_folder(out, record, guard=[config.dataset], overwrite=overwrite, report=ReportOptions(svg=svg)) as job:
        result = run_experiment(name, config, work=work, progress=progress, modules=modules)
        tables = summarize(result)
        result.runs.to_csv(job.path / "runs.csv", index=False)
        result.runs.to_parquet(job.path / "runs.parquet", index=False)
        flat = flat_tables(tables)
        for key, table in flat.items():
            write_summary_table(table, job.path, key)
        job.update(
            device=resolved(result.runs["device"]) if "device" in result.runs else None,
            precision=resolved(result.runs["precision"]) if "precision" in result.runs else None,
            extra={"dataset_digest": result.dataset_digest, "models": result.cards, "tables": list(flat)},
        )
    shutil.rmtree(work, ignore_errors=True)
    return ExperimentRun(result, tables, Path(out), Path(out) / REPORT)


def write_summary_table(table: pd.DataFrame, folder: Path, key: str) -> None:
    """`<key>.csv` and `<key>.md` for readers, `parquet/<key>.parquet` (index kept, column names as text)."""
    table.to_csv(folder / f"{key}.csv")
    (folder / f"{key}.md").write_text(markdown_table(table))
    (folder / "parquet").mkdir(exist_ok=True)
    table.set_axis(table.columns.map(str), axis=1).to_parquet(folder / "parquet" / f"{key}.parquet")


def flat_tables(tables: dict) -> dict:
    """Summary tables by file name: nested ones (`heatmaps`) as `<singular>_<key>`, e.g. `heatmap_linear`."""
    flat = {}
    for key, value in tables.items():
        if isinstance(value, dict):
            flat.update({f"{key[:-1]}_{inner}": table for inner, table in value.items()})
        else:
            flat[key] = value
    return flat
