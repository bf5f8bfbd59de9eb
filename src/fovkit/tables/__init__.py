"""The spine's two tables: factor-annotated samples and model predictions keyed by sample id."""

from fovkit.tables.factor_table import FactorSpec, FactorTable
from fovkit.tables.predictions import Predictions

__all__ = ["FactorSpec", "FactorTable", "Predictions"]
