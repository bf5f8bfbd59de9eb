"""Count correct predictions per group of samples for many models at once (the fixed-size state of every metric).

A group is any set of samples: those where a factor varies, a meta-label, a class, a meta-label x factor cell.
Groups are the columns of a sparse (samples x groups) membership matrix, so one sparse product counts them all.
"""

from __future__ import annotations

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


def count_by_group(correct: np.ndarray, membership: sp.csc_array, scored: np.ndarray | None = None) -> GroupCounts:
    """Count correct predictions per (model, group).

    Args:
        correct: Boolean (samples x models) matrix; samples-major so the sparse product streams rows.
        membership: Sparse (samples x groups) 0/1 matrix from `group_membership`.
        scored: Boolean (samples,) mask of the samples a criterion scores (e.g. non-empty ReaL lists);
            unscored samples count neither as right nor in the total.

    Returns:
        Counts of shape (models x groups), exact integers held in float64.

    """
    weights = correct.astype(np.float32)
    totals = np.asarray(membership.sum(axis=0), dtype=np.float64)
    if scored is not None:
        weights *= scored[:, None]
        totals = np.asarray(membership.T @ scored.astype(np.float32), dtype=np.float64)
    counts = (membership.T @ weights).T.astype(np.float64)
    return GroupCounts(correct=counts, total=np.broadcast_to(totals, counts.shape).copy())
