"""`fovkit demo` as a job: the `study` renders and every study the toolkit runs on them.

The default backbone's probe and experiment 5.2, EfficientNet-Lite0 (a real pretrained ImageNet classifier beside
fovkit's own backbone), and the default backbone under the ImageNet-C corruptions before and after BatchNorm
adaptation. The folder's report is the combined page of its runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fovkit.errors import InputError
from fovkit.jobs.corruption_demo import CorruptionDemo, run_corruption_demo
from fovkit.jobs.experiment import ExperimentRun, run_experiment_job
from fovkit.jobs.folder import REPORT, JobRecord, ReportOptions, finish_in_place, resolved, write_record
from fovkit.jobs.imagenet_demo import IMAGENET_MODEL, IMAGENET_OBJECTS, ImageNetDemo, run_imagenet_demo
from fovkit.jobs.probe import ProbeRun, run_probe
from fovkit.jobs.render import RenderRun, run_render
from fovkit.protocols.config import ExperimentConfig, ProbeConfig
from fovkit.render.presets import load_render_config
from fovkit.runs import check_output_folder, file_checksum
from fovkit.store.manifest import MANIFEST

DEMO_PRESET = "study"
DEMO_SEEDS = (0, 1, 2)
"""Training seeds of the demo's probes; its gaps pool them (one seed moves a gap by several points)."""
RUNS = ("dataset", "gaps", "instances", "imagenet_gaps", "imagenet", "corruptions")
"""The demo's runs, subfolders of its folder, in the order its report shows them."""


@dataclass(frozen=True)
class DemoRun:
    """A finished `fovkit demo`: the rendered dataset, the gap table run, experiment 5.2 and the combined report."""

    folder: Path
    render: RenderRun
    probe: ProbeRun
    instances: ExperimentRun
    imagenet: ImageNetDemo
    corruptions: CorruptionDemo
    report: Path


def run_demo(out: Path, overwrite: bool = False, progress: bool = True) -> DemoRun:
    """The main job: render `study`, probe the default backbone, experiment 5.2 and EfficientNet-Lite0, under `out`.

    `out` holds `dataset/` (the renders; a rerun resumes and verifies them), `gaps/` (the gap table of the linear
    probe and finetuning over `DEMO_SEEDS`, with report), `instances/` (experiment 5.2), `imagenet_gaps/` (the
    linear-probe gap table of EfficientNet-Lite0's ImageNet features), `imagenet/` (its own ImageNet head, untrained
    here, per factor; its predictions in `predictions/`), `corrupted/` (the held-out canonical images under the 19
    corruptions at 5 severities), `corruptions/` (their errors, CE and mCE with and without BatchNorm adaptation) and
    `report.html`, the runs on one page.
    Like every command, it refuses a non-empty `out` unless `overwrite`, and then only one an earlier demo wrote (its
    `run.json` is written first, so an interrupted demo is recognised and resumed with `overwrite`).
    """
    out = check_output_folder(out, overwrite)
    settings = {
        "preset": DEMO_PRESET,
        "seeds": list(DEMO_SEEDS),
        "protocols": ["linear", "finetune"],
        "pretrained": {"model": IMAGENET_MODEL, "held_out_objects": IMAGENET_OBJECTS},
        "corruptions": {"corruptions": 19, "severities": 5, "adaptation": "bn"},
    }
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot create the output folder: {error.strerror}", path=out, field="--out") from error
    seeds = {"training": list(DEMO_SEEDS)}
    started = JobRecord("demo", "fovkit demo", settings, seeds=seeds, extra={"complete": False, "runs": list(RUNS)})
    write_record(out, started)
    rendered = run_render(load_render_config(DEMO_PRESET), out / "dataset", progress=progress)
    config = ProbeConfig(dataset=rendered.dataset.folder, protocols=("linear", "finetune"), seeds=DEMO_SEEDS)
    probe_run = run_probe(config, out / "gaps", overwrite=True, progress=progress)
    experiment = ExperimentConfig(dataset=rendered.dataset.folder, fractions=(0.25, 0.5, 1.0))
    instances = run_experiment_job("instances", experiment, out / "instances", overwrite=True, progress=progress)
    imagenet = run_imagenet_demo(rendered.dataset.folder, out / "imagenet_gaps", out / "imagenet", progress)
    corruptions = run_corruption_demo(rendered.dataset.folder, out / "corrupted", out / "corruptions", progress)
    manifest = rendered.dataset.folder / MANIFEST
    facts = {
        "complete": True,
        "inputs": {str(manifest): file_checksum(manifest)},
        "device": resolved(fit.get("device") for fit in probe_run.result.fits),
        "precision": resolved(fit.get("precision") for fit in probe_run.result.fits),
    }
    finish_in_place(out, "demo", facts, ReportOptions())
    return DemoRun(Path(out), rendered, probe_run, instances, imagenet, corruptions, Path(out) / REPORT)
