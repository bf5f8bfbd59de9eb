"""Benchmark: fovkit's ImageNet-C corruptions against the reference `imagecorruptions` package, side by side.

Issue 12's targets, measured in one run on the same images (a table each, PASS or FAIL per target):

- Speed, severity 3, 224 px images, one core: CPU seconds per image of the reference (one image at a time, the
  first call excluded as warm-up) and of fovkit's `corrupt_batch` (batches of 16, the first batch excluded), each
  corruption timed on both tools back to back. fovkit must be at least 10x faster over the 19 corruptions in total
  and at least 50x on glass_blur. CPU time (every thread of the process counts) is the work done on one core and
  barely moves when other jobs share the machine; the wall-clock ratio is printed beside it.
- Parity, every corruption at every severity: a deterministic corruption must match the reference within 1 grey
  level on at least 99% of the pixels; a stochastic one must give the same distribution of the perturbation
  `corrupted - clean` (its mean and standard deviation, pooled over every pixel of every image, within 5% of the
  reference's; a mean under 5% of the reference's standard deviation, as zero-mean noise has, counts as zero, and
  two such means agree). The ratios come with a 95% interval from resampling the images (paired), which tells a
  bias from chance. Images: scikit-image's and matplotlib's sample photos and the first `--parity-images`
  renders; at the `--severities` of the classifier part, all the renders as well.
- Classifier error, at `--severities` (default 3): a fixed ImageNet classifier (`fovkit:efficientnet_lite0`, whose
  weights ship offline) on the reference's and on fovkit's corrupted renders, right when its top-1 class is one of
  the rendered class's ImageNet counterparts (`fovkit.render.imagenet.CATALOG_IMAGENET`, what `fovkit analyze
  --label-space imagenet-1k` scores). The two errors must agree within 1 point; the standard error of their
  difference (paired) is printed beside it, with the clean error and, for each tool, the share of renders whose
  clean top-1 class survives the corruption (renders are hard for ImageNet models, so errors sit high and this
  label-free share is the more sensitive comparison).

The reference runs in its own virtualenv (`--reference-env`, built on first use: `imagecorruptions==1.1.2` with
`setuptools<81`, whose `pkg_resources` it imports, and its `corruptions.py` patched for scikit-image >= 0.22,
`multichannel=True` -> `channel_axis=-1`, and NumPy 2, `np.float_` -> `np.float64`; the patch is printed). A worker
process in that virtualenv (`reference_corruptions_worker.py`) corrupts .npy files of a temporary folder, with
OpenMP, OpenBLAS, MKL, Numba and OpenCV held to one thread; this process runs fovkit with the same settings and
`torch.set_num_threads(1)`. Corruptions that fovkit has not registered yet are skipped, and the printout names them.

Images are 224 x 224 RGB renders of fovkit's procedural catalog, every class with ImageNet counterparts, 2 objects
each, factors drawn at random (the "all" design; PNG, so the clean images are exact). They are rendered once into
`--work` and reused by later runs.

A FAIL is annotated where the measurement cannot tell it from chance: a moment ratio whose 95% interval includes 1,
an error difference within 2 standard errors. Few images (`--quick`) leave fog, frost and motion_blur, whose
perturbation varies much from image to image, inside such intervals.

Usage (the full run costs about 2-2.5 CPU hours: the reference about 1 h, its glass_blur alone 1-3 s an image, and
the classifier about 1 h; `--parts speed` alone takes a few minutes):
    .venv/bin/python benchmarks/corruptions_vs_reference.py
    nice -n 10 .venv/bin/python benchmarks/corruptions_vs_reference.py --quick   # 64 renders, 45 min on 2 busy cores
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import importlib.util
import json
import math
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

SINGLE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}
os.environ.update(SINGLE_THREAD)  # before numpy, torch or numba load their thread pools

import numpy as np  # noqa: E402

REFERENCE_REQUIREMENTS = ("imagecorruptions==1.1.2", "setuptools<81")
PATCHES = ((re.compile(r"multichannel=True"), "channel_axis=-1"), (re.compile(r"\bnp\.float_\b"), "np.float64"))
"""The reference's two breakages on current libraries and their fixes (scikit-image >= 0.22, NumPy 2)."""
WORKER = Path(__file__).with_name("reference_corruptions_worker.py")

IMAGE_SIZE = 224
INSTANCES = 2
"""Objects rendered per catalog class."""
BATCH = 16
"""fovkit's batch size, for timing and for parity."""
SPEED_SEVERITY = 3
FAMILIES = ("noise", "blur", "weather", "digital")

TOTAL_SPEEDUP = 10.0
GLASS_SPEEDUP = 50.0
GREY_SHARE = 0.99
MOMENT_TOLERANCE = 0.05
ERROR_POINTS = 1.0
BOOTSTRAP = 1000


# ----------------------------------------------------------------------------------------------- reference env


def reference_python(env: Path) -> tuple[Path, str]:
    """The reference virtualenv's interpreter (built and patched on first use) and the patch as applied."""
    python = env / "bin" / "python"
    if not python.exists():
        print(f"creating the reference virtualenv {env} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    if not _has_requirements(python):
        print(f"installing {' '.join(REFERENCE_REQUIREMENTS)} into {env} ...", file=sys.stderr)
        command = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*command, *REFERENCE_REQUIREMENTS], check=True)
    return python, patch_reference(_reference_source(python))


def _has_requirements(python: Path) -> bool:
    check = (
        "import importlib.metadata as m\n"
        "ok = m.version('imagecorruptions') == '1.1.2' and int(m.version('setuptools').split('.')[0]) < 81\n"
        "raise SystemExit(0 if ok else 1)"
    )
    return subprocess.run([str(python), "-c", check], capture_output=True, check=False).returncode == 0


def _reference_source(python: Path) -> Path:
    where = "import importlib.util as u; print(u.find_spec('imagecorruptions').submodule_search_locations[0])"
    done = subprocess.run([str(python), "-c", where], capture_output=True, text=True, check=True)
    return Path(done.stdout.strip()) / "corruptions.py"


def patch_reference(source: Path) -> str:
    """Apply `PATCHES` to the reference's `corruptions.py` (keeping the original beside it); the diff as applied."""
    original_copy = source.with_name(source.name + ".orig")
    text = source.read_text()
    patched = text
    for pattern, replacement in PATCHES:
        patched = pattern.sub(replacement, patched)
    if patched != text:
        if not original_copy.exists():
            original_copy.write_text(text)
        source.write_text(patched)
    if not original_copy.exists():
        return f"{source} needed no patch (patched before this script first ran; no original kept)\n"
    lines = difflib.unified_diff(
        original_copy.read_text().splitlines(keepends=True),
        patched.splitlines(keepends=True),
        fromfile=f"{source} (as installed)",
        tofile=f"{source} (patched)",
        n=0,
    )
    return "".join(lines)


class ReferenceWorker:
    """The reference package in its own process: corrupts .npy images, one job at a time, restarted if it dies."""

    def __init__(self, python: Path) -> None:
        self.python = python
        self.versions: dict = {}
        self._start()

    def _start(self) -> None:
        env = {**os.environ, **SINGLE_THREAD}
        self.process = subprocess.Popen(
            [str(self.python), "-W", "ignore", str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        hello = self._answer()
        if "error" in hello:
            raise RuntimeError(f"the reference worker did not start: {hello['error']}")
        self.versions = hello

    def _answer(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            return {"error": f"the reference worker exited with code {self.process.returncode}"}
        return json.loads(line)

    def corrupt(self, images: Path, name: str, severity: int, seed: int, output: Path | None) -> dict:
        """Corrupt every image of `images` into `output` (None: time only); {"seconds": [...]} or {"error": ...}."""
        job = {"images": str(images), "name": name, "severity": severity, "seed": seed}
        job["output"] = None if output is None else str(output)
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        answer = self._answer()
        if self.process.poll() is not None:
            self._start()
        return answer

    def close(self) -> None:
        """Close the worker's input and wait for it to exit."""
        self.process.stdin.close()
        self.process.wait(timeout=60)


# ------------------------------------------------------------------------------------------------------ images


def rendered_images(work: Path, count: int, workers: int) -> tuple[np.ndarray, list[str]]:
    """`count` 224 px renders (N x H x W x 3 uint8) of the catalog classes with ImageNet counterparts, and classes.

    Cached in `work`: the rendered dataset folder and the chosen images, so that reruns skip rendering.
    """
    cache = work / f"renders_{IMAGE_SIZE}px_{count}.npz"
    if cache.exists():
        with np.load(cache) as stored:
            return stored["images"], stored["classes"].tolist()
    from fovkit.render.config import RenderConfig
    from fovkit.render.dataset import render_dataset
    from fovkit.render.imagenet import CATALOG_IMAGENET
    from fovkit.render.store import RenderedDataset
    from fovkit.runs import atomic_file

    classes = sorted(CATALOG_IMAGENET)
    config = RenderConfig(
        classes=classes,
        instances_per_class=INSTANCES,
        designs=("all",),
        combinations=-(-count // (len(classes) * INSTANCES)),
        held_out_fraction=0.0,
        image_size=IMAGE_SIZE,
        image_format="png",
        shard_size=500,
        seed=0,
    )
    folder = work / f"render_{IMAGE_SIZE}px_{config.combinations}_per_object"
    render_dataset(config, folder, workers=workers, progress=True)
    dataset = RenderedDataset.open(folder)
    samples = dataset.samples
    rows = samples.iloc[np.linspace(0, len(samples) - 1, count).round().astype(int)]  # spread over every object
    images = np.stack(list(dataset.images(rows)))
    names = rows["class_name"].astype(str).tolist()
    with atomic_file(cache) as staging, staging.open("wb") as handle:
        np.savez(handle, images=images, classes=np.asarray(names))
    return images, names


def sample_photos() -> tuple[np.ndarray, list[str]]:
    """scikit-image's and matplotlib's sample photos, centre-cropped square and resized to 224 px (N x H x W x 3)."""
    from matplotlib import cbook
    from PIL import Image
    from skimage import data

    left, right, _ = data.stereo_motorcycle()
    with cbook.get_sample_data("grace_hopper.jpg") as handle:
        hopper = np.asarray(Image.open(handle).convert("RGB"))
    photos = {
        "chelsea": data.chelsea(),
        "coffee": data.coffee(),
        "astronaut": data.astronaut(),
        "rocket": data.rocket(),
        "camera": np.repeat(data.camera()[..., None], 3, axis=2),
        "motorcycle_left": left,
        "motorcycle_right": right,
        "grace_hopper": hopper,
    }
    images = []
    for photo in photos.values():
        height, width = photo.shape[:2]
        side = min(height, width)
        top, start = (height - side) // 2, (width - side) // 2
        square = Image.fromarray(np.ascontiguousarray(photo[top : top + side, start : start + side]))
        images.append(np.asarray(square.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.LANCZOS)))
    return np.stack(images), list(photos)


# ------------------------------------------------------------------------------------------------------ fovkit


def load_corruptions() -> tuple[types.ModuleType, list[str], dict[str, str]]:
    """The corruption package of fovkit, the registered names in the reference order, and why others are missing.

    While a family module is still being written the package cannot import whole; then the registry is loaded
    without the package's `__init__` and every family module that imports registers its corruptions.
    """
    problems: dict[str, str] = {}
    try:
        import fovkit.corruptions as corruptions
    except Exception:  # a family module missing or mid-edit; registry and api failing here fail below too
        spec = importlib.util.find_spec("fovkit.corruptions")
        package = types.ModuleType("fovkit.corruptions")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["fovkit.corruptions"] = package
        for family in FAMILIES:
            try:
                importlib.import_module(f"fovkit.corruptions.{family}")
            except Exception as failure:  # a module not written yet or mid-edit: report it, bench the others
                module = f"fovkit.corruptions.{family}"
                absent = isinstance(failure, ModuleNotFoundError) and failure.name == module
                problems[family] = f"no module {module} yet" if absent else f"{module} does not import: {failure!r}"
        corruptions = importlib.import_module("fovkit.corruptions.api")
        registry = importlib.import_module("fovkit.corruptions.registry")
        corruptions.get_corruption_names = registry.get_corruption_names
        corruptions.get_corruption = registry.get_corruption
        corruptions.CORRUPTIONS = registry.CORRUPTIONS
    else:
        from fovkit.corruptions.registry import CORRUPTIONS

        corruptions.CORRUPTIONS = CORRUPTIONS
    registered, missing = [], {}
    for name in corruptions.get_corruption_names("all"):
        if name in corruptions.CORRUPTIONS:
            registered.append(name)
        else:
            family = next((family for family in problems if name in _family_names(family)), None)
            missing[name] = problems[family] if family else "not registered yet"
    return corruptions, registered, missing


def _family_names(family: str) -> list[str]:
    from fovkit.corruptions.registry import EXTRA, SUBSETS

    extra_families = {"speckle_noise": "noise", "gaussian_blur": "blur", "spatter": "weather", "saturate": "digital"}
    return [*SUBSETS[family], *(name for name in EXTRA if extra_families[name] == family)]


def fovkit_corrupt(
    corruptions: types.ModuleType, images: np.ndarray, name: str, severity: int, key: tuple[int, ...]
) -> tuple[np.ndarray, list[float], list[float]]:
    """`images` (N x H x W x 3) corrupted by fovkit in batches of `BATCH`; each batch's wall and CPU seconds.

    Image i draws from `np.random.default_rng([*key, i])`; the layout conversion stays outside the clock.
    """
    import torch

    corrupted = np.empty_like(images)
    seconds, cpu_seconds = [], []
    for start in range(0, len(images), BATCH):
        batch = torch.from_numpy(images[start : start + BATCH]).permute(0, 3, 1, 2).contiguous()
        rngs = [np.random.default_rng([*key, start + offset]) for offset in range(len(batch))]
        clock, cpu_clock = time.perf_counter(), time.process_time()
        result = corruptions.corrupt_batch(batch, name, severity, rngs)
        cpu_seconds.append(time.process_time() - cpu_clock)
        seconds.append(time.perf_counter() - clock)
        corrupted[start : start + BATCH] = result.permute(0, 2, 3, 1).numpy()
    return corrupted, seconds, cpu_seconds


def stream_seed(*key: int) -> int:
    """A 32-bit seed for NumPy's legacy global generator (the reference's), derived from `key`."""
    return int(np.random.SeedSequence(key).generate_state(1)[0])


# ------------------------------------------------------------------------------------------------------- parts


def measure_speed(
    corruptions: types.ModuleType,
    worker: ReferenceWorker,
    names: list[str],
    images: np.ndarray,
    scratch: Path,
    reference_images: int,
    batches: int,
    seed: int,
) -> list[dict]:
    """CPU and wall seconds per image of both tools at severity 3, corruption by corruption (reference first).

    CPU time (of every thread of the process) is what the targets are judged on: it is the work done on one core,
    and it varies far less than the wall clock when other jobs share the machine.
    """
    path = scratch / "speed.npy"
    np.save(path, images[:reference_images])
    fovkit_images = np.resize(images, ((batches + 1) * BATCH, *images.shape[1:]))  # repeats images if too few
    rows = []
    for name in names:
        number = corruptions.get_corruption_names("all").index(name)
        row: dict = {"corruption": name}
        answer = worker.corrupt(path, name, SPEED_SEVERITY, stream_seed(seed, 0, number), None)
        if "error" in answer:
            row["reference_error"] = answer["error"]
        else:
            row["reference_s"] = float(np.mean(answer["cpu_seconds"][1:]))
            row["reference_wall_s"] = float(np.mean(answer["seconds"][1:]))
            row["reference_warmup_s"] = answer["cpu_seconds"][0]
        try:
            _, seconds, cpu = fovkit_corrupt(corruptions, fovkit_images, name, SPEED_SEVERITY, (seed, 0, number))
        except Exception as error:  # a corruption mid-edit: report it and go on
            row["fovkit_error"] = f"{type(error).__name__}: {error}"
        else:
            row["fovkit_s"] = sum(cpu[1:]) / (batches * BATCH)
            row["fovkit_wall_s"] = sum(seconds[1:]) / (batches * BATCH)
            row["fovkit_warmup_batch_s"] = cpu[0]
        if "reference_s" in row and "fovkit_s" in row:
            row["speedup"] = row["reference_s"] / row["fovkit_s"]
            row["wall_speedup"] = row["reference_wall_s"] / row["fovkit_wall_s"]
        rows.append(row)
        print(f"speed {name}: {_speed_line(row)}", file=sys.stderr, flush=True)
    return rows


def _speed_line(row: dict) -> str:
    if "speedup" not in row:
        return row.get("reference_error") or row.get("fovkit_error", "")
    return f"reference {row['reference_s'] * 1e3:.1f} ms, fovkit {row['fovkit_s'] * 1e3:.2f} ms, {row['speedup']:.1f}x"


def compare(clean: np.ndarray, fovkit: np.ndarray, reference: np.ndarray, seed: int) -> dict:
    """Grey-level agreement and perturbation moments of two corruptions of `clean` (all N x H x W x 3 uint8)."""
    count = len(clean)
    within = np.empty(count)
    largest = 0
    moments = {tool: (np.empty(count), np.empty(count)) for tool in ("fovkit", "reference")}
    for start in range(0, count, 64):
        part = slice(start, start + 64)
        base = clean[part].astype(np.float64)
        gap = np.abs(fovkit[part].astype(np.int16) - reference[part].astype(np.int16))
        within[part] = (gap <= 1).reshape(len(base), -1).mean(axis=1)
        largest = max(largest, int(gap.max()))
        for tool, corrupted in (("fovkit", fovkit[part]), ("reference", reference[part])):
            change = (corrupted.astype(np.float64) - base).reshape(len(base), -1)
            moments[tool][0][part] = change.mean(axis=1)
            moments[tool][1][part] = np.square(change).mean(axis=1)
    result = {"images": count, "within_1": float(within.mean()), "worst_image_within_1": float(within.min())}
    result["max_difference"] = largest
    for tool, (first, second) in moments.items():
        mean = first.mean()
        result[f"{tool}_mean"] = float(mean)
        result[f"{tool}_std"] = float(math.sqrt(max(second.mean() - mean**2, 0.0)))
    result["mean_ratio"] = _ratio(result["fovkit_mean"], result["reference_mean"])
    result["std_ratio"] = _ratio(result["fovkit_std"], result["reference_std"])
    picks = np.random.default_rng(seed).integers(0, count, size=(BOOTSTRAP, count))
    means, stds = {}, {}
    for tool, (first, second) in moments.items():
        means[tool] = first[picks].mean(axis=1)
        stds[tool] = np.sqrt(np.maximum(second[picks].mean(axis=1) - means[tool] ** 2, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        for label, values in (("mean", means), ("std", stds)):
            ratios = values["fovkit"] / values["reference"]
            ratios = ratios[np.isfinite(ratios)]
            interval = np.percentile(ratios, [2.5, 97.5]).tolist() if len(ratios) else [None, None]
            result[f"{label}_ratio_95"] = interval
    return result


def _ratio(value: float, reference: float) -> float | None:
    return value / reference if reference != 0 else None


def predict(classifier, images: np.ndarray) -> np.ndarray:
    """Top-1 ImageNet class of each image (N x H x W x 3 uint8), in batches of 32."""
    import torch

    classes = []
    with torch.inference_mode():
        for start in range(0, len(images), 32):
            batch = torch.from_numpy(images[start : start + 32]).permute(0, 3, 1, 2).float() / 255.0
            classes.append(classifier(batch).argmax(dim=1).numpy())
    return np.concatenate(classes)


def right(labels, predicted: np.ndarray) -> np.ndarray:
    """True where a top-1 class (one per image) is among the image's acceptable ImageNet classes."""
    return labels.correct(predicted[:, None])[:, 0]


def error_row(labels, clean: np.ndarray, fovkit: np.ndarray, reference: np.ndarray) -> dict:
    """Errors (%) on both tools' corrupted images, the paired standard error of their difference, clean top-1 kept.

    The share of images whose clean top-1 class survives the corruption is a label-free check of its strength.
    """
    right_fovkit, right_reference = right(labels, fovkit), right(labels, reference)
    count = len(fovkit)
    only_fovkit = int((right_fovkit & ~right_reference).sum())
    only_reference = int((right_reference & ~right_fovkit).sum())
    discordant = only_fovkit + only_reference
    spread = math.sqrt(max(discordant - (only_fovkit - only_reference) ** 2 / count, 0.0)) / count
    row = {
        "images": count,
        "fovkit_error": 100.0 * (1.0 - right_fovkit.mean()),
        "reference_error": 100.0 * (1.0 - right_reference.mean()),
        "difference_se": 100.0 * spread,
        "fovkit_kept_clean_top1": float((fovkit == clean).mean()),
        "reference_kept_clean_top1": float((reference == clean).mean()),
        "same_top1": float((fovkit == reference).mean()),
    }
    row["difference"] = row["fovkit_error"] - row["reference_error"]
    return row


def measure_parity(
    corruptions: types.ModuleType,
    worker: ReferenceWorker,
    names: list[str],
    sets: dict[str, np.ndarray],
    scratch: Path,
    plan: dict[int, str],
    classify,
    seed: int,
) -> list[dict]:
    """Parity (and, where `classify` is given for the set, classifier errors) per corruption and severity.

    `plan` maps each severity to the image set it runs on; `classify(set_name, fovkit_out, reference_out)` returns
    the classifier row for that set, or None.
    """
    paths = {}
    for set_name, images in sets.items():
        paths[set_name] = scratch / f"{set_name}.npy"
        np.save(paths[set_name], images)
    rows = []
    for name in names:
        number = corruptions.get_corruption_names("all").index(name)
        stochastic = corruptions.get_corruption(name).stochastic
        for severity, set_name in sorted(plan.items()):
            clean = sets[set_name]
            row: dict = {"corruption": name, "severity": severity, "stochastic": stochastic, "set": set_name}
            output = scratch / "reference_out.npy"
            clock = time.perf_counter()
            answer = worker.corrupt(paths[set_name], name, severity, stream_seed(seed, 1, number, severity), output)
            if "error" in answer:
                row["reference_error"] = answer["error"]
                rows.append(row)
                continue
            reference = np.load(output)
            output.unlink()
            row["reference_cpu_seconds"] = float(sum(answer["cpu_seconds"]))
            try:
                fovkit, _, cpu = fovkit_corrupt(corruptions, clean, name, severity, (seed, 1, number, severity))
            except Exception as error:  # a corruption mid-edit: report it and go on
                row["fovkit_error"] = f"{type(error).__name__}: {error}"
                rows.append(row)
                continue
            row["fovkit_cpu_seconds"] = float(sum(cpu))
            row.update(compare(clean, fovkit, reference, seed))
            errors = classify(set_name, fovkit, reference)
            if errors is not None:
                row["classifier"] = errors
            rows.append(row)
            took = time.perf_counter() - clock
            print(f"parity {name} s{severity} ({len(clean)} images, {took:.0f} s)", file=sys.stderr, flush=True)
    return rows


# ------------------------------------------------------------------------------------------------------ report


def verdict(passed: bool | None) -> str:
    """PASS, FAIL, or n/a when the target could not be measured."""
    return "n/a" if passed is None else "PASS" if passed else "FAIL"


def print_speed(rows: list[dict], names_total: int) -> dict:
    """The speed table; returns the totals over the corruptions both tools ran (a partial total says so)."""
    print("\n## Speed: CPU milliseconds per 224 px image at severity 3, one core (wall-clock speed-up beside it)\n")
    print("| corruption | reference ms | fovkit ms | speed-up | wall speed-up | target | result |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for row in rows:
        if "speedup" not in row:
            error = row.get("reference_error") or row.get("fovkit_error")
            print(f"| {row['corruption']} | error: {error} | | | | | n/a |")
            continue
        glass = row["corruption"] == "glass_blur"
        target = f">= {GLASS_SPEEDUP:.0f}x" if glass else ""
        result = verdict(row["speedup"] >= GLASS_SPEEDUP) if glass else ""
        cells = [f"{row['reference_s'] * 1e3:.2f}", f"{row['fovkit_s'] * 1e3:.3f}", f"{row['speedup']:.1f}x"]
        cells.append(f"{row['wall_speedup']:.1f}x")
        print(f"| {row['corruption']} | " + " | ".join(cells) + f" | {target} | {result} |")
    measured = [row for row in rows if "speedup" in row]
    totals = {"corruptions": len(measured)}
    if measured:
        for key in ("reference_s", "fovkit_s", "reference_wall_s", "fovkit_wall_s"):
            totals[key] = sum(row[key] for row in measured)
        totals["speedup"] = totals["reference_s"] / totals["fovkit_s"]
        totals["wall_speedup"] = totals["reference_wall_s"] / totals["fovkit_wall_s"]
        label = f"total ({len(measured)} of {names_total})"
        cells = [f"{totals['reference_s'] * 1e3:.1f}", f"{totals['fovkit_s'] * 1e3:.2f}", f"{totals['speedup']:.1f}x"]
        cells.append(f"{totals['wall_speedup']:.1f}x")
        print(f"| **{label}** | " + " | ".join(cells) + f" | >= {TOTAL_SPEEDUP:.0f}x | ", end="")
        print(
            verdict(totals["speedup"] >= TOTAL_SPEEDUP) + (" (partial)" if len(measured) < names_total else "") + " |"
        )
    return totals


def print_parity(rows: list[dict]) -> None:
    """The two parity tables: grey-level agreement of deterministic corruptions, moments of stochastic ones."""
    print(f"\n## Parity, deterministic corruptions: pixels within 1 grey level (target >= {GREY_SHARE:.0%})\n")
    print("| corruption | severity | images | within 1 | worst image | max difference | result |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for row in rows:
        if row["stochastic"]:
            continue
        if "within_1" not in row:
            print(f"| {row['corruption']} | {row['severity']} | error: {_error(row)} | | | | n/a |")
            continue
        cells = [str(row["images"]), f"{row['within_1']:.4%}", f"{row['worst_image_within_1']:.4%}"]
        cells += [str(row["max_difference"]), verdict(row["within_1"] >= GREY_SHARE)]
        print(f"| {row['corruption']} | {row['severity']} | " + " | ".join(cells) + " |")
    print(
        f"\n## Parity, stochastic corruptions: perturbation (corrupted - clean) mean and std, fovkit / reference "
        f"(target within {MOMENT_TOLERANCE:.0%}; [95% interval over images]; means under {MOMENT_TOLERANCE:.0%} of the "
        "reference's std count as zero: 'means ~0')\n"
    )
    print(
        "| corruption | severity | images | mean ref | mean fovkit | mean ratio | std ref | std fovkit | std ratio "
        "| result |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        if not row["stochastic"]:
            continue
        if "std_ratio" not in row:
            print(f"| {row['corruption']} | {row['severity']} | error: {_error(row)} | | | | | | | n/a |")
            continue
        cells = [str(row["images"]), f"{row['reference_mean']:.3f}", f"{row['fovkit_mean']:.3f}"]
        cells += [_ratio_cell(row, "mean"), f"{row['reference_std']:.3f}", f"{row['fovkit_std']:.3f}"]
        result = verdict(moments_pass(row))
        if moments_pass(row) and not mean_within(row):
            result += " (means ~0)"
        elif moments_pass(row) is False and failures_within_chance(row):
            result += " (95% interval includes 1)"
        cells += [_ratio_cell(row, "std"), result]
        print(f"| {row['corruption']} | {row['severity']} | " + " | ".join(cells) + " |")


def moments_pass(row: dict) -> bool | None:
    """Both perturbation moments within `MOMENT_TOLERANCE` of the reference's (None when undefined).

    A mean smaller than `MOMENT_TOLERANCE` times the reference's standard deviation counts as zero (zero-mean noise
    has a mean made of clipping and chance, whose ratio means nothing); two such means agree.
    """
    if row.get("std_ratio") is None:
        return None
    std_ok = abs(row["std_ratio"] - 1.0) <= MOMENT_TOLERANCE
    return std_ok and (mean_within(row) or means_negligible(row))


def failures_within_chance(row: dict) -> bool:
    """Every moment that misses its target has a 95% interval that still includes a ratio of 1 (too few images)."""
    missed = [] if mean_within(row) or means_negligible(row) else ["mean"]
    missed += [] if abs(row["std_ratio"] - 1.0) <= MOMENT_TOLERANCE else ["std"]
    intervals = [row[f"{moment}_ratio_95"] for moment in missed]
    return all(low is not None and low <= 1.0 <= high for low, high in intervals)


def mean_within(row: dict) -> bool:
    """The perturbation's mean within `MOMENT_TOLERANCE` of the reference's."""
    return row.get("mean_ratio") is not None and abs(row["mean_ratio"] - 1.0) <= MOMENT_TOLERANCE


def means_negligible(row: dict) -> bool:
    """Both tools' mean perturbations below `MOMENT_TOLERANCE` of the reference's standard deviation."""
    bound = MOMENT_TOLERANCE * row["reference_std"]
    return abs(row["reference_mean"]) < bound and abs(row["fovkit_mean"]) < bound


def _ratio_cell(row: dict, moment: str) -> str:
    value, (low, high) = row.get(f"{moment}_ratio"), row[f"{moment}_ratio_95"]
    if value is None:
        return "undefined"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]" if low is not None else f"{value:.3f}"


def _error(row: dict) -> str:
    return row.get("reference_error") or row.get("fovkit_error", "")


def print_classifier(rows: list[dict], clean_error: float | None, model: str) -> None:
    """The classifier table: error on the reference's and fovkit's corrupted renders, difference in points."""
    with_errors = [row for row in rows if "classifier" in row]
    if clean_error is None:
        return
    count = with_errors[0]["classifier"]["images"] if with_errors else 0
    print(f"\n## Classifier error ({model}, top-1 among the class's ImageNet counterparts), {count} renders\n")
    print(f"Clean error: {clean_error:.2f}%; difference: fovkit - reference, ± its paired standard error.")
    print("Clean top-1 kept: share of images whose top-1 class on the clean render survives the corruption.\n")
    print(
        "| corruption | severity | reference error % | fovkit error % | difference (points) | clean top-1 kept, "
        "reference / fovkit | result |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for row in with_errors:
        errors = row["classifier"]
        difference = f"{errors['difference']:+.2f} ± {errors['difference_se']:.2f}"
        cells = [f"{errors['reference_error']:.2f}", f"{errors['fovkit_error']:.2f}", difference]
        cells.append(f"{errors['reference_kept_clean_top1']:.1%} / {errors['fovkit_kept_clean_top1']:.1%}")
        result = verdict(abs(errors["difference"]) <= ERROR_POINTS)
        if abs(errors["difference"]) > ERROR_POINTS and abs(errors["difference"]) <= 2 * errors["difference_se"]:
            result += " (within 2 SE)"
        cells.append(result)
        print(f"| {row['corruption']} | {row['severity']} | " + " | ".join(cells) + " |")


# -------------------------------------------------------------------------------------------------------- main


def parse_arguments() -> argparse.Namespace:
    """Command-line options; `--quick` lowers every count for a short check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000, help="renders for the classifier part (default 1,000)")
    parser.add_argument("--parity-images", type=int, default=64, help="renders for parity at the other severities")
    parser.add_argument("--speed-images", type=int, default=20, help="images the reference is timed on")
    parser.add_argument("--speed-batches", type=int, default=4, help="timed fovkit batches of 16 (after a warm-up)")
    parser.add_argument("--severities", type=int, nargs="+", default=[3], help="severities of the classifier part")
    parser.add_argument("--corruptions", nargs="+", help="corruptions to bench (default: all 19)")
    parser.add_argument("--parts", nargs="+", choices=("speed", "parity", "classifier"), default=None)
    parser.add_argument("--quick", action="store_true", help="64 renders, 8 parity renders, fewer timed images")
    parser.add_argument("--reference-env", type=Path, default=Path("/tmp/fovkit-imagecorruptions-env"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/fovkit-corruption-bench"), help="render cache")
    parser.add_argument("--out", type=Path, help="JSON of all numbers (default <work>/corruptions_vs_reference.json)")
    parser.add_argument("--render-workers", type=int, default=1, help="processes rendering the images")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.quick:
        args.images, args.parity_images, args.speed_images, args.speed_batches = 64, 8, 6, 2
    args.parts = args.parts or ["speed", "parity", "classifier"]
    args.out = args.out or args.work / "corruptions_vs_reference.json"
    if any(severity not in range(1, 6) for severity in args.severities):
        parser.error(f"--severities must be integers from 1 to 5, got {args.severities}")
    if not 1 <= args.parity_images <= args.images or args.speed_images < 2 or args.speed_batches < 1:
        parser.error("need 1 <= --parity-images <= --images, --speed-images >= 2 and --speed-batches >= 1")
    return args


def main() -> None:
    """Build or reuse the reference env, render or reuse the images, run the three parts, print and save."""
    args = parse_arguments()
    import torch

    torch.set_num_threads(1)
    command = shlex.join([Path(sys.executable).name, *sys.argv])
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    load = os.getloadavg()
    python, patch = reference_python(args.reference_env)
    corruptions, registered, missing = load_corruptions()
    wanted = args.corruptions or corruptions.get_corruption_names("all")
    names = [name for name in registered if name in wanted]
    renders, classes = rendered_images(args.work, args.images, args.render_workers)
    photos, photo_names = sample_photos()

    report: dict = {
        "command": command,
        "started": started,
        "load_average_at_start": load,
        "settings": {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()},
        "skipped": {name: why for name, why in missing.items() if name in wanted},
        "photos": photo_names,
    }
    worker = ReferenceWorker(python)
    report["reference"] = {"python": str(python), "patch": patch, **worker.versions}
    report["fovkit"] = {"torch": torch.__version__, "numpy": np.__version__, "torch_threads": torch.get_num_threads()}
    scratch = Path(tempfile.mkdtemp(prefix="fovkit-corruption-bench-"))
    try:
        if "speed" in args.parts:
            report["speed"] = measure_speed(
                corruptions, worker, names, renders, scratch, args.speed_images, args.speed_batches, args.seed
            )
        classify, clean_error, model = _classifier(args, renders, classes, photos)
        report["clean_error"] = clean_error
        plan = {}
        if "parity" in args.parts:
            plan = dict.fromkeys(range(1, 6), "parity")
        if "classifier" in args.parts:
            plan.update(dict.fromkeys(args.severities, "all"))
        if plan:
            sets = {}
            if "parity" in plan.values():
                sets["parity"] = np.concatenate([photos, renders[: args.parity_images]])
            if "all" in plan.values():
                sets["all"] = np.concatenate([photos, renders])
            report["parity"] = measure_parity(corruptions, worker, names, sets, scratch, plan, classify, args.seed)
    finally:
        worker.close()
        for leftover in scratch.iterdir():
            leftover.unlink()
        scratch.rmdir()
    report["load_average_at_end"] = os.getloadavg()
    report["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")

    print(f"Command: {command}")
    print(
        f"Started {started}, finished {report['finished']}; load average {load[0]:.2f} at start, "
        f"{report['load_average_at_end'][0]:.2f} at end (this machine: {os.cpu_count()} cores)"
    )
    versions = ", ".join(f"{key} {value}" for key, value in worker.versions["versions"].items())
    print(f"Reference: Python {worker.versions['python']}, {versions}")
    print(f"fovkit: torch {torch.__version__} ({torch.get_num_threads()} thread), numpy {np.__version__}")
    print(
        f"Images: {len(renders)} renders of {len(set(classes))} classes, "
        f"{len(photos)} photos ({', '.join(photo_names)})"
    )
    print(f"\nReference patch as applied:\n{patch}")
    for name, why in report["skipped"].items():
        print(f"skipped {name}: {why}")
    if "speed" in report:
        report["speed_total"] = print_speed(report["speed"], len(corruptions.get_corruption_names("all")))
    if "parity" in report:
        if "parity" in args.parts:
            print_parity(report["parity"])
        print_classifier(report["parity"], clean_error, model)
    from fovkit.runs import atomic_file

    with atomic_file(args.out) as staging:
        staging.write_text(json.dumps(report, indent=1, default=_plain))
    print(f"\nAll numbers: {args.out}")


def _classifier(args: argparse.Namespace, renders: np.ndarray, classes: list[str], photos: np.ndarray):
    """The classifier part's scorer for `measure_parity`, the clean error (%) and the model's name."""
    model = "fovkit:efficientnet_lite0"
    if "classifier" not in args.parts:
        return (lambda *_: None), None, model
    from fovkit.analysis.criteria import AcceptableLabels
    from fovkit.models import load_classifier
    from fovkit.render.imagenet import imagenet_lists

    classifier = load_classifier(model)
    names = sorted(set(classes))
    lists = imagenet_lists(names)
    labels = AcceptableLabels(lists[[names.index(name) for name in classes]])
    clean = predict(classifier, renders)
    clean_error = 100.0 * (1.0 - right(labels, clean).mean())
    skip = len(photos)

    def classify(set_name: str, fovkit: np.ndarray, reference: np.ndarray) -> dict | None:
        if set_name != "all":
            return None
        return error_row(labels, clean, predict(classifier, fovkit[skip:]), predict(classifier, reference[skip:]))

    return classify, clean_error, model


def _plain(value: object) -> object:
    """JSON form of NumPy scalars."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


if __name__ == "__main__":
    main()
