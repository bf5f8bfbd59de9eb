"""`fovkit imagenetx`: per-factor accuracies, error ratios, prevalence shifts and tests for prediction files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from fovkit.configs import load_config
from fovkit.imagenetx.config import ImageNetXConfig
from fovkit.imagenetx.run import ImageNetXRun, run_imagenetx


def imagenetx(
    predictions: Annotated[
        list[Path] | None,
        typer.Argument(help="Prediction files or folders, one model per file: CSV/Parquet, NPY/NPZ logits, pickles."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (must be new or empty).")] = Path(
        "results/imagenetx"
    ),
    factors: Annotated[Literal["top", "multi"] | None, typer.Option(help="Top factor per image, or all.")] = None,
    partition: Annotated[Literal["val", "train"] | None, typer.Option(help="Annotated partition.")] = None,
    keep_prototypes: Annotated[bool | None, typer.Option(help="Keep the class-prototype images.")] = None,
    human: Annotated[bool | None, typer.Option(help="Add the human baseline (original labels vs ReaL).")] = None,
    groups: Annotated[Path | None, typer.Option(help="CSV 'model,group' for the between-group tests.")] = None,
    file_names: Annotated[Path | None, typer.Option(help="Row order (one file name per line) for logits.")] = None,
    bootstrap: Annotated[int | None, typer.Option(help="Bootstrap resamples for 95% intervals (0: none).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the bootstrap.")] = None,
    config: Annotated[Path | None, typer.Option(help="TOML file with the same options; flags override it.")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: one per core).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace a non-empty output folder.")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
) -> None:
    """Analyse models on the ImageNet-X factors and write tables, plots and an HTML report."""
    settings = load_config(
        ImageNetXConfig,
        config,
        which_factor=factors,
        partition=partition,
        keep_prototypes=keep_prototypes,
        human=human,
        bootstrap=bootstrap,
        seed=seed,
    )
    run = run_imagenetx(predictions or [], out, settings, groups, file_names, overwrite, workers, progress=not quiet)
    print_summary(run)


def print_summary(run: ImageNetXRun, limit: int = 20) -> None:
    """Print each model's accuracies and worst factor (first `limit` models) and where the report is."""
    console = Console()
    summary = run.result.summary
    columns = [column for column in ("accuracy", "real_accuracy", "metaclass_accuracy") if column in summary]
    table = Table(title=f"ImageNet-X summary ({len(summary)} models; full table in summary.csv)")
    for header in ["model", *columns, "worst factor"]:
        table.add_column(header, justify="left" if header in ("model", "worst factor") else "right")
    for model, row in summary.head(limit).iterrows():
        worst = f"{row['worst_factor']} ({row['worst_factor_accuracy']:.3f}, {row['criterion']})"
        table.add_row(str(model), *(_number(row[column]) for column in columns), worst)
    console.print(table)
    console.print(f"Report: [bold]{run.report.resolve()}[/bold]")


def _number(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:.3f}"
