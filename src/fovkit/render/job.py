"""`fovkit render run` as a library call: render (resuming), manifest, contact sheets and render checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fovkit.engine import Engine
from fovkit.render.config import RenderConfig
from fovkit.render.contact import contact_sheet
from fovkit.render.dataset import render_dataset
from fovkit.render.store import RenderedDataset
from fovkit.runs import atomic_file


@dataclass(frozen=True)
class RenderRun:
    """A finished render: the dataset, its contact sheets and the per-class render checks."""

    dataset: RenderedDataset
    contact_sheets: list[Path]
    checks: pd.DataFrame


def run_render(
    config: RenderConfig,
    out: Path,
    workers: int | None = None,
    progress: bool = True,
    engine: Engine = "local",
    address: str | None = None,
    overwrite: bool = False,
) -> RenderRun:
    """Render every missing shard of `config` into `out`, then write contact sheets and `render_checks.csv`.

    `engine` and `address` choose where shards render: forked local processes, or Ray tasks. A new or empty `out`
    is rendered into, the same config's dataset resumes, and `overwrite` replaces a dataset of another config (see
    `render_dataset` for every rule).
    """
    render_dataset(config, out, workers=workers, progress=progress, engine=engine, address=address, overwrite=overwrite)
    dataset = RenderedDataset.open(out)
    sheets = [contact_sheet(dataset, design, Path(out) / f"contact_{design}.png") for design in config.designs]
    checks = render_checks(dataset.samples)
    with atomic_file(Path(out) / "render_checks.csv") as staging:
        checks.to_csv(staging)
    return RenderRun(dataset, sheets, checks)


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
