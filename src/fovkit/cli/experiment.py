"""`fovkit experiment NAME DATASET`: the variability experiments of the robustness-limits paper (5.1-5.4)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from fovkit.cli.options import Backbones, ConfigFile, Overwrite, Quiet, Threads
from fovkit.cli.probe import parse_backbones
from fovkit.configs import load_config
from fovkit.tables.markdown import markdown_table

NAMES_HELP = (
    "samples = 5.1, a fraction of each object's images varies; instances = 5.2, a fraction of the instances varies; "
    "all-factors = 5.3, all factors vary together; classes = 5.4, half of the classes vary"
)


def experiment(
    name: Annotated[
        Literal["samples", "instances", "all-factors", "classes"], typer.Argument(help=f"Experiment: {NAMES_HELP}.")
    ],
    dataset: Annotated[Path, typer.Argument(help="A folder written by `fovkit render run`.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder (default results/<name>).")] = None,
    backbone: Backbones = None,
    protocol: Annotated[
        list[str] | None, typer.Option(help="Protocols: linear, finetune (repeatable; default linear).")
    ] = None,
    factor: Annotated[list[str] | None, typer.Option(help="Factors varied in training (default: all).")] = None,
    fraction: Annotated[list[float] | None, typer.Option(help="Fractions varying, in (0, 1] (repeatable).")] = None,
    seed: Annotated[list[int] | None, typer.Option(help="Seeds (repeatable; default 0).")] = None,
    config: ConfigFile = None,
    threads: Threads = 1,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Train on training sets with more and more variation and write the paper's tables, plots and report."""
    import torch

    from fovkit.protocols.experiments import ExperimentConfig
    from fovkit.protocols.jobs import run_experiment_job

    torch.set_num_threads(threads)
    settings = load_config(
        ExperimentConfig,
        config,
        dataset=dataset,
        backbones=parse_backbones(backbone),
        protocols=tuple(protocol) if protocol else None,
        factors=tuple(factor) if factor else None,
        fractions=tuple(fraction) if fraction else None,
        seeds=tuple(seed) if seed else None,
    )
    run = run_experiment_job(name, settings, out or Path("results") / name, overwrite=overwrite, progress=not quiet)
    console = Console()
    first = next(iter(key for key in ("same_factor", "changes", "class_gaps") if key in run.tables))
    console.print(markdown_table(run.tables[first]))
    console.print(f"Report: [bold]{run.report.resolve()}[/bold]")
