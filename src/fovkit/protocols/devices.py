"""Torch devices and precisions as the protocols resolve and record them (every fit records where and how it ran)."""

from __future__ import annotations

import torch

from fovkit.errors import InputError


def resolve_device(device: str | torch.device) -> torch.device:
    """`auto` -> cuda when available, else cpu; other names are checked to exist."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as error:
        raise InputError(
            f"unknown device {device!r} ({error}); use auto, cpu, cuda or cuda:N", field="device"
        ) from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device {device!r} requested but CUDA is not available; use cpu or auto", field="device")
    return resolved


def device_name(device: torch.device) -> str:
    """The device as recorded in run records: `cpu`, or `cuda:N` with the index resolved."""
    if device.type == "cuda" and device.index is None:
        return f"cuda:{torch.cuda.current_device()}"
    return str(device)


def precision_name(autocast: torch.dtype | None) -> str:
    """How a run computes, as recorded: "float32" without autocast, else the autocast dtype's name."""
    return "float32" if autocast is None else str(autocast).removeprefix("torch.")
