"""Benchmark: the whole `fovkit imagenetx` command against a whole reference `imagenet_x` process, side by side.

Both read the same synthetic prediction CSVs (reference format, all 50,000 val images; made once and reused, see
`imagenetx_vs_reference.prepare`). The clock runs from process start to exit, so interpreter start-up and imports
count. fovkit runs with its default options: 1,000 bootstrap resamples, every table, every plot and the HTML report
(`--quiet` only hides progress bars). The reference computes its two tables, `get_factor_accuracies` and
`error_ratio`. Runs are interleaved, and which tool goes first alternates, so both see the same machine load; each
starts with the files in the page cache after `--pause` seconds of quiet.

Usage:
    .venv/bin/python benchmarks/imagenetx_cli_vs_reference.py --models 200 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from imagenetx_vs_reference import add_shared_arguments, prepare, warm_page_cache

REFERENCE = """
import sys
from imagenet_x import error_ratio, get_factor_accuracies
error_ratio(get_factor_accuracies(sys.argv[1]))
"""


def fovkit_command(fovkit: Path, folder: Path, out: Path) -> list[str]:
    """The `fovkit imagenetx` command line with default analysis options, writing into `out`."""
    return [str(fovkit), "imagenetx", str(folder), "--out", str(out), "--quiet"]


def reference_command(python: str, folder: Path) -> list[str]:
    """A reference process computing per-factor accuracies and error ratios of every CSV in `folder`."""
    return [python, "-c", REFERENCE, str(folder)]


def timed_run(command: list[str], folder: Path, pause: float) -> dict:
    """Wall-clock seconds of `command` from process start to exit, files in the page cache after `pause` s of quiet."""
    warm_page_cache(folder)
    time.sleep(pause)
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if completed.returncode != 0:
        lines = (completed.stderr or completed.stdout).strip().splitlines()
        return {"error": lines[-1] if lines else f"exit code {completed.returncode}"}
    return {"seconds": seconds}


def summarise(runs: list[dict]) -> dict:
    """Median, best and every time of the successful runs, or the first error when none succeeded."""
    seconds = sorted(run["seconds"] for run in runs if "seconds" in run)
    if not seconds:
        return {"error": runs[0]["error"]}
    return {"median": statistics.median(seconds), "best": seconds[0], "all": [round(value, 2) for value in seconds]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--fovkit", type=Path, default=Path(sys.executable).parent / "fovkit", help="fovkit's CLI")
    add_shared_arguments(parser)
    args = parser.parse_args()

    folder = prepare(args.data_dir, args.models)
    scratch = Path(tempfile.mkdtemp(prefix="fovkit-cli-bench-"))
    runs: dict[str, list[dict]] = {"fovkit": [], "reference": []}
    try:
        for repeat in range(args.repeat):
            out = scratch / f"run_{repeat}"
            commands = {
                "fovkit": fovkit_command(args.fovkit, folder, out),
                "reference": reference_command(args.reference_python, folder),
            }
            order = ("fovkit", "reference") if repeat % 2 == 0 else ("reference", "fovkit")
            for tool in order:
                runs[tool].append(timed_run(commands[tool], folder, args.pause))
                print(json.dumps({"repeat": repeat, "tool": tool, **runs[tool][-1]}), flush=True)
            shutil.rmtree(out, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    fov, ref = summarise(runs["fovkit"]), summarise(runs["reference"])
    print(json.dumps({"models": args.models, "fovkit": fov, "reference": ref}))
    print()
    print("| models | reference s (median / best) | fovkit s (median / best) | speed-up (median / best) |")
    print("|---:|---:|---:|---:|")
    if "error" in fov or "error" in ref:
        print(f"| {args.models} | {ref.get('error', ref.get('median'))} | {fov.get('error', fov.get('median'))} | - |")
        return
    speed = f"{ref['median'] / fov['median']:.1f}x / {ref['best'] / fov['best']:.1f}x"
    cells = [f"{ref['median']:.2f} / {ref['best']:.2f}", f"{fov['median']:.2f} / {fov['best']:.2f}", speed]
    print(f"| {args.models} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
