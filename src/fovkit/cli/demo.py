"""`fovkit demo`: the built-in default job, a small end-to-end robustness study on the offline default backbone."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fovkit.cli.options import Overwrite, Quiet, Threads

if TYPE_CHECKING:
    from rich.table import Table

    from fovkit.analysis import AnalysisResult


def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder: new or empty, or --overwrite.")] = Path(
        "results/demo"
    ),
    threads: Threads = 1,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Render the `study` dataset, probe the default backbone (linear, finetune), print the gap table, write reports.

    The default backbone is pretrained on renders of other classes the first time (cached afterwards). OUT holds
    `dataset/` (the renders, contact sheets), `gaps/` (gap table with intervals, plot), `instances/` (experiment 5.2:
    linear probe, 25-100% of the instances seen varying in each factor), `imagenet_gaps/` and `imagenet/` (the real
    pretrained EfficientNet-Lite0: its features' gap table, and its own ImageNet head per factor with no training),
    `corrupted/` and `corruptions/` (the default backbone under the 19 ImageNet-C corruptions at 5 severities, with
    and without BatchNorm adaptation), each with its report, and `report.html` (all on one page).
    """
    import torch
    from rich.console import Console

    from fovkit.cli.experiment import summary_table
    from fovkit.cli.probe import print_gap_table
    from fovkit.jobs.demo import run_demo

    torch.set_num_threads(threads)
    run = run_demo(out, overwrite=overwrite, progress=not quiet)
    print_gap_table(run.probe)
    console = Console(markup=False, highlight=False)
    title = "Experiment 5.2: gap of the factor seen varying, points, by share of instances seen varying"
    console.print(summary_table(run.instances.tables["same_factor"], title))
    print_gap_table(run.imagenet.gaps)
    console.print(imagenet_table(run.imagenet.factors))
    console.print(corruption_table(run.corruptions.analysis))
    console.print(f"Report: {run.report.resolve()}", soft_wrap=True)


def imagenet_table(result: AnalysisResult) -> Table:
    """EfficientNet-Lite0's untrained ImageNet accuracy on the images where each factor varies, as a rich table."""
    from rich.table import Table

    accuracies = result.criteria["imagenet"].factor_accuracies
    table = Table(title="EfficientNet-Lite0, ImageNet weights, no training: % right where each factor varies")
    table.add_column("model")
    for factor in result.factors:
        table.add_column(factor, justify="right")
    for model, row in accuracies.iterrows():
        table.add_row(str(model), *(f"{100 * row[factor]:.1f}" for factor in result.factors))
    return table


def corruption_table(result: AnalysisResult) -> Table:
    """Clean and mean corruption error, and mCE relative to the unadapted model, with and without BN adaptation."""
    from rich.table import Table

    from fovkit.jobs.corruption_demo import corruption_summary

    summary = corruption_summary(result)
    table = Table(title="Default backbone under 19 corruptions x 5 severities: error %, mCE relative to no adaptation")
    table.add_column("model")
    for column in summary.columns:
        table.add_column(column.replace("_", " "), justify="right")
    for model, row in summary.iterrows():
        table.add_row(str(model), *(f"{value:.1f}" for value in row))
    return table
