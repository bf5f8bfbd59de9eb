"""`fovkit demo`: the built-in default job, a small end-to-end robustness study on the offline default backbone."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fovkit.cli.options import Quiet, Threads


def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (replaced if it exists).")] = Path(
        "results/demo"
    ),
    threads: Threads = 1,
    quiet: Quiet = False,
) -> None:
    """Render the `study` dataset, probe the default backbone (linear, finetune), print the gap table, write reports.

    The default backbone is pretrained on renders of other classes the first time (cached afterwards). The report
    holds the gap table, its plot and the dataset's contact sheets; `<out>/instances/` holds experiment 5.2 (linear
    probe, 25-100% of the instances seen varying in each factor).
    """
    import torch
    from rich.console import Console

    from fovkit.cli.probe import print_gap_table
    from fovkit.protocols.experiments import ExperimentConfig
    from fovkit.protocols.jobs import run_experiment_job, run_probe
    from fovkit.protocols.probe import ProbeConfig
    from fovkit.render.job import run_render
    from fovkit.render.presets import load_render_config
    from fovkit.report.render import render_section
    from fovkit.tables.markdown import markdown_table

    torch.set_num_threads(threads)
    rendered = run_render(load_render_config("study"), out.parent / f"{out.name}-render", progress=not quiet)
    config = ProbeConfig(dataset=rendered.dataset.folder, protocols=("linear", "finetune"))
    run = run_probe(config, out, overwrite=True, progress=not quiet, extra_sections=(render_section(rendered),))
    print_gap_table(run)
    experiment = ExperimentConfig(dataset=rendered.dataset.folder, fractions=(0.25, 0.5, 1.0))
    instances = run_experiment_job("instances", experiment, out / "instances", overwrite=True, progress=not quiet)
    console = Console()
    console.print("Experiment 5.2, gap of the factor seen varying by % of instances varying (points):")
    console.print(markdown_table(instances.tables["same_factor"], digits=1))
    console.print(f"Report: [bold]{instances.report.resolve()}[/bold]")
