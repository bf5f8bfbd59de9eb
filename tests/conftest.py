"""Shared fixtures: the shipped annotations and small synthetic prediction files in the reference format."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fovkit.imagenetx.annotations import load_factor_table, sample_universe
from fovkit.imagenetx.synthetic import write_synthetic_predictions
from fovkit.tables import FactorTable
from fovkit.tables.alignment import SampleUniverse


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
