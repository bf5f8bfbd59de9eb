"""The experiment registry: each variability experiment owns its training selections, summaries and report section.

An experiment is one module in `fovkit.protocols.experiments.entries` that registers an `ExperimentSpec` with
`register_experiment`; the modules are imported when the registry is first read, so adding an experiment is one new
file there. `fovkit.protocols.experiments.run` runs any registered experiment the same way.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from fovkit.registry import Registry
from fovkit.render.splits import NO_VARIATION

__all__ = ["NO_VARIATION", "ExperimentSpec", "TrainingSet", "get_experiment", "list_experiments", "register_experiment"]

if TYPE_CHECKING:
    from fovkit.protocols.config import ExperimentConfig
    from fovkit.protocols.experiments.run import ExperimentResult


@dataclass(frozen=True)
class TrainingSet:
    """One training selection of an experiment."""

    train_factor: str
    fraction: float
    seed: int
    rows: pd.DataFrame
    varying_classes: tuple[int, ...] = ()


Selection = Callable[[pd.DataFrame, list[str], "ExperimentConfig", int], Iterator[TrainingSet]]
"""(samples, factors, config, seed) -> the experiment's varied training sets (the baseline is added by the runner)."""
Summary = Callable[["ExperimentResult"], dict]
"""Result -> the experiment's summary tables by name (a dict of tables for per-protocol tables such as heat maps)."""


@dataclass(frozen=True)
class ExperimentSpec:
    """A registered experiment.

    Attributes:
        name: Registry name, as `fovkit experiment NAME` takes it.
        paper_section: Where the paper describes it ("5.2").
        description: One sentence: what varies in training.
        select: Its training selections for one seed.
        summarize: Its summary tables from the runs.
        by_class: Whether its gaps are computed per class (the summaries compare classes).

    """

    name: str
    paper_section: str
    description: str
    select: Selection
    summarize: Summary
    by_class: bool = False

    @property
    def line(self) -> str:
        """`"<paper section>: <description>"`, the one-line summary listings and reports show."""
        return f"{self.paper_section}: {self.description}"

    @property
    def section_title(self) -> str:
        """The title of the experiment's report section."""
        return f"Experiment {self.paper_section} ({self.name})"

    @property
    def anchor(self) -> str:
        """The HTML anchor of the experiment's report section."""
        return f"experiment-{self.name}"


_EXPERIMENTS: Registry[ExperimentSpec] = Registry(
    "experiment", "fovkit.protocols.experiments.list_experiments()", "experiment"
)
ENTRIES = "fovkit.protocols.experiments.entries"
"""The package whose modules register the experiments."""


def register_experiment(
    name: str, paper_section: str, description: str, summarize: Summary, by_class: bool = False
) -> Callable[[Selection], Selection]:
    """Decorator registering a selection function as experiment `name` with its summary function."""
    register = _EXPERIMENTS.register(name.replace("-", "_"))

    def decorator(select: Selection) -> Selection:
        register(ExperimentSpec(name, paper_section, description, select, summarize, by_class))
        return select

    return decorator


def get_experiment(name: str) -> ExperimentSpec:
    """The experiment registered under `name`; an unknown name raises `InputError` naming the closest matches."""
    _load_entries()
    return _EXPERIMENTS.get(name.replace("-", "_") if isinstance(name, str) else name)


def list_experiments() -> list[str]:
    """Experiment names, in the order of the paper's sections."""
    _load_entries()
    specs = [_EXPERIMENTS.get(key) for key in _EXPERIMENTS.names()]
    return [spec.name for spec in sorted(specs, key=lambda spec: (spec.paper_section, spec.name))]


def _load_entries() -> None:
    """Import every module of `ENTRIES` once (each registers its experiment on import)."""
    package = importlib.import_module(ENTRIES)
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{ENTRIES}.{module.name}")
