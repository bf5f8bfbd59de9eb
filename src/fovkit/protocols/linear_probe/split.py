"""The seeded validation split that chooses the weight decay: stratified by class, optionally by whole groups."""

from __future__ import annotations

import numpy as np

from fovkit import seeding
from fovkit.errors import InputError


def validation_split(
    labels: np.ndarray, validation_fraction: float, seed: int, groups: np.ndarray | None = None
) -> np.ndarray:
    """Seeded validation rows: about `validation_fraction` of each class, or of each class's groups when given.

    With `groups` (e.g. object instances) whole groups are held out, so validation measures unseen instances; each
    group counts towards the class most of its rows carry (ties: the first class). Every class owns at least one
    unit on each side of the split, so it has rows on both sides.

    Args:
        labels: (N,) class values.
        validation_fraction: Share of each class (or of its groups) to hold out, in (0, 1).
        seed: Seed of the split; the same inputs and seed give the same split.
        groups: Optional (N,) group ids.

    Returns:
        (N,) boolean mask, True for validation rows.

    Raises:
        InputError: If a class has fewer than 2 samples (without groups) or is the majority class of fewer than
            2 groups.

    """
    classes, codes = np.unique(np.asarray(labels), return_inverse=True)
    n_classes = len(classes)
    if groups is None:  # the units held out are rows
        unit_of_row, owner, unit_name = np.arange(len(codes)), codes, "samples"
    else:  # the units are groups, each owned by the class most of its rows carry (ties: the first class)
        _, unit_of_row = np.unique(np.asarray(groups), return_inverse=True)
        pairs, counts = np.unique(unit_of_row * n_classes + codes, return_counts=True)
        pairs = pairs[np.lexsort((-counts, pairs // n_classes))]
        first = np.r_[True, np.diff(pairs // n_classes) > 0]
        owner = pairs[first] % n_classes
        unit_name = "groups"
    rng = seeding.rng(seed, "linear_probe", "validation_split")
    held = np.zeros(len(owner), dtype=bool)
    for index, value in enumerate(classes.tolist()):
        members = np.flatnonzero(owner == index)
        if len(members) < 2:
            count = f"{len(members)} {unit_name[:-1] if len(members) == 1 else unit_name}"
            if groups is not None and len(members) == 0:
                count += " (its rows all sit in groups where another class is the majority)"
            raise InputError(
                f"class {value!r} has {count}; the validation split needs at least 2 {unit_name} per class (one to "
                "train on, one to validate); collect more, drop the class, or pass a single weight decay to skip "
                "the split",
                field="labels" if groups is None else "groups",
            )
        n_held = min(max(round(validation_fraction * len(members)), 1), len(members) - 1)
        held[rng.permutation(members)[:n_held]] = True
    mask = held[unit_of_row]
    return mask
