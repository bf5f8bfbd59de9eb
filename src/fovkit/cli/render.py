"""`fovkit render`: plan and render controlled factor-of-variation datasets (robustness-limits paper, 3.1)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from fovkit.errors import InputError
from fovkit.render.design import design_sizes, n_classes
from fovkit.render.job import run_render
from fovkit.render.presets import load_render_config
from fovkit.render.store import RenderedDataset, export_imagefolder, export_webdataset

app = typer.Typer(help="Render synthetic datasets where pose, position, size, lighting and background vary.")


@app.command("plan")
def plan(
    config: Annotated[str, typer.Argument(help="TOML config file, or a preset name: paper, small.")],
) -> None:
    """Print how many images each design of CONFIG holds."""
    settings = load_render_config(config)
    table = Table(title=f"{n_classes(settings)} classes x {settings.instances_per_class} instances")
    for header in ("design", "images per object", "images"):
        table.add_column(header, justify="right" if header != "design" else "left")
    sizes = design_sizes(settings)
    for size in sizes:
        table.add_row(size.design, f"{size.per_object:,}", f"{size.total:,}")
    table.add_row("total", "", f"{sum(size.total for size in sizes):,}")
    Console().print(table)


@app.command("run")
def run(
    config: Annotated[str, typer.Argument(help="TOML config file, or a preset name: paper, small.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Dataset folder; an interrupted render resumes there.")],
    workers: Annotated[
        int | None, typer.Option(min=1, help="Shards rendered at once (default: one per core, or the Ray cluster's).")
    ] = None,
    engine: Annotated[
        Literal["local", "ray"], typer.Option(help="Forked local processes, or Ray tasks (pip install 'fovkit[ray]').")
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(help="Ray cluster to use with --engine ray, e.g. ray://head:10001 (default: start one here)."),
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Render CONFIG into Parquet shards (resumable), with manifest, contact sheets and render checks."""
    if address and engine != "ray":
        raise InputError("--address names a Ray cluster; add --engine ray", field="address")
    result = run_render(
        load_render_config(config), out, workers=workers, progress=not quiet, engine=engine, address=address
    )
    console = Console()
    console.print(f"{len(result.dataset.samples):,} images in {out}")
    problems = result.checks[(result.checks["blank"] > 0) | (result.checks["clipped"] > 0)]
    if len(problems):
        console.print(f"render checks: {len(problems)} classes have blank or clipped images (see render_checks.csv)")
    for sheet in result.contact_sheets:
        console.print(f"contact sheet: {sheet}")


@app.command("export")
def export(
    dataset: Annotated[Path, typer.Argument(help="A folder written by `fovkit render run`.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")],
    format: Annotated[Literal["imagefolder", "webdataset"], typer.Option(help="Layout to write.")] = "imagefolder",
    varies: Annotated[
        list[str] | None, typer.Option(help="Keep images where these factors vary, rest canonical.")
    ] = None,
    design: Annotated[str | None, typer.Option(help="Keep one design (single, paired, all).")] = None,
    split: Annotated[str | None, typer.Option(help="Keep one split (train, held_out).")] = None,
) -> None:
    """Export (a selection of) a rendered dataset as an ImageFolder tree or WebDataset tar shards."""
    rendered = RenderedDataset.open(dataset)
    factors = varies or rendered.config.factors
    rows = rendered.select(varies=factors, others_canonical=bool(varies), design=design, split=split)
    if format == "imagefolder":
        count = export_imagefolder(rendered, rows, out)
    else:
        count = len(rows)
        export_webdataset(rendered, rows, out)
    Console().print(f"exported {count:,} images to {out} ({format})")
