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
        columns = [varies_from_canonical(self.frame[name].to_numpy(), specs[name]) for name in chosen]
        return np.stack(columns, axis=1) if columns else np.zeros((len(self), 0), dtype=bool)

    def subset(self, mask: np.ndarray) -> FactorTable:
        """Rows where `mask` is True, in the same order."""
        return FactorTable(self.frame.loc[mask].reset_index(drop=True), self.factors, self.source)


def varies_from_canonical(values: np.ndarray, spec: FactorSpec) -> np.ndarray:
    """True where a value of factor `spec` is not its canonical one: the one definition of "varies".

    Scalars compare with a tolerance (1e-9, relative and absolute) so values on floating-point grids that are meant
    to be the canonical value count as canonical; binary and categorical values compare exactly. A factor without a
    canonical value (`NO_CANONICAL`) has no "varies": asking is an InputError.
    """
    if not has_canonical(spec):
        raise InputError(f"factor '{spec.name}' has no canonical value; give one to compare against it")
    if spec.kind == "scalar":
        return ~np.isclose(np.asarray(values).astype(float), float(spec.canonical), rtol=1e-9, atol=1e-9)
    return np.asarray(values) != spec.canonical


def varying_only(varies: np.ndarray, columns: Sequence[int] = ()) -> np.ndarray:
    """Rows where at least one of `columns` varies and every other factor is canonical.

    Args:
        varies: Boolean (samples x factors) matrix, as `FactorTable.varies` returns (or a table's `varies_*` flags).
        columns: Column numbers of the factors allowed to vary; empty gives the canonical rows (nothing varies).

    Returns:
        Boolean (samples,) mask.

    """
    varies = np.asarray(varies, dtype=bool)
    chosen = np.zeros(varies.shape[1], dtype=bool)
    chosen[list(columns)] = True
    others = varies[:, ~chosen].any(axis=1)
    return ~others if not chosen.any() else varies[:, chosen].any(axis=1) & ~others


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


NO_CANONICAL = None
"""`FactorSpec.canonical` of a factor that has no canonical value (a user's scalar or categorical factor given none).

Such a factor still has analysis groups but no "varies from canonical": leave it out of `FactorTable.varies` and of
gap tables (test with `has_canonical`).
"""


def has_canonical(spec: FactorSpec) -> bool:
    """Whether `spec` names a canonical value, so that "varies from canonical" (and a gap table) applies to it."""
    return spec.canonical is not NO_CANONICAL
