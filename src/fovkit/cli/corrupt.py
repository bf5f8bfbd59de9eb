"""`fovkit corrupt`: every image of a dataset or folder under ImageNet-C corruptions, into the shared store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from fovkit.cli.options import (
    ConfigFile,
    EngineChoice,
    Overwrite,
    Quiet,
    RayAddress,
    RowFilter,
    ShardWorkers,
    default_note,
)
from fovkit.errors import InputError

FLAGS = {
    "corruptions": "--corruption",
    "severities": "--severity",
    "image_format": "--format",
    "clean": "--clean",
}


def corrupt(
    source: Annotated[
        Path,
        typer.Argument(
            metavar="SOURCE",
            help="A dataset folder written by fovkit (a render), a folder of images (flat or class folders), or "
            "ImageNet val in class folders.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            metavar="DIR",
            help="Dataset folder: new or empty, or this run's to resume.",
            show_default=False,
        ),
    ],
    corruption: Annotated[
        list[str] | None,
        typer.Option(
            "--corruption",
            metavar="NAME",
            help="Corruption, or a group of them: common (the 15 of ImageNet-C), validation (the 4 extra), all, noise, "
            f"blur, weather, digital. Repeatable. {default_note('all 19')}",
            show_default=False,
        ),
    ] = None,
    severity: Annotated[
        list[int] | None,
        typer.Option(
            "--severity", metavar="N", help=f"Severity 1-5. Repeatable. {default_note('1-5')}", show_default=False
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(metavar="SEED", help=f"Seed of the random corruptions. {default_note(0)}")
    ] = None,
    size: Annotated[
        int | None,
        typer.Option(
            metavar="PX",
            help="Square side the images are brought to first (shorter side scaled, centre crop). "
            f"{default_note('a dataset keeps its size; image files 224, as ImageNet-C')}",
            show_default=False,
        ),
    ] = None,
    clean: Annotated[
        bool | None,
        typer.Option(
            "--clean/--no-clean",
            help=f"Also store the clean images (corruption none). {default_note('on')}",
            show_default=False,
        ),
    ] = None,
    image_format: Annotated[
        Literal["png", "jpeg", "webp"] | None,
        typer.Option("--format", help=f"Stored image format. {default_note('png, lossless')}", show_default=False),
    ] = None,
    filter: RowFilter = None,
    workers: ShardWorkers = None,
    engine: EngineChoice = "local",
    address: RayAddress = None,
    config: ConfigFile = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Corrupt every image of SOURCE with each corruption and severity; write a resumable, checksummed dataset."""
    from fovkit.cli.predict import row_filter
    from fovkit.configs import load_config
    from fovkit.corruptions.dataset import CorruptConfig, corrupt_dataset
    from fovkit.corruptions.registry import SUBSETS

    if address and engine != "ray":
        raise InputError("--address names a Ray cluster; add --engine ray", field="--address")
    names = None
    if corruption:
        names = [name for value in corruption for name in SUBSETS.get(value, (value,))]
    settings = load_config(
        CorruptConfig,
        config,
        FLAGS,
        corruptions=names,
        severities=severity or None,
        seed=seed,
        size=size,
        clean=clean,
        image_format=image_format,
    )
    records = corrupt_dataset(
        source,
        out,
        settings,
        rows=row_filter(filter) if filter else None,
        workers=workers,
        progress=not quiet,
        engine=engine,
        address=address,
        overwrite=overwrite,
    )
    images = sum(record.rows for record in records)
    typer.echo(
        f"{images:,} images ({len(settings.corruptions)} corruptions x {len(settings.severities)} severities"
        f"{' + clean' if settings.clean else ''}) in {out}"
    )
