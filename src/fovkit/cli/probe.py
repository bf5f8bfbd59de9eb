"""`fovkit probe`: the gap table (robustness-limits, Table 1) of backbones x protocols on a rendered dataset."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from fovkit.cli.options import Backbones, ConfigFile, Overwrite, Quiet, Threads
from fovkit.configs import load_config

if TYPE_CHECKING:
    from fovkit.protocols.config import BackboneSpec
    from fovkit.protocols.jobs import ProbeRun


def parse_backbones(values: list[str] | None) -> tuple[BackboneSpec, ...] | None:
    """`source:name[@weights]` options as backbone specs (None when none were given)."""
    from fovkit.protocols.config import BackboneSpec

    if not values:
        return None
    specs = []
    for value in values:
        name, _, weights = value.partition("@")
        specs.append(BackboneSpec(name=name, weights=weights or None))
    return tuple(specs)


def probe(
    dataset: Annotated[Path, typer.Argument(help="A folder written by `fovkit render run`.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (must be new or empty).")] = Path(
        "results/probe"
    ),
    backbone: Backbones = None,
    protocol: Annotated[
        list[str] | None,
        typer.Option(help="Protocols to run: linear, finetune, zero_shot (repeatable; default linear)."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of training and validation splits.")] = None,
    config: ConfigFile = None,
    threads: Threads = 1,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Train each backbone under each protocol on canonical images; print and write the gap table."""
    import torch

    from fovkit.protocols.jobs import run_probe
    from fovkit.protocols.probe import ProbeConfig

    torch.set_num_threads(threads)
    settings = load_config(
        ProbeConfig,
        config,
        dataset=dataset,
        backbones=parse_backbones(backbone),
        protocols=tuple(protocol) if protocol else None,
        seed=seed,
    )
    print_gap_table(run_probe(settings, out, overwrite=overwrite, progress=not quiet))


def print_gap_table(run: ProbeRun) -> None:
    """Print the gap table, one column per backbone x protocol (narrow terminals fit), and where the outputs are."""
    console = Console()
    gaps = run.result.gaps
    table = Table(title="Gap table, points (robustness-limits Table 1)")
    table.add_column("")
    for backbone, protocol in gaps.index:
        table.add_column(f"{backbone}\n{protocol}", justify="right")
    for column in gaps.columns:
        values = ("-" if pd.isna(value) else f"{value:.1f}" for value in gaps[column])
        table.add_row(column.replace("_", " "), *values)
    console.print(table)
    console.print(f"Report: [bold]{run.report.resolve()}[/bold]")
