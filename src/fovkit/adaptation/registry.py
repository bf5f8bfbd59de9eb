"""The test-time adaptation methods by name, and `adapt`: one call that streams a model's adapted predictions.

`adapt(model, batches, "tent")` copies the model, adapts the copy batch by batch over an iterable of float NCHW
images in [0, 1] (e.g. a corrupted dataset, read in order) and yields the logits of each batch as the adapted model
predicted it, so the caller scores predictions as they come. The caller's module and any file it came from never
change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import torch
from pydantic import ValidationError
from torch import nn

from fovkit.adaptation.batchnorm import batch_norm_adaptation, source_model
from fovkit.adaptation.normalization import adaptable_copy
from fovkit.adaptation.self_learning import self_learning
from fovkit.adaptation.settings import AdaptationSettings, BatchNormSettings, SelfLearningSettings, TentSettings
from fovkit.adaptation.tent import tent
from fovkit.configs import config_error
from fovkit.errors import InputError
from fovkit.protocols.devices import device_name, precision_name, resolve_device
from fovkit.registry import Registry

Adapter = Callable[[torch.Tensor], torch.Tensor]
"""A prepared model: images -> logits, adapting itself (statistics or parameters) as a side effect."""
AdaptPrecision = Literal["off", "auto", "bf16"]
"""off: float32; bf16: bfloat16 autocast; auto: bf16 on CUDA, float32 on CPU (no fp16: its gradients need scaling)."""


@dataclass(frozen=True)
class AdaptationMethod:
    """A registered test-time adaptation method.

    Attributes:
        name: Registry name (`none`, `bn`, `tent`, `rpl`).
        description: One line for listings and reports, naming the paper.
        settings: Its settings class; `adapt` validates user settings into it.
        prepare: (private model copy, settings) -> adapter; configures the copy in place.

    """

    name: str
    description: str
    settings: type[AdaptationSettings]
    prepare: Callable[[nn.Module, Any], Adapter]


METHODS: Registry[AdaptationMethod] = Registry("adaptation method", "fovkit.adaptation.list_methods()", "method")


def register_method(method: AdaptationMethod) -> AdaptationMethod:
    """Add `method` to the registry under its name (unique lower-case identifier)."""
    return METHODS.register(method.name)(method)


register_method(
    AdaptationMethod(
        "none", "no adaptation: the source model as trained (the baseline)", AdaptationSettings, source_model
    )
)
register_method(
    AdaptationMethod(
        "bn",
        "BatchNorm statistics of the test batch, mixed with the source's by a prior (Schneider et al. 2020)",
        BatchNormSettings,
        batch_norm_adaptation,
    )
)
register_method(
    AdaptationMethod(
        "tent",
        "entropy minimisation of the normalisation layers' scale and shift (Wang et al. 2021)",
        TentSettings,
        tent,
    )
)
register_method(
    AdaptationMethod(
        "rpl",
        "self-learning with robust pseudo-labels, GCE loss on normalisation scale and shift (Rusak et al. 2022)",
        SelfLearningSettings,
        self_learning,
    )
)


def list_methods(pattern: str = "*") -> list[str]:
    """Sorted names of the adaptation methods matching the shell-style `pattern`."""
    return METHODS.names(pattern)


def get_method(name: str) -> AdaptationMethod:
    """The method registered under `name`; an unknown name raises InputError with the closest names."""
    return METHODS.get(name)


def method_settings(method: str, settings: AdaptationSettings | Mapping[str, Any] | None = None) -> AdaptationSettings:
    """`settings` validated for `method`: None gives the defaults, a mapping is checked field by field.

    Raises:
        InputError: An unknown method, settings of another method's class, or a mapping with unknown keys or values
            of the wrong kind or range (naming the key, what it expects and what it got).

    """
    kind = get_method(method).settings
    if settings is None:
        return kind()
    if isinstance(settings, AdaptationSettings):
        if type(settings) is not kind:
            raise InputError(
                f"method {method!r} takes {kind.__name__}, got {type(settings).__name__}; pass {kind.__name__}(...) "
                "or a dict of its fields",
                field="settings",
            )
        return settings
    if not isinstance(settings, Mapping):
        raise InputError(
            f"settings must be None, a {kind.__name__} or a dict of its fields, got {type(settings).__name__}",
            field="settings",
        )
    try:
        return kind(**settings)
    except ValidationError as error:
        raise config_error(error, kind, None, {}, {}) from None


class AdaptationRun:
    """An adaptation in progress: iterate it for the logits of each adaptation batch, in stream order.

    The logits (float32, detached, on `device`) of all batches, concatenated, align with the stream's images
    concatenated; with `settings.batch_size` set the stream is regrouped into batches of that size (the last may be
    smaller), otherwise its own batches are used (empty ones are skipped). Single use: the stream is consumed.

    Attributes:
        method: The method's name.
        settings: The validated settings.
        device: The resolved device, e.g. "cpu" or "cuda:0".
        precision: "float32" or the autocast dtype ("bfloat16").
        model: The adapted private copy of the model (its state after the batches read so far).

    """

    def __init__(
        self,
        model: nn.Module,
        adapter: Adapter,
        batches: Iterable[torch.Tensor],
        method: str,
        settings: AdaptationSettings,
        device: torch.device,
        autocast: torch.dtype | None,
    ) -> None:
        self.method = method
        self.settings = settings
        self.device = device_name(device)
        self.precision = precision_name(autocast)
        self.model = model
        self._logits = _adapted_logits(adapter, batches, settings.batch_size, device, autocast)

    def __iter__(self) -> Iterator[torch.Tensor]:
        return self

    def __next__(self) -> torch.Tensor:
        return next(self._logits)

    def details(self) -> dict[str, Any]:
        """How the run adapts, for run records: method, settings, device and precision."""
        return {
            "method": self.method,
            "settings": self.settings.model_dump(mode="json"),
            "device": self.device,
            "precision": self.precision,
        }


def adapt(
    model: nn.Module,
    batches: Iterable[torch.Tensor],
    method: str = "bn",
    settings: AdaptationSettings | Mapping[str, Any] | None = None,
    device: str | torch.device = "auto",
    mixed_precision: AdaptPrecision = "off",
) -> AdaptationRun:
    """Adapt a copy of `model` over a stream of test batches and yield its logits batch by batch.

    Args:
        model: Maps float NCHW images in [0, 1] to logits N x K: a `fovkit.models.base.ImageClassifier` or any
            nn.Module. Never changed: the methods adapt a deep copy.
        batches: Float N x C x H x W image batches (any device; moved to `device`), read once, in order.
        method: One of `list_methods()`: `none`, `bn`, `tent`, `rpl`.
        settings: The method's settings (see `get_method(method).settings`), a dict of its fields, or None for the
            defaults.
        device: Torch device for the copy and the batches; `auto` picks CUDA when available.
        mixed_precision: `off` (float32), `bf16` autocast, or `auto` (bf16 on CUDA only).

    Returns:
        The run: iterate it for the logits; it records method, settings, device and precision.

    Raises:
        InputError: An unknown method, invalid settings, an unknown device or precision, a model without the
            normalisation layers the method needs, or (while iterating) a batch that is not a float 4-d tensor.

    """
    spec = get_method(method)
    checked = method_settings(method, settings)
    target = resolve_device(device)
    autocast = _autocast_dtype(mixed_precision, target)
    duplicate = adaptable_copy(model, target)
    adapter = spec.prepare(duplicate, checked)
    return AdaptationRun(duplicate, adapter, batches, spec.name, checked, target, autocast)


def rebatch(batches: Iterable[torch.Tensor], size: int) -> Iterator[torch.Tensor]:
    """The images of `batches` regrouped, in order, into batches of `size` (the last one may be smaller)."""
    pending: list[torch.Tensor] = []
    count = 0
    for batch in batches:
        pending.append(batch)
        count += len(batch)
        while count >= size:
            joined = torch.cat(pending) if len(pending) > 1 else pending[0]
            yield joined[:size]
            rest = joined[size:]
            pending, count = ([rest] if len(rest) else []), len(rest)
    if count:
        yield torch.cat(pending)


def _adapted_logits(
    adapter: Adapter,
    batches: Iterable[torch.Tensor],
    size: int | None,
    device: torch.device,
    autocast: torch.dtype | None,
) -> Iterator[torch.Tensor]:
    checked = (_on_device(batch, position, device) for position, batch in enumerate(batches))
    grouped = rebatch(checked, size) if size is not None else checked
    for batch in grouped:
        if not len(batch):
            continue
        with torch.autocast(device.type, dtype=autocast, enabled=autocast is not None):
            logits = adapter(batch)
        if not isinstance(logits, torch.Tensor) or logits.ndim != 2 or len(logits) != len(batch):
            shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
            raise InputError(f"the model returned {shape} for {len(batch)} images; expected logits N x classes")
        yield logits.detach().float()


def _on_device(batch: object, position: int, device: torch.device) -> torch.Tensor:
    if not isinstance(batch, torch.Tensor) or not batch.is_floating_point() or batch.ndim != 4:
        kind = f"{batch.dtype} tensor of shape {tuple(batch.shape)}" if isinstance(batch, torch.Tensor) else type(batch)
        raise InputError(
            f"batch {position} is a {kind}; batches are float N x C x H x W images in [0, 1] (uint8 images / 255)",
            field="batches",
        )
    return batch.to(device, non_blocking=True)


def _autocast_dtype(mixed_precision: object, device: torch.device) -> torch.dtype | None:
    if mixed_precision == "auto":
        return torch.bfloat16 if device.type == "cuda" else None
    if mixed_precision in ("off", "bf16"):
        return None if mixed_precision == "off" else torch.bfloat16
    raise InputError(
        f"mixed_precision must be off, auto or bf16, got {mixed_precision!r} (fp16 gradients would need loss scaling)",
        field="mixed_precision",
    )
