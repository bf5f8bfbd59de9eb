"""`fovkit probe` and `fovkit experiment` as library calls: run, then write tables, plots, report and run record.

Outputs are assembled under a temporary name and renamed when complete; finetuning checkpoints live in the cache
(keyed by the config) so an interrupted job resumes, and are removed when the job finishes.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fovkit.cache import cache_dir
from fovkit.errors import InputError
from fovkit.models.base import Backbone
from fovkit.protocols import summaries
from fovkit.protocols.config import ExperimentConfig, ProbeConfig
from fovkit.protocols.experiments import EXPERIMENTS, ExperimentName, ExperimentResult, run_experiment
from fovkit.protocols.probe import ProbeResult, probe, write_probe_outputs
from fovkit.render.dataset import MANIFEST
from fovkit.render.job import RenderRun, run_render
from fovkit.render.presets import load_render_config
from fovkit.report.html import Section
from fovkit.report.render import render_section
from fovkit.report.study import experiment_section, probe_section, write_study_report
from fovkit.runs import atomic_output_dir, check_output_folder, write_run_record
from fovkit.tables.markdown import markdown_table


@dataclass(frozen=True)
class ProbeRun:
    """A finished `fovkit probe`: its result and output folder."""

    result: ProbeResult
    folder: Path
    report: Path


@dataclass(frozen=True)
class ExperimentRun:
    """A finished `fovkit experiment`: runs, summary tables and output folder."""

    result: ExperimentResult
    tables: dict
    folder: Path
    report: Path


def run_probe(
    config: ProbeConfig,
    out: Path,
    overwrite: bool = False,
    progress: bool = True,
    extra_sections: tuple[Section, ...] = (),
    modules: Sequence[Backbone] = (),
    svg: bool = False,
) -> ProbeRun:
    """Compute the gap table of `config` and write it (CSV, Parquet, Markdown), plots, report and `run.json`.

    `svg` also saves the plots as SVG (PNG always).
    """
    work = _work_folder("probe", config)
    with atomic_output_dir(out, overwrite=overwrite, inputs=[config.dataset]) as folder:
        result = probe(config, work=work, progress=progress, modules=modules)
        write_probe_outputs(result, folder)
        section = probe_section(result.gaps, folder / "plots", intervals=result.intervals, svg=svg)
        sections = [section, *extra_sections]
        report = write_study_report(folder, "Robustness to factors of variation: gap table", sections)
        extra = {"dataset_digest": result.dataset_digest, "models": result.cards, "fits": result.fits}
        write_run_record(folder, "fovkit probe", config, inputs=[config.dataset / MANIFEST], extra=extra)
    shutil.rmtree(work, ignore_errors=True)
    return ProbeRun(result, Path(out), Path(out) / report.name)


def run_experiment_job(
    name: ExperimentName,
    config: ExperimentConfig,
    out: Path,
    overwrite: bool = False,
    progress: bool = True,
    modules: Sequence[Backbone] = (),
    svg: bool = False,
) -> ExperimentRun:
    """Run experiment `name` and write its runs, summary tables (CSV, Markdown), plots, report and `run.json`."""
    work = _work_folder(f"experiment-{name}", config)
    with atomic_output_dir(out, overwrite=overwrite, inputs=[config.dataset]) as folder:
        result = run_experiment(name, config, work=work, progress=progress, modules=modules)
        tables = summarize(result)
        result.runs.to_csv(folder / "runs.csv", index=False)
        result.runs.to_parquet(folder / "runs.parquet", index=False)
        for key, table in _flat_tables(tables).items():
            table.to_csv(folder / f"{key}.csv")
            (folder / f"{key}.md").write_text(markdown_table(table))
        section = experiment_section(name, EXPERIMENTS[name], tables, folder / "plots", svg=svg)
        report = write_study_report(folder, f"Variability experiment {name}", [section])
        extra = {"experiment": name, "dataset_digest": result.dataset_digest, "models": result.cards}
        write_run_record(folder, f"fovkit experiment {name}", config, inputs=[config.dataset / MANIFEST], extra=extra)
    shutil.rmtree(work, ignore_errors=True)
    return ExperimentRun(result, tables, Path(out), Path(out) / report.name)


@dataclass(frozen=True)
class DemoRun:
    """A finished `fovkit demo`: the rendered dataset, the gap table run and experiment 5.2."""

    folder: Path
    render: RenderRun
    probe: ProbeRun
    instances: ExperimentRun


DEMO_PRESET = "study"
DEMO_SEEDS = (0, 1, 2)
"""Training seeds of the demo's probes; its gaps pool them (one seed moves a gap by several points)."""


def run_demo(out: Path, overwrite: bool = False, progress: bool = True) -> DemoRun:
    """The main job: render the `study` preset, probe the default backbone, run experiment 5.2, all under `out`.

    `out` holds `dataset/` (the renders; a rerun resumes and verifies them), `gaps/` (the gap table of the linear
    probe and finetuning over `DEMO_SEEDS`, with report) and `instances/` (experiment 5.2). Like every command, it
    refuses a non-empty `out` unless `overwrite`, and then only one an earlier demo wrote (its `run.json` is written
    first, so an interrupted demo is recognised and resumed with `overwrite`).
    """
    out = check_output_folder(out, overwrite)
    settings = {"preset": DEMO_PRESET, "seeds": list(DEMO_SEEDS), "protocols": ["linear", "finetune"]}
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot create the output folder: {error.strerror}", path=out, field="--out") from error
    write_run_record(out, "fovkit demo", settings, extra={"complete": False})
    rendered = run_render(load_render_config(DEMO_PRESET), out / "dataset", progress=progress)
    config = ProbeConfig(dataset=rendered.dataset.folder, protocols=("linear", "finetune"), seeds=DEMO_SEEDS)
    sections = (render_section(rendered),)
    probe_run = run_probe(config, out / "gaps", overwrite=True, progress=progress, extra_sections=sections)
    experiment = ExperimentConfig(dataset=rendered.dataset.folder, fractions=(0.25, 0.5, 1.0))
    instances = run_experiment_job("instances", experiment, out / "instances", overwrite=True, progress=progress)
    inputs = [rendered.dataset.folder / MANIFEST]
    write_run_record(out, "fovkit demo", settings, inputs=inputs, extra={"complete": True})
    return DemoRun(Path(out), rendered, probe_run, instances)


def summarize(result: ExperimentResult) -> dict:
    """The paper's summary tables of one experiment."""
    runs = result.runs
    if result.name == "all-factors":
        return {"changes": summaries.gap_changes(runs)}
    if result.name == "classes":
        from fovkit.text import load_sentence_encoder

        similarity = summaries.class_similarity(runs, result.class_names, load_sentence_encoder(num_threads=None))
        return {
            "class_gaps": summaries.class_gaps(runs),
            "similarity": similarity,
            "similarity_bins": summaries.similarity_bins(similarity),
        }
    curves = summaries.gap_curves(runs, result.factors)
    slope_table = summaries.slopes(curves)
    tables = {
        "curves": curves,
        "same_factor": summaries.same_factor_curves(curves),
        "slopes": slope_table,
        "average_slopes": summaries.average_slopes(slope_table),
    }
    if result.name == "instances":
        protocols = sorted(runs["protocol"].unique())
        tables["heatmaps"] = {protocol: summaries.slope_heatmap(slope_table, protocol) for protocol in protocols}
    return tables


def _flat_tables(tables: dict) -> dict:
    flat = {}
    for key, value in tables.items():
        if isinstance(value, dict):
            flat.update({f"{key[:-1]}_{inner}": table for inner, table in value.items()})
        else:
            flat[key] = value
    return flat


def _work_folder(kind: str, config) -> Path:
    digest = hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:16]
    return cache_dir() / "work" / f"{kind}-{digest}"
