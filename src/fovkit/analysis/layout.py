"""Column blocks of the groups an analysis counts: all, factors, hierarchy groups, group x factor cells, classes.

Only the leaves are counted (hierarchy group x factor cells, then classes); every other block is a sum of leaves,
which keeps the sparse product per model chunk small. Without a hierarchy there is one group holding every sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from fovkit.analysis.spec import AnalysisSpec
from fovkit.metrics import group_membership


@dataclass(frozen=True)
class GroupLayout:
    """Where each block of groups sits among the columns of the count matrices."""

    n_factors: int
    n_levels: int
    n_classes: int

    @property
    def all(self) -> slice:
        """Every sample."""
        return slice(0, 1)

    @property
    def factors(self) -> slice:
        """Samples where each factor is active."""
        return slice(1, 1 + self.n_factors)

    @property
    def levels(self) -> slice:
        """Samples of each hierarchy group."""
        start = self.factors.stop
        return slice(start, start + self.n_levels)

    @property
    def cells(self) -> slice:
        """Hierarchy group x factor cells, group-major."""
        start = self.levels.stop
        return slice(start, start + self.n_cells)

    @property
    def classes(self) -> slice:
        """Samples of each class."""
        start = self.cells.stop
        return slice(start, start + self.n_classes)

    @property
    def n_cells(self) -> int:
        """Number of hierarchy group x factor cells."""
        return self.n_levels * self.n_factors

    def from_leaves(self, leaves: np.ndarray, class_groups: np.ndarray) -> np.ndarray:
        """Counts of every block from counts of the leaf groups (cells, then classes).

        Each sample is in one class and one hierarchy group, so all = sum of classes, groups = classes summed by
        group, factors = cells summed over groups.
        """
        cells, classes = leaves[:, : self.n_cells], leaves[:, self.n_cells :]
        factors = cells.reshape(len(leaves), self.n_levels, self.n_factors).sum(axis=1)
        return np.hstack([classes.sum(axis=1, keepdims=True), factors, classes @ class_groups, cells, classes])

    def factor_counts(self, leaves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per factor (its cells summed) and overall (the classes summed), without a BLAS product.

        For worker processes, whose BLAS threads would spin against the other workers'.
        """
        cells, classes = np.hsplit(leaves, [self.n_cells])
        return cells.reshape(len(cells), self.n_levels, self.n_factors).sum(axis=1), classes.sum(axis=1)


def layout_of(spec: AnalysisSpec) -> GroupLayout:
    """The layout of a spec's groups."""
    levels = 1 if spec.hierarchy is None else len(spec.hierarchy.levels)
    return GroupLayout(len(spec.factor_names), levels, spec.num_classes)


def leaf_membership(spec: AnalysisSpec, layout: GroupLayout) -> sp.csc_array:
    """Sparse (samples x leaves): each active factor's cell in the sample's hierarchy group, then the sample's class."""
    factor_samples, factor_ids = np.nonzero(spec.factor_mask)
    level = spec.hierarchy_codes()
    everyone = np.arange(len(spec.table))
    return group_membership(
        np.concatenate([factor_samples, everyone]),
        np.concatenate([level[factor_samples] * layout.n_factors + factor_ids, layout.n_cells + spec.table.labels]),
        len(spec.table),
        layout.n_cells + layout.n_classes,
    )
