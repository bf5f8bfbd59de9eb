"""`fovkit analyze` on the example factor table: the files a user gets, and exit code 2 with nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from fovkit.cli.main import app

runner = CliRunner()
EXAMPLE = Path(__file__).parents[2] / "examples" / "factor_table"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example") / "factor_table"
    shutil.copytree(EXAMPLE, folder)
    return folder


def analyze(example: Path, out: Path, *extra: str):
    return runner.invoke(
        app,
        [
            "analyze",
            "--factors",
            str(example / "factors.csv"),
            str(example / "predictions"),
            "--classes",
            str(example / "classes.txt"),
            "--out",
            str(out),
            *extra,
        ],
    )


@pytest.fixture(scope="module")
def run_dir(example: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "own"
    result = analyze(example, out, "--group-column", "kind", "--canonical", "lighting=day", "--bootstrap", "50")
    assert result.exit_code == 0, result.output
    assert "resnet_like" in result.output and "Report:" in result.output
    return out


def test_the_example_gives_every_table_the_report_and_the_record(run_dir: Path, example: Path):
    for name in ("summary", "factor_accuracies", "error_ratios", "kind_accuracies", "gaps", "kind/error_ratios"):
        assert (run_dir / f"{name}.csv").is_file(), name
    assert (run_dir / "report.html").is_file()
    record = json.loads((run_dir / "run.json").read_text())
    assert record["command"] == "fovkit analyze" and record["kind"] == "analysis"
    assert record["config"]["canonical"] == {"lighting": "day"}
    inputs = json.dumps(record["inputs"])
    assert "factors.csv" in inputs and "resnet_like.csv" in inputs


def test_the_example_finds_what_hurts_the_small_model(run_dir: Path):
    ratios = pd.read_csv(run_dir / "error_ratios.csv", index_col="model")
    assert ratios.loc["small_cnn", "lighting=night"] > ratios.loc["resnet_like", "lighting=night"]
    assert ratios.loc["small_cnn", "lighting=night"] > 1.3
    gaps = pd.read_csv(run_dir / "gaps.csv").set_index(["model", "group"])
    assert gaps.loc[("small_cnn", "occluded"), "gap"] < 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda frame: frame.drop(columns="label"), "label"),
        (lambda frame: frame.assign(label=frame["label"].replace("cat", "kitten")), "kitten"),
        (lambda frame: frame.assign(file_name=frame["file_name"].str.replace("IMG_1000", "IMG_9999")), "IMG_"),
        (lambda frame: frame.assign(occluded=frame["occluded"].astype(str).replace("1", "yes!")), "occluded"),
    ],
    ids=["missing label column", "unknown label", "ids without prediction", "mixed factor column"],
)
def test_a_bad_factor_table_exits_2_and_writes_nothing(example: Path, tmp_path: Path, change, message: str):
    table = tmp_path / "factors.csv"
    change(pd.read_csv(example / "factors.csv")).to_csv(table, index=False)
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "analyze",
            "--factors",
            str(table),
            str(example / "predictions"),
            "--classes",
            str(example / "classes.txt"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_canonical_values_need_factor_equals_value(example: Path, tmp_path: Path):
    result = analyze(example, tmp_path / "out", "--canonical", "lighting")
    assert result.exit_code == 2
    assert "FACTOR=VALUE" in result.output


def test_the_output_folder_may_not_be_inside_an_input(example: Path):
    result = analyze(example, example / "predictions" / "out")
    assert result.exit_code == 2
    assert not (example / "predictions" / "out").exists()


def test_a_rendered_dataset_is_a_factor_table(tiny_dataset, tmp_path: Path):
    samples = tiny_dataset.samples
    held_out = samples[samples["split"] == "held_out"]
    folder = tmp_path / "predictions"
    folder.mkdir()
    for model, shift in (("net_a", 0), ("net_b", 1)):
        predicted = (held_out["label"].to_numpy() + (held_out["varies_background"].to_numpy() & bool(shift))) % 3
        pd.DataFrame({"file_name": held_out["sample_id"].astype(str), "predicted_class": predicted}).to_csv(
            folder / f"{model}.csv", index=False
        )
    out = tmp_path / "out"
    arguments = ["analyze", "--factors", str(tiny_dataset.folder), str(folder), "--out", str(out), "--bootstrap", "20"]
    result = runner.invoke(app, [*arguments, "--split", "held_out"])
    assert result.exit_code == 0, result.output
    gaps = pd.read_csv(out / "gaps.csv").set_index(["model", "group"])
    assert gaps.loc[("net_a", "background"), "gap"] == 0
    assert gaps.loc[("net_b", "background"), "gap"] == -100
    accuracies = pd.read_csv(out / "factor_accuracies.csv", index_col="model")
    assert accuracies.loc["net_b", "background"] == 0 and accuracies.loc["net_a", "pose"] == 1

    arguments[arguments.index(str(out))] = str(tmp_path / "both_splits")
    missing = runner.invoke(app, [*arguments, "--design", "single"])
    assert missing.exit_code == 2 and "predict every sample of the factor table" in missing.output
    assert not (tmp_path / "both_splits").exists()
