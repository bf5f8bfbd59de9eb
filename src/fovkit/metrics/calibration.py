"""Expected calibration error (equal-width confidence bins) per group of samples, for many models at once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def confidence_bins(confidence: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin index of each confidence: bin b holds (b/n, (b+1)/n], bin 0 also holds 0 (the reference's rule)."""
    scaled = np.asarray(confidence, dtype=np.float32) * np.float32(n_bins)
    np.ceil(scaled, out=scaled)
    np.clip(scaled, 1, n_bins, out=scaled)
    bins = scaled.astype(np.int64)
    bins -= 1
    return bins


@dataclass(frozen=True)
class CalibrationGroups:
    """Sample-group membership split into layers in which each sample appears at most once.

    Layer k holds every sample's k-th group. A dense layer is scored without gathering rows (the costly step).
    Groups that hold every sample ("all samples") need no layer: their sums are those of any dense layer, or of
    all samples. Build it once and reuse it for every chunk of models.
    """

    n_samples: int
    n_groups: int
    layers: tuple[tuple[np.ndarray, np.ndarray], ...]
    whole_groups: tuple[int, ...]

    @classmethod
    def from_pairs(cls, samples: np.ndarray, groups: np.ndarray, n_samples: int, n_groups: int) -> CalibrationGroups:
        """Layers from (sample, group) membership pairs."""
        sizes = np.bincount(groups, minlength=n_groups)
        whole = [
            group
            for group in np.flatnonzero(sizes >= n_samples)
            if np.bincount(samples[groups == group], minlength=n_samples).all()
        ]
        keep = ~np.isin(groups, whole)
        samples, groups = samples[keep], groups[keep]
        order = np.argsort(samples, kind="stable")
        samples, groups = samples[order], groups[order]
        starts = np.flatnonzero(np.r_[True, samples[1:] != samples[:-1]])
        rank = np.arange(len(samples)) - np.repeat(starts, np.diff(np.r_[starts, len(samples)]))
        layers = tuple((samples[rank == k], groups[rank == k]) for k in range(int(rank.max(initial=-1)) + 1))
        return cls(n_samples, n_groups, layers, tuple(int(group) for group in whole))


def calibration_gaps(
    correct: np.ndarray, confidence: np.ndarray, membership: CalibrationGroups, n_bins: int = 15
) -> np.ndarray:
    """Per (model, group, bin): summed correctness minus summed confidence, the only per-bin state ECE needs.

    Args:
        correct: Boolean (samples x models).
        confidence: (samples x models) top-1 probabilities in [0, 1].
        membership: Which samples belong to which group (see `CalibrationGroups`).
        n_bins: Number of equal-width bins on [0, 1].

    Returns:
        (models x groups x bins) float64 array; sums over models, chunks and shards add up.

    """
    n_samples, n_models = correct.shape
    n_groups = membership.n_groups
    cells = confidence_bins(confidence, n_bins)
    cells *= n_models
    cells += np.arange(n_models)
    residual = correct.astype(np.float64)
    residual -= confidence
    stride = n_bins * n_models
    size = (n_groups + 1) * stride
    gaps, every_sample = np.zeros(size), None
    for layer_samples, layer_groups in membership.layers:
        if len(layer_samples) * 4 < n_samples:  # sparse layer: gather its rows
            keys, weights = cells[layer_samples] + (layer_groups * stride)[:, None], residual[layer_samples]
        else:  # dense layer: samples outside it go to the discarded group `n_groups`
            code = np.full(n_samples, n_groups, dtype=np.int64)
            code[layer_samples] = layer_groups
            keys, weights = cells + (code * stride)[:, None], residual
        counts = np.bincount(keys.ravel(), weights=weights.ravel(), minlength=size)
        if every_sample is None and len(layer_samples) * 4 >= n_samples:  # each sample counted once, in some group
            every_sample = counts.reshape(-1, stride).sum(axis=0)
        gaps += counts
    if membership.whole_groups:
        if every_sample is None:
            every_sample = np.bincount(cells.ravel(), weights=residual.ravel(), minlength=stride)
        for group in membership.whole_groups:
            gaps[group * stride : (group + 1) * stride] += every_sample
    return gaps[: n_groups * stride].reshape(n_groups, n_bins, n_models).transpose(2, 0, 1)


def expected_calibration_error(gaps: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """ECE = sum over bins of |accuracy - confidence| x bin share = sum |gap| / total; NaN for empty groups.

    Args:
        gaps: (..., bins) from `calibration_gaps`.
        totals: (...) number of samples per group.

    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.abs(gaps).sum(axis=-1) / totals
