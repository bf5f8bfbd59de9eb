"""The linear probe protocol: a `LinearProbe` on the backbone's frozen features (cached per backbone and dataset).

Features are read from the memory-mapped cache: the fit copies the training rows into memory (its design matrix,
plus the probe's standardised copy), and the evaluation rows are read and predicted `PREDICT_CHUNK` rows at a time,
so no other copy of the dataset's features is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fovkit.protocols.registry import Outcome, register_protocol

if TYPE_CHECKING:
    import pandas as pd

    from fovkit.protocols.features import FeatureSet
    from fovkit.protocols.linear_probe import LinearProbe
    from fovkit.protocols.runner import ProtocolRunner

PREDICT_CHUNK = 65_536
"""Evaluation rows read from the feature map and predicted at a time (16 MiB of float32 per 64 features)."""


@register_protocol("linear", "multinomial logistic regression on frozen features, weight decay chosen on validation")
def run_linear(runner: ProtocolRunner, train: pd.DataFrame, evaluate: pd.DataFrame, seed: int, tag: str) -> Outcome:
    """Fit the probe on the training rows' features (validation holds out whole objects) and predict `evaluate`.

    The training rows' features are copied into memory: the fit needs its whole design matrix. The evaluation rows
    are read from the feature map and predicted in chunks.
    """
    from fovkit.protocols.linear_probe import LinearProbe

    settings = runner.settings.linear
    probe = LinearProbe(
        weight_decays=settings.weight_decays,
        validation_fraction=settings.validation_fraction,
        max_iter=settings.max_iter,
        seed=seed,
        device=runner.settings.device,
        precision=settings.precision,
    )
    features = runner.features.rows(train["sample_id"])
    labels = train["label"].to_numpy()
    probe.fit(features, labels, groups=_objects(train))
    predicted = predict_rows(probe, runner.features, evaluate["sample_id"])
    details = {"weight_decay": probe.weight_decay_, "device": probe.device_, "precision": probe.precision_}
    return Outcome(probe.score(features, labels), predicted, details)


def predict_rows(probe: LinearProbe, features: FeatureSet, sample_ids: pd.Series) -> np.ndarray:
    """Predicted classes of the given samples, their features read `PREDICT_CHUNK` rows at a time."""
    ids = sample_ids.to_numpy()
    parts = [
        probe.predict(features.rows(ids[start : start + PREDICT_CHUNK])) for start in range(0, len(ids), PREDICT_CHUNK)
    ]
    return np.concatenate(parts) if parts else np.empty(0, dtype=probe.classes_.dtype)


def _objects(rows: pd.DataFrame) -> np.ndarray:
    """One id per rendered object (class, instance), so validation splits hold out whole objects."""
    return rows["label"].to_numpy().astype(np.int64) * 100_000 + rows["instance"].to_numpy()
