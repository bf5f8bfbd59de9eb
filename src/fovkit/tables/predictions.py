"""Predictions: a models x samples matrix of predicted classes (and confidences) aligned to a FactorTable."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fovkit.errors import InputError, preview


@dataclass(frozen=True)
class Predictions:
    """Predicted class (and optional top-1 probability) of each model for each sample.

    Rows follow `models`, columns follow `sample_ids`; the dense layout keeps thousands of models in memory
    (2 bytes per prediction, 4 more with probabilities) and makes every metric a vectorised reduction.
    """

    models: tuple[str, ...]
    sample_ids: pd.Index
    predicted: np.ndarray
    probability: np.ndarray | None = None

    def __post_init__(self) -> None:
        shape = (len(self.models), len(self.sample_ids))
        if self.predicted.shape != shape:
            raise InputError(f"predicted has shape {self.predicted.shape}, expected (models, samples) = {shape}")
        if self.probability is not None and self.probability.shape != shape:
            raise InputError(f"probability has shape {self.probability.shape}, expected {shape}")
        duplicated = pd.Index(self.models)[pd.Index(self.models).duplicated()]
        if len(duplicated):
            raise InputError(f"duplicate model names {preview(duplicated.tolist())}", field="model")

    def __len__(self) -> int:
        return len(self.models)

    @classmethod
    def stack(cls, parts: list[Predictions]) -> Predictions:
        """Concatenate predictions of disjoint model sets over the same samples."""
        if not parts:
            raise InputError("no predictions given")
        sample_ids = parts[0].sample_ids
        if any(not part.sample_ids.equals(sample_ids) for part in parts[1:]):
            raise InputError("predictions to stack cover different samples")
        with_probability = [part.probability is not None for part in parts]
        if any(with_probability) and not all(with_probability):
            raise InputError("some predictions carry probabilities and others do not; give them for all or none")
        return cls(
            models=tuple(model for part in parts for model in part.models),
            sample_ids=sample_ids,
            predicted=np.concatenate([part.predicted for part in parts]),
            probability=np.concatenate([part.probability for part in parts]) if with_probability[0] else None,
        )

    def chunks(self, size: int) -> Iterator[Predictions]:
        """Consecutive groups of at most `size` models (views, no copies)."""
        for start in range(0, len(self.models), size):
            rows = slice(start, start + size)
            yield Predictions(
                self.models[rows],
                self.sample_ids,
                self.predicted[rows],
                None if self.probability is None else self.probability[rows],
            )

    def to_frame(self) -> pd.DataFrame:
        """Long table, one row per (model, sample): `model`, `sample_id`, `predicted`[, `probability`]."""
        frame = pd.DataFrame(
            {
                "model": np.repeat(np.asarray(self.models, dtype=object), len(self.sample_ids)),
                "sample_id": np.tile(self.sample_ids.to_numpy(), len(self.models)),
                "predicted": self.predicted.ravel(),
            }
        )
        if self.probability is not None:
            frame["probability"] = self.probability.ravel()
        return frame
