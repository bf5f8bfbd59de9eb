"""`fovkit render run` as a job: render (resuming), contact sheets, render checks, run record and report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fovkit.engine import Engine
from fovkit.jobs.folder import REPORT, ReportOptions, finish_in_place
from fovkit.render.config import RenderConfig
from fovkit.render.contact import contact_sheet
from fovkit.render.dataset import render_dataset
from fovkit.render.store import RenderedDataset
from fovkit.runs import atomic_file

CHECKS = "render_checks.csv"


@dataclass(frozen=True)
class RenderRun:
    """A finished render: the dataset, its contact sheets, the per-class render checks and the report."""

    dataset: RenderedDataset
    contact_sheets: list[Path]
    checks: pd.DataFrame
    report: Path | None


def run_render(
    config: RenderConfig,
    out: Path,
    workers: int | None = None,
    progress: bool = True,
    engine: Engine = "local",
    address: str | None = None,
    overwrite: bool = False,
    report: ReportOptions | None = ReportOptions(),  # noqa: B008 - frozen, never mutated
) -> RenderRun:
    """Render every missing shard of `config` into `out`, then contact sheets, `render_checks.csv` and the report.

    The run record the render started with (and its inputs) is kept; the job adds its kind and seed.

    `engine` and `address` choose where shards render: forked local processes, or Ray tasks. A new or empty `out`
    is rendered into, the same config's dataset resumes, and `overwrite` replaces a dataset of another config (see
    `render_dataset` for every rule). Shard bytes and resuming are the store's: this job only adds files beside them.
    """
    render_dataset(config, out, workers=workers, progress=progress, engine=engine, address=address, overwrite=overwrite)
    dataset = RenderedDataset.open(out)
    sheets = [contact_sheet(dataset, design, Path(out) / f"contact_{design}.png") for design in config.designs]
    checks = render_checks(dataset.samples)
    with atomic_file(Path(out) / CHECKS) as staging:
        checks.to_csv(staging)
    facts = {"seeds": {"render": config.seed}, "device": "cpu", "precision": None}
    finish_in_place(out, "render", facts, report)
    return RenderRun(dataset, sheets, checks, None if report is None else Path(out) / REPORT)


def render_checks(samples: pd.DataFrame) -> pd.DataFrame:
    """Per class: images, blank (object not visible), clipped (partly out of frame), mean visible fraction."""
    grouped = samples.groupby("class_name")
    return pd.DataFrame(
        {
            "images": grouped.size(),
            "blank": grouped["blank"].sum(),
            "clipped": grouped["clipped"].sum(),
            "visible_fraction": grouped["visible_fraction"].mean(),
        }
    )
