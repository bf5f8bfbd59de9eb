"""Option aliases and help formatting shared by the commands (one definition, same help everywhere).

Help texts are rich markup: a literal bracket is escaped with a backslash (see `default_note`). Options that set a
config field show that field's default, read from the config class only when help is printed (`config_command`), so
that building the commands imports no config module and `fovkit --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    import click
    from pydantic import BaseModel

Partition = Literal["val", "train"]
"""The annotated partitions of ImageNet-X."""


def default_note(value: object) -> str:
    """`[default: value]` for a help text, with the bracket escaped so rich markup keeps it."""
    return f"\\[default: {value}]"


Backbones = Annotated[
    list[str] | None,
    typer.Option(
        "--backbone",
        metavar="SOURCE:NAME",
        help="Backbone as source:name, or source:name@weights (a checkpoint path, or random), e.g. fovkit:default, "
        "timm:resnet50, open_clip:ViT-B-32/openai, torchvision:resnet18@/path/to/weights.pth, "
        "timm:vit_small_patch16_224@random. Repeatable.",
    ),
]
ConfigFile = Annotated[
    Path | None,
    typer.Option(metavar="TOML", help=f"TOML file with the same settings; flags override it. {default_note('none')}"),
]
Threads = Annotated[
    int, typer.Option(min=1, metavar="N", help="Torch threads (one per process is fastest on small CPUs).")
]
Overwrite = Annotated[bool, typer.Option(help="Replace an earlier fovkit output in a non-empty output folder.")]
Quiet = Annotated[bool, typer.Option(help="No progress bars.")]
Svg = Annotated[bool, typer.Option("--svg/--no-svg", help="Also save every plot as SVG (PNG always).")]
ShardWorkers = Annotated[
    int | None,
    typer.Option(min=1, help="Shards written at once.", show_default="one per core, or the Ray cluster's"),
]
EngineChoice = Annotated[
    Literal["local", "ray"],
    typer.Option("--engine", help=r"Forked local processes, or Ray tasks (pip install 'fovkit\[ray]')."),
]
RayAddress = Annotated[
    str | None,
    typer.Option(
        "--address", help="Ray cluster to use with --engine ray, e.g. ray://head:10001.", show_default="start one here"
    ),
]
RowFilter = Annotated[
    list[str] | None,
    typer.Option(
        "--filter",
        metavar="COLUMN=VALUE[,VALUE]",
        help="Datasets written by fovkit: only rows whose COLUMN holds one of the values, e.g. split=held_out or "
        "design=single (repeatable; all must hold).",
        show_default="every row",
    ),
]
Workers = Annotated[
    int | None, typer.Option(min=1, metavar="N", help=f"Worker processes. {default_note('one per core')}")
]

# The analysis commands (`analyze`, `imagenetx`).
ModelGroups = Annotated[
    Path | None,
    typer.Option(
        "--groups", metavar="CSV", help=f"CSV 'model,group' for the between-group tests. {default_note('none')}"
    ),
]
ShiftScores = Annotated[
    Path | None,
    typer.Option(
        metavar="CSV",
        help="CSV 'model,shift,score': correlate each factor's error ratio with the models' scores on distribution "
        f"shifts (ImageNet-X Figure 19). {default_note('none')}",
    ),
]
FileNames = Annotated[
    Path | None,
    typer.Option(
        metavar="TXT",
        help=f"Row order of NPY logits, one id per line. {default_note('the .txt of the same name beside each .npy')}",
    ),
]
Bootstrap = Annotated[int | None, typer.Option(metavar="N", help="Bootstrap resamples for 95% intervals (0: none).")]
BootstrapSeed = Annotated[int | None, typer.Option(metavar="SEED", help="Seed of the bootstrap.")]


class Command(TyperCommand):
    """A command whose help shows no Python type names (`<bool>`, `<list[Path]>`)."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Format the help with readable types."""
        readable_types(self.get_params(ctx), ctx)
        super().format_help(ctx, formatter)


class Group(TyperGroup):
    """A command group whose help shows no Python type names (`<bool>`)."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Format the help with readable types."""
        readable_types(self.get_params(ctx), ctx)
        super().format_help(ctx, formatter)


def config_command(config: Callable[[], type[BaseModel]], flags: Mapping[str, str]) -> type[Command]:
    """A command class whose help adds, to each option in `flags`, the default of the config field it sets.

    Args:
        config: Returns the config class (imports it: called only when help is printed).
        flags: Config field -> the option that sets it, e.g. `{"which_factor": "--factors"}`.

    """

    class ConfigCommand(Command):
        def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
            """Format the help with the config's defaults beside the options that override them."""
            add_defaults(self.params, config_defaults(config(), flags))
            super().format_help(ctx, formatter)

    return ConfigCommand


def config_defaults(model: type[BaseModel], flags: Mapping[str, str]) -> dict[str, str]:
    """Option -> the default of the config field it sets, as the user would type it.

    Fields without a default, or whose default is "not set" (None, an empty mapping), are left out: the option's own
    help says what happens without it.
    """
    shown = {}
    for field, flag in flags.items():
        info = model.model_fields[field]
        if info.is_required():
            continue
        value = info.get_default(call_default_factory=True)
        if value is not None and value != {}:
            shown[flag] = show_default(value, flag)
    return shown


def show_default(value: Any, flag: str) -> str:
    """A default as typed on the command line: `--human`/`no-human` for flags, lists joined with commas."""
    if isinstance(value, bool):
        return flag.lstrip("-") if value else f"no-{flag.lstrip('-')}"
    if isinstance(value, tuple | list):
        return ", ".join(str(item) for item in value) or "none"
    return str(value)


def add_defaults(params: Iterable[click.Parameter], defaults: Mapping[str, str]) -> None:
    """Append `[default: ...]` to the help of each parameter named in `defaults` (once)."""
    for param in params:
        flag = next((name for name in param.opts if name in defaults), None)
        note = default_note(defaults[flag]) if flag else ""
        help_text = getattr(param, "help", None) or ""
        if note and not help_text.endswith(note):
            param.help = f"{help_text} {note}".strip()


def readable_types(params: Iterable[click.Parameter], ctx: click.Context) -> None:
    """No type beside on/off flags (typer prints `<bool>`); an argument taking several values shows its item type.

    Typer prints `<list[Path]>` for such an argument and lets no metavar replace it, so the display is set here.
    """
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
        elif param.param_type_name == "argument" and param.nargs != 1 and hasattr(param, "display_type"):
            item = param.display_type(ctx).removeprefix("<list[").removesuffix("]>").lower()
            param.display_type_rich = lambda ctx, shown=f"<{item}>": shown
