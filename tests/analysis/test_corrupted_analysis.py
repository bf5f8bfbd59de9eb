"""`fovkit analyze` on a corrupted dataset: groups per corruption and severity, CE tables, gaps relative to clean."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from fovkit.analysis.config import AnalyzeConfig
from fovkit.analysis.corruption import corruption_tables
from fovkit.analysis.sources import corrupted_spec
from fovkit.corruptions.dataset import CorruptConfig, corrupt_dataset
from fovkit.errors import InputError
from fovkit.jobs.analyze import run_analyze
from fovkit.models.base import ImageClassifier, LabelSpace, ModelCard, Preprocessing
from fovkit.predict import predict

CONFIG = CorruptConfig(corruptions=("contrast", "gaussian_noise"), severities=(1, 3), shard_size=60)


class MeanColour(nn.Module):
    """Average colour -> class: sensitive to contrast and noise, so corrupted errors differ from clean."""

    def __init__(self) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(1)
        self.fc = nn.Linear(3, 3)
        with torch.no_grad():
            self.fc.weight.copy_(torch.randn(3, 3, generator=generator) * 8)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.fc(images.mean(dim=(2, 3)))


@pytest.fixture(scope="module")
def corrupted(tiny_dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corrupted-analysis") / "data"
    corrupt_dataset(tiny_dataset.folder, out, CONFIG, rows={"split": ["held_out"]}, workers=1, progress=False)
    return out


@pytest.fixture(scope="module")
def predictions(corrupted: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("corrupted-predictions")
    card = ModelCard("module:colour", "module", Preprocessing(input_size=32), 3, "module", "colour-0")
    paths = []
    for name, scale in (("sharp", 1.0), ("blunt", 0.2)):
        network = MeanColour()
        with torch.no_grad():
            network.fc.weight.mul_(scale)
        classifier = ImageClassifier(network, card, LabelSpace("tiny", ("mug", "car", "chair"))).eval()
        paths.append(predict(classifier, corrupted, folder / f"{name}.parquet", workers=0, progress=False).path)
    return paths


def test_spec_has_a_group_per_corruption_severity_and_the_source_factors(corrupted: Path):
    spec = corrupted_spec(corrupted)
    names = set(spec.factor_names)
    assert {"pose", "background", "corruption=contrast", "corruption=none", "severity=3"} <= names
    assert {
        "corruption_severity=contrast/1",
        "corruption_severity=gaussian_noise/3",
        "corruption_severity=none/0",
    } <= names
    column = spec.factor_names.index("corruption_severity=contrast/3")
    frame = spec.table.frame
    expected = ((frame["corruption"] == "contrast") & (frame["severity"] == 3)).to_numpy()
    np.testing.assert_array_equal(spec.factor_mask[:, column], expected)
    assert spec.corruption_baseline == "none" and spec.gaps is not None


def test_analysis_writes_corruption_errors_that_match_the_predictions(corrupted: Path, predictions, tmp_path: Path):
    run = run_analyze(corrupted, predictions, tmp_path / "run", AnalyzeConfig(bootstrap=0), progress=False)
    errors = pd.read_csv(tmp_path / "run" / "corruption_errors.csv")
    samples = corrupted_spec(corrupted).table.frame.set_index("sample_id")
    scored = (
        pd.read_parquet(predictions[0], columns=["file_name", "predicted_class"]).set_index("file_name").join(samples)
    )
    wrong = scored["predicted_class"] != scored["label"]
    for corruption, severity in (("contrast", 1), ("gaussian_noise", 3)):
        rows = (scored["corruption"] == corruption) & (scored["severity"] == severity)
        row = errors[
            (errors["model"] == "sharp") & (errors["corruption"] == corruption) & (errors["severity"] == severity)
        ]
        assert row["error"].item() == pytest.approx(wrong[rows].mean())
    mce = pd.read_csv(tmp_path / "run" / "mce.csv").set_index("model")
    clean = wrong[scored["corruption"] == "none"].mean()
    assert mce.loc["sharp", "clean_error"] == pytest.approx(clean)
    assert "mce" not in mce.columns  # no baseline: unnormalised errors only
    assert run.report.exists()


def test_a_baseline_model_normalises_ce(corrupted: Path, predictions, tmp_path: Path):
    config = AnalyzeConfig(bootstrap=0, baseline_model="blunt")
    run_analyze(corrupted, predictions, tmp_path / "run", config, progress=False)
    per_corruption = pd.read_csv(tmp_path / "run" / "corruption_ce.csv").set_index(["model", "corruption"])
    np.testing.assert_allclose(per_corruption.loc["blunt", "ce"].to_numpy(), 1.0)
    expected = (
        per_corruption.loc[("sharp", "contrast"), "mean_error"]
        / per_corruption.loc[("blunt", "contrast"), "mean_error"]
    )
    assert per_corruption.loc[("sharp", "contrast"), "ce"] == pytest.approx(expected)


def test_unknown_baseline_model_is_named(corrupted: Path, predictions, tmp_path: Path):
    with pytest.raises(InputError, match="nobody"):
        run_analyze(
            corrupted,
            predictions,
            tmp_path / "run",
            AnalyzeConfig(bootstrap=0, baseline_model="nobody"),
            progress=False,
        )


def test_alexnet_baseline_needs_the_15_corruptions_for_mce():
    accuracies = pd.DataFrame(
        {"corruption_severity=none/0": [0.8], "corruption_severity=fog/1": [0.6], "corruption_severity=fog/2": [0.4]},
        index=pd.Index(["m"], name="model"),
    )
    tables = corruption_tables(accuracies, "alexnet")
    assert tables.per_corruption.loc[("m", "fog"), "ce"] == pytest.approx(0.5 / 0.819324)
    assert np.isnan(tables.per_model.loc["m", "mce"])
    assert tables.per_model.loc["m", "relative_mce"] == pytest.approx((0.5 - 0.2) / (0.819324 - 0.43478))


def test_report_has_the_corruption_section(corrupted: Path, predictions, tmp_path: Path):
    run = run_analyze(corrupted, predictions, tmp_path / "run", AnalyzeConfig(bootstrap=0), progress=False)
    html = run.report.read_text()
    assert "Corruption errors" in html and "error against severity" in html
    assert list((tmp_path / "run").rglob("corruption_errors*.png"))
