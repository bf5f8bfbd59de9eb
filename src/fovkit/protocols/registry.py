"""The protocol registry: how a backbone becomes a classifier (linear probe, finetuning, zero-shot, ...).

Each protocol is one module in `fovkit.protocols.entries` that registers a `ProtocolSpec` with `register_protocol`;
the modules are imported when the registry is first read, so the code of a new protocol (e.g. test-time adaptation)
is one new file there. Configs still validate names with a `Literal` (its wording is the command line's error
message) and hold each protocol's settings, so a new protocol also adds its name and settings to
`fovkit.protocols.config`; a test checks the two lists agree. The registry stays light (no torch at import).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from fovkit.registry import Registry

if TYPE_CHECKING:
    import pandas as pd

    from fovkit.protocols.runner import ProtocolRunner


@dataclass(frozen=True)
class Outcome:
    """Result of one training run: accuracy on its own training rows and the predicted class of each evaluated row.

    `details` records how the run was made, always including the resolved `device` and `precision` of the fit.
    """

    train_accuracy: float
    predicted: np.ndarray
    details: dict = field(default_factory=dict)


ProtocolRun = Callable[["ProtocolRunner", "pd.DataFrame", "pd.DataFrame", int, str], Outcome]
"""(runner, train rows, evaluation rows, seed, tag) -> Outcome: train under the protocol, predict the evaluation rows.

`tag` names the run's checkpoint folder (protocols that checkpoint resume from it)."""


@dataclass(frozen=True)
class ProtocolSpec:
    """A registered protocol.

    Attributes:
        name: Registry name, as configs and `--protocol` give it.
        description: One line for listings and reports.
        run: Trains on the training rows (or only scores them, when `trains` is False) and predicts the others.
        trains: Whether the protocol fits anything on the training selection; experiments that vary the training
            data need one that does.

    """

    name: str
    description: str
    run: ProtocolRun
    trains: bool = True


_PROTOCOLS: Registry[ProtocolSpec] = Registry("protocol", "fovkit.protocols.registry.list_protocols()", "protocols")
ENTRIES = "fovkit.protocols.entries"
"""The package whose modules register the protocols."""


def register_protocol(name: str, description: str, trains: bool = True) -> Callable[[ProtocolRun], ProtocolRun]:
    """Decorator registering a run function as protocol `name` (a unique lower-case identifier)."""
    register = _PROTOCOLS.register(name)

    def decorator(run: ProtocolRun) -> ProtocolRun:
        register(ProtocolSpec(name, description, run, trains))
        return run

    return decorator


def get_protocol(name: str) -> ProtocolSpec:
    """The protocol registered under `name`; an unknown name raises `InputError` naming the closest matches."""
    _load_entries()
    return _PROTOCOLS.get(name)


def list_protocols(pattern: str = "*", trains: bool | None = None) -> list[str]:
    """Sorted protocol names matching the shell-style `pattern`; `trains` keeps only those that do (or do not) fit."""
    _load_entries()
    names = _PROTOCOLS.names(pattern)
    return names if trains is None else [name for name in names if _PROTOCOLS.get(name).trains == trains]


def _load_entries() -> None:
    """Import every module of `ENTRIES` once (each registers its protocol on import)."""
    package = importlib.import_module(ENTRIES)
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{ENTRIES}.{module.name}")
