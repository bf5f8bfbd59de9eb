"""`fovkit report`: one self-contained page over several run folders, joined on model ids."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fovkit.cli.options import Overwrite, Svg, default_note


def report(
    runs: Annotated[
        list[Path],
        typer.Argument(
            metavar="RUN_DIR...",
            help="Output folders of fovkit commands (imagenetx, analyze, probe, experiment, render run, topfactor, "
            "demo).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", metavar="FOLDER", help="Output folder (new or empty, outside every RUN_DIR)."),
    ] = Path("results/report"),
    workers: Annotated[
        int | None,
        typer.Option(min=1, metavar="N", help=f"Processes that draw the plots. {default_note('one per core')}"),
    ] = None,
    overwrite: Overwrite = False,
    svg: Svg = False,
) -> None:
    """Write one page over RUN_DIR...: a tab per run and a table of every model's headline numbers across runs."""
    from rich.console import Console

    from fovkit.report.combined import write_combined_report

    path = write_combined_report(runs, out, overwrite=overwrite, svg=svg, workers=workers)
    Console(markup=False, highlight=False).print(f"Report: {path.resolve()}", soft_wrap=True)
