"""`fovkit demo`: the built-in default job: the ImageNet-X analysis of the human baseline and a small render."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fovkit.cli.imagenetx import print_summary
from fovkit.imagenetx.config import ImageNetXConfig
from fovkit.imagenetx.run import run_imagenetx
from fovkit.render.job import run_render
from fovkit.render.presets import load_render_config
from fovkit.report.render import render_section


def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (replaced if it exists).")] = Path(
        "results/demo"
    ),
) -> None:
    """Render the small single-factor dataset, analyse the human baseline on ImageNet-X, write one report."""
    rendered = run_render(load_render_config("small"), out.parent / f"{out.name}-render")
    run = run_imagenetx([], out, ImageNetXConfig(human=True), overwrite=True, extra_sections=[render_section(rendered)])
    print_summary(run)
