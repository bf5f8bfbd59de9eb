"""Corruption error tables of a corrupted dataset's analysis: errors per corruption and severity, CE and mCE.

They are read off the primary criterion's accuracies of the `corruption_severity=<name>/<severity>` groups (the clean
images are `none/0`), so every model's numbers come from the same aligned counts as the rest of the analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fovkit.errors import InputError, preview
from fovkit.metrics.corruption_errors import (
    ALEXNET_CLEAN_ERROR,
    ALEXNET_MEAN_ERRORS,
    COMMON_CORRUPTIONS,
    baseline_from_model,
    corruption_errors,
    mean_errors,
    relative_corruption_errors,
)

GROUP = "corruption_severity="
CLEAN_GROUP = f"{GROUP}none/0"
ALEXNET = "alexnet"


@dataclass(frozen=True)
class CorruptionTables:
    """The three corruption tables of an analysis.

    `errors`: long (model, corruption, severity, error); `per_corruption`: mean error, CE and relative CE per
    (model, corruption); `per_model`: clean error, mean error, mCE and relative mCE, with the baseline named.
    """

    errors: pd.DataFrame
    per_corruption: pd.DataFrame
    per_model: pd.DataFrame


def corruption_tables(factor_accuracies: pd.DataFrame, baseline: str | None) -> CorruptionTables:
    """The corruption tables from a models x groups accuracy frame (fractions).

    Args:
        factor_accuracies: The primary criterion's factor accuracies of a corrupted dataset's analysis.
        baseline: `alexnet` (ImageNet val only: the published AlexNet errors), the name of an analysed model
            (CE relative to it), or None (unnormalised errors only).

    """
    errors = long_errors(factor_accuracies)
    clean = 1.0 - factor_accuracies[CLEAN_GROUP] if CLEAN_GROUP in factor_accuracies.columns else None
    means = mean_errors(errors)
    per_corruption = means.stack().rename("mean_error").to_frame()
    per_model = pd.DataFrame({"mean_error": means.mean(axis=1)})
    if clean is not None:
        per_model.insert(0, "clean_error", clean.reindex(per_model.index))
        per_model["relative_mean_error"] = means.sub(clean.reindex(means.index), axis=0).mean(axis=1)
    if baseline is not None:
        if baseline == ALEXNET:
            reference, reference_clean = pd.Series(ALEXNET_MEAN_ERRORS), ALEXNET_CLEAN_ERROR
        else:
            if baseline not in means.index:
                raise InputError(
                    f"the corruption baseline {baseline!r} is not among the analysed models "
                    f"{preview(means.index.tolist())}",
                    field="baseline_model",
                )
            reference = baseline_from_model(errors, baseline)
            reference_clean = None if clean is None else float(clean[baseline])
        reference = reference.where(reference > 0)  # a baseline without errors on a corruption: CE undefined (NaN)
        ce = corruption_errors(errors, reference)
        per_corruption["ce"] = ce.stack()
        common = [name for name in COMMON_CORRUPTIONS if name in ce.columns]
        per_model["mce"] = ce[common].mean(axis=1) if len(common) == len(COMMON_CORRUPTIONS) else float("nan")
        per_model["mce_over_present"] = ce.mean(axis=1)
        degradation = reference[ce.columns] - (reference_clean if reference_clean is not None else np.nan)
        usable = [name for name in ce.columns if degradation[name] > 0]
        if clean is not None and reference_clean is not None and usable:
            relative = relative_corruption_errors(
                errors[errors["corruption"].isin(usable)], clean, reference[usable], reference_clean
            )
            per_corruption["relative_ce"] = relative.stack()
            per_model["relative_mce"] = relative.mean(axis=1)
        per_model["baseline"] = baseline
    return CorruptionTables(errors, per_corruption.rename_axis(["model", "corruption"]), per_model.rename_axis("model"))


def long_errors(factor_accuracies: pd.DataFrame) -> pd.DataFrame:
    """(model, corruption, severity, error) rows from the `corruption_severity=<name>/<severity>` columns."""
    rows = []
    for column in factor_accuracies.columns:
        if not str(column).startswith(GROUP) or column == CLEAN_GROUP:
            continue
        name, _, severity = str(column)[len(GROUP) :].rpartition("/")
        for model, accuracy in factor_accuracies[column].items():
            rows.append((model, name, int(severity), 1.0 - float(accuracy)))
    if not rows:
        raise InputError("the analysis has no corrupted images (only clean ones)", field="corruption")
    return pd.DataFrame(rows, columns=["model", "corruption", "severity", "error"])
