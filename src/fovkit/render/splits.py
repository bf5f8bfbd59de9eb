"""Training sets of the paper's variability experiments (robustness-limits, sections 5.1-5.4), as row selections.

Every function takes the samples of a rendered dataset (`RenderedDataset.samples`, or `design_table` rows) and returns
the chosen rows. Selections are pure functions of their inputs and an explicit seed, each draw from its own
`fovkit.seeding` stream ("splits", <experiment>, ...); only `train` instances are used, so the `held_out` instances
stay unseen for evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from fovkit.errors import InputError
from fovkit.seeding import rng
from fovkit.tables.factor_table import varying_only

OBJECT = ["label", "instance"]
NO_VARIATION = "none"
"""`train_factor` of the baseline training set of every experiment: the canonical training set (no variability)."""


def canonical_rows(samples: pd.DataFrame) -> pd.DataFrame:
    """Rows where no factor varies (every `varies_*` flag is False)."""
    return samples[varying_only(samples[_flags(samples)].to_numpy())]


def varying_rows(samples: pd.DataFrame, factors: Sequence[str]) -> pd.DataFrame:
    """Rows where at least one of `factors` varies and every other factor is canonical."""
    flags = _flags(samples)
    chosen = [f"varies_{name}" for name in factors]
    unknown = [name for name, flag in zip(factors, chosen, strict=True) if flag not in flags]
    if unknown:
        raise InputError(f"unknown factors {unknown}; known: {[flag[7:] for flag in flags]}", field="factors")
    return samples[varying_only(samples[flags].to_numpy(), [flags.index(flag) for flag in chosen])]


def canonical_training_set(samples: pd.DataFrame) -> pd.DataFrame:
    """Train instances in their canonical setting only (the paper's baseline training set)."""
    return canonical_rows(_train(samples))


def varying_samples_set(samples: pd.DataFrame, factor: str, fraction: float, seed: int) -> pd.DataFrame:
    """Section 5.1: every train instance, with `fraction` of its images varying in `factor` and the rest canonical.

    Each object contributes as many images as it has varying images of `factor`; the varying ones are drawn without
    replacement (stream ("splits", "varying_samples", factor, label, instance)), the canonical ones repeat the
    object's canonical image(s).
    """
    _check_fraction(fraction)
    train = _train(samples)
    varying, canonical = varying_rows(train, [factor]), canonical_rows(train)
    parts = []
    for key, rows in varying.groupby(OBJECT, sort=True):
        count = round(fraction * len(rows))
        draw = rng(seed, "splits", "varying_samples", factor, *map(int, key))
        parts.append(rows.iloc[np.sort(draw.choice(len(rows), count, replace=False))])
        plain = canonical[(canonical["label"] == key[0]) & (canonical["instance"] == key[1])]
        if len(rows) - count and not len(plain):
            raise InputError(f"object {key} has no canonical image to fill the non-varying part", field="samples")
        parts.append(plain.iloc[np.arange(len(rows) - count) % max(len(plain), 1)])
    return pd.concat(parts).reset_index(drop=True)


def varying_instances_set(samples: pd.DataFrame, factors: Sequence[str], fraction: float, seed: int) -> pd.DataFrame:
    """Section 5.2: `fraction` of each class's train instances seen varying in `factors`, the others canonical."""
    _check_fraction(fraction)
    train = _train(samples)
    chosen = _pick_per_class(train[OBJECT].drop_duplicates(), fraction, seed, "varying_instances")
    varying, canonical = varying_rows(train, factors), canonical_rows(train)
    return pd.concat(
        [varying[_member(varying, chosen, OBJECT)], canonical[~_member(canonical, chosen, OBJECT)]]
    ).sort_index()


def varying_classes_set(
    samples: pd.DataFrame, factors: Sequence[str], class_fraction: float, seed: int, instance_fraction: float = 1.0
) -> tuple[pd.DataFrame, list[int]]:
    """Section 5.4: `class_fraction` of the classes seen varying in `factors`, the other classes only canonical.

    Within a varying class, `instance_fraction` of its train instances are seen varying and the others canonical
    (the paper uses half of the classes and half of their instances).

    Returns:
        The rows, and the labels of the classes seen varying.

    """
    _check_fraction(class_fraction)
    _check_fraction(instance_fraction)
    train = _train(samples)
    labels = np.sort(train["label"].unique())
    draw = rng(seed, "splits", "varying_classes")
    varying_labels = sorted(draw.choice(labels, round(class_fraction * len(labels)), replace=False).tolist())
    objects = train.loc[train["label"].isin(varying_labels), OBJECT].drop_duplicates()
    chosen = _pick_per_class(objects, instance_fraction, seed, "varying_classes_instances")
    varying, canonical = varying_rows(train, factors), canonical_rows(train)
    rows = pd.concat([varying[_member(varying, chosen, OBJECT)], canonical[~_member(canonical, chosen, OBJECT)]])
    return rows.sort_index(), varying_labels


def all_factors_set(samples: pd.DataFrame, fraction: float, seed: int) -> pd.DataFrame:
    """Section 5.3: `fraction` of the train instances' all-factor images (factors varying together), plus canonical."""
    _check_fraction(fraction)
    train = _train(samples)
    combined = train[train["design"] == "all"]
    if combined.empty:
        raise InputError("the samples hold no rows of the 'all' design; render it first", field="designs")
    draw = rng(seed, "splits", "all_factors")
    picked = combined.iloc[np.sort(draw.choice(len(combined), round(fraction * len(combined)), replace=False))]
    return pd.concat([picked, canonical_rows(train)]).sort_index()


def _train(samples: pd.DataFrame) -> pd.DataFrame:
    return samples[samples["split"] == "train"]


def _flags(samples: pd.DataFrame) -> list[str]:
    return [column for column in samples.columns if column.startswith("varies_")]


def _check_fraction(fraction: float) -> None:
    if not 0.0 <= fraction <= 1.0:
        raise InputError(f"fraction must lie in [0, 1], got {fraction}", field="fraction")


def _pick_per_class(objects: pd.DataFrame, fraction: float, seed: int, purpose: str) -> pd.DataFrame:
    """`fraction` of each class's objects (rounded), drawn from the stream ("splits", `purpose`, label)."""
    parts = []
    for label, rows in objects.groupby("label", sort=True):
        draw = rng(seed, "splits", purpose, int(label))
        parts.append(rows.iloc[np.sort(draw.choice(len(rows), round(fraction * len(rows)), replace=False))])
    return pd.concat(parts) if parts else objects


def _member(frame: pd.DataFrame, keys: pd.DataFrame, columns: list[str]) -> pd.Series:
    index = pd.MultiIndex.from_frame(keys[columns])
    return pd.Series(pd.MultiIndex.from_frame(frame[columns]).isin(index), index=frame.index)
