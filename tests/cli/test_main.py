"""The `fovkit` entry point: light start-up, --version, help texts, and one-line errors with the right exit code."""

from __future__ import annotations

import errno
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import fovkit
from fovkit.cli.main import NOTHING_WRITTEN, RESUMES, app, user_errors
from fovkit.errors import InputError

runner = CliRunner()
HEAVY = (
    "pandas",
    "torch",
    "pyarrow",
    "matplotlib",
    "sklearn",
    "scipy",
    "fovkit.imagenetx.analysis",
    "fovkit.render.gl",
)


def imported_by(*arguments: str) -> set[str]:
    """Top-level modules `python -X importtime -m fovkit.cli.main ARGUMENTS` imported (a fresh interpreter)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "fovkit.cli.main", *arguments],
        capture_output=True,
        text=True,
        check=True,
    )
    return {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize(
    "arguments",
    [
        ["--help"],
        ["render", "--help"],
        ["imagenetx", "--help"],
        ["analyze", "--help"],
        ["report", "--help"],
        ["--version"],
    ],
)
def test_start_up_imports_no_heavy_module(arguments: list[str]):
    modules = imported_by(*arguments)
    assert "fovkit.cli.options" in modules  # the measurement saw the command line being imported
    assert not [name for name in HEAVY if name in modules]


def test_command_modules_import_nothing_heavy():
    code = (
        "import sys\n"
        "import fovkit.cli.main, fovkit.cli.imagenetx, fovkit.cli.probe, fovkit.cli.experiment, fovkit.cli.topfactor\n"
        "import fovkit.cli.report, fovkit.cli.demo, fovkit.cli.analyze\n"
        f"print(sorted(name for name in {HEAVY!r} if name in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"fovkit {fovkit.__version__}"
    assert re.fullmatch(r"\d+\.\d+.*", fovkit.__version__)


def help_text(*arguments: str) -> str:
    """The help of a command on a wide terminal, box drawing removed and spaces collapsed."""
    result = runner.invoke(app, [*arguments, "--help"], env={"COLUMNS": "400", "TERMINAL_WIDTH": "400"})
    assert result.exit_code == 0, result.output
    return " ".join(result.output.replace("│", " ").split())


def test_help_shows_the_config_defaults():
    from fovkit.imagenetx.config import ImageNetXConfig

    defaults = ImageNetXConfig()
    text = help_text("imagenetx")
    assert f"(0: none). [default: {defaults.bootstrap}]" in text
    assert f"Seed of the bootstrap. [default: {defaults.seed}]" in text
    assert f"[default: {defaults.which_factor}]" in text and f"[default: {defaults.partition}]" in text
    assert "[default: no-human]" in text and "[default: no-keep-prototypes]" in text


@pytest.mark.parametrize(
    "command", [["imagenetx"], ["topfactor"], ["probe"], ["experiment"], ["demo"], ["predict"], []]
)
def test_every_option_says_its_default_and_no_python_type_leaks(command: list[str]):
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "400", "TERMINAL_WIDTH": "400"})
    rows = [line for line in result.output.splitlines() if re.match(r"^│\s+(\*\s+)?--", line)]
    assert rows
    for row in rows:
        if "--help" not in row and "--version" not in row:
            assert "[default:" in row or "[required]" in row, row
    assert not re.search(r"<(bool>|list\[)", result.output), result.output


def test_help_keeps_brackets_of_the_experiment_defaults():
    text = help_text("experiment")
    assert "[default: 0.05, 0.25, 0.5, 0.75, 0.95]" in text
    assert "[default: fovkit:default]" in text and "[default: results/NAME]" in text


def raising(error: BaseException):
    def command() -> None:
        raise error

    return command


def run_wrapped(command, capsys, interrupted: str = NOTHING_WRITTEN) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        user_errors(command, interrupted)()
    return exit_info.value.code, capsys.readouterr().err


def test_error_messages_keep_brackets_and_lose_raw_binary(capsys, monkeypatch):
    monkeypatch.delenv("FOVKIT_DEBUG", raising=False)
    error = InputError("non-finite values [nan, inf] in 'ab\x00\x1b[31mc\udc80'", path="[red]m.csv", field="x")
    code, err = run_wrapped(raising(error), capsys)
    assert code == 2
    first = err.splitlines()[0]
    assert first == "error: [red]m.csv, field 'x': non-finite values [nan, inf] in 'ab\\x00\\x1b[31mc\\udc80'"
    assert len(err.splitlines()) == 2 and "FOVKIT_DEBUG" in err


def test_os_errors_are_one_line_naming_the_file(capsys, monkeypatch):
    monkeypatch.delenv("FOVKIT_DEBUG", raising=False)
    code, err = run_wrapped(raising(PermissionError(errno.EACCES, "Permission denied", "/data/[x].csv")), capsys)
    assert code == 2
    assert err.splitlines()[0] == "error: /data/[x].csv: Permission denied"
    full = OSError(errno.ENOSPC, "No space left on device", "/out/a.parquet", None, "/out/b.parquet")
    code, err = run_wrapped(raising(full), capsys)
    assert err.splitlines()[0] == "error: /out/a.parquet -> /out/b.parquet: No space left on device"


def test_interrupt_says_whether_the_command_resumes(capsys, monkeypatch):
    monkeypatch.delenv("FOVKIT_DEBUG", raising=False)
    code, err = run_wrapped(raising(KeyboardInterrupt()), capsys, RESUMES)
    assert (code, err) == (130, "error: interrupted; run the same command again to resume\n")
    code, err = run_wrapped(raising(KeyboardInterrupt()), capsys)
    assert (code, err) == (130, "error: interrupted; nothing was written\n")


def test_debug_mode_reraises(monkeypatch):
    monkeypatch.setenv("FOVKIT_DEBUG", "1")
    with pytest.raises(InputError):
        user_errors(raising(InputError("bad")))()


def test_ctrl_c_in_probe_says_to_resume_and_in_imagenetx_that_nothing_was_written(monkeypatch, tmp_path: Path):
    from fovkit.jobs import imagenetx as imagenetx_job
    from fovkit.jobs import probe as probe_job

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(probe_job, "run_probe", interrupted)
    monkeypatch.setattr(imagenetx_job, "run_imagenetx", interrupted)
    probe = runner.invoke(app, ["probe", str(tmp_path), "--out", str(tmp_path / "out")])
    assert probe.exit_code == 130 and "run the same command again to resume" in probe.output
    analysis = runner.invoke(app, ["imagenetx", "--human", "--out", str(tmp_path / "out")])
    assert analysis.exit_code == 130 and "nothing was written" in analysis.output


def test_a_disk_error_deep_in_a_command_is_one_line(monkeypatch, tmp_path: Path):
    from fovkit.jobs import imagenetx as imagenetx_job

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / "summary.csv"))

    monkeypatch.setattr(imagenetx_job, "run_imagenetx", full_disk)
    result = runner.invoke(app, ["imagenetx", "--human", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert f"error: {tmp_path / 'out' / 'summary.csv'}: No space left on device" in result.output
    assert "Traceback" not in result.output


def test_ctrl_c_in_render_run_says_to_resume(monkeypatch, tmp_path: Path):
    from fovkit.jobs import render as render_job

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(render_job, "run_render", interrupted)
    result = runner.invoke(app, ["render", "run", "small", "--out", str(tmp_path / "data")])
    assert result.exit_code == 130 and "run the same command again to resume" in result.output
