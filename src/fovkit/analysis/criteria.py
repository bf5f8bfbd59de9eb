"""Scoring criteria: when a predicted class counts as right for a sample (top-1, acceptable labels, same group).

A criterion turns a (samples x models) matrix of predicted classes into a boolean matrix of right answers, and may
leave samples out (`scored`): those count neither as right nor in any total. Renders, corruptions and counterfactuals
add their own criteria by implementing the same three members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


class Criterion(Protocol):
    """What the engine needs of a criterion."""

    name: str
    """Short name: the output subfolder of its tables (the first criterion's tables sit at the top)."""
    label: str
    """Words for the report, e.g. "top-1 label"."""
    description: str
    """One sentence for the report: when a prediction is right."""

    @property
    def scored(self) -> np.ndarray | None:
        """(samples,) mask of the samples this criterion scores, or None for all."""

    def correct(self, predicted: np.ndarray) -> np.ndarray:
        """(samples x models) True where the predicted class is right."""


@dataclass(frozen=True)
class TopOne:
    """Right when the predicted class is the sample's label."""

    labels: np.ndarray = field(repr=False)
    name: str = "class"
    label: str = "top-1 label"
    description: str = "A prediction is correct when it is the image's label."

    @property
    def scored(self) -> None:
        """Every sample is scored."""
        return None

    def correct(self, predicted: np.ndarray) -> np.ndarray:
        """True where the prediction is the label."""
        return predicted == self.labels[:, None]


@dataclass(frozen=True)
class AcceptableLabels:
    """Right when the predicted class is any of the sample's acceptable labels (rows padded with -1).

    Samples with an empty list are not scored (the ReaL protocol).
    """

    lists: np.ndarray = field(repr=False)
    name: str = "acceptable"
    label: str = "acceptable labels"
    description: str = (
        "A prediction is correct when it is any of the image's acceptable labels; images without one are left out."
    )

    @property
    def scored(self) -> np.ndarray:
        """Samples with at least one acceptable label."""
        return (self.lists >= 0).any(axis=1)

    def correct(self, predicted: np.ndarray) -> np.ndarray:
        """Most samples have one label, so only the first column is compared densely; later ones on their rows."""
        matched = predicted == self.lists[:, :1]
        for column in range(1, self.lists.shape[1]):
            rows = np.flatnonzero(self.lists[:, column] >= 0)
            matched[rows] |= predicted[rows] == self.lists[rows, column : column + 1]
        return matched


@dataclass(frozen=True)
class SameGroup:
    """Right when the predicted class belongs to the sample's group (e.g. its ImageNet-X meta-label).

    Classes without a group (code -1) are never right.
    """

    of_class: np.ndarray = field(repr=False)
    of_sample: np.ndarray = field(repr=False)
    name: str = "group"
    label: str = "group"
    description: str = "A prediction is correct when its class falls in the same group as the image's class."

    @property
    def scored(self) -> None:
        """Every sample is scored."""
        return None

    def correct(self, predicted: np.ndarray) -> np.ndarray:
        """True where the predicted class is in the sample's group."""
        return self.of_class[predicted] == self.of_sample[:, None]
