"""`fovkit probe`: the gap table (robustness-limits, Table 1) of backbones x protocols on a rendered dataset."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fovkit.cli.options import Backbones, ConfigFile, Overwrite, Quiet, Svg, Threads

if TYPE_CHECKING:
    import pandas as pd

    from fovkit.jobs.probe import ProbeRun
    from fovkit.protocols.config import ProbeConfig

FLAGS = {
    "dataset": "DATASET",
    "backbones": "--backbone",
    "protocols": "--protocol",
    "seeds": "--seed",
    "bootstrap": "--bootstrap",
    "held_out_objects": "--held-out-objects",
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
    held_out_objects: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="Evaluate the first N held-out objects of each class (a slow backbone then computes features of "
            "those and the training images only).",
            show_default="all",
        ),
    ] = None,
    config: ConfigFile = None,
    threads: Threads = 1,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
    svg: Svg = False,
) -> None:
    """Train each backbone under each protocol on canonical images; print and write the gap table."""
    import torch

    from fovkit.configs import load_config
    from fovkit.jobs.probe import run_probe

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
        held_out_objects=held_out_objects,
    )
    print_gap_table(run_probe(settings, out, overwrite=overwrite, progress=not quiet, svg=svg))


def print_gap_table(run: ProbeRun) -> None:
    """Print the gap table with 95% intervals and n, one column per backbone x protocol, and where the report is."""
    from rich.console import Console
    from rich.table import Table

    console = Console(markup=False, highlight=False)
    result = run.result
    intervals = result.intervals.set_index(["backbone", "protocol", "group"])
    objects = int(intervals["clusters"].max()) if len(intervals) else 0
    seeds = sorted({fit["seed"] for fit in result.fits})
    table = Table(
        title="Gap table, points (robustness-limits Table 1)",
        caption=f"[95% interval] over {objects} held-out objects; n = images; {len(seeds)} training seed(s) pooled",
    )
    table.add_column("")
    for backbone, protocol in result.gaps.index:
        table.add_column(f"{backbone}\n{protocol}", justify="right")
    for column in result.gaps.columns:
        cells = [_gap_cell(result.gaps, intervals, key, column) for key in result.gaps.index]
        table.add_row(_row_label(intervals, column), *cells)
    console.print(table)
    console.print(f"Report: {run.report.resolve()}", soft_wrap=True)


def _group(column: str) -> str:
    """The evaluation group a gap-table column reports on (`held_out_accuracy` is the canonical group's)."""
    return {"held_out_accuracy": "canonical"}.get(column, column.removesuffix("_gap"))


def _row_label(intervals: pd.DataFrame, column: str) -> str:
    """`pose gap, n=1000`: the column's name and the images its group holds (the same for every model)."""
    label = column.replace("_", " ")
    sizes = intervals.loc[intervals.index.get_level_values("group") == _group(column), "n"].unique()
    return f"{label}, n={int(sizes[0])}" if len(sizes) == 1 else label


def _gap_cell(gaps: pd.DataFrame, intervals: pd.DataFrame, key: tuple[str, str], column: str) -> str:
    """`-13.9 [-17.9, -9.6]` for a gap or the held-out accuracy, the plain value otherwise, `-` when missing."""
    import pandas as pd

    value = gaps.loc[key, column]
    if pd.isna(value):
        return "-"
    if column == "train_accuracy" or (*key, _group(column)) not in intervals.index:
        return f"{value:.1f}"
    row = intervals.loc[(*key, _group(column))]
    low, high = ("accuracy_low", "accuracy_high") if column == "held_out_accuracy" else ("gap_low", "gap_high")
    return f"{value:.1f}" if pd.isna(row[low]) else f"{value:.1f} [{row[low]:.1f}, {row[high]:.1f}]"
