"""Option aliases shared by the commands that train and evaluate backbones (one definition, same help everywhere)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Backbones = Annotated[
    list[str] | None,
    typer.Option(
        "--backbone",
        help="Backbone as source:name, or source:name@weights (a checkpoint path or random), e.g. fovkit:default, "
        "timm:resnet50, open_clip:ViT-B-32/openai, "
        "torchvision:resnet18@/path/to/weights.pth, timm:vit_small_patch16_224@random. Repeatable.",
    ),
]
ConfigFile = Annotated[Path | None, typer.Option(help="TOML file with the same settings; flags override it.")]
Threads = Annotated[int, typer.Option(min=1, help="Torch threads (one per process is fastest on small CPUs).")]
Overwrite = Annotated[bool, typer.Option(help="Replace a non-empty output folder.")]
Quiet = Annotated[bool, typer.Option(help="No progress bars.")]
