"""`fovkit demo`: the built-in default job, a small end-to-end robustness study on the offline default backbone."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fovkit.cli.options import Overwrite, Quiet, Threads


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
    linear probe, 25-100% of the instances seen varying in each factor), each with its report, and `report.html`
    (the three on one page).
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
    console.print(f"Report: {run.report.resolve()}", soft_wrap=True)
