"""`fovkit demo`: the built-in default job, the ImageNet-X analysis of the human baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fovkit.cli.imagenetx import print_summary
from fovkit.imagenetx.config import ImageNetXConfig
from fovkit.imagenetx.run import run_imagenetx


def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (replaced if it exists).")] = Path(
        "results/demo"
    ),
) -> None:
    """Run the ImageNet-X analysis of the human baseline (paper, appendix A.8) and write its report."""
    run = run_imagenetx([], out, ImageNetXConfig(human=True), overwrite=True)
    print_summary(run)
