"""Benchmark: fovkit's ImageNet-X analysis against the reference `imagenet_x` package, side by side in one run.

Both tools read the same synthetic prediction CSVs (reference format, all 50,000 val images). Each tool runs in its
own fresh process; imports happen before the clock starts, then the clock covers loading the annotations and the
CSVs and computing the metrics. Peak memory is the process's maximum resident set size.

The reference computes per-factor accuracies and error ratios (top-1 label); fovkit computes every metric of the
analysis except the bootstrap: factor and meta-label accuracies and error ratios under the top-1, ReaL and
meta-label criteria, worst-100-classes accuracy, prevalence shifts, per-factor calibration error, Alexander-Govern
tests between four model groups with Holm correction, and the Spearman correlations. The whole command (start-up,
bootstrap, plots and report included) against a whole reference process: `imagenetx_cli_vs_reference.py`.

Usage:
    .venv/bin/python benchmarks/imagenetx_vs_reference.py --models 200 2200 --reference-max 200
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REFERENCE = """
import json, resource, sys, time
from imagenet_x import get_factor_accuracies, error_ratio
start = time.perf_counter()
accuracies = get_factor_accuracies(sys.argv[1])
ratios = error_ratio(accuracies)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                  "models": len(accuracies)}))
"""

FOVKIT = """
import json, resource, sys, time
import pandas as pd
from fovkit.engine import default_workers
from fovkit.analysis.engine import SHARD_SIZE
from fovkit.imagenetx.analysis import analyze_files
from fovkit.imagenetx.annotations import load_factor_table
from fovkit.imagenetx.config import ImageNetXConfig
from fovkit.tables.prediction_files import expand_prediction_paths
import scipy.stats  # fovkit loads it on first use (the between-group tests); imports stay outside the clock
start = time.perf_counter()
config = ImageNetXConfig(bootstrap=0)
table = load_factor_table(config.which_factor, config.partition)
paths = expand_prediction_paths([sys.argv[1]])
groups = pd.Series([f"group_{i % 4}" for i in range(len(paths))], index=[p.stem for p in paths])
result = analyze_files(table, paths, config, groups)
seconds = time.perf_counter() - start
# Upper bound of the summed peak: parent plus every worker at the largest worker's peak (shared pages count twice).
workers = min(default_workers(), -(-len(paths) // SHARD_SIZE))
parent, child = (resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
peak = parent + workers * child
print(json.dumps({"seconds": seconds, "peak_gib": peak / 2**20, "models": len(result.summary)}))
"""


def prepare(data_dir: Path, n_models: int) -> Path:
    """Folder with exactly `n_models` CSVs: links to the first files of one shared, seeded pool."""
    pool = data_dir / "pool"
    existing = len(list(pool.glob("model_*.csv"))) if pool.exists() else 0
    if existing < n_models:
        from fovkit.imagenetx.synthetic import write_synthetic_predictions

        write_synthetic_predictions(pool, n_models, seed=0, progress=True)
    folder = data_dir / f"models_{n_models}"
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(n_models):
        link = folder / f"model_{index:04d}.csv"
        if not link.exists():
            link.symlink_to(pool / link.name)
    return folder


def warm_page_cache(folder: Path) -> None:
    """Read every CSV once, so both tools start with the files in the page cache (this VM reclaims idle pages)."""
    for path in sorted(folder.glob("*.csv")):
        with path.open("rb") as handle:
            while handle.read(1 << 24):
                pass


def measure(script: str, folder: Path, python: str, pause: float = 0.0) -> dict:
    """Run one tool in a fresh process (files in the page cache, after `pause` seconds of quiet); its JSON line."""
    warm_page_cache(folder)
    time.sleep(pause)
    completed = subprocess.run([python, "-c", script, str(folder)], capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        return {"error": completed.stderr.strip().splitlines()[-1] if completed.stderr else "failed"}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def add_shared_arguments(parser: argparse.ArgumentParser) -> None:
    """Options both ImageNet-X benchmarks take: data folder, reference interpreter, repeats and pauses."""
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/fovkit-bench"))
    parser.add_argument("--reference-python", default=sys.executable, help="interpreter with imagenet-x installed")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per tool and size; the median and best are reported"
    )
    parser.add_argument(
        "--pause",
        type=float,
        default=5.0,
        help="seconds of quiet before each run, so neither tool starts while the kernel still reclaims the other's "
        "memory (the reference frees ~6 GiB on exit)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, nargs="+", default=[200, 2200])
    parser.add_argument("--reference-max", type=int, default=200, help="largest size the reference is run on")
    add_shared_arguments(parser)
    args = parser.parse_args()

    rows = []
    for n_models in args.models:
        folder = prepare(args.data_dir, n_models)
        runs: dict[str, list[dict]] = {"fovkit": [], "reference": []}
        for _ in range(args.repeat):  # interleaved, so both tools see the same machine load
            runs["fovkit"].append(measure(FOVKIT, folder, sys.executable, args.pause))
            if n_models <= args.reference_max:
                runs["reference"].append(measure(REFERENCE, folder, args.reference_python, args.pause))
        runs = {tool: results for tool, results in runs.items() if results}
        row = {"models": n_models}
        for tool, results in runs.items():
            ok = [result for result in results if "error" not in result]
            if not ok:
                row[tool] = results[0]
                continue
            ok.sort(key=lambda result: result["seconds"])
            median = ok[len(ok) // 2]
            row[tool] = {
                "seconds": median["seconds"],
                "best_seconds": ok[0]["seconds"],
                "all_seconds": [round(result["seconds"], 3) for result in ok],
                "peak_gib": max(result["peak_gib"] for result in ok),
            }
        rows.append(row)
        print(json.dumps(row), flush=True)

    print()
    print(
        "| models | reference s (median / best) | reference peak GiB | fovkit s (median / best) | fovkit peak GiB "
        "| speed-up (median / best) | memory ratio |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        fov, ref = row["fovkit"], row.get("reference")
        ran = bool(ref and "seconds" in ref)
        ref_s = f"{ref['seconds']:.2f} / {ref['best_seconds']:.2f}" if ran else "not run"
        ref_m = f"{ref['peak_gib']:.2f}" if ran else "not run"
        speed = (
            f"{ref['seconds'] / fov['seconds']:.1f}x / {ref['best_seconds'] / fov['best_seconds']:.1f}x" if ran else "-"
        )
        memory = f"{ref['peak_gib'] / fov['peak_gib']:.1f}x less" if ran else "-"
        fov_s = f"{fov['seconds']:.2f} / {fov['best_seconds']:.2f}"
        cells = [str(row["models"]), ref_s, ref_m, fov_s, f"{fov['peak_gib']:.2f}", speed, memory]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
