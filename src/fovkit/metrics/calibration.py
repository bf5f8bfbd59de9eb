"""Expected calibration error (equal-width confidence bins) per group of samples, for many models at once."""

from __future__ import annotations

import numpy as np


def confidence_bins(confidence: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin index of each confidence: bin b holds (b/n, (b+1)/n], bin 0 also holds 0 (the reference's rule)."""
    scaled = np.asarray(confidence, dtype=np.float32) * np.float32(n_bins)
    np.ceil(scaled, out=scaled)
    np.clip(scaled, 1, n_bins, out=scaled)
    bins = scaled.astype(np.int64)
    bins -= 1
    return bins


def calibration_gaps(
    correct: np.ndarray,
    confidence: np.ndarray,
    samples: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    n_bins: int = 15,
) -> np.ndarray:
    """Per (model, group, bin): summed correctness minus summed confidence, the only per-bin state ECE needs.

    Args:
        correct: Boolean (samples x models).
        confidence: (samples x models) top-1 probabilities in [0, 1].
        samples: Sample index of each (sample, group) membership pair.
        groups: Group index of each membership pair.
        n_groups: Number of groups.
        n_bins: Number of equal-width bins on [0, 1].

    Returns:
        (models x groups x bins) float64 array; sums over models, chunks and shards add up.

    """
    n_samples, n_models = correct.shape
    cells = confidence_bins(confidence, n_bins)
    cells *= n_models
    cells += np.arange(n_models)
    residual = correct.astype(np.float64)
    residual -= confidence
    stride = n_bins * n_models
    size = (n_groups + 1) * stride
    gaps = np.zeros(size)
    keys = np.empty_like(cells)
    for layer_samples, layer_groups in _layers(samples, groups):
        if len(layer_samples) * 4 < n_samples:
            rows = cells[layer_samples] + (layer_groups * stride)[:, None]
            gaps += np.bincount(rows.ravel(), weights=residual[layer_samples].ravel(), minlength=size)
            continue
        if len(layer_samples) == n_samples and (layer_groups == layer_groups[0]).all():
            np.add(cells, layer_groups[0] * stride, out=keys)
        else:
            code = np.full(n_samples, n_groups, dtype=np.int64)
            code[layer_samples] = layer_groups
            np.add(cells, (code * stride)[:, None], out=keys)
        gaps += np.bincount(keys.ravel(), weights=residual.ravel(), minlength=size)
    return gaps[: n_groups * stride].reshape(n_groups, n_bins, n_models).transpose(2, 0, 1)


def _layers(samples: np.ndarray, groups: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split membership pairs into layers in which every sample appears at most once (its 1st, 2nd... group).

    Dense layers are then scored without gathering rows: the costly step of the naive pair-wise version.
    """
    order = np.argsort(samples, kind="stable")
    samples, groups = samples[order], groups[order]
    first = np.r_[True, samples[1:] != samples[:-1]]
    starts = np.flatnonzero(first)
    rank = np.arange(len(samples)) - np.repeat(starts, np.diff(np.r_[starts, len(samples)]))
    return [(samples[rank == layer], groups[rank == layer]) for layer in range(int(rank.max(initial=-1)) + 1)]


def expected_calibration_error(gaps: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """ECE = sum over bins of |accuracy - confidence| x bin share = sum |gap| / total; NaN for empty groups.

    Args:
        gaps: (..., bins) from `calibration_gaps`.
        totals: (...) number of samples per group.

    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.abs(gaps).sum(axis=-1) / totals
