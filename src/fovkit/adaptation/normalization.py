"""The normalisation layers of any model, found and configured for adaptation on a private copy of the model.

Test-time adaptation rewrites normalisation statistics and affine parameters; every method works on
`adaptable_copy`, so the caller's module, and any weights file it was loaded from, never change.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from fovkit.errors import InputError

BATCH_NORMS: tuple[type[nn.Module], ...] = (_BatchNorm,)
"""BatchNorm1d, 2d and 3d, SyncBatchNorm and their subclasses (e.g. timm's BatchNormAct2d)."""
AFFINE_NORMS: tuple[type[nn.Module], ...] = (_BatchNorm, nn.LayerNorm, nn.GroupNorm)
"""Layers whose scale and shift (`weight`, `bias`) TENT and self-learning update."""
AFFINE_NAMES = ("weight", "bias")


def adaptable_copy(model: nn.Module, device: torch.device) -> nn.Module:
    """A deep copy of `model` on `device`, in eval mode, every parameter frozen; `model` itself is left untouched.

    The copy is made outside any inference mode of the caller's, so that gradient methods can train it.
    """
    with torch.inference_mode(False):
        duplicate = copy.deepcopy(model)
        return duplicate.to(device).eval().requires_grad_(False)


def batch_norm_layers(model: nn.Module) -> list[tuple[str, _BatchNorm]]:
    """The BatchNorm layers of `model` by qualified name, in module order."""
    return [(name, module) for name, module in model.named_modules() if isinstance(module, BATCH_NORMS)]


def require_batch_norms(model: nn.Module, method: str) -> list[tuple[str, _BatchNorm]]:
    """`batch_norm_layers(model)`, or an InputError naming `method` when there are none."""
    layers = batch_norm_layers(model)
    if not layers:
        raise InputError(
            f"{method} adapts BatchNorm statistics and the model has no BatchNorm layer; use a model with BatchNorm, "
            "or tent or rpl for models with LayerNorm or GroupNorm",
            field="model",
        )
    return layers


def use_batch_statistics(model: nn.Module) -> int:
    """Make every BatchNorm layer normalise with the statistics of the batch it sees, in eval mode too (as TENT).

    The running statistics are dropped (`track_running_stats` off), as in the reference TENT code; returns the number
    of layers changed.
    """
    layers = batch_norm_layers(model)
    for _, layer in layers:
        layer.track_running_stats = False
        layer.running_mean = None
        layer.running_var = None
    return len(layers)


def affine_norm_parameters(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """The scale and shift parameters of the normalisation layers (BatchNorm, LayerNorm, GroupNorm), by name."""
    found = []
    for module_name, module in model.named_modules():
        if isinstance(module, AFFINE_NORMS):
            for name, parameter in module.named_parameters(recurse=False):
                if name in AFFINE_NAMES:
                    found.append((f"{module_name}.{name}" if module_name else name, parameter))
    return found


def train_affine_norms(model: nn.Module, method: str) -> list[nn.Parameter]:
    """Freeze `model` except the normalisation layers' scale and shift, and return those; InputError if none."""
    named = affine_norm_parameters(model)
    if not named:
        raise InputError(
            f"{method} updates the scale and shift of normalisation layers (BatchNorm, LayerNorm or GroupNorm with "
            "affine parameters) and the model has none",
            field="model",
        )
    model.requires_grad_(False)
    for _, parameter in named:
        parameter.requires_grad_(True)
    return [parameter for _, parameter in named]
