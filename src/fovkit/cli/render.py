"""`fovkit render`: plan and render controlled factor-of-variation datasets (robustness-limits paper, 3.1)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from fovkit.render.design import design_sizes, n_classes
from fovkit.render.presets import load_render_config

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
