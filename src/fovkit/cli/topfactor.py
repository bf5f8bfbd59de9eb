"""`fovkit topfactor`: choose each ImageNet-X image's top factor from its free text; compare with the shipped file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fovkit.cli.options import Overwrite, Partition, Quiet, default_note


def topfactor(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            metavar="FOLDER",
            help="Output folder for the CSV tables and the JSON summary; must be new or empty.",
            show_default=False,
        ),
    ],
    partition: Annotated[
        Partition, typer.Option("--partition", help="Annotated partition: val (48,868 images) or train (11,233).")
    ] = "val",
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", min=1, metavar="N", help=f"Use a random subset of this many images. {default_note('all')}"
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", metavar="SEED", help="Seed of the random subset drawn with --limit.")
    ] = 0,
    factor_texts: Annotated[
        Path | None,
        typer.Option(
            "--factor-texts",
            metavar="JSON",
            help="JSON object mapping each of the 16 factors to the text to embed. "
            + default_note("the paper's definitions"),
        ),
    ] = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Select each image's top factor by text similarity (ImageNet-X Sec. 3.1) and report agreement with the file."""
    from rich.console import Console

    from fovkit.imagenetx.top_factor import read_factor_texts
    from fovkit.jobs.topfactor import run_top_factor
    from fovkit.seeding import check_seed

    check_seed(seed, field="--seed")
    texts = None if factor_texts is None else read_factor_texts(factor_texts)
    result = run_top_factor(
        partition, out, limit=limit, seed=seed, progress=not quiet, factor_texts=texts, overwrite=overwrite
    )
    console = Console(markup=False, highlight=False)
    console.print(f"agreement with the shipped top factor: {result.agreement:.4f} over {result.n_compared} images")
    console.print(f"wrote {out}", soft_wrap=True)
