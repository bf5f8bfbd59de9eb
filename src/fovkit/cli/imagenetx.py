"""`fovkit imagenetx`: per-factor accuracies, error ratios, prevalence shifts and tests for prediction files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from fovkit.cli.options import (
    Bootstrap,
    BootstrapSeed,
    ConfigFile,
    FileNames,
    ModelGroups,
    Overwrite,
    Partition,
    Quiet,
    ShiftScores,
    Svg,
    Workers,
)

if TYPE_CHECKING:
    from fovkit.imagenetx.config import ImageNetXConfig
    from fovkit.jobs.imagenetx import ImageNetXRun

FLAGS = {
    "which_factor": "--factors",
    "partition": "--partition",
    "keep_prototypes": "--keep-prototypes",
    "human": "--human",
    "bootstrap": "--bootstrap",
    "seed": "--seed",
}
"""The config field each option sets (their defaults and errors come from `ImageNetXConfig`)."""


def config_class() -> type[ImageNetXConfig]:
    """The command's config class (imported on use)."""
    from fovkit.imagenetx.config import ImageNetXConfig

    return ImageNetXConfig


def imagenetx(
    predictions: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Prediction files or folders, one model per file: CSV/Parquet, NPY/NPZ logits, pickles.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="FOLDER", help="Output folder (must be new or empty).")
    ] = Path("results/imagenetx"),
    factors: Annotated[
        Literal["top", "multi"] | None, typer.Option(help="Top factor per image, or all of its factors.")
    ] = None,
    partition: Annotated[Partition | None, typer.Option(help="Annotated partition the predictions cover.")] = None,
    keep_prototypes: Annotated[bool | None, typer.Option(help="Keep the 3,000 class-prototype images.")] = None,
    human: Annotated[bool | None, typer.Option(help="Add the human baseline (original labels vs ReaL).")] = None,
    groups: ModelGroups = None,
    shift_scores: ShiftScores = None,
    file_names: FileNames = None,
    bootstrap: Bootstrap = None,
    seed: BootstrapSeed = None,
    config: ConfigFile = None,
    workers: Workers = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
    svg: Svg = False,
) -> None:
    """Analyse models on the ImageNet-X factors and write tables, plots and an HTML report."""
    from fovkit.configs import load_config
    from fovkit.jobs.imagenetx import run_imagenetx

    settings = load_config(
        config_class(),
        config,
        FLAGS,
        which_factor=factors,
        partition=partition,
        keep_prototypes=keep_prototypes,
        human=human,
        bootstrap=bootstrap,
        seed=seed,
    )
    run = run_imagenetx(
        predictions or [],
        out,
        settings,
        groups,
        file_names,
        overwrite,
        workers,
        progress=not quiet,
        svg=svg,
        shift_scores=shift_scores,
    )
    print_summary(run)


def print_summary(run: ImageNetXRun, limit: int = 20, title: str = "ImageNet-X summary") -> None:
    """Print each model's accuracies and worst factor (first `limit` models) and where the report is.

    Any analysis run will do (`fovkit analyze` prints its own with another `title`): the accuracy columns are those
    of its summary table, one per criterion.
    """
    from rich.console import Console
    from rich.table import Table

    console = Console(markup=False, highlight=False)
    summary = run.result.summary
    columns = [column for column in summary.columns if column.endswith("accuracy") and not column.startswith("worst")]
    table = Table(title=f"{title} ({len(summary)} models; full table in summary.csv)")
    for header in ["model", *columns, "worst factor"]:
        table.add_column(header, justify="left" if header in ("model", "worst factor") else "right")
    for model, row in summary.head(limit).iterrows():
        worst = f"{row['worst_factor']} ({row['worst_factor_accuracy']:.3f}, {row['criterion']})"
        table.add_row(str(model), *(number(row[column]) for column in columns), worst)
    console.print(table)
    console.print(f"Report: {run.report.resolve()}", soft_wrap=True)


def number(value: float, digits: int = 3) -> str:
    """A table cell: the value rounded, `-` for a missing one."""
    import pandas as pd

    return "-" if pd.isna(value) else f"{value:.{digits}f}"
