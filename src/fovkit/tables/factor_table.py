"""FactorTable: one row per sample with its label and factor values, each factor knowing its canonical value."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from fovkit.errors import InputError, preview

FactorKind = Literal["binary", "scalar", "categorical"]


@dataclass(frozen=True)
class FactorSpec:
    """A factor of variation: its column name, kind and canonical value ("does not vary")."""

    name: str
    kind: FactorKind = "binary"
    canonical: object = 0


@dataclass(frozen=True)
class FactorTable:
    """Samples with `sample_id`, integer `label` and one column per factor (extra columns are kept).

    The row order is the order every aligned array (predictions, masks) follows.
    """

    frame: pd.DataFrame
    factors: tuple[FactorSpec, ...]
    source: str = "<memory>"

    def __post_init__(self) -> None:
        _validate(self.frame, self.factors, self.source)

    @property
    def factor_names(self) -> list[str]:
        """Factor column names in declaration order."""
        return [factor.name for factor in self.factors]

    @property
    def sample_ids(self) -> pd.Index:
        """Sample ids in row order."""
        return pd.Index(self.frame["sample_id"])

    @property
    def labels(self) -> np.ndarray:
        """Integer labels in row order."""
        return self.frame["label"].to_numpy()

    def __len__(self) -> int:
        return len(self.frame)

    def varies(self, names: Sequence[str] | None = None) -> np.ndarray:
        """Boolean (samples x factors) matrix: True where a factor differs from its canonical value."""
        specs = {factor.name: factor for factor in self.factors}
        chosen = self.factor_names if names is None else list(names)
        unknown = [name for name in chosen if name not in specs]
        if unknown:
            raise InputError(f"unknown factors {preview(unknown)}; known: {self.factor_names}", path=self.source)
        columns = [_differs(self.frame[name].to_numpy(), specs[name]) for name in chosen]
        return np.stack(columns, axis=1) if columns else np.zeros((len(self), 0), dtype=bool)

    def subset(self, mask: np.ndarray) -> FactorTable:
        """Rows where `mask` is True, in the same order."""
        return FactorTable(self.frame.loc[mask].reset_index(drop=True), self.factors, self.source)


def _differs(values: np.ndarray, spec: FactorSpec) -> np.ndarray:
    """True where a value is not the canonical one; scalars compare with a tolerance for floating-point grids."""
    if spec.kind == "scalar":
        return ~np.isclose(values.astype(float), float(spec.canonical), rtol=1e-9, atol=1e-9)
    return values != spec.canonical


def _validate(frame: pd.DataFrame, factors: tuple[FactorSpec, ...], source: str) -> None:
    required = ["sample_id", "label", *(factor.name for factor in factors)]
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise InputError(f"missing columns {missing}; present: {list(frame.columns)}", path=source)
    duplicated = frame["sample_id"][frame["sample_id"].duplicated()]
    if len(duplicated):
        raise InputError(f"duplicate sample ids {preview(duplicated.tolist())}", path=source, field="sample_id")
    for column in required:
        null_rows = np.flatnonzero(frame[column].isna().to_numpy())
        if len(null_rows):
            raise InputError(f"missing values in rows {preview(null_rows.tolist())}", path=source, field=column)
    if not pd.api.types.is_integer_dtype(frame["label"]):
        raise InputError(f"labels must be integers, got dtype {frame['label'].dtype}", path=source, field="label")
