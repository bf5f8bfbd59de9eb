"""The additive state of an analysis: counts per group and criterion, calibration gaps, bootstrap bounds, gap counts.

Chunks of models scored in any process are appended in order and merged at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fovkit.metrics import GroupCounts
from fovkit.metrics.bootstrap import BootstrapIntervals

_BOUNDS = tuple(BootstrapIntervals.__dataclass_fields__)


@dataclass
class Tally:
    """Per-chunk states of every criterion, concatenated over model chunks at the end."""

    models: list[str] = field(default_factory=list)
    checksums: dict[str, str] = field(default_factory=dict)
    counts: dict[str, list[GroupCounts]] = field(default_factory=dict)
    calibration: list[np.ndarray] = field(default_factory=list)
    intervals: dict[str, list[BootstrapIntervals]] = field(default_factory=dict)
    gap_counts: list[GroupCounts] = field(default_factory=list)

    @classmethod
    def empty(cls, criteria: list[str]) -> Tally:
        """A tally with no models for `criteria`."""
        return cls(counts={name: [] for name in criteria}, intervals={name: [] for name in criteria})

    def absorb(self, other: Tally) -> None:
        """Append another tally's models (in order) to this one."""
        self.models.extend(other.models)
        self.checksums.update(other.checksums)
        self.calibration.extend(other.calibration)
        self.gap_counts.extend(other.gap_counts)
        for name, parts in other.counts.items():
            self.counts[name].extend(parts)
        for name, parts in other.intervals.items():
            self.intervals[name].extend(parts)

    def merged_counts(self, criterion: str) -> GroupCounts:
        """Leaf counts of every model under `criterion`, (models x leaves)."""
        parts = self.counts[criterion]
        return GroupCounts(
            np.concatenate([part.correct for part in parts]), np.concatenate([part.total for part in parts])
        )

    def merged_intervals(self, criterion: str) -> BootstrapIntervals | None:
        """Bootstrap bounds of every model under `criterion`, or None without a bootstrap."""
        parts = self.intervals[criterion]
        if not parts:
            return None
        return BootstrapIntervals(*(np.concatenate([getattr(part, name) for part in parts]) for name in _BOUNDS))

    def merged_gap_counts(self) -> GroupCounts | None:
        """Gap-table cell counts of every model, or None when the analysis has no gap table."""
        if not self.gap_counts:
            return None
        return GroupCounts(
            np.concatenate([part.correct for part in self.gap_counts]),
            np.concatenate([part.total for part in self.gap_counts]),
        )

    def model_index(self) -> pd.Index:
        """The models in scoring order."""
        return pd.Index(self.models, name="model")
