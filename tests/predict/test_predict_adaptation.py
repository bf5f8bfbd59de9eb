"""`predict` with test-time adaptation: adapted predictions per episode (shard), deterministic, weights untouched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch
from predict_samples import tiny_classifier
from torch import nn

from fovkit.adaptation import adapt
from fovkit.errors import InputError
from fovkit.predict import predict, read_metadata
from fovkit.predict.sources import open_source


class BatchNormNet(nn.Module):
    """A convolution, BatchNorm with skewed running statistics and a linear head: adaptation changes its outputs."""

    def __init__(self) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        self.conv = nn.Conv2d(3, 4, 3)
        self.norm = nn.BatchNorm2d(4)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 3)
        with torch.no_grad():
            for parameter in self.parameters():
                parameter.copy_(torch.randn(parameter.shape, generator=generator))
            self.norm.running_mean.fill_(2.0)
            self.norm.running_var.fill_(0.05)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(torch.relu(self.norm(self.conv(images)))).flatten(1))


@pytest.fixture
def bn_classifier():
    return tiny_classifier(network=BatchNormNet()).eval()


HELD_OUT = {"split": ["held_out"]}


def _top1(path: Path) -> np.ndarray:
    return pq.read_table(path, columns=["predicted_class"]).column(0).to_numpy()


def test_adapted_predictions_differ_and_repeat(tmp_path: Path, tiny_dataset, bn_classifier):
    state = {name: value.clone() for name, value in bn_classifier.state_dict().items()}
    options = {"batch_size": 16, "workers": 0, "progress": False, "rows": HELD_OUT}
    plain = predict(bn_classifier, tiny_dataset.folder, tmp_path / "plain.parquet", **options)
    first = predict(bn_classifier, tiny_dataset.folder, tmp_path / "bn1.parquet", adaptation="bn", **options)
    second = predict(bn_classifier, tiny_dataset.folder, tmp_path / "bn2.parquet", adaptation="bn", **options)
    assert plain.images == first.images
    assert not np.array_equal(_top1(plain.path), _top1(first.path))
    np.testing.assert_array_equal(_top1(first.path), _top1(second.path))
    for name, value in bn_classifier.state_dict().items():
        torch.testing.assert_close(value, state[name], rtol=0, atol=0)
    assert read_metadata(first.path)["settings"]["adaptation"] == {
        "method": "bn",
        "settings": {"batch_size": None, "prior": 0.0},
    }
    assert "adaptation" not in read_metadata(plain.path)["settings"]


def test_each_shard_is_its_own_episode(tmp_path: Path, tiny_dataset, bn_classifier):
    out = tmp_path / "tent.parquet"
    predict(
        bn_classifier, tiny_dataset.folder, out, batch_size=8, workers=0, progress=False, rows=HELD_OUT,
        adaptation="tent", adaptation_settings={"lr": 0.01},
    )  # fmt: skip
    source = open_source(tiny_dataset.folder, HELD_OUT)
    second_start, second_end = source.boundaries()[0], source.boundaries()[1]
    preprocessing = bn_classifier.card.preprocessing
    batches = [
        source.read(begin, min(begin + 8, second_end), preprocessing).images
        for begin in range(second_start, second_end, 8)
    ]
    run = adapt(bn_classifier, batches, "tent", {"lr": 0.01}, device="cpu")
    expected = torch.cat(list(run)).argmax(dim=1).numpy()
    np.testing.assert_array_equal(_top1(out)[second_start:second_end], expected)


@pytest.mark.parametrize(
    ("method", "settings", "message"),
    [
        ("bnn", None, "bn"),
        ("bn", {"prior": -1}, "prior"),
        ("tent", {"batch_size": 4}, "batch size"),
    ],
)
def test_bad_adaptation_is_refused_before_writing(
    tmp_path: Path, tiny_dataset, bn_classifier, method, settings, message
):
    out = tmp_path / "out.parquet"
    with pytest.raises(InputError, match=message):
        predict(
            bn_classifier, tiny_dataset.folder, out, workers=0, progress=False, rows=HELD_OUT,
            adaptation=method, adaptation_settings=settings,
        )  # fmt: skip
    assert not out.exists()
