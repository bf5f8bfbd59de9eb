"""The protocol registry: the shipped protocols, lookups, and a new protocol plugged in through one registration."""

from __future__ import annotations

import subprocess
import sys
from typing import get_args

import numpy as np
import pytest

from fovkit.errors import InputError
from fovkit.protocols import registry
from fovkit.protocols.config import PROTOCOLS, ExperimentConfig
from fovkit.protocols.registry import Outcome, get_protocol, list_protocols, register_protocol
from fovkit.protocols.runner import ProtocolRunner


@pytest.fixture
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registrations made by a test are dropped afterwards."""
    registry._load_entries()
    monkeypatch.setattr(registry._PROTOCOLS, "_entries", dict(registry._PROTOCOLS._entries))


def test_shipped_protocols_and_which_of_them_train() -> None:
    assert list_protocols() == ["finetune", "linear", "zero_shot"]
    assert list_protocols(trains=True) == ["finetune", "linear"]
    assert list_protocols(trains=False) == ["zero_shot"]
    assert list_protocols("*n*") == ["finetune", "linear"]
    for name in list_protocols():
        spec = get_protocol(name)
        assert spec.name == name and spec.description and callable(spec.run)


def test_unknown_protocol_names_the_closest_match() -> None:
    with pytest.raises(InputError, match=r"unknown protocol 'linaer'; closest matches: \['linear'\]") as error:
        get_protocol("linaer")
    assert "list_protocols()" in str(error.value)
    with pytest.raises(ValueError, match="already registered"):
        register_protocol("linear", "again")


def test_configs_name_the_registered_protocols() -> None:
    """Configs validate names with a Literal (its message is the CLI's); it must list the registry's protocols."""
    assert sorted(PROTOCOLS) == list_protocols()
    (experiment_protocol,) = get_args(ExperimentConfig.model_fields["protocols"].annotation)[:1]
    assert sorted(get_args(experiment_protocol)) == list_protocols(trains=True)


def test_a_new_protocol_is_one_registration(scratch_registry: None) -> None:
    calls = []

    @register_protocol("majority", "predicts the most frequent training class")
    def run_majority(runner, train, evaluate, seed, tag) -> Outcome:
        calls.append((runner, seed, tag))
        label = int(np.bincount(train["label"]).argmax())
        return Outcome(float(np.mean(train["label"] == label)), np.full(len(evaluate), label), {"device": "cpu"})

    import pandas as pd

    train = pd.DataFrame({"sample_id": ["a", "b", "c"], "label": [1, 1, 0]})
    evaluate = pd.DataFrame({"sample_id": ["d", "e"], "label": [0, 1]})
    runner = ProtocolRunner(backbone=None, dataset=None, settings=None)  # the protocol uses none of them
    outcome = runner.run("majority", train, evaluate, seed=3, tag="t")
    assert outcome.predicted.tolist() == [1, 1]
    assert outcome.train_accuracy == pytest.approx(2 / 3)
    assert calls == [(runner, 3, "t")]
    assert "majority" in list_protocols(trains=True)


def test_the_registry_loads_without_torch() -> None:
    code = (
        "import sys\n"
        "from fovkit.protocols.registry import list_protocols\n"
        "from fovkit.protocols.config import ProbeConfig\n"
        "assert list_protocols() == ['finetune', 'linear', 'zero_shot']\n"
        "ProbeConfig(dataset='d', protocols=('finetune',))\n"
        "print(sorted(name for name in ('torch', 'pandas') if name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
