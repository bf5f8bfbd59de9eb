"""Fixtures shared by the protocol tests."""

from __future__ import annotations

import pandas as pd
import pytest

from fovkit.protocols.experiments import NO_VARIATION


@pytest.fixture
def linear_gap_runs() -> pd.DataFrame:
    """Gap of factor e after varying t by fraction f: -40 + slope[t, e] * 100 f (the baseline at f = 0 is -40)."""
    slope = {("pose", "pose"): 0.4, ("pose", "size"): 0.1, ("size", "pose"): 0.05, ("size", "size"): 0.3}
    rows = []
    for protocol, scale in (("linear", 1.0), ("finetune", 0.5)):
        for seed in (0, 1):
            for group in ("canonical", "pose", "size", "all_factors"):
                rows.append((protocol, seed, NO_VARIATION, 0.0, group, 0.0 if group == "canonical" else -40.0))
            for (train, evaluated), value in slope.items():
                for fraction in (0.25, 0.5, 0.75):
                    gap = -40.0 + scale * value * 100 * fraction + (seed - 0.5)  # seeds average out
                    rows.append((protocol, seed, train, fraction, evaluated, gap))
                    rows.append((protocol, seed, train, fraction, "all_factors", -30.0))
    frame = pd.DataFrame(rows, columns=["protocol", "seed", "train_factor", "fraction", "group", "gap"])
    frame.insert(0, "backbone", "fovkit:default")
    return frame.drop_duplicates(["protocol", "seed", "train_factor", "fraction", "group"])
