"""One entry point for every backbone: `load_backbone('<source>:<model>', weights, seed)`, plus listing and saving."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from fovkit.errors import InputError
from fovkit.models import adapters
from fovkit.models.adapters import WeightsSpec, make_backbone
from fovkit.models.base import Backbone
from fovkit.models.builtin import BUILTIN_PREPROCESSING, BUILTINS
from fovkit.models.pretrained import PRETRAINED, load_pretrained_backbone
from fovkit.models.weights import (
    checkpoint_target,
    load_into,
    read_state_dict,
    saved_card,
    seeded,
    state_digest,
    write_card,
    write_state_dict,
)
from fovkit.registry import close_matches, unknown_name

DEFAULT_SOURCE = "fovkit"
EXAMPLES = {
    DEFAULT_SOURCE: "resnet_small",
    "timm": "resnet18",
    "open_clip": "ViT-B-32/openai",
    "torchvision": "resnet18",
}
"""One model name per source, for messages."""


def _load_builtin(model: str, weights: WeightsSpec, seed: int) -> Backbone:
    """A fovkit network: random init for None or "random", else a trunk state_dict saved by `save_backbone`.

    The pretrained built-ins (`fovkit.models.pretrained`) load their packaged weights for None instead.
    """
    if model in PRETRAINED:
        return load_pretrained_backbone(model, weights, seed)
    if model not in BUILTINS:
        raise unknown_name(BUILTINS.kind, model, builtin_backbones(), BUILTINS.lister, BUILTINS.field)
    build = BUILTINS.get(model)
    card_id = f"{DEFAULT_SOURCE}:{model}"
    preprocessing = BUILTIN_PREPROCESSING
    if isinstance(weights, Path):
        record = saved_card(weights, card_id)
        if record is not None:
            preprocessing = record["preprocessing"]
    with seeded(seed):
        trunk = build(input_size=preprocessing.input_size)
    if isinstance(weights, Path):
        load_into(trunk, read_state_dict(weights), weights)
    label = weights if isinstance(weights, Path) else "random"
    return make_backbone(trunk, card_id, DEFAULT_SOURCE, preprocessing, trunk.feature_dim, label, seed)


LOADERS: dict[str, Callable[[str, WeightsSpec, int], Backbone]] = {
    DEFAULT_SOURCE: _load_builtin,
    "timm": adapters.load_timm,
    "open_clip": adapters.load_open_clip,
    "torchvision": adapters.load_torchvision,
}


def load_backbone(name: str, weights: str | Path | None = None, seed: int = 0) -> Backbone:
    """A backbone by name, offline, in eval mode.

    Args:
        name: `<source>:<model>` with source `fovkit` (the default when there is no prefix), `timm`, `open_clip` or
            `torchvision`, e.g. `resnet_small`, `timm:resnet50.a1_in1k`, `open_clip:ViT-B-32/laion2b_s34b_b79k`,
            `torchvision:resnet18`.
        weights: None for the source's pretrained weights, read only from the local cache of timm (Hugging Face
            hub), open_clip or torchvision (torch hub), and random init for built-ins; `"random"` for random init
            seeded by `seed`; or the path of a checkpoint (a state_dict as .safetensors/.pt/.pth; for built-ins one
            written by `save_backbone`, whose card restores the preprocessing).
        seed: Seed of the random init; the global torch RNG is left untouched.

    Returns:
        The backbone; its card records id, preprocessing, feature width, weights source and digest.

    Raises:
        InputError: For an unknown source or model (with the closest names), weights missing from the local
            cache (with how to provide them), or a checkpoint that does not fit the architecture.

    """
    source, model = split_backbone_name(name)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError(f"seed must be an integer, got {seed!r}", field="seed")
    spec = weights_spec(weights, source, model)
    return LOADERS[source](model, spec, seed)


def split_backbone_name(name: object) -> tuple[str, str]:
    """`(source, model)` of a backbone name `<source>:<model>` (a bare name must be a fovkit built-in).

    Raises:
        InputError: In command-line syntax, for an empty name, an unknown source (with the closest one and all
            sources), a source without a model, or a bare name that is no built-in (suggesting `timm:<name>` and
            `torchvision:<name>` where those libraries have the model).

    """
    return split_model_name(name, "backbone", builtin_backbones(), BUILTINS.kind, BUILTINS.lister)


def split_model_name(name: object, what: str, builtins: Sequence[str], kind: str, lister: str) -> tuple[str, str]:
    """`(source, model)` of a `<source>:<model>` name whose bare form must be one of `builtins`.

    Args:
        name: The name to split.
        what: What the name names, for messages ("backbone", "classifier").
        builtins: The fovkit built-ins a name without source may be.
        kind: What a built-in is, for the unknown-name message ("built-in backbone").
        lister: The call that lists the built-ins.

    Raises:
        InputError: As `split_backbone_name` describes.

    """
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"a {what} is named <source>:<model>, e.g. timm:resnet18; got {name!r}", field="name")
    source, separator, model = name.strip().partition(":")
    if not separator:
        if source not in builtins:
            raise _bare_name_error(source, builtins, kind, lister)
        return DEFAULT_SOURCE, source
    if source not in LOADERS:
        close = close_matches(source, list(LOADERS), limit=1)
        hint = f"did you mean '{close[0]}:{model}'? " if close else ""
        raise InputError(
            f"unknown backbone source {source!r} in {name!r}; {hint}sources: {', '.join(LOADERS)} "
            "(write <source>:<model>, e.g. timm:resnet18)",
            field="name",
        )
    if not model:
        raise InputError(
            f"{name!r} names no model after '{source}:'; write <source>:<model>, e.g. {source}:{EXAMPLES[source]}",
            field="name",
        )
    return source, model


def _bare_name_error(model: str, builtins: Sequence[str], kind: str, lister: str) -> InputError:
    """InputError for a name without a source that is no built-in: where the model exists, else the close built-ins."""
    found = [
        f"{source}:{model}" for source, has in (("timm", _timm_has), ("torchvision", _torchvision_has)) if has(model)
    ]
    sources = ", ".join(LOADERS)
    if found:
        return InputError(
            f"{model!r} is no fovkit built-in; did you mean {' or '.join(found)}? (a name without <source>: is a "
            f"fovkit built-in; write <source>:<model> with a source among {sources})",
            field="name",
        )
    error = unknown_name(kind, model, builtins, lister, "name")
    return InputError(f"{error.reason}; for another source write <source>:<model> ({sources})", field="name")


def _timm_has(model: str) -> bool:
    try:
        import timm
    except ImportError:
        return False
    return bool(timm.is_model(model))


def _torchvision_has(model: str) -> bool:
    try:
        from torchvision import models
    except ImportError:
        return False
    return model in models.list_models(module=models)


def weights_spec(weights: str | Path | None, source: str, model: str) -> WeightsSpec:
    """The `weights` argument checked: None, "random", or the Path of an existing checkpoint file."""
    if weights is None or weights == "random":
        return weights
    if not isinstance(weights, str | Path):
        raise InputError(
            f"weights must be None, 'random' or a file path, got {type(weights).__name__}", field="weights"
        )
    path = Path(weights).expanduser()
    if not path.is_file():
        what = "is a folder, not a checkpoint file" if path.is_dir() else "is no file"
        raise InputError(
            f"the weights {str(weights)!r} of {source}:{model} {what}; after '@' give a checkpoint file "
            f"(.safetensors, .pt or .pth state_dict) or random, e.g. {source}:{model}@random, or leave out '@...' "
            "for the source's pretrained weights (in Python weights=PATH, 'random' or None)",
            field="weights",
        )
    return path


def list_backbones(pattern: str = "*") -> list[str]:
    """Built-in backbones matching the shell-style `pattern`, as `fovkit:<name>`.

    The other sources list their own models: `timm.list_models()` (and `timm.list_pretrained()` for weights),
    `open_clip.list_models()` (and `open_clip.list_pretrained()` for `ARCH/TAG` names) and
    `torchvision.models.list_models(module=torchvision.models)`.
    """
    pattern = pattern.removeprefix(f"{DEFAULT_SOURCE}:")
    return [f"{DEFAULT_SOURCE}:{name}" for name in sorted([*BUILTINS.names(pattern), *PRETRAINED.names(pattern)])]


def builtin_backbones() -> list[str]:
    """Names of the fovkit built-in backbones: the small nets trained here and the pretrained classifiers' trunks."""
    return sorted([*BUILTINS.names(), *PRETRAINED.names()])


def save_backbone(backbone: Backbone, path: str | Path) -> Path:
    """Write the trunk's state_dict and, beside it, the card as `<stem>.card.json`; return the checkpoint path.

    A path without a suffix gets `.safetensors` (or `.pt` when safetensors is not installed). `load_backbone(card.id,
    weights=path)` restores the backbone. The saved card records the file and the digest of the weights as saved,
    so a trained backbone gets a new identity.
    """
    if not isinstance(backbone, Backbone):
        raise InputError(f"expected a fovkit Backbone, got {type(backbone).__name__}", field="backbone")
    path = checkpoint_target(path)
    write_state_dict(backbone.trunk.state_dict(), path)
    write_card(replace(backbone.card, weights=str(path), weights_digest=state_digest(backbone.trunk)), path)
    return path
