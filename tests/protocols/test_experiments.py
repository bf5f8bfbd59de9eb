import json

import pandas as pd
import pytest

from fovkit.errors import InputError
from fovkit.jobs.experiment import run_experiment_job
from fovkit.protocols.config import BackboneSpec, ExperimentConfig
from fovkit.protocols.experiments import run_experiment, training_sets

RANDOM_CNN = (BackboneSpec(name="fovkit:resnet_small", weights="random"),)


def config(dataset, **overrides) -> ExperimentConfig:
    settings = {"dataset": dataset.folder, "backbones": RANDOM_CNN, "factors": ("pose", "size"), "fractions": (0.5, 1)}
    return ExperimentConfig(**{**settings, **overrides})


def test_training_sets_start_with_the_canonical_baseline(tiny_dataset):
    settings = config(tiny_dataset)
    sets = list(training_sets("instances", tiny_dataset.samples, ["pose", "size"], settings, seed=0))
    assert [(item.train_factor, item.fraction) for item in sets] == [
        ("none", 0.0),
        ("pose", 0.5),
        ("pose", 1.0),
        ("size", 0.5),
        ("size", 1.0),
    ]
    assert not sets[0].rows[[c for c in sets[0].rows if c.startswith("varies_")]].any(axis=None)
    assert sets[2].rows["varies_pose"].any() and not sets[2].rows["varies_size"].any()


@pytest.mark.parametrize("name", ["samples", "instances"])
def test_variability_experiments_give_curves_and_slopes(name, tiny_dataset, tmp_path):
    run = run_experiment_job(name, config(tiny_dataset), tmp_path / name, progress=False)
    runs = run.result.runs
    assert set(runs["train_factor"]) == {"none", "pose", "size"}
    assert set(runs["group"]) == {"canonical", *tiny_dataset.config.factors, "all_factors"}
    same = run.tables["same_factor"]
    assert list(same.columns) == ["0%", "50%", "100%"]
    assert same.loc[("fovkit:resnet_small", "linear", "pose"), "0%"] == pytest.approx(
        runs[(runs["train_factor"] == "none") & (runs["group"] == "pose")]["gap"].mean()
    )
    assert {"pose", "size"} <= set(run.tables["slopes"]["train_factor"])
    if name == "instances":
        heatmap = run.tables["heatmaps"]["linear"]
        assert list(heatmap.index) == ["pose", "size"]
        assert (run.folder / "plots" / "instances_slopes_linear.png").is_file()
    for file in ("runs.csv", "runs.parquet", "same_factor.csv", "same_factor.md", "report.html", "run.json"):
        assert (run.folder / file).is_file(), file
    assert json.loads((run.folder / "run.json").read_text())["experiment"] == name


def test_all_factors_experiment_reports_changes_against_no_variability(tiny_dataset, tmp_path):
    run = run_experiment_job("all-factors", config(tiny_dataset), tmp_path / "all", progress=False)
    changes = run.tables["changes"]
    assert list(changes.index.get_level_values("fraction")) == [0.5, 1.0]
    runs = run.result.runs
    baseline = runs[(runs["train_factor"] == "none") & (runs["group"] == "size")]["gap"].mean()
    varied = runs[(runs["fraction"] == 0.5) & (runs["group"] == "size")]["gap"].mean()
    assert changes.iloc[0]["size"] == pytest.approx(varied - baseline)


def test_classes_experiment_gives_per_class_gaps_and_similarities(tiny_dataset, tmp_path):
    run = run_experiment_job("classes", config(tiny_dataset, class_fraction=0.34), tmp_path / "classes", progress=False)
    runs = run.result.runs
    varied = runs[runs["train_factor"] == "pose"]
    assert varied.groupby("label")["varying_class"].first().sum() == 1  # round(0.34 * 3 classes)
    table = run.tables["class_gaps"]
    assert {"varying_classes_gap", "other_classes_gap", "difference"} <= set(table.columns)
    similarity = run.tables["similarity"]
    assert len(similarity) == 2 * 2  # two classes not varying, for each of the two factors
    assert similarity["similarity"].between(-1, 1).all()
    assert set(similarity["class_name"]) | set(similarity["nearest_varying_class"]) == {"mug", "car", "chair"}


def test_rerun_reproduces_the_runs(tiny_dataset):
    settings = config(tiny_dataset, factors=("pose",), fractions=(0.5,))
    first = run_experiment("instances", settings, progress=False).runs
    again = run_experiment("instances", settings, progress=False).runs
    pd.testing.assert_frame_equal(first, again)


def test_bad_settings_are_refused(tiny_dataset):
    with pytest.raises(InputError, match="unknown factors"):
        run_experiment("samples", config(tiny_dataset, factors=("colour",)), progress=False)
    with pytest.raises(ValueError, match="fractions must lie in"):
        config(tiny_dataset, fractions=(0.0, 0.5))


def test_the_example_config_loads(tiny_dataset):
    from pathlib import Path

    from fovkit.configs import load_config

    example = Path(__file__).parents[2] / "examples" / "experiment.toml"
    loaded = load_config(ExperimentConfig, example, dataset=tiny_dataset.folder)
    assert [spec.name for spec in loaded.backbones] == ["fovkit:default", "timm:resnet18"]
    assert loaded.settings.finetune.epochs == 5
    assert loaded.fractions == (0.05, 0.25, 0.5, 0.75, 0.95)
