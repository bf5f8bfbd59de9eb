"""The variability experiments of the robustness-limits paper (sections 5.1-5.4) as a registry of experiments.

Each experiment trains every backbone x protocol x seed on a series of training selections (`fovkit.render.splits`)
and evaluates every held-out image, giving one gap table per run; its registered summary function turns the runs
into the paper's tables and figures (`fovkit.protocols.summaries`). The baseline of every experiment is the canonical
training set (no variability). Layout: `registry` (specs and lookup), `run` (the loop), `entries` (one module each).
"""

from fovkit.protocols.experiments.registry import (
    NO_VARIATION,
    ExperimentSpec,
    TrainingSet,
    get_experiment,
    list_experiments,
    register_experiment,
)
from fovkit.protocols.experiments.run import ExperimentName, ExperimentResult, run_experiment, summarize, training_sets

EXPERIMENTS: dict[str, str] = {name: get_experiment(name).line for name in list_experiments()}
"""Experiment name -> `"<paper section>: <description>"`, in the order of the paper's sections."""

__all__ = [
    "EXPERIMENTS",
    "NO_VARIATION",
    "ExperimentName",
    "ExperimentResult",
    "ExperimentSpec",
    "TrainingSet",
    "get_experiment",
    "list_experiments",
    "register_experiment",
    "run_experiment",
    "summarize",
    "training_sets",
]
