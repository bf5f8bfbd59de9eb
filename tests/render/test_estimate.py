"""The render cost model behind `fovkit render plan`: it reproduces the measured throughput and disk use."""

from __future__ import annotations

import pytest

from fovkit.render.config import RenderConfig
from fovkit.render.estimate import estimate_render, format_bytes, format_duration


@pytest.mark.parametrize(
    ("size", "samples", "measured"),
    [(224, 4, 598), (224, 1, 1_015), (64, 4, 1_186)],  # images/s per core, docs/benchmarks.md
)
def test_time_model_matches_the_benchmark(size: int, samples: int, measured: float):
    config = RenderConfig(image_size=size, samples=samples)
    estimate = estimate_render(config, images=10_000, cores=1)
    assert 10_000 / estimate.seconds == pytest.approx(measured, rel=0.02)
    assert estimate_render(config, 10_000, cores=2).seconds == pytest.approx(estimate.seconds / 2)


def test_disk_model_matches_the_paper64_run():
    config = RenderConfig(classes=54, image_size=64)
    estimate = estimate_render(config, images=7_006_500, cores=2)
    assert estimate.bytes == pytest.approx(4.9e9, rel=0.15)  # the run wrote 4.9 GB
    assert estimate_render(config.model_copy(update={"image_format": "png"}), 7_006_500, 2).bytes > estimate.bytes


def test_formats_read_naturally():
    assert [format_duration(value) for value in (0.2, 40, 3_119, 5_760, 400_000)] == [
        "1 s",
        "40 s",
        "52 min",
        "1.6 h",
        "4.6 days",
    ]
    assert [format_bytes(value) for value in (512, 85_000, 4.9e9, 1.5e11)] == ["512 B", "85.0 kB", "4.9 GB", "150 GB"]
