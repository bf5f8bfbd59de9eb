"""Benchmark: peak memory of `fovkit probe` (linear probe) on two rendered datasets 10x apart in size.

The issue asks that features stream from the shards into memory-mapped files, so that peak memory is bounded by the
batch and shard size rather than by the dataset: at 10x the images, peak memory must grow by less than 1.5x.

Two datasets are rendered once into `--work` (64 px, `single` design, `SMALL` ~5,200 and `LARGE` ~53,000 images,
shards of `--shard-size` images), then `fovkit probe --protocol linear --seed 0` with a random-init built-in
backbone (`--backbone`, default `fovkit:resnet_small@random`: no pretraining) runs on each as a subprocess with a
fresh feature cache (`FOVKIT_CACHE`), so every run extracts its features. The peak memory of the whole process tree
(the command and its forked feature workers) is sampled every `--interval` seconds from /proc: the sum of RSS
(pages shared after fork count once per process, so this overstates) and the sum of PSS (shared pages split
between the processes that map them: the honest total). PASS when both peaks grow by less than `TARGET`.

Then feature-extraction throughput (images/s) of the backbone is measured on the large dataset with `--workers`
forked workers and with one process, in this process, cache cold. If `fovkit predict` exists (`fovkit predict MODEL
SOURCE --out FILE`), its peak memory is measured on both datasets too (`--predict-model`, a tiny random timm ViT
by default: memory, not accuracy, is measured, and EfficientNet at 224 px would take an hour for 53,000 images).

Usage (about 5 minutes on 2 cores; Linux only, for /proc):
    .venv/bin/python benchmarks/memory_scaling.py --work /tmp/fovkit-memory
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

TARGET = 1.5
"""Largest allowed growth of peak memory for 10x the images."""

SMALL = {"classes": 5, "instances_per_class": 10, "single_values": 21}
"""50 objects x (4 axes x 21 values + 20 backgrounds) = 5,200 images."""
LARGE = {"classes": 10, "instances_per_class": 25, "single_values": 48}
"""250 objects x (4 axes x 48 values + 20 backgrounds) = 53,000 images (10.2x)."""
COMMON = {
    "designs": ["single"],
    "image_size": 64,
    "backgrounds_per_type": 4,
    "grid_backgrounds": 4,
    "samples": 1,
    "held_out_fraction": 0.2,
}

FOVKIT = Path(sys.executable).with_name("fovkit")


@dataclass(frozen=True)
class Peak:
    """Peak memory of one command's process tree and its wall time."""

    rss_gib: float
    pss_gib: float
    seconds: float
    processes: int


def main() -> None:
    """Render both datasets (once), measure the probe (and predict) on each, print peaks, ratios and throughput."""
    args = parse_args()
    work = args.work.resolve()
    datasets = {
        name: render(work, name, sizes, args.shard_size) for name, sizes in (("small", SMALL), ("large", LARGE))
    }
    counts = {name: images(folder) for name, folder in datasets.items()}
    growth = counts["large"] / counts["small"]
    print(f"datasets: small {counts['small']:,} images, large {counts['large']:,} ({growth:.1f}x)")
    peaks = {}
    for name, folder in datasets.items():
        out = work / f"probe-{name}"
        shutil.rmtree(out, ignore_errors=True)
        command = [str(FOVKIT), "probe", str(folder), "--out", str(out), "--backbone", args.backbone]
        command += ["--protocol", "linear", "--seed", "0", "--quiet"]
        peaks[name] = measure(command, work / f"cache-probe-{name}", args.interval)
        print(f"probe {name}: {describe(peaks[name])}")
    verdict = report("probe", peaks)
    if predict_exists():
        predicted = {}
        for name, folder in datasets.items():
            command = [
                str(FOVKIT),
                "predict",
                args.predict_model,
                str(folder),
                "--out",
                str(work / f"predict-{name}.parquet"),
                "--overwrite",
                "--quiet",
            ]
            predicted[name] = measure(command, work / f"cache-predict-{name}", args.interval)
            print(f"predict {name}: {describe(predicted[name])}")
        report("predict", predicted)
    else:
        print("predict: `fovkit predict` does not exist yet; not measured")
    throughput(datasets["large"], counts["large"], args, work)
    sys.exit(0 if verdict else 1)


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/fovkit-memory"), help="datasets, caches and outputs")
    parser.add_argument("--backbone", default="fovkit:resnet_small@random", help="backbone of the probe")
    parser.add_argument(
        "--predict-model",
        default="timm:test_vit@random",
        help="model of `fovkit predict` (default: timm's tiny test ViT, ~400 images/s, so 53,000 images take minutes)",
    )
    parser.add_argument("--workers", type=int, default=2, help="feature workers for the throughput measurement")
    parser.add_argument("--shard-size", type=int, default=2000, help="images per shard of the rendered datasets")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between memory samples")
    return parser.parse_args()


def render(work: Path, name: str, sizes: dict, shard_size: int) -> Path:
    """Render a dataset once into `work/<name>` (reused when its manifest exists)."""
    folder = work / name
    if (folder / "manifest.json").exists():
        return folder
    config = work / f"{name}.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({**COMMON, **sizes, "shard_size": shard_size}))
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", RENDER, str(config), str(folder)], check=True, env={**os.environ, "LP_NUM_THREADS": "0"}
    )
    print(f"rendered {name} in {time.perf_counter() - started:.0f} s")
    return folder


RENDER = """
import json, sys
from pathlib import Path
from fovkit.jobs.render import run_render
from fovkit.render.config import RenderConfig
run_render(RenderConfig(**json.loads(Path(sys.argv[1]).read_text())), Path(sys.argv[2]), progress=False, report=None)
"""


def images(folder: Path) -> int:
    """Images of a dataset, from its manifest."""
    return sum(shard["rows"] for shard in json.loads((folder / "manifest.json").read_text())["shards"])


def measure(command: list[str], cache: Path, interval: float) -> Peak:
    """Run `command` with a fresh fovkit cache, sampling its process tree's memory; its peak RSS and PSS sums."""
    shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, "FOVKIT_CACHE": str(cache)}
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = {"rss": 0, "pss": 0, "processes": 1}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            rss = pss = 0
            tree = process_tree(process.pid)
            for pid in tree:
                rss += read_kib(f"/proc/{pid}/status", "VmRSS:")
                pss += read_kib(f"/proc/{pid}/smaps_rollup", "Pss:")
            peak["rss"], peak["pss"] = max(peak["rss"], rss), max(peak["pss"], pss)
            peak["processes"] = max(peak["processes"], len(tree))
            time.sleep(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{output[-3000:]}")
    return Peak(peak["rss"] / 2**20, peak["pss"] / 2**20, seconds, peak["processes"])


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (from /proc/<pid>/task/*/children)."""
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    pending.extend(int(child) for child in handle.read().split())
        except OSError:  # ended meanwhile
            continue
    return tree


def read_kib(path: str, key: str) -> int:
    """The kB value of `key` in a /proc status-style file (0 if the process ended)."""
    try:
        with open(path) as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def describe(peak: Peak) -> str:
    """One line: peaks, processes, time."""
    return (
        f"peak RSS {peak.rss_gib:.3f} GiB, peak PSS {peak.pss_gib:.3f} GiB over up to {peak.processes} processes, "
        f"{peak.seconds:.1f} s"
    )


def report(what: str, peaks: dict[str, Peak]) -> bool:
    """Print the growth of both peaks from the small to the large dataset and the verdict against `TARGET`."""
    rss = peaks["large"].rss_gib / peaks["small"].rss_gib
    pss = peaks["large"].pss_gib / peaks["small"].pss_gib
    passed = rss < TARGET and pss < TARGET
    print(f"{what}: peak growth at 10x the images: RSS {rss:.2f}x, PSS {pss:.2f}x -> {'PASS' if passed else 'FAIL'}")
    return passed


def predict_exists() -> bool:
    """Whether this fovkit has the `predict` command."""
    result = subprocess.run([str(FOVKIT), "predict", "--help"], capture_output=True, text=True)
    return result.returncode == 0


def throughput(folder: Path, count: int, args: argparse.Namespace, work: Path) -> None:
    """Images/s of feature extraction on `folder`, with `args.workers` workers and with one process, cache cold."""
    import torch

    from fovkit.models import load_backbone
    from fovkit.protocols.features import extract_features
    from fovkit.render.store import RenderedDataset

    torch.set_num_threads(1)
    dataset = RenderedDataset.open(folder)
    name, _, weights = args.backbone.partition("@")
    backbone = load_backbone(name, weights=weights or None)
    for workers in (args.workers, 1):
        root = work / f"throughput-{workers}"
        shutil.rmtree(root, ignore_errors=True)
        started = time.perf_counter()
        extract_features(backbone, dataset, root=root, progress=False, workers=workers)
        seconds = time.perf_counter() - started
        rate = count / seconds
        print(f"extraction {args.backbone} at 64 px, {workers} worker(s): {rate:,.0f} images/s ({seconds:.1f} s)")
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
