"""Small inputs of the reports: a gap table with its intervals, an experiment's summary tables, and run folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fovkit.jobs.experiment import flat_tables, write_summary_table
from fovkit.jobs.folder import JobRecord, write_record

FACTORS = ["pose", "position", "size", "lighting", "background"]
MODELS = [("fovkit:default", "linear"), ("fovkit:default", "finetune"), ("timm:resnet50", "linear")]
GROUP_SIZES = {"canonical": 120, **dict.fromkeys(FACTORS, 1320), "all_factors": 400}


@pytest.fixture
def gap_table() -> pd.DataFrame:
    return make_gap_table()


@pytest.fixture
def gap_intervals(gap_table: pd.DataFrame) -> pd.DataFrame:
    return make_gap_intervals(gap_table)


@pytest.fixture
def instances_tables() -> dict:
    return make_instances_tables()


def make_gap_table() -> pd.DataFrame:
    """The paper's Table 1 layout for three backbone x protocol rows (as `protocols.probe.paper_table` writes it)."""
    rng = np.random.default_rng(0)
    index = pd.MultiIndex.from_tuples(MODELS, names=["backbone", "protocol"])
    gaps = pd.DataFrame({"train_accuracy": [99.1, 100.0, 97.5], "held_out_accuracy": [81.2, 85.0, 77.3]}, index=index)
    for factor in FACTORS:
        gaps[f"{factor}_gap"] = rng.uniform(-40, -2, len(MODELS)).round(2)
    gaps["average_gap"] = gaps[[f"{factor}_gap" for factor in FACTORS]].mean(axis=1)
    gaps["all_factors_gap"] = rng.uniform(-60, -30, len(MODELS)).round(2)
    return gaps


def make_gap_intervals(gap_table: pd.DataFrame) -> pd.DataFrame:
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


def make_instances_tables() -> dict:
    """Summary tables of experiment 5.2 (`instances`) as `jobs.experiment.summarize` returns them, for two protocols."""
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


def write_analysis_folder(result, folder: Path) -> Path:
    """An analysis run folder of `result` as `fovkit imagenetx` writes it: tables, `analysis.json`, `run.json`."""
    from fovkit.analysis.outputs import write_analysis

    folder.mkdir(parents=True, exist_ok=True)
    write_analysis(result, folder)
    write_record(folder, JobRecord("analysis", "fovkit imagenetx", result.config, seeds={"bootstrap": 0}))
    return folder


def write_probe_folder(gap_table: pd.DataFrame, gap_intervals: pd.DataFrame | None, folder: Path) -> Path:
    """A probe run folder holding a gap table (and its intervals) as `protocols.probe.write_probe_outputs` does."""
    folder.mkdir(parents=True, exist_ok=True)
    gap_table.to_csv(folder / "gap_table.csv")
    gap_table.to_parquet(folder / "gap_table.parquet")
    if gap_intervals is not None:
        gap_intervals.to_csv(folder / "gap_intervals.csv", index=False)
    write_record(folder, JobRecord("probe", "fovkit probe", {"dataset": "data"}, seeds={"training": [0]}))
    return folder


def write_experiment_folder(tables: dict, folder: Path, name: str = "instances") -> Path:
    """An experiment run folder of summary tables as `fovkit.jobs.experiment` writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    flat = flat_tables(tables)
    for key, table in flat.items():
        write_summary_table(table, folder, key)
    extra = {"experiment": name, "description": DESCRIPTIONS[name], "tables": list(flat)}
    write_record(folder, JobRecord("experiment", f"fovkit experiment {name}", {"dataset": "data"}, extra=extra))
    return folder


DESCRIPTIONS = {"instances": "5.2: a fraction of the training instances is seen varying in one factor"}
