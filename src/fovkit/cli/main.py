"""The `fovkit` command: one subcommand per capability; bad input prints one line and exits with code 2.

Start-up stays light: the command modules import their heavy dependencies (pandas, torch, the analysis, the
renderer) inside the command functions, and config classes are imported only to run a command or print its help.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Annotated, NoReturn, ParamSpec, TypeVar

import typer
from typer.core import TyperCommand

from fovkit.cli.options import Command, Group, config_command
from fovkit.errors import InputError, printable

P = ParamSpec("P")
R = TypeVar("R")

RESUMES = "interrupted; run the same command again to resume"
NOTHING_WRITTEN = "interrupted; nothing was written"
DEBUG_HINT = "set FOVKIT_DEBUG=1 for the full traceback"

app = typer.Typer(
    name="fovkit",
    help="Under which factors of variation does an image classifier fail, by how much, and why.",
    cls=Group,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        import fovkit

        print(f"fovkit {fovkit.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print fovkit's version and exit."),
    ] = False,
) -> None:
    """The options of `fovkit` itself (its help text is the app's)."""


def user_errors(command: Callable[P, R], interrupted: str = NOTHING_WRITTEN) -> Callable[P, R]:
    """Print bad input, failed reads and writes, and Ctrl-C as one line on stderr instead of a traceback.

    Exit codes: 2 for an InputError or an OSError (naming the file and the reason), 130 for Ctrl-C. FOVKIT_DEBUG=1
    re-raises for the full traceback.

    Args:
        command: The command function.
        interrupted: What to say on Ctrl-C (whether the command resumes).

    """

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (InputError, OSError, KeyboardInterrupt) as error:
            if os.environ.get("FOVKIT_DEBUG"):
                raise
            if isinstance(error, KeyboardInterrupt):
                fail(interrupted, 130, hint=False)
            fail(str(error) if isinstance(error, InputError) else os_error_message(error), 2)

    return wrapper


def os_error_message(error: OSError) -> str:
    """`<file>: <reason>` for a failed read or write (both files for a failed rename or copy)."""
    reason = error.strerror or str(error)
    files = [str(name) for name in (error.filename, error.filename2) if name is not None]
    return f"{' -> '.join(files)}: {reason}" if files else reason


def fail(message: str, code: int, hint: bool = True) -> NoReturn:
    """Print `error: message` (never markup, never raw control characters) on stderr and exit with `code`."""
    from rich.console import Console
    from rich.text import Text

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    console.print(Text.assemble(("error: ", "red"), printable(message, limit=4000)))
    if hint:
        console.print(Text(DEBUG_HINT, style="dim"))
    sys.exit(code)


def _register() -> None:
    from fovkit.cli import analyze, corrupt, demo, experiment, imagenetx, predict, probe, render, report, topfactor

    app.command("analyze", cls=config_command(analyze.config_class, analyze.FLAGS))(user_errors(analyze.analyze))
    app.command("imagenetx", cls=config_command(imagenetx.config_class, imagenetx.FLAGS))(
        user_errors(imagenetx.imagenetx)
    )
    app.command("topfactor", cls=Command)(user_errors(topfactor.topfactor))
    app.command("report", cls=Command)(user_errors(report.report))
    app.command("demo", cls=Command)(user_errors(demo.demo, RESUMES))
    app.command("probe", cls=config_command(probe.config_class, probe.FLAGS))(user_errors(probe.probe, RESUMES))
    app.command("predict", cls=Command)(user_errors(predict.predict, RESUMES))
    app.command("corrupt", cls=Command)(user_errors(corrupt.corrupt, RESUMES))
    app.command("experiment", cls=config_command(experiment.config_class, experiment.FLAGS))(
        user_errors(experiment.experiment, RESUMES)
    )
    for command in render.app.registered_commands:
        command.callback = user_errors(command.callback, RESUMES if command.name == "run" else NOTHING_WRITTEN)
        if command.cls in (None, TyperCommand):  # keep a command class of the render module's own
            command.cls = Command
    app.add_typer(render.app, name="render", cls=Group)


_register()


if __name__ == "__main__":
    app()
