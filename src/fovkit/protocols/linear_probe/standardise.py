"""Feature standardisation in cache-sized chunks: shifted moment sums, mean and scale, and re-expressing a fit."""

from __future__ import annotations

from collections.abc import Iterator

import torch

CHUNK = 2048  # rows per chunk when standardising or predicting (cache-sized)


def moment_sums(
    x: torch.Tensor, shift: torch.Tensor, rows: torch.Tensor | None = None
) -> tuple[int, torch.Tensor, torch.Tensor]:
    """Count, sum and sum of squares of (x - shift) over the given rows (all rows when None), float64 totals."""
    count = len(x) if rows is None else len(rows)
    first = torch.zeros(x.shape[1], dtype=torch.float64)
    second = torch.zeros_like(first)
    for _, chunk in centred_chunks(x, shift, count, rows):
        first += chunk.sum(0)
        second += chunk.mul_(chunk).sum(0)
    return count, first, second


def mean_scale(
    count: int, first: torch.Tensor, second: torch.Tensor, shift: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and standard deviation from shifted sums; constant features get scale 1."""
    offset = first / count
    std = (second / count - offset.square()).clamp_min(0.0).sqrt().float()
    mean = (shift.double() + offset).float()
    constant = std <= 1e-6 * mean.abs()  # no variation beyond float32 rounding
    return mean, torch.where(constant, torch.ones_like(std), std)


def standardise(
    x: torch.Tensor, mean: torch.Tensor, scale: torch.Tensor, out: torch.Tensor, rows: torch.Tensor | None = None
) -> torch.Tensor:
    """Write (x[rows] - mean) / scale into `out` (any dtype and device), in chunks; returns `out`."""
    inverse = 1.0 / scale
    for start, chunk in centred_chunks(x, mean, len(out), rows):
        out[start : start + len(chunk)].copy_(chunk.mul_(inverse))
    return out


def centred_chunks(
    x: torch.Tensor, shift: torch.Tensor, count: int, rows: torch.Tensor | None
) -> Iterator[tuple[int, torch.Tensor]]:
    """(start, x[rows][start:start + CHUNK] - shift) over `count` rows (all of x when `rows` is None), one buffer."""
    buffer = torch.empty(min(CHUNK, max(count, 1)), x.shape[1])
    for start in range(0, count, CHUNK):
        chunk = buffer[: min(CHUNK, count - start)]
        if rows is None:
            torch.sub(x[start : start + len(chunk)], shift, out=chunk)
        else:
            torch.index_select(x, 0, rows[start : start + len(chunk)], out=chunk).sub_(shift)
        yield start, chunk


def restandardise(
    theta: torch.Tensor, mean: torch.Tensor, scale: torch.Tensor, new_mean: torch.Tensor, new_scale: torch.Tensor
) -> torch.Tensor:
    """Re-express standardised-space parameters under another standardisation (same model in the original space)."""
    device, theta = theta.device, theta.double().cpu()
    weights = theta[:-1] / scale.double().unsqueeze(1)
    bias = theta[-1] - mean.double() @ weights
    moved = torch.cat([weights * new_scale.double().unsqueeze(1), (bias + new_mean.double() @ weights)[None]])
    return moved.float().to(device)
