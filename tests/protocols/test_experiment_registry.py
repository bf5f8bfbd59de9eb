"""The experiment registry: the paper's four experiments, their summaries, and a new experiment in one registration."""

from __future__ import annotations

import pandas as pd
import pytest

from fovkit.errors import InputError
from fovkit.protocols.config import ExperimentConfig
from fovkit.protocols.experiments import (
    EXPERIMENTS,
    NO_VARIATION,
    ExperimentResult,
    TrainingSet,
    get_experiment,
    list_experiments,
    register_experiment,
    registry,
    summarize,
    training_sets,
)


@pytest.fixture
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registrations made by a test are dropped afterwards."""
    monkeypatch.setattr(registry._EXPERIMENTS, "_entries", dict(registry._EXPERIMENTS._entries))


def result(name: str, runs: pd.DataFrame) -> ExperimentResult:
    return ExperimentResult(name, runs, ["pose", "size"], ["mug", "car"], {}, "digest")


def test_the_papers_experiments_in_section_order() -> None:
    assert list_experiments() == ["samples", "instances", "all-factors", "classes"]
    assert EXPERIMENTS == {
        "samples": "5.1: a fraction of every training object's images varies in one factor",
        "instances": "5.2: a fraction of the training instances is seen varying in one factor",
        "all-factors": "5.3: a fraction of the training images varies in all factors together",
        "classes": "5.4: half of the classes are seen varying in one factor (half of their instances)",
    }
    spec = get_experiment("all-factors")
    assert get_experiment("all_factors") is spec
    assert (spec.section_title, spec.anchor) == ("Experiment 5.3 (all-factors)", "experiment-all-factors")
    assert [get_experiment(name).by_class for name in list_experiments()] == [False, False, False, True]


def test_unknown_experiment_names_the_closest_match() -> None:
    with pytest.raises(InputError, match=r"unknown experiment 'instance'.*instances.*list_experiments\(\)"):
        get_experiment("instance")


@pytest.mark.parametrize(
    ("name", "tables"),
    [
        ("samples", ["curves", "same_factor", "slopes", "average_slopes"]),
        ("instances", ["curves", "same_factor", "slopes", "average_slopes", "heatmaps"]),
        ("all-factors", ["changes"]),
    ],
)
def test_each_experiment_owns_its_summary_tables(name: str, tables: list[str], linear_gap_runs: pd.DataFrame) -> None:
    summary = summarize(result(name, linear_gap_runs))
    assert list(summary) == tables
    if name == "instances":
        assert sorted(summary["heatmaps"]) == ["finetune", "linear"]
        assert summary["heatmaps"]["linear"].loc["pose", "pose"] == pytest.approx(0.4)
    if "same_factor" in summary:
        assert list(summary["same_factor"].columns) == ["0%", "25%", "50%", "75%"]


def test_a_new_experiment_is_one_registration(scratch_registry: None, linear_gap_runs: pd.DataFrame) -> None:
    def summarize_first(result: ExperimentResult) -> dict:
        return {"first": result.runs.head(1)}

    @register_experiment("first_object", "9.9", "only the first training object varies", summarize_first)
    def select_first(samples, factors, config, seed):
        yield TrainingSet("pose", 1.0, seed, samples.head(1))

    samples = pd.DataFrame(
        {"sample_id": ["a", "b"], "label": [0, 0], "instance": [0, 1], "split": "train", "varies_pose": [False, True]}
    )
    config = ExperimentConfig(dataset="data")
    sets = list(training_sets("first_object", samples, ["pose"], config, seed=4))
    assert [(item.train_factor, item.fraction, item.seed, len(item.rows)) for item in sets] == [
        (NO_VARIATION, 0.0, 4, 1),
        ("pose", 1.0, 4, 1),
    ]
    assert list(summarize(result("first_object", linear_gap_runs))) == ["first"]
    assert list_experiments()[-1] == "first_object"
