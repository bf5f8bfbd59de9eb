"""The `fovkit` command: one subcommand per capability; bad input prints one line and exits with code 2."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from fovkit.errors import InputError

P = ParamSpec("P")
R = TypeVar("R")

err_console = Console(stderr=True)
app = typer.Typer(
    name="fovkit",
    help="Under which factors of variation does an image classifier fail, by how much, and why.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn an InputError into one red line on stderr and exit code 2 (FOVKIT_DEBUG=1 re-raises for a traceback)."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except InputError as error:
            if os.environ.get("FOVKIT_DEBUG"):
                raise
            err_console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
            err_console.print("[dim]set FOVKIT_DEBUG=1 for the full traceback[/dim]")
            sys.exit(2)

    return wrapper


def _register() -> None:
    from fovkit.cli import demo, experiment, imagenetx, probe, render, topfactor

    app.command("imagenetx")(user_errors(imagenetx.imagenetx))
    app.command("topfactor")(user_errors(topfactor.topfactor))
    app.command("demo")(user_errors(demo.demo))
    app.command("probe")(user_errors(probe.probe))
    app.command("experiment")(user_errors(experiment.experiment))
    for command in render.app.registered_commands:
        command.callback = user_errors(command.callback)
    app.add_typer(render.app, name="render")


_register()


if __name__ == "__main__":
    app()
