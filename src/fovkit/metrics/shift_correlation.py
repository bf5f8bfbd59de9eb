"""Across models, Pearson r between each factor's error ratio and user-given distribution-shift scores (Figure 19)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from fovkit.errors import InputError, preview
from fovkit.tables.user_csv import check_names, read_text_columns

SCORE_COLUMNS = ("model", "shift", "score")
RESULT_COLUMNS = ("shift", "factor", "pearson_r", "p_value", "n_models")
MIN_MODELS = 3
"""Fewest models a correlation is computed over: with two, r is always +-1 and the p-value is meaningless."""


def load_shift_scores(path: Path) -> pd.DataFrame:
    """Models' scores on distribution shifts from a CSV with columns `model,shift,score` (one row per model x shift).

    The CSV is checked like the other user CSVs (gzip read, UTF-16 and binary content refused by their first bytes);
    other columns are ignored. The frame keeps the file in `attrs["path"]`, so later checks can name it.

    Returns:
        Columns `model`, `shift` (strings, as written) and `score` (float), in file order.

    Raises:
        InputError: For an unreadable file, missing or repeated columns, no rows, empty model or shift names,
            scores that are not finite numbers, or a (model, shift) pair given twice; naming file, field and rows.

    """
    path = Path(path)
    frame = read_text_columns(path, SCORE_COLUMNS, "shift scores CSV", "'model,shift,score' per model and shift")
    check_names(frame, ("model", "shift"), path)
    scores = pd.to_numeric(frame["score"], errors="coerce").astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(scores.to_numpy()))
    if len(bad):
        values = frame["score"].iloc[bad].tolist()
        raise InputError(
            f"scores must be finite numbers; rows {preview(bad.tolist())} hold {preview(values)}",
            path=path,
            field="score",
        )
    twice = np.flatnonzero(frame.duplicated(["model", "shift"], keep=False).to_numpy())
    if len(twice):
        pairs = list(dict.fromkeys(zip(frame["model"].iloc[twice], frame["shift"].iloc[twice], strict=True)))
        raise InputError(
            f"(model, shift) pairs given more than once: {preview(pairs)} at rows {preview(twice.tolist())}; "
            "keep one score per model and shift",
            path=path,
            field="shift",
        )
    frame["score"] = scores
    frame.attrs["path"] = path
    return frame


def check_shift_models(scores: pd.DataFrame, models: Sequence[str], path: Path | None = None) -> None:
    """Every model with a shift score is one of the analysed `models` (a name that matches none is a typo).

    Analysed models without scores are fine: the correlations are then over fewer models.

    Args:
        scores: The frame `load_shift_scores` returns.
        models: Names of the analysed models.
        path: The CSV to name in the error; by default the one recorded in `scores.attrs["path"]`.

    Raises:
        InputError: Naming the scored models that were not analysed, and the analysed ones.

    """
    analysed = set(models)
    unknown = [model for model in dict.fromkeys(scores["model"]) if model not in analysed]
    if unknown:
        raise InputError(
            f"scored models that are not analysed: {preview(unknown)}. The analysed models are "
            f"{preview(list(models), limit=8)}: name each as its prediction file is named (without the suffix)",
            path=path if path is not None else scores.attrs.get("path"),
            field="model",
        )


def shift_correlation(error_ratios: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Pearson r and two-sided p-value between each factor's error ratio and each shift's score, across models.

    Each (shift, factor) pair uses the models that have both a finite error ratio (an infinite ratio, from a model
    without mistakes overall, counts as missing) and a score. With fewer than `MIN_MODELS` such models, or when
    either side is constant over them, r and p are NaN (no warning is raised).

    Args:
        error_ratios: Index = model, columns = factors.
        scores: Columns `model`, `shift`, `score` (see `load_shift_scores`); models not in `error_ratios` are left out.

    Returns:
        Columns `shift`, `factor`, `pearson_r`, `p_value`, `n_models`; shifts in order of first appearance in
        `scores`, factors in column order.

    """
    from scipy import stats  # imported on use: scipy.stats takes ~0.5 s to load

    rows = []
    for shift, part in scores.groupby("shift", sort=False):
        shift_scores = part.set_index("model")["score"].reindex(error_ratios.index).to_numpy(dtype=np.float64)
        for factor in error_ratios.columns:
            factor_ratios = error_ratios[factor].to_numpy(dtype=np.float64)
            both = np.isfinite(factor_ratios) & np.isfinite(shift_scores)
            x, y = factor_ratios[both], shift_scores[both]
            r = p = np.nan
            if both.sum() >= MIN_MODELS and np.ptp(x) > 0 and np.ptp(y) > 0:
                with warnings.catch_warnings():  # nearly constant inputs: the value stands, the warning is noise
                    warnings.simplefilter("ignore", stats.NearConstantInputWarning)
                    result = stats.pearsonr(x, y)
                r, p = float(result.statistic), float(result.pvalue)
            rows.append((shift, factor, r, p, int(both.sum())))
    table = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    return table.astype({"pearson_r": np.float64, "p_value": np.float64, "n_models": np.int64})
