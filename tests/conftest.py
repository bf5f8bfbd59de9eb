"""Shared fixtures: the shipped annotations, synthetic prediction files and a tiny rendered dataset."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable

# One torch/BLAS thread per test process (pytest-xdist runs one process per core): stable and fastest here.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
# Every GL context of the suite rasterises in its calling thread, as dataset renders do (see render/scene.py).
os.environ["LP_NUM_THREADS"] = "0"
# Tests never read or write the user's cache: each test process gets a fresh one, removed when it exits.
_TEST_CACHE = tempfile.mkdtemp(prefix="fovkit-test-cache-")
os.environ["FOVKIT_CACHE"] = _TEST_CACHE
atexit.register(shutil.rmtree, _TEST_CACHE, ignore_errors=True)
# The imports below come after the environment on purpose: BLAS reads its thread count when numpy loads.

from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from fovkit.imagenetx.annotations import load_factor_table, sample_universe  # noqa: E402
from fovkit.imagenetx.synthetic import write_synthetic_predictions  # noqa: E402
from fovkit.jobs.render import run_render  # noqa: E402
from fovkit.render.config import RenderConfig  # noqa: E402
from fovkit.render.store import RenderedDataset  # noqa: E402
from fovkit.tables import FactorTable  # noqa: E402
from fovkit.tables.alignment import SampleUniverse  # noqa: E402

# Three classes, five instances (one held out per class), single and all-factor designs: 630 images at 32 px.
TINY_STUDY = RenderConfig(
    classes=["mug", "car", "chair"],
    instances_per_class=5,
    image_size=32,
    designs=("single", "all"),
    single_values=5,
    grid_values=3,
    combinations=12,
    backgrounds_per_type=2,
    grid_backgrounds=4,
    shard_size=200,
    samples=1,
)


@pytest.fixture(scope="session")
def val_table() -> FactorTable:
    return load_factor_table("top", "val")


@pytest.fixture(scope="session")
def val_universe(val_table: FactorTable) -> SampleUniverse:
    return sample_universe(val_table, "val")


@pytest.fixture(scope="session")
def prediction_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three synthetic models covering all 50,000 val images (CSV, reference format)."""
    folder = tmp_path_factory.mktemp("predictions")
    write_synthetic_predictions(folder, n_models=3, seed=7)
    return folder


@pytest.fixture(scope="session")
def prediction_frame(prediction_dir: Path) -> pd.DataFrame:
    """The first synthetic model's CSV as a DataFrame."""
    return pd.read_csv(prediction_dir / "model_0000.csv")


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> RenderedDataset:
    """TINY_STUDY rendered once per test session (a few seconds)."""
    folder = tmp_path_factory.mktemp("tiny-study") / "data"
    return run_render(TINY_STUDY, folder, workers=1, progress=False, report=None).dataset


class RefusingEncoder:
    """A sentence encoder that fails the test if the top-factor selection asks it for an embedding."""

    def encode(self, sentences: list[str]) -> object:
        raise AssertionError(f"the model was called for {sentences[:3]}")


class FailingEncoder:
    """A sentence encoder that crashes, as a model might in the middle of a run."""

    def encode(self, sentences: list[str]) -> object:
        raise RuntimeError("encoder crashed")


@pytest.fixture
def refusing_encoder() -> RefusingEncoder:
    return RefusingEncoder()


@pytest.fixture
def failing_encoder() -> FailingEncoder:
    return FailingEncoder()


@pytest.fixture(scope="session")
def encoder():
    """The offline sentence model."""
    from fovkit.text import load_sentence_encoder

    return load_sentence_encoder()


@pytest.fixture(scope="session")
def val_multi() -> pd.DataFrame:
    """Every ImageNet-X val annotation with all its factors, prototypes kept."""
    return load_factor_table("multi", "val", keep_prototypes=True).frame


@pytest.fixture
def flip_bytes() -> Callable[[Path], None]:
    """Flip bytes in the middle of a file, as a bad disk or a stray write would (the size stays the same)."""

    def flip(path: Path, count: int = 8) -> None:
        data = bytearray(path.read_bytes())
        middle = len(data) // 2
        data[middle : middle + count] = bytes(byte ^ 0xFF for byte in data[middle : middle + count])
        path.write_bytes(bytes(data))

    return flip
