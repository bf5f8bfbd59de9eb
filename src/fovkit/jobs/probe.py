"""`fovkit probe` as a job: the gap table of a rendered dataset, written with its run record and report.

Finetuning checkpoints live in the cache (keyed by the config) so an interrupted job resumes; they are removed when
the job finishes.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fovkit.jobs.folder import REPORT, JobRecord, ReportOptions, job_folder, resolved
from fovkit.jobs.work import work_folder
from fovkit.models.base import Backbone
from fovkit.protocols.config import ProbeConfig
from fovkit.protocols.probe import ProbeResult, probe, write_probe_outputs
from fovkit.store.manifest import MANIFEST


@dataclass(frozen=True)
class ProbeRun:
    """A finished `fovkit probe`: its result and output folder."""

    result: ProbeResult
    folder: Path
    report: Path


def run_probe(
    config: ProbeConfig,
    out: Path,
    overwrite: bool = False,
    progress: bool = True,
    modules: Sequence[Backbone] = (),
    svg: bool = False,
) -> ProbeRun:
    """Compute the gap table of `config` and write it (CSV, Parquet, Markdown), plots, report and `run.json`.

    `svg` also saves the plots as SVG (PNG always).
    """
    work = work_folder("probe", config)
    seeds = {"training": list(config.seeds), "finetune": config.settings.finetune.seed}
    record = JobRecord("probe", "fovkit probe", config, inputs=[config.dataset / MANIFEST], seeds=seeds)
    with job_folder(out, record, guard=[config.dataset], overwrite=overwrite, report=ReportOptions(svg=svg)) as job:
        result = probe(config, work=work, progress=progress, modules=modules)
        write_probe_outputs(result, job.path)
        job.update(
            device=resolved(fit.get("device") for fit in result.fits),
            precision=resolved(fit.get("precision") for fit in result.fits),
            extra={"dataset_digest": result.dataset_digest, "models": result.cards, "fits": result.fits},
        )
    shutil.rmtree(work, ignore_errors=True)
    return ProbeRun(result, Path(out), Path(out) / REPORT)
