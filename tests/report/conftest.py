"""Small synthetic inputs of the study reports: a gap table with its intervals and an experiment's summary tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

FACTORS = ["pose", "position", "size", "lighting", "background"]
MODELS = [("fovkit:default", "linear"), ("fovkit:default", "finetune"), ("timm:resnet50", "linear")]
GROUP_SIZES = {"canonical": 120, **dict.fromkeys(FACTORS, 1320), "all_factors": 400}


@pytest.fixture
def gap_table() -> pd.DataFrame:
    """The paper's Table 1 layout for three backbone x protocol rows (as `protocols.probe.paper_table` writes it)."""
    rng = np.random.default_rng(0)
    index = pd.MultiIndex.from_tuples(MODELS, names=["backbone", "protocol"])
    gaps = pd.DataFrame({"train_accuracy": [99.1, 100.0, 97.5], "held_out_accuracy": [81.2, 85.0, 77.3]}, index=index)
    for factor in FACTORS:
        gaps[f"{factor}_gap"] = rng.uniform(-40, -2, len(MODELS)).round(2)
    gaps["average_gap"] = gaps[[f"{factor}_gap" for factor in FACTORS]].mean(axis=1)
    gaps["all_factors_gap"] = rng.uniform(-60, -30, len(MODELS)).round(2)
    return gaps


@pytest.fixture
def gap_intervals(gap_table: pd.DataFrame) -> pd.DataFrame:
    """The probe's long `gap_intervals` table matching `gap_table`: 95% bounds a few points either side of each gap."""
    rng = np.random.default_rng(1)
    rows = []
    for (backbone, protocol), row in gap_table.iterrows():
        canonical = row["held_out_accuracy"]
        rows.append((backbone, protocol, "canonical", GROUP_SIZES["canonical"], canonical, 0.0, np.nan, np.nan))
        for group in [*FACTORS, "all_factors"]:
            gap = row[f"{group}_gap"]
            low, high = gap - rng.uniform(3, 8), gap + rng.uniform(3, 8)
            rows.append((backbone, protocol, group, GROUP_SIZES[group], canonical + gap, gap, low, high))
    columns = ["backbone", "protocol", "group", "n", "accuracy", "gap", "gap_low", "gap_high"]
    return pd.DataFrame(rows, columns=columns)


@pytest.fixture
def instances_tables() -> dict:
    """Summary tables of experiment 5.2 (`instances`) as `protocols.jobs.summarize` returns them, for two protocols."""
    rng = np.random.default_rng(2)
    rows = []
    for protocol in ("finetune", "linear"):
        for train_factor in FACTORS:
            for fraction in (0.0, 0.25, 0.5, 1.0):
                for group in [*FACTORS, "all_factors"]:
                    trend = 25 if group == train_factor else 3
                    gap = -30 + trend * fraction + rng.normal(0, 1)
                    rows.append(("fovkit:default", protocol, train_factor, fraction, group, gap, np.nan, 1))
    columns = ["backbone", "protocol", "train_factor", "fraction", "group", "gap", "gap_std", "seeds"]
    curves = pd.DataFrame(rows, columns=columns)
    diagonal = curves[curves["train_factor"] == curves["group"]]
    same_factor = diagonal.pivot_table(
        index=["backbone", "protocol", "train_factor"], columns="fraction", values="gap", sort=True
    )
    same_factor.columns = [f"{100 * value:g}%" for value in same_factor.columns]
    heatmaps = {
        protocol: pd.DataFrame(
            np.eye(len(FACTORS)) * 0.25 + rng.uniform(-0.02, 0.06, (len(FACTORS), len(FACTORS))),
            index=pd.Index(FACTORS, name="train_factor"),
            columns=pd.Index(FACTORS, name="group"),
        )
        for protocol in ("finetune", "linear")
    }
    average_slopes = pd.DataFrame(
        {"mean": [0.266, 0.244], "std": [0.009, 0.018], "count": [5, 5]},
        index=pd.Index(["finetune", "linear"], name="protocol"),
    )
    return {"curves": curves, "same_factor": same_factor, "heatmaps": heatmaps, "average_slopes": average_slopes}
