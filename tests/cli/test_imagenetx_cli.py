"""`fovkit imagenetx` end to end: the files a user gets, and exit code 2 with nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from fovkit.cli.main import app
from fovkit.imagenetx.annotations import FACTORS

runner = CliRunner()


@pytest.fixture(scope="module")
def groups_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("groups") / "groups.csv"
    path.write_text("model,group\nmodel_0000,cnn\nmodel_0001,cnn\nmodel_0002,vit\n")
    return path


@pytest.fixture(scope="module")
def run_dir(prediction_dir: Path, groups_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "analysis"
    result = runner.invoke(
        app, ["imagenetx", str(prediction_dir), "--out", str(out), "--groups", str(groups_csv), "--bootstrap", "20"]
    )
    assert result.exit_code == 0, result.output
    assert "Report:" in result.output
    return out


def test_reference_layout_of_factor_accuracies(run_dir: Path):
    accuracies = pd.read_csv(run_dir / "factor_accuracies.csv", index_col="model")
    assert list(accuracies.columns) == [*FACTORS, "worst_factor", "average", "worst_100_classes"]
    assert list(accuracies.index) == ["model_0000", "model_0001", "model_0002"]
    ratios = pd.read_csv(run_dir / "error_ratios.csv", index_col="model")
    assert list(ratios.columns) == list(FACTORS)
    expected = (1 - accuracies[list(FACTORS)]).div(1 - accuracies["average"], axis=0)
    pd.testing.assert_frame_equal(ratios, expected, atol=1e-12)


def test_every_table_has_a_parquet_copy(run_dir: Path):
    csvs = sorted(path.relative_to(run_dir).with_suffix("") for path in run_dir.rglob("*.csv"))
    parquets = sorted(
        path.relative_to(run_dir / "parquet").with_suffix("") for path in (run_dir / "parquet").rglob("*")
    )
    parquets = [path for path in parquets if (run_dir / "parquet" / path.with_suffix(".parquet")).is_file()]
    assert csvs == parquets
    for name in ("real/factor_accuracies", "metaclass/error_ratios", "group_tests", "intervals", "calibration"):
        assert (run_dir / f"{name}.csv").is_file(), name
    pd.testing.assert_frame_equal(
        pd.read_parquet(run_dir / "parquet" / "summary.parquet"),
        pd.read_csv(run_dir / "summary.csv", index_col="model"),
        check_dtype=False,
        check_index_type=False,
    )


def test_report_and_run_record(run_dir: Path, prediction_dir: Path):
    report = (run_dir / "report.html").read_text()
    assert report.count("<img") + report.count("<svg") >= 3
    assert list((run_dir / "plots").glob("*.png")) and not list((run_dir / "plots").glob("*.svg"))  # PNG by default
    record = json.loads((run_dir / "run.json").read_text())
    assert record["config"]["bootstrap"] == 20
    assert str(prediction_dir / "model_0000.csv") in record["inputs"]
    assert "numpy" in record["versions"]
    assert record["kind"] == "analysis" and record["seeds"] == {"bootstrap": 0} and record["device"] == "cpu"
    described = json.loads((run_dir / "analysis.json").read_text())
    assert described["factors"] == list(FACTORS) and described["hierarchy"] == "metaclass"
    assert all((run_dir / table).is_file() for table in described["tables"])
    group_tests = pd.read_csv(run_dir / "group_tests.csv", index_col="factor")
    assert list(group_tests.index) == list(FACTORS)


def test_config_file_with_flag_override(prediction_dir: Path, tmp_path: Path):
    config = tmp_path / "run.toml"
    config.write_text('which_factor = "multi"\nbootstrap = 0\nseed = 3\n')
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "imagenetx",
            str(prediction_dir / "model_0000.csv"),
            "--out",
            str(out),
            "--config",
            str(config),
            "--seed",
            "5",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    recorded = json.loads((out / "run.json").read_text())["config"]
    assert (recorded["which_factor"], recorded["bootstrap"], recorded["seed"]) == ("multi", 0, 5)
    assert not (out / "intervals.csv").exists()


def assert_failed_cleanly(result, out: Path, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    for fragment in fragments:
        assert fragment in result.output
    assert not out.exists()
    assert not [path for path in out.parent.iterdir() if path.name.startswith(f".{out.name}.partial")]


def test_bad_prediction_file_exits_2_and_writes_nothing(prediction_frame: pd.DataFrame, tmp_path: Path):
    bad = tmp_path / "bad.csv"
    prediction_frame.assign(predicted_class=prediction_frame["predicted_class"] + 5000).to_csv(bad, index=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["imagenetx", str(bad), "--out", str(out), "--quiet"])
    assert_failed_cleanly(result, out, str(bad), "predicted_class", "classes outside 0..999")


def test_bad_config_value_exits_2(prediction_dir: Path, tmp_path: Path):
    config = tmp_path / "run.toml"
    config.write_text("bootstrap = -4\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["imagenetx", str(prediction_dir), "--out", str(out), "--config", str(config)])
    assert_failed_cleanly(result, out, "bootstrap", "-4")


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [
        ("--bootstrap", "-5", "field '--bootstrap': must be a whole number >= 0, got -5"),
        ("--seed", "-1", "field '--seed': a seed is a whole number from 0 to 2**63 - 1, got -1"),
        ("--factors", "all", "Invalid value for '--factors'"),
    ],
)
def test_bad_flag_values_name_the_flag(prediction_dir: Path, tmp_path: Path, flag: str, value: str, expected: str):
    out = tmp_path / "out"
    result = runner.invoke(app, ["imagenetx", str(prediction_dir), "--out", str(out), flag, value])
    assert_failed_cleanly(result, out, expected)
    assert "field 'config'" not in result.output


def test_toml_syntax_error_names_file_and_line(prediction_dir: Path, tmp_path: Path):
    config = tmp_path / "run.toml"
    config.write_text("bootstrap = 10\npartition = val\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["imagenetx", str(prediction_dir), "--out", str(out), "--config", str(config)])
    assert_failed_cleanly(result, out, str(config), "invalid TOML at line 2", 'partition = "val"')


def test_brackets_in_file_names_and_values_are_printed(prediction_frame: pd.DataFrame, tmp_path: Path):
    bad = tmp_path / "[red]m.csv"
    classes = prediction_frame["predicted_class"].astype(float)
    prediction_frame.assign(predicted_class=classes.where(classes.index != 0)).to_csv(bad, index=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["imagenetx", str(bad), "--out", str(out), "--quiet"])
    assert_failed_cleanly(result, out, f"error: {bad}", "predicted_class", "[0]")


def test_models_missing_from_groups_exit_2(prediction_dir: Path, tmp_path: Path):
    groups = tmp_path / "groups.csv"
    groups.write_text("model,group\nmodel_0000,cnn\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["imagenetx", str(prediction_dir), "--out", str(out), "--groups", str(groups)])
    assert_failed_cleanly(result, out, "models without a group", "model_0001")


def test_non_empty_output_folder_is_refused(prediction_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["imagenetx", str(prediction_dir), "--out", str(out)])
    assert result.exit_code == 2
    assert "not empty" in result.output
    assert (out / "keep.txt").read_text() == "mine"


def test_no_input_at_all_exits_2(tmp_path: Path):
    out = tmp_path / "out"
    assert_failed_cleanly(runner.invoke(app, ["imagenetx", "--out", str(out)]), out, "no prediction files given")


def test_svg_on_request(prediction_dir: Path, tmp_path: Path):
    out = tmp_path / "svg"
    result = runner.invoke(app, ["imagenetx", str(prediction_dir), "--out", str(out), "--bootstrap", "0", "--svg"])
    assert result.exit_code == 0, result.output
    pngs = sorted(path.stem for path in (out / "plots").glob("*.png"))
    assert pngs and sorted(path.stem for path in (out / "plots").glob("*.svg")) == pngs


def test_shift_scores_give_the_figure_19_correlations(prediction_dir: Path, tmp_path: Path):
    scores = tmp_path / "shifts.csv"
    scores.write_text(
        "model,shift,score\n"
        + "".join(f"model_000{index},imagenet-r,{value}\n" for index, value in enumerate((0.3, 0.5, 0.4)))
        + "".join(f"model_000{index},imagenet-sketch,{value}\n" for index, value in enumerate((0.2, 0.1, 0.3)))
    )
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["imagenetx", str(prediction_dir), "--out", str(out), "--shift-scores", str(scores), "--bootstrap", "0"]
    )
    assert result.exit_code == 0, result.output
    correlation = pd.read_csv(out / "shift_correlation.csv")
    assert list(correlation.columns) == ["shift", "factor", "pearson_r", "p_value", "n_models"]
    assert len(correlation) == 2 * len(FACTORS) and (correlation["n_models"] == 3).all()
    record = json.loads((out / "run.json").read_text())
    assert any("shifts.csv" in path for path in record["inputs"])


def test_every_imagenetx_run_has_the_factor_distribution_and_active_factors(run_dir: Path, val_table):
    distribution = pd.read_csv(run_dir / "factor_distribution.csv")
    assert set(distribution["partition"]) == {"train", "val"} and set(distribution["counting"]) == {"all", "top"}
    active = pd.read_csv(run_dir / "active_factors.csv")
    assert active["images"].sum() == len(val_table)
    assert active["share"].sum() == pytest.approx(1)
