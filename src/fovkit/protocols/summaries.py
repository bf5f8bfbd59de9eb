"""The paper's tables and figure data from experiment runs (sections 5.1-5.4), as pure functions of the runs.

Gap curves (Fig. 4, A14), cross-factor slopes (Fig. 5), gap changes (Fig. 6), class gaps and class-name similarity
(Table 3, Fig. 7). Gaps are in points, fractions in percent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fovkit.metrics.gaps import ALL_FACTORS, CANONICAL
from fovkit.render.splits import NO_VARIATION

if TYPE_CHECKING:
    from fovkit.protocols.experiments.run import ExperimentResult
    from fovkit.text import SentenceEncoder

RUN = ["backbone", "protocol", "seed", "train_factor", "fraction"]


def gap_curves(runs: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    """Mean gap (over seeds) per backbone, protocol, factor varied in training, fraction and evaluated factor.

    The baseline (no variation) appears at fraction 0 for every training factor, so each curve starts there.
    """
    frame = runs[~runs["group"].isin([CANONICAL])]
    baseline = frame[frame["train_factor"] == NO_VARIATION]
    varied = frame[frame["train_factor"] != NO_VARIATION]
    trained = varied["train_factor"].unique().tolist() or factors
    copies = [baseline.assign(train_factor=factor) for factor in trained]
    both = pd.concat([*copies, varied], ignore_index=True)
    keys = ["backbone", "protocol", "train_factor", "fraction", "group"]
    curves = both.groupby(keys, sort=True)["gap"].agg(["mean", "std", "count"]).reset_index()
    return curves.rename(columns={"mean": "gap", "std": "gap_std", "count": "seeds"})


def same_factor_curves(curves: pd.DataFrame) -> pd.DataFrame:
    """The gap of the factor varied in training: rows (backbone, protocol, factor), columns fractions (Fig. 4, A14)."""
    diagonal = curves[curves["train_factor"] == curves["group"]]
    table = diagonal.pivot_table(
        index=["backbone", "protocol", "train_factor"], columns="fraction", values="gap", sort=True
    )
    table.columns = [f"{100 * value:g}%" for value in table.columns]
    return table


def slopes(curves: pd.DataFrame) -> pd.DataFrame:
    """Slope of the line of best fit of each gap against the percentage of variation (points per percent).

    Fitted on the varied fractions (the baseline at 0 excluded), per backbone, protocol, training factor and
    evaluated factor; the diagonal (evaluated = trained) is the paper's per-factor slope.
    """
    varied = curves[curves["fraction"] > 0]
    rows = []
    for key, part in varied.groupby(["backbone", "protocol", "train_factor", "group"], sort=True):
        x, y = 100 * part["fraction"].to_numpy(), part["gap"].to_numpy()
        finite = np.isfinite(y)
        slope = np.polyfit(x[finite], y[finite], 1)[0] if finite.sum() >= 2 and np.ptp(x[finite]) > 0 else np.nan
        rows.append((*key, slope))
    return pd.DataFrame(rows, columns=["backbone", "protocol", "train_factor", "group", "slope"])


def curve_tables(result: ExperimentResult) -> dict[str, pd.DataFrame]:
    """Gap curves, the varied factor's curve (Fig. 4), slopes and average slopes: experiments that vary fractions."""
    curves = gap_curves(result.runs, result.factors)
    slope_table = slopes(curves)
    return {
        "curves": curves,
        "same_factor": same_factor_curves(curves),
        "slopes": slope_table,
        "average_slopes": average_slopes(slope_table),
    }


def slope_heatmap(slope_table: pd.DataFrame, protocol: str) -> pd.DataFrame:
    """Training factor (rows) x evaluated factor (columns) slope, averaged over backbones (Figure 5)."""
    part = slope_table[(slope_table["protocol"] == protocol) & (slope_table["group"] != ALL_FACTORS)]
    return part.pivot_table(index="train_factor", columns="group", values="slope", aggfunc="mean", sort=True)


def average_slopes(slope_table: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation of the diagonal slopes across factors and backbones, per protocol (sec. 5.2)."""
    diagonal = slope_table[slope_table["train_factor"] == slope_table["group"]]
    return diagonal.groupby("protocol")["slope"].agg(["mean", "std", "count"]).rename_axis("protocol")


def gap_changes(runs: pd.DataFrame) -> pd.DataFrame:
    """Change of each gap when training varies (Figure 6): gap with variation minus gap without, in points.

    Positive values mean the gap shrank (robustness improved). One row per backbone, protocol, training factor and
    fraction; one column per evaluated group.
    """
    frame = runs[runs["group"] != CANONICAL]
    mean = frame.groupby([*RUN[:2], "train_factor", "fraction", "group"], sort=True)["gap"].mean().reset_index()
    baseline = mean[mean["train_factor"] == NO_VARIATION].set_index(["backbone", "protocol", "group"])["gap"]
    varied = mean[mean["train_factor"] != NO_VARIATION].copy()
    varied["change"] = (
        varied["gap"] - baseline.reindex(pd.MultiIndex.from_frame(varied[["backbone", "protocol", "group"]])).to_numpy()
    )
    return varied.pivot_table(
        index=["backbone", "protocol", "train_factor", "fraction"], columns="group", values="change", sort=True
    )


def class_gaps(runs: pd.DataFrame) -> pd.DataFrame:
    """Experiment 5.4 (Table 3): mean per-class gap of each factor over classes seen varying and over the others.

    One row per backbone, protocol and factor; `difference` is the other classes' gap minus the varying classes'.
    """
    frame = _varied_factor_rows(runs)
    per_class = frame.groupby(["backbone", "protocol", "train_factor", "varying_class", "label"])["gap"].mean()
    means = per_class.groupby(["backbone", "protocol", "train_factor", "varying_class"]).mean().unstack()
    table = pd.DataFrame(
        {
            "varying_classes_gap": means.get(True),
            "other_classes_gap": means.get(False),
        }
    )
    table["difference"] = table["other_classes_gap"] - table["varying_classes_gap"]
    return table


def class_similarity(runs: pd.DataFrame, class_names: list[str], encoder: SentenceEncoder) -> pd.DataFrame:
    """Each class not seen varying: its gap and its cosine similarity to the nearest class seen varying (Fig. 7).

    Class names are embedded with the offline sentence model (underscores read as spaces).
    """
    vectors = np.asarray(encoder.encode([name.replace("_", " ") for name in class_names]), dtype=np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = vectors @ vectors.T
    frame = _varied_factor_rows(runs)
    rows = []
    for key, run in frame.groupby(RUN, sort=True):
        varying = run.loc[run["varying_class"], "label"].to_numpy()
        for _, row in run[~run["varying_class"]].iterrows():
            nearest = varying[np.argmax(similarity[row["label"], varying])]
            rows.append(
                (*key, class_names[row["label"]], class_names[nearest], similarity[row["label"], nearest], row["gap"])
            )
    columns = [*RUN, "class_name", "nearest_varying_class", "similarity", "gap"]
    return pd.DataFrame(rows, columns=columns)


def similarity_bins(similarity: pd.DataFrame, bins: int = 4) -> pd.DataFrame:
    """Mean gap and standard error in equal-count bins of similarity (ties split by order), per protocol (Fig. 7)."""
    frame = similarity.dropna(subset=["gap"]).copy()
    if frame.empty:
        return pd.DataFrame(columns=["similarity", "gap", "n", "standard_error"])
    ranks = frame.groupby("protocol")["similarity"].rank(method="first")
    sizes = frame.groupby("protocol")["similarity"].transform("size")
    frame["bin"] = np.minimum((ranks - 1) * min(bins, len(frame)) // sizes, bins - 1).astype(int)
    grouped = frame.groupby(["protocol", "bin"], observed=True)
    table = grouped.agg(
        similarity=("similarity", "mean"), gap=("gap", "mean"), gap_std=("gap", "std"), n=("gap", "size")
    )
    table["standard_error"] = table["gap_std"] / np.sqrt(table["n"])
    return table.drop(columns="gap_std")


def _varied_factor_rows(runs: pd.DataFrame) -> pd.DataFrame:
    """Rows of runs that varied a factor in training, evaluated on that same factor."""
    return runs[(runs["train_factor"] != NO_VARIATION) & (runs["group"] == runs["train_factor"])]
