"""Corruption errors (Hendrycks & Dietterich 2019, ImageNet-C): CE, mCE, relative CE and the unnormalised mean.

A model's corruption error on corruption c is its error summed over the five severities divided by a baseline
model's summed error on c: `CE_c = sum_s E_{s,c} / sum_s E^base_{s,c}`; mCE is the mean CE over the 15 common
corruptions. Relative CE measures the degradation from clean images instead: `(sum_s E_{s,c} - 5 E_clean) /
(sum_s E^base_{s,c} - 5 E^base_clean)`. With ImageNet val as the source the baseline is AlexNet and its errors are
the published constants below; on any other images the baseline is a model the user evaluated on the same images.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from fovkit.errors import InputError, preview

ALEXNET_SEVERITY_ERRORS = {
    "gaussian_noise": (0.69528, 0.82542, 0.93554, 0.98138, 0.99452),
    "shot_noise": (0.71224, 0.85108, 0.93574, 0.98182, 0.99146),
    "impulse_noise": (0.78374, 0.89808, 0.9487, 0.9872, 0.99548),
    "defocus_blur": (0.65624, 0.73202, 0.85036, 0.91364, 0.94714),
    "glass_blur": (0.64308, 0.75054, 0.88806, 0.91622, 0.93344),
    "motion_blur": (0.5843, 0.70048, 0.82108, 0.8975, 0.92638),
    "zoom_blur": (0.70008, 0.76992, 0.80784, 0.84198, 0.87198),
    "snow": (0.71726, 0.88392, 0.86468, 0.9187, 0.94952),
    "frost": (0.6139, 0.79734, 0.8879, 0.89942, 0.9343),
    "fog": (0.67474, 0.7605, 0.84378, 0.8726, 0.945),
    "brightness": (0.4514, 0.48502, 0.54048, 0.62166, 0.7244),
    "contrast": (0.64548, 0.7615, 0.88874, 0.9776, 0.9927),
    "elastic_transform": (0.52596, 0.70116, 0.55686, 0.64076, 0.80554),
    "pixelate": (0.52218, 0.5462, 0.73728, 0.87092, 0.91262),
    "jpeg_compression": (0.51002, 0.54718, 0.57294, 0.65458, 0.74778),
}
"""AlexNet's top-1 error per severity 1-5 on ImageNet-C (torchvision's AlexNet, the model of the ImageNet-C paper's
`test.py`), as hendrycks/robustness published them and timm's `imagenetc_alexnet_error_rates_list` carries them."""

COMMON_CORRUPTIONS = tuple(ALEXNET_SEVERITY_ERRORS)
"""The 15 corruptions of ImageNet-C's mCE, in the paper's order."""

ALEXNET_MEAN_ERRORS = {name: float(np.mean(errors)) for name, errors in ALEXNET_SEVERITY_ERRORS.items()} | {
    "speckle_noise": 0.845388,
    "gaussian_blur": 0.787108,
    "spatter": 0.717512,
    "saturate": 0.658248,
}
"""AlexNet's error averaged over the severities: the mCE normalisers of hendrycks/robustness (0.886428 for
gaussian_noise...); the 4 extra corruptions' from the same spreadsheet, as ImageNet-C evaluation code quotes them."""

ALEXNET_CLEAN_ERROR = 0.43478
"""AlexNet's top-1 error on clean ImageNet val (torchvision's published 56.522% top-1 of alexnet-owt-4df8aa71)."""

ERROR_COLUMNS = ("model", "corruption", "severity", "error")


def mean_errors(errors: pd.DataFrame) -> pd.DataFrame:
    """Error averaged over severities: a models x corruptions frame from rows (model, corruption, severity, error).

    Every (model, corruption) must have the same severities as every other, so the means are comparable.
    """
    frame = _check_errors(errors)
    counts = frame.groupby(["model", "corruption"], observed=True)["severity"].apply(lambda s: tuple(sorted(s)))
    if counts.nunique() > 1:
        uneven = counts[counts != counts.mode().iloc[0]]
        raise InputError(
            f"models and corruptions must share the same severities; these differ: {preview(uneven.index.tolist())}",
            field="severity",
        )
    return frame.pivot_table(index="model", columns="corruption", values="error", aggfunc="mean", observed=True)


def corruption_errors(errors: pd.DataFrame, baseline: Mapping[str, float] | pd.Series) -> pd.DataFrame:
    """CE per model and corruption: the mean error over severities divided by the baseline's.

    A models x corruptions frame (1.0: as bad as the baseline); corruptions the baseline lacks are left out.
    """
    means = mean_errors(errors)
    baseline = pd.Series(baseline, dtype=float)
    shared = [name for name in means.columns if name in baseline.index]
    if not shared:
        raise InputError(
            f"the baseline has no errors for these corruptions: {preview(list(means.columns))}", field="baseline"
        )
    _check_positive(baseline[shared], "baseline")
    return means[shared] / baseline[shared]


def relative_corruption_errors(
    errors: pd.DataFrame,
    clean_errors: Mapping[str, float] | pd.Series,
    baseline: Mapping[str, float] | pd.Series,
    baseline_clean_error: float,
) -> pd.DataFrame:
    """Relative CE per model and corruption: the model's degradation from clean over the baseline's."""
    means = mean_errors(errors)
    clean = pd.Series(clean_errors, dtype=float)
    missing = [model for model in means.index if model not in clean.index]
    if missing:
        raise InputError(f"no clean error for models {preview(missing)}", field="clean_errors")
    baseline = pd.Series(baseline, dtype=float)
    shared = [name for name in means.columns if name in baseline.index]
    degradation = baseline[shared] - baseline_clean_error
    _check_positive(degradation, "baseline (corrupted minus clean error)")
    return means[shared].sub(clean[means.index], axis=0) / degradation


def mean_corruption_error(ce: pd.DataFrame, corruptions: Sequence[str] = COMMON_CORRUPTIONS) -> pd.Series:
    """The mCE per model: the mean CE over `corruptions` (the 15 common ones by default); all must be present."""
    missing = [name for name in corruptions if name not in ce.columns]
    if missing:
        raise InputError(
            f"mCE averages over {len(corruptions)} corruptions, but these have no errors: {preview(missing)}",
            field="corruption",
        )
    return ce[list(corruptions)].mean(axis=1).rename("mCE")


def baseline_from_model(errors: pd.DataFrame, model: str) -> pd.Series:
    """A baseline of the user's choice: one evaluated model's mean error per corruption."""
    means = mean_errors(errors)
    if model not in means.index:
        raise InputError(f"baseline model {model!r} is not among {preview(means.index.tolist())}", field="baseline")
    return means.loc[model]


def _check_errors(errors: pd.DataFrame) -> pd.DataFrame:
    missing = [column for column in ERROR_COLUMNS if column not in errors.columns]
    if missing:
        raise InputError(f"the error table lacks columns {missing}; it needs {list(ERROR_COLUMNS)}", field="errors")
    frame = errors[list(ERROR_COLUMNS)].copy()
    values = pd.to_numeric(frame["error"], errors="coerce")
    bad = frame.loc[~values.between(0, 1), "error"]
    if len(bad):
        raise InputError(f"errors are fractions in [0, 1]; got {preview(bad.tolist())}", field="error")
    duplicated = frame.duplicated(["model", "corruption", "severity"])
    if duplicated.any():
        rows = frame.loc[duplicated, ["model", "corruption", "severity"]].to_records(index=False).tolist()
        raise InputError(f"repeated (model, corruption, severity) rows: {preview(rows)}", field="errors")
    return frame.assign(error=values)


def _check_positive(values: pd.Series, what: str) -> None:
    """Refuse zero or negative normalisers; NaN ones (marked undefined by the caller) pass and give NaN."""
    bad = values[values <= 0]
    if len(bad):
        raise InputError(
            f"the {what} error must be positive to normalise by it; got {preview(bad.round(4).to_dict().items())}",
            field="baseline",
        )
