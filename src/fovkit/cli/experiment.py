"""`fovkit experiment NAME DATASET`: the variability experiments of the robustness-limits paper (5.1-5.4)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from fovkit.cli.options import Backbones, ConfigFile, Overwrite, Quiet, Svg, Threads, default_note

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

    from fovkit.protocols.config import ExperimentConfig

NAMES_HELP = (
    "samples = 5.1, a fraction of each object's images varies; instances = 5.2, a fraction of the instances varies; "
    "all-factors = 5.3, all factors vary together; classes = 5.4, half of the classes vary"
)
FLAGS = {
    "dataset": "DATASET",
    "backbones": "--backbone",
    "protocols": "--protocol",
    "factors": "--factor",
    "fractions": "--fraction",
    "seeds": "--seed",
}
"""The config field each option sets (their defaults and errors come from `ExperimentConfig`)."""
TITLES = {
    "same_factor": "Gap of the factor seen varying, points, by share of training data varying",
    "changes": "Change of each gap when all factors vary, points",
    "class_gaps": "Gaps of varying and other classes, points",
}
"""The summary printed for each experiment (the first one it has) and its title."""


def config_class() -> type[ExperimentConfig]:
    """The command's config class (imported on use: it loads torch)."""
    from fovkit.protocols.config import ExperimentConfig

    return ExperimentConfig


def experiment(
    name: Annotated[
        Literal["samples", "instances", "all-factors", "classes"],
        typer.Argument(metavar="NAME", help=f"Experiment: {NAMES_HELP}.", show_default=False),
    ],
    dataset: Annotated[Path, typer.Argument(help="A folder written by `fovkit render run`.", show_default=False)],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="FOLDER", help=f"Output folder. {default_note('results/NAME')}"),
    ] = None,
    backbone: Backbones = None,
    protocol: Annotated[
        list[str] | None, typer.Option(metavar="PROTOCOL", help="Protocol: linear or finetune. Repeatable.")
    ] = None,
    factor: Annotated[
        list[str] | None,
        typer.Option(metavar="FACTOR", help="Factor varied in training (none given: every factor). Repeatable."),
    ] = None,
    fraction: Annotated[
        list[float] | None, typer.Option(metavar="FRACTION", help="Fraction varying, in (0, 1]. Repeatable.")
    ] = None,
    seed: Annotated[list[int] | None, typer.Option(metavar="SEED", help="Training seed. Repeatable.")] = None,
    config: ConfigFile = None,
    threads: Threads = 1,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
    svg: Svg = False,
) -> None:
    """Train on training sets with more and more variation and write the paper's tables, plots and report."""
    import torch
    from rich.console import Console

    from fovkit.configs import load_config
    from fovkit.jobs.experiment import run_experiment_job

    torch.set_num_threads(threads)
    settings = load_config(
        config_class(),
        config,
        FLAGS,
        dataset=dataset,
        backbones=tuple(backbone) if backbone else None,
        protocols=tuple(protocol) if protocol else None,
        factors=tuple(factor) if factor else None,
        fractions=tuple(fraction) if fraction else None,
        seeds=tuple(seed) if seed else None,
    )
    out = out or Path("results") / name
    run = run_experiment_job(name, settings, out, overwrite=overwrite, progress=not quiet, svg=svg)
    console = Console(markup=False, highlight=False)
    key = next(key for key in TITLES if key in run.tables)
    console.print(summary_table(run.tables[key], TITLES[key]))
    console.print(f"Report: {run.report.resolve()}", soft_wrap=True)


def summary_table(frame: pd.DataFrame, title: str, digits: int = 1) -> Table:
    """A summary frame as a terminal table: index levels first, values right-aligned and rounded, `-` for NaN."""
    import pandas as pd
    from rich.table import Table

    labels = [str(level) for level in frame.index.names if level is not None]
    if labels:
        frame = frame.reset_index()
    values = [column not in labels and pd.api.types.is_numeric_dtype(frame[column]) for column in frame.columns]
    table = Table(title=title)
    for column, is_value in zip(frame.columns, values, strict=True):
        table.add_column(str(column).replace("_", " "), justify="right" if is_value else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(cell(value, digits if is_value else None) for value, is_value in zip(row, values, strict=True)))
    return table


def cell(value: object, digits: int | None) -> str:
    """A value rounded to `digits` (None: as short as exact, `0.25`), a label as text, `-` when missing."""
    import pandas as pd

    if not isinstance(value, str) and pd.isna(value):
        return "-"
    if isinstance(value, float):
        return f"{value:g}" if digits is None else f"{value:.{digits}f}"
    return str(value)
