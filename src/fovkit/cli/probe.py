"""`fovkit probe`: the gap table (robustness-limits, Table 1) of backbones x protocols on a rendered dataset."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fovkit.cli.options import Backbones, ConfigFile, Overwrite, Quiet, Threads

if TYPE_CHECKING:
    from fovkit.protocols.config import ProbeConfig
    from fovkit.protocols.jobs import ProbeRun

FLAGS = {
    "dataset": "DATASET",
    "backbones": "--backbone",
    "protocols": "--protocol",
    "seeds": "--seed",
    "bootstrap": "--bootstrap",
}
"""The config field each option sets (their defaults and errors come from `ProbeConfig`)."""


def config_class() -> type[ProbeConfig]:
    """The command's config class (imported on use: it loads torch)."""
    from fovkit.protocols.config import ProbeConfig

    return ProbeConfig


def probe(
    dataset: Annotated[Path, typer.Argument(help="A folder written by `fovkit render run`.", show_default=False)],
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="FOLDER", help="Output folder (must be new or empty).")
    ] = Path("results/probe"),
    backbone: Backbones = None,
    protocol: Annotated[
        list[str] | None,
        typer.Option(metavar="PROTOCOL", help="Protocol to run: linear, finetune or zero_shot. Repeatable."),
    ] = None,
    seed: Annotated[
        list[int] | None,
        typer.Option(metavar="SEED", help="Training seed; gaps pool the seeds. Repeatable."),
    ] = None,
    bootstrap: Annotated[
        int | None, typer.Option(metavar="N", help="Bootstrap resamples of held-out objects for the gap intervals.")
    ] = None,
    config: ConfigFile = None,
    threads: Threads = 1,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Train each backbone under each protocol on canonical images; print and write the gap table."""
    import torch

    from fovkit.configs import load_config
    from fovkit.protocols.jobs import run_probe

    torch.set_num_threads(threads)
    settings = load_config(
        config_class(),
        config,
        FLAGS,
        dataset=dataset,
        backbones=tuple(backbone) if backbone else None,
        protocols=tuple(protocol) if protocol else None,
        seeds=tuple(seed) if seed else None,
        bootstrap=bootstrap,
    )
    print_gap_table(run_probe(settings, out, overwrite=overwrite, progress=not quiet))


def print_gap_table(run: ProbeRun) -> None:
    """Print the gap table, one column per backbone x protocol (narrow terminals fit), and where the outputs are."""
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    console = Console(markup=False, highlight=False)
    gaps = run.result.gaps
    table = Table(title="Gap table, points (robustness-limits Table 1)")
    table.add_column("")
    for backbone, protocol in gaps.index:
        table.add_column(f"{backbone}\n{protocol}", justify="right")
    for column in gaps.columns:
        values = ("-" if pd.isna(value) else f"{value:.1f}" for value in gaps[column])
        table.add_row(column.replace("_", " "), *values)
    console.print(table)
    console.print(f"Report: {run.report.resolve()}", soft_wrap=True)
