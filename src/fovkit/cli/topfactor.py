"""`fovkit topfactor`: choose each ImageNet-X image's top factor from its free text; compare with the shipped file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from fovkit.imagenetx.annotations import Partition
from fovkit.imagenetx.top_factor import read_factor_texts, run_top_factor


def topfactor(
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Output folder for the CSV tables and the JSON summary; must be new or empty."
        ),
    ],
    partition: Annotated[
        Partition, typer.Option("--partition", help="Annotated partition: val (48,868 images) or train (11,233).")
    ] = "val",
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, help="Use a random subset of this many images (default: all of them)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random subset drawn with --limit.")] = 0,
    factor_texts: Annotated[
        Path | None,
        typer.Option(
            "--factor-texts",
            help="JSON object mapping each of the 16 factors to the text to embed (default: the paper's definitions).",
        ),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace a non-empty output folder.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Select each image's top factor by text similarity (ImageNet-X Sec. 3.1) and report agreement with the file."""
    texts = None if factor_texts is None else read_factor_texts(factor_texts)
    result = run_top_factor(
        partition, out, limit=limit, seed=seed, progress=not quiet, factor_texts=texts, overwrite=overwrite
    )
    console = Console()
    console.print(
        f"agreement with the shipped top factor: {result.agreement:.4f} over {result.n_compared} images",
        highlight=False,
    )
    console.print(f"wrote {out}", highlight=False, soft_wrap=True)
