"""`fovkit predict` from the command line: a real built-in classifier, options, and exit code 2 with nothing written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from fovkit.cli.main import app
from fovkit.models import ImageClassifier, Preprocessing, classifier_from_module

runner = CliRunner()


def tiny_classifier() -> ImageClassifier:
    """Mean colour -> three classes."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        network = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(3, 3))
    return classifier_from_module(network, Preprocessing(input_size=16), ["apple", "bear", "cloud"])


def write_images(root: Path, names: list[str]) -> Path:
    """Random PNGs at the given names under `root` (created)."""
    root.mkdir(parents=True, exist_ok=True)
    for seed, name in enumerate(names):
        pixels = np.random.default_rng(seed).integers(0, 256, (20, 24, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / name)
    return root


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Replace load_classifier by the tiny classifier; record the arguments each call received."""
    calls: list[tuple] = []

    def load(name, weights=None, labels=None, seed=0):
        calls.append((name, weights, labels))
        return tiny_classifier()

    monkeypatch.setattr("fovkit.models.load_classifier", load)
    return calls


def test_efficientnet_lite0_finds_the_cat(tmp_path: Path):
    from skimage import data

    source = tmp_path / "photos"
    source.mkdir()
    for name in ("chelsea", "coffee", "rocket"):
        Image.fromarray(getattr(data, name)()).save(source / f"{name}.jpg", quality=95)
    out = tmp_path / "predictions.parquet"
    result = runner.invoke(app, ["predict", "fovkit:efficientnet_lite0", str(source), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "Predicted 3 images" in result.output and "fovkit:efficientnet_lite0" in result.output
    frame = pq.read_table(out).to_pandas().set_index("file_name")
    cat = frame.loc["chelsea.jpg"]
    assert cat["predicted_class"] in range(281, 286), cat["predicted_name"]  # the domestic cats of ImageNet-1k
    assert len(cat["top_classes"]) == 5 and frame.index.tolist() == ["chelsea.jpg", "coffee.jpg", "rocket.jpg"]


def test_options_reach_the_loader_and_the_file(tmp_path: Path, loaded: list[tuple]):
    source = write_images(tmp_path / "images", ["a.png", "b.png"])
    labels = tmp_path / "labels.txt"
    labels.write_text("apple\nbear\ncloud\n")
    out = tmp_path / "p.parquet"
    arguments = ["predict", "timm:resnet18@random", str(source), "-o", str(out), "--labels", str(labels)]
    result = runner.invoke(app, [*arguments, "--top-k", "2", "--logits", "--workers", "0", "--quiet"])
    assert result.exit_code == 0, result.output
    assert loaded == [("timm:resnet18", "random", ("apple", "bear", "cloud"))]
    again = runner.invoke(app, ["predict", "timm:resnet18", str(source), "-o", str(out), "--weights", "random"])
    assert again.exit_code == 2 and "exists" in again.output  # the output is checked after the model loads
    assert loaded[-1] == ("timm:resnet18", "random", None)
    table = pq.read_table(out)
    assert "logits" in table.column_names and len(table.column("top_classes")[0]) == 2


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "no such file or folder"),
        ("empty", "holds no images"),
        ("broken", "Pillow cannot decode"),
        ("suffix", "must be a Parquet file ending in .parquet"),
        ("exists", "exists; choose another path, or pass --overwrite"),
        ("weights twice", "weights given twice"),
        ("labels", "empty class names"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_nothing_written(tmp_path: Path, loaded, case: str, message: str):
    source = tmp_path / "images"
    if case != "missing":
        source.mkdir()
    if case not in ("missing", "empty"):
        write_images(source, ["a.png", "b.png"])
    if case == "broken":
        (source / "c.png").write_bytes(b"not a png")
    out = tmp_path / "out" / ("p.csv" if case == "suffix" else "p.parquet")
    if case == "exists":
        out.parent.mkdir()
        out.write_bytes(b"kept")
    labels = tmp_path / "labels.txt"
    labels.write_text("apple\n\ncloud\n")
    model = "timm:resnet18@random" if case == "weights twice" else "timm:resnet18"
    arguments = ["predict", model, str(source), "--out", str(out), "--workers", "0", "--quiet"]
    arguments += ["--weights", str(labels)] if case == "weights twice" else []
    arguments += ["--labels", str(labels)] if case == "labels" else []
    before = sorted(tmp_path.rglob("*"))
    result = runner.invoke(app, arguments)
    assert result.exit_code == 2, result.output
    assert message in result.output and result.output.startswith("error: ")
    assert sorted(tmp_path.rglob("*")) == before


def test_ctrl_c_says_the_run_resumes_and_keeps_its_work_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    class Interrupted(torch.nn.Module):
        def forward(self, images: torch.Tensor) -> torch.Tensor:
            raise KeyboardInterrupt

    classifier = tiny_classifier()
    classifier.network = Interrupted()
    monkeypatch.setattr("fovkit.models.load_classifier", lambda *args, **kwargs: classifier)
    source = write_images(tmp_path / "images", ["a.png"])
    out = tmp_path / "p.parquet"
    result = runner.invoke(app, ["predict", "timm:resnet18", str(source), "-o", str(out), "--workers", "0", "--quiet"])
    assert result.exit_code == 130 and "run the same command again to resume" in result.output
    assert not out.exists() and (tmp_path / ".p.parquet.parts" / "predict.json").is_file()


def test_filter_predicts_the_chosen_rows_of_a_rendered_dataset(tmp_path: Path, tiny_dataset, loaded):
    out = tmp_path / "held_out.parquet"
    arguments = ["predict", "fovkit:tiny", str(tiny_dataset.folder), "--out", str(out), "--quiet", "--workers", "0"]
    result = runner.invoke(app, [*arguments, "--filter", "split=held_out", "--filter", "design=single,all"])
    assert result.exit_code == 0, result.output
    samples = tiny_dataset.samples
    held_out = samples.loc[samples["split"] == "held_out", "sample_id"].astype(str).tolist()
    assert pq.read_table(out).column("file_name").to_pylist() == held_out
    one = samples["instance"].iloc[0]
    only = tmp_path / "one.parquet"
    result = runner.invoke(app, [*arguments[:3], "--out", str(only), "--quiet", "--filter", f"instance={one}"])
    assert result.exit_code == 0, result.output
    assert pq.read_table(only).num_rows == int((samples["instance"] == one).sum())


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("colour=red", "unknown filter column 'colour'"),
        ("instance=many", "are not int"),
        ("split", "COLUMN=VALUE"),
        ("split=test", "no row passes the filter"),
    ],
)
def test_bad_filters_stop_with_one_line(tmp_path: Path, tiny_dataset, loaded, value, message):
    out = tmp_path / "p.parquet"
    arguments = ["predict", "fovkit:tiny", str(tiny_dataset.folder), "--out", str(out), "--quiet", "--filter", value]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 2 and message in result.output, result.output
    assert not out.exists()


def test_a_filter_on_a_folder_of_files_is_refused(tmp_path: Path, loaded):
    source = write_images(tmp_path / "photos", ["a.png"])
    out = tmp_path / "p.parquet"
    result = runner.invoke(app, ["predict", "m", str(source), "--out", str(out), "--filter", "split=train", "--quiet"])
    assert result.exit_code == 2 and "apply to datasets written by fovkit only" in result.output
