"""`fovkit render`: plan and render controlled factor-of-variation datasets (robustness-limits paper, 3.1).

Heavy modules (pandas, pyarrow, trimesh, the GL renderer) are imported inside the commands, so `render plan` and
`--help` answer at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console

from fovkit.cli.options import EngineChoice, Overwrite, Quiet, RayAddress, ShardWorkers
from fovkit.errors import InputError
from fovkit.render.presets import list_presets

if TYPE_CHECKING:
    from fovkit.render.config import RenderConfig

app = typer.Typer(help="Render synthetic datasets where pose, position, size, lighting and background vary.")

ConfigSource = Annotated[
    str,
    typer.Argument(
        help=f"TOML config file, or a preset name: {', '.join(list_presets())} (a folder is never a config).",
        show_default=False,
    ),
]


@app.command("plan")
def plan(config: ConfigSource) -> None:
    """Print how many images each design of CONFIG holds, with an estimate of render time here and disk size.

    The config is checked as `render run` checks it (classes, axes, designs, seed, asset and background folders).
    Nothing is rendered: times and sizes come from the cost model in `fovkit.render.estimate`.
    """
    from rich.table import Table

    from fovkit.engine import default_workers
    from fovkit.render.counts import design_sizes, n_classes
    from fovkit.render.estimate import estimate_render, format_bytes, format_duration

    settings = _load(config)
    cores = default_workers()
    table = Table(
        title=f"{n_classes(settings)} classes x {settings.instances_per_class} instances, "
        f"{settings.image_size} px {settings.image_format}",
        caption=f"estimated time on this machine ({cores} cores, one render process each) and disk size; "
        "a model of measured throughput (fovkit.render.estimate), not a measurement",
    )
    for header in ("design", "images per object", "images", "est. time", "est. disk"):
        table.add_column(header, justify="right" if header != "design" else "left")
    sizes = design_sizes(settings)
    for size in [*sizes, None]:
        images = size.total if size else sum(item.total for item in sizes)
        estimate = estimate_render(settings, images, cores)
        table.add_row(
            size.design if size else "total",
            f"{size.per_object:,}" if size else "",
            f"{images:,}",
            format_duration(estimate.seconds),
            format_bytes(estimate.bytes),
        )
    Console().print(table)


@app.command("run")
def run(
    config: ConfigSource,
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Dataset folder: new or empty, or this config's dataset to resume.", show_default=False
        ),
    ],
    workers: ShardWorkers = None,
    engine: EngineChoice = "local",
    address: RayAddress = None,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="Replace the dataset in --out rendered with another config (only folders fovkit wrote).",
        ),
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Render CONFIG into Parquet shards (resumable), with manifest, contact sheets and render checks."""
    from fovkit.jobs.render import run_render

    if address and engine != "ray":
        raise InputError("--address names a Ray cluster; add --engine ray", field="address")
    settings = _load(config)
    result = run_render(
        settings, out, workers=workers, progress=not quiet, engine=engine, address=address, overwrite=overwrite
    )
    console = Console()
    console.print(f"{len(result.dataset.samples):,} images in {out}")
    problems = result.checks[(result.checks["blank"] > 0) | (result.checks["clipped"] > 0)]
    if len(problems):
        console.print(f"render checks: {len(problems)} classes have blank or clipped images (see render_checks.csv)")
    for sheet in result.contact_sheets:
        console.print(f"contact sheet: {sheet}")
    if result.report is not None:
        console.print(f"Report: {result.report.resolve()}", soft_wrap=True)


@app.command("export")
def export(
    dataset: Annotated[Path, typer.Argument(help="A folder written by `fovkit render run`.", show_default=False)],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Output folder: new or empty (not inside the dataset).", show_default=False),
    ],
    format: Annotated[Literal["imagefolder", "webdataset"], typer.Option(help="Layout to write.")] = "imagefolder",
    varies: Annotated[
        list[str] | None,
        typer.Option(help="Keep images where these factors vary, rest canonical (repeatable).", show_default="all"),
    ] = None,
    design: Annotated[
        str | None, typer.Option(help="Keep one design (single, paired, all).", show_default="all")
    ] = None,
    split: Annotated[str | None, typer.Option(help="Keep one split (train, held_out).", show_default="both")] = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Export (a selection of) a rendered dataset as an ImageFolder tree or WebDataset tar shards."""
    from fovkit.render.store import RenderedDataset, export_imagefolder, export_webdataset

    rendered = RenderedDataset.open(dataset)
    rows = rendered.select(
        varies=varies or rendered.config.factors, others_canonical=bool(varies), design=design, split=split
    )
    selection = {"design": design, "split": split, "varies": varies or []}
    options = {"overwrite": overwrite, "progress": not quiet, "selection": selection}
    if format == "imagefolder":
        export_imagefolder(rendered, rows, out, **options)
    else:
        export_webdataset(rendered, rows, out, **options)
    Console().print(f"exported {len(rows):,} images to {out} ({format})")


def _load(source: str) -> RenderConfig:
    """The render config of SOURCE, checked against its asset and background folders; a note if a preset won."""
    from fovkit.render.presets import config_path, load_render_config, preset_note
    from fovkit.render.sources import resolve_sources

    note = preset_note(source)
    if note:
        Console(stderr=True).print(f"note: {note}", highlight=False, soft_wrap=True)
    settings = load_render_config(source)
    resolve_sources(settings, config_path(source))
    return settings
