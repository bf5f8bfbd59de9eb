"""The linear probe protocol: a `LinearProbe` on the backbone's frozen features (cached per backbone and dataset)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fovkit.protocols.registry import Outcome, register_protocol

if TYPE_CHECKING:
    import pandas as pd

    from fovkit.protocols.runner import ProtocolRunner


@register_protocol("linear", "multinomial logistic regression on frozen features, weight decay chosen on validation")
def run_linear(runner: ProtocolRunner, train: pd.DataFrame, evaluate: pd.DataFrame, seed: int, tag: str) -> Outcome:
    """Fit the probe on the training rows' features (validation holds out whole objects) and predict `evaluate`."""
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
    predicted = probe.predict(runner.features.rows(evaluate["sample_id"]))
    details = {"weight_decay": probe.weight_decay_, "device": probe.device_, "precision": probe.precision_}
    return Outcome(probe.score(features, labels), predicted, details)


def _objects(rows: pd.DataFrame) -> np.ndarray:
    """One id per rendered object (class, instance), so validation splits hold out whole objects."""
    return rows["label"].to_numpy().astype(np.int64) * 100_000 + rows["instance"].to_numpy()
