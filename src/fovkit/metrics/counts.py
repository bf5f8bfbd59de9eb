"""Count correct predictions per group of samples for many models at once (the fixed-size state of every metric).

A group is any set of samples: those where a factor varies, a meta-label, a class, a meta-label x factor cell.
Groups are the columns of a sparse (samples x groups) membership matrix, so one sparse product counts them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


def group_membership(samples: np.ndarray, groups: np.ndarray, n_samples: int, n_groups: int) -> sp.csc_array:
    """Sparse (samples x groups) 0/1 matrix from (sample, group) pairs, stored for fast products with dense columns."""
    ones = np.ones(len(samples), dtype=np.float32)
    return sp.coo_array((ones, (samples, groups)), shape=(n_samples, n_groups)).tocsc()


@dataclass(frozen=True)
class GroupCounts:
    """Per model and group: how many samples were scored (`total`) and how many were right (`correct`).

    Counts add up across model chunks and sample shards, which is what makes the analysis streamable.
    """

    correct: np.ndarray
    total: np.ndarray

    @property
    def accuracy(self) -> np.ndarray:
        """Correct / total; NaN for empty groups."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.correct / self.total

    @property
    def mistakes(self) -> np.ndarray:
        """Scored samples that were wrong."""
        return self.total - self.correct


def count_by_group(
    correct: Sequence[np.ndarray], membership: sp.csc_array, scored: Sequence[np.ndarray | None]
) -> list[GroupCounts]:
    """Count correct predictions per (model, group) under several criteria with one sparse product.

    Args:
        correct: Per criterion, a boolean (samples x models) matrix; samples-major so the product streams rows.
        membership: Sparse (samples x groups) 0/1 matrix from `group_membership`.
        scored: Per criterion, a boolean (samples,) mask of the samples it scores (e.g. non-empty ReaL lists), or
            None for all; unscored samples count neither as right nor in the total.

    Returns:
        Per criterion, counts of shape (models x groups), exact integers held in float64.

    """
    weights = np.empty((membership.shape[0], sum(matrix.shape[1] for matrix in correct)), dtype=np.float32)
    start = 0
    for matrix, mask in zip(correct, scored, strict=True):
        weights[:, start : start + matrix.shape[1]] = matrix if mask is None else matrix & mask[:, None]
        start += matrix.shape[1]
    counted = (membership.T @ weights).T.astype(np.float64)
    everyone = np.asarray(membership.sum(axis=0), dtype=np.float64)
    results, start = [], 0
    for matrix, mask in zip(correct, scored, strict=True):
        totals = everyone if mask is None else np.asarray(membership.T @ mask.astype(np.float32), dtype=np.float64)
        counts = counted[start : start + matrix.shape[1]]
        results.append(GroupCounts(correct=counts, total=np.broadcast_to(totals, counts.shape).copy()))
        start += matrix.shape[1]
    return results
