"""Validation of what users pass to the probe: features, labels and group ids, with errors naming the field."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from fovkit.errors import InputError, preview


def check_features(
    features: np.ndarray | torch.Tensor, name: str, n_features: int | None = None, finite: bool = True
) -> torch.Tensor:
    """(N, D) float32 CPU tensor; rejects other shapes, non-numeric dtypes and (if `finite`) non-finite values."""
    if isinstance(features, torch.Tensor):
        if features.dtype.is_complex or features.dtype == torch.bool:
            raise InputError(f"expected real-valued features, got dtype {features.dtype}", field=name)
        x = features.detach().cpu()
    else:
        array = np.asarray(features)
        if array.dtype.kind not in "fiu":
            raise InputError(f"expected real-valued features, got dtype {array.dtype}", field=name)
        if array.dtype != np.float32 or not array.flags.writeable:
            array = array.astype(np.float32)
        x = torch.from_numpy(array)
    if x.dim() != 2:
        hint = "; reshape a single sample with features[None, :]" if x.dim() == 1 else ""
        raise InputError(f"expected a 2-D (samples x features) array, got shape {tuple(x.shape)}{hint}", field=name)
    if n_features is not None and x.shape[1] != n_features:
        raise InputError(f"expected {n_features} features per row (as in fit), got {x.shape[1]}", field=name)
    if len(x) == 0 or x.shape[1] == 0:
        raise InputError(f"expected at least one row and one feature, got shape {tuple(x.shape)}", field=name)
    x = x.float()
    if finite:
        check_finite(x, x.sum(0), name)
    return x


def check_finite(x: torch.Tensor, column_sums: torch.Tensor, name: str) -> None:
    """Reject NaN and inf; a NaN or inf anywhere makes its column's sum non-finite (the cheap test)."""
    if not bool(torch.isfinite(column_sums).all()):
        rows = torch.nonzero(~torch.isfinite(x).all(dim=1)).flatten().tolist()
        if rows:  # otherwise the sum merely overflowed
            raise InputError(f"expected finite values, got NaN or inf in rows {preview(rows)}", field=name)


def check_labels(labels: np.ndarray | Sequence, n_rows: int) -> np.ndarray:
    """(N,) integer or string class values, one per row."""
    values = labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    if values.ndim != 1 or len(values) != n_rows:
        raise InputError(
            f"expected {n_rows} labels (one per row of features), got shape {values.shape}", field="labels"
        )
    if values.dtype.kind == "O" and all(isinstance(value, str) for value in values):
        values = values.astype(str)
    if values.dtype.kind not in "iuUS":
        raise InputError(
            f"expected integer or string class values, got dtype {values.dtype}; convert with labels.astype(int)",
            field="labels",
        )
    return values


def check_groups(groups: np.ndarray | Sequence, n_rows: int) -> np.ndarray:
    """(N,) group ids, one per row."""
    values = groups.detach().cpu().numpy() if isinstance(groups, torch.Tensor) else np.asarray(groups)
    if values.ndim != 1 or len(values) != n_rows:
        raise InputError(
            f"expected {n_rows} group ids (one per row of features), got shape {values.shape}", field="groups"
        )
    if values.dtype.kind == "f" and np.isnan(values).any():
        raise InputError(
            f"expected group ids, got NaN in rows {preview(np.flatnonzero(np.isnan(values)).tolist())}", field="groups"
        )
    if values.dtype.kind == "O":
        values = values.astype(str)
    return values
