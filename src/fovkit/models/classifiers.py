"""Classifiers that keep their own head: `load_classifier('<source>:<model>', weights, labels, seed)`, saving, listing.

Where `load_backbone` strips heads for probing, these answer "how does MY ImageNet model fail?": the model's own
logits over its own label space (ImageNet-1k for ImageNet models, the user's class names otherwise). Sources are those
of the backbones: fovkit's pretrained built-ins, timm, torchvision, and open_clip as a zero-shot classifier whose head
is built from text prompts. Everything loads offline, in eval mode, as float32.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional

from fovkit.errors import InputError, preview
from fovkit.models.adapters import (
    WeightsSpec,
    create_timm,
    create_torchvision,
    final_linear,
    load_open_clip,
    make_classifier,
    timm_head_names,
    timm_preprocessing,
    torchvision_preprocessing,
)
from fovkit.models.base import ImageClassifier, LabelSpace, Preprocessing
from fovkit.models.imagenet import imagenet_labels
from fovkit.models.pretrained import PRETRAINED, load_pretrained_classifier
from fovkit.models.registry import DEFAULT_SOURCE, LOADERS, split_model_name, weights_spec
from fovkit.models.weights import (
    checkpoint_target,
    load_into,
    read_card,
    read_state_dict,
    saved_card,
    seeded,
    state_digest,
    write_card,
    write_state_dict,
)
from fovkit.models.zero_shot import LOGIT_SCALE, ZeroShotClassifier
from fovkit.registry import unknown_name

PAPER_TEMPLATES = ("an image of {}.",)
"""The zero-shot prompt of the paper: one template, the class name as is."""
USER_LABELS = "user"
"""Label-space name of class names given by the user."""

LabelsArg = LabelSpace | Sequence[str] | None


class Network(NamedTuple):
    """What a source loader builds: the logit network, its preprocessing, its own labels (or None), weights label."""

    module: nn.Module
    preprocessing: Preprocessing
    labels: LabelSpace | None
    weights: str | Path


def load_classifier(
    name: str,
    weights: str | Path | None = None,
    labels: LabelsArg = None,
    seed: int = 0,
    templates: Sequence[str] = PAPER_TEMPLATES,
) -> ImageClassifier:
    """A classifier with its own head by name, offline, in eval mode.

    Args:
        name: `<source>:<model>`: `fovkit:efficientnet_lite0` (or a bare built-in name, see `list_classifiers`),
            `timm:<model>[.tag]`, `torchvision:<model>` (both keep their head), or `open_clip:<arch>[/<tag>]`
            (zero-shot: a head from text prompts of `labels`).
        weights: None for the pretrained weights (packaged for built-ins; the local timm, torch hub or open_clip
            cache otherwise); `"random"` for seeded random init; or a checkpoint path holding the whole model with
            its head (as `save_classifier` writes it, or timm's and torchvision's own state dicts).
        labels: Class names by logit index (or a LabelSpace). Needed for open_clip and for models whose head is not
            ImageNet-1k's; ImageNet models default to the `imagenet-1k` label space, other heads to `class_0...`.
        seed: Seed of any random init; the global torch RNG is left untouched.
        templates: Zero-shot prompt templates with one `{}` for the class name (open_clip only).

    Returns:
        The classifier; its card records id, preprocessing (with the evaluation crop), number of logits, weights
        source and digest; `labels` says what each logit stands for.

    Raises:
        InputError: For an unknown source or model (with the closest names), weights missing from the caches or
            packages (with how to provide them), a checkpoint that does not fit, or labels whose count differs from
            the logits.

    """
    source, model = split_classifier_name(name)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError(f"seed must be an integer, got {seed!r}", field="seed")
    spec = weights_spec(weights, source, model)
    card_id = f"{source}:{model}"
    record = saved_card(spec, card_id) if isinstance(spec, Path) else None
    given = label_space(labels) if labels is not None else _saved_labels(record, spec)
    network = SOURCE_LOADERS[source](model, spec, seed, given, tuple(templates))
    width = _logit_width(network.module, network.preprocessing)
    chosen = given
    if chosen is None:
        own = network.labels
        numbered = LabelSpace(f"{card_id} classes", tuple(f"class_{index}" for index in range(width)))
        chosen = own if own is not None and len(own) == width else numbered
    if len(chosen) != width:
        raise InputError(
            f"{card_id} returns {width} logits but {len(chosen)} labels were given; give one class name per logit",
            field="labels",
        )
    return make_classifier(network.module, card_id, source, network.preprocessing, chosen, network.weights, seed)


def split_classifier_name(name: object) -> tuple[str, str]:
    """`(source, model)` of a classifier name `<source>:<model>`; a bare name must be a fovkit built-in classifier.

    Raises:
        InputError: As for backbones: an empty name, an unknown source or model, with the closest names.

    """
    source, model = split_model_name(name, "classifier", PRETRAINED.names(), PRETRAINED.kind, PRETRAINED.lister)
    if source == DEFAULT_SOURCE and model not in PRETRAINED:
        raise unknown_name(PRETRAINED.kind, model, PRETRAINED.names(), PRETRAINED.lister, PRETRAINED.field)
    return source, model


def list_classifiers(pattern: str = "*") -> list[str]:
    """The built-in pretrained classifiers of fovkit matching the shell-style `pattern`, as `fovkit:<name>`.

    timm and torchvision list their own models (`timm.list_pretrained()`,
    `torchvision.models.list_models(module=torchvision.models)`); any open_clip model is a zero-shot classifier.
    """
    return [f"{DEFAULT_SOURCE}:{name}" for name in PRETRAINED.names(pattern.removeprefix(f"{DEFAULT_SOURCE}:"))]


def label_space(labels: LabelSpace | Sequence[str]) -> LabelSpace:
    """A LabelSpace from class names (name `user`), or the given LabelSpace; names must be non-empty strings."""
    if isinstance(labels, LabelSpace):
        return labels
    if isinstance(labels, str) or not isinstance(labels, Sequence) or not len(labels):
        raise InputError(f"labels must be a non-empty list of class names, got {labels!r}", field="labels")
    bad = [name for name in labels if not isinstance(name, str) or not name.strip()]
    if bad:
        raise InputError(f"class names must be non-empty strings; got {preview(bad)}", field="labels")
    return LabelSpace(USER_LABELS, tuple(labels))


def _saved_labels(record: dict | None, path: WeightsSpec) -> LabelSpace | None:
    """The label space a `save_classifier` card records, or None."""
    if record is None or "labels" not in record:
        return None
    try:
        spec = record["labels"]
        ids = spec.get("ids")
        return LabelSpace(str(spec["name"]), tuple(str(name) for name in spec["names"]), ids and tuple(map(str, ids)))
    except (AttributeError, KeyError, TypeError) as error:
        raise InputError(f"the card's labels are not as save_classifier writes them ({error})", path=path) from error


def _logit_width(network: nn.Module, preprocessing: Preprocessing) -> int:
    """Number of logits, by one forward pass of a black image; the output must be N x C."""
    size = preprocessing.input_size
    with torch.no_grad():
        output = network(preprocessing.apply(torch.zeros(1, 3, size, size)))
    if not isinstance(output, torch.Tensor) or output.ndim != 2:
        shape = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
        raise InputError(
            f"the network returns {shape} for one image; a classifier must return N x classes logits", field="module"
        )
    return int(output.shape[1])


# --- sources ------------------------------------------------------------------------------------------------------


def _fovkit_network(
    model: str, weights: WeightsSpec, seed: int, labels: LabelSpace | None, templates: tuple[str, ...]
) -> Network:
    """A pretrained built-in (ImageNet-1k head)."""
    del labels, templates  # the head is ImageNet-1k's; other names for its logits are applied by the caller
    classifier = load_pretrained_classifier(model, weights, seed)
    return Network(classifier.network, classifier.card.preprocessing, classifier.labels, classifier.card.weights)


def _timm_network(
    model: str, weights: WeightsSpec, seed: int, labels: LabelSpace | None, templates: tuple[str, ...]
) -> Network:
    """A timm model with its head; a checkpoint's head may have any width (the head is resized to it)."""
    del labels, templates
    net, label = create_timm(model, weights, seed, num_classes=None)
    if isinstance(weights, Path):
        state = read_state_dict(weights)
        width = _head_width(state, timm_head_names(net))
        if width is not None and width != net.num_classes:
            with seeded(seed):
                net.reset_classifier(width)
        load_into(net, state, weights)
    if not net.num_classes:
        raise InputError(
            f"timm model {model!r} has no classifier head; load it with fovkit.models.load_backbone and train a probe",
            field="name",
        )
    config = getattr(net, "pretrained_cfg", None) or {}
    imagenet = net.num_classes == len(imagenet_labels()) == config.get("num_classes")
    return Network(net.eval(), timm_preprocessing(net, crop_pct=True), imagenet_labels() if imagenet else None, label)


def _torchvision_network(
    model: str, weights: WeightsSpec, seed: int, labels: LabelSpace | None, templates: tuple[str, ...]
) -> Network:
    """A torchvision model with its head (ImageNet-1k's, or a checkpoint's of any width)."""
    del labels, templates
    net, label = create_torchvision(model, weights, seed)
    if isinstance(weights, Path):
        state = read_state_dict(weights)
        head = final_linear(net)
        width = _head_width(state, [head[0]] if head else [])
        if head is not None and width is not None and width != head[1].out_features:
            net, label = create_torchvision(model, weights, seed, num_classes=width)
        load_into(net, state, weights)
    return Network(net.eval(), torchvision_preprocessing(model, crop_pct=True), imagenet_labels(), label)


def _head_width(state: dict[str, torch.Tensor], heads: Sequence[str]) -> int | None:
    """Output width of the first head whose `<prefix>.weight` the checkpoint holds, or None."""
    for prefix in heads:
        weight = state.get(f"{prefix}.weight")
        if weight is not None:
            return int(weight.shape[0])
    return None


class ZeroShotHead(nn.Module):
    """Preprocessed images -> `scale * cos(image embedding, class text embedding)`, a CLIP model as a classifier.

    Args:
        trunk: The image tower (preprocessed images -> embeddings).
        text_embeddings: Unit-norm class embeddings, classes x embedding width (a buffer, saved with the model).
        scale: Logit scale (CLIP's 100).

    """

    def __init__(self, trunk: nn.Module, text_embeddings: torch.Tensor, scale: float) -> None:
        super().__init__()
        self.trunk = trunk
        self.scale = scale
        self.register_buffer("text_embeddings", text_embeddings)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits, N x classes."""
        features = functional.normalize(self.trunk(images), dim=-1)
        return self.scale * features @ self.text_embeddings.to(features.dtype).T


def _open_clip_network(
    model: str, weights: WeightsSpec, seed: int, labels: LabelSpace | None, templates: tuple[str, ...]
) -> Network:
    """An open_clip model as a zero-shot classifier over `labels`, or a zero-shot classifier saved with its head."""
    card = read_card(weights) if isinstance(weights, Path) else None
    if card is not None and "labels" in card:  # a zero-shot classifier saved with its head by save_classifier
        state = read_state_dict(weights)
        backbone = load_open_clip(model, "random", seed)
        network = ZeroShotHead(backbone.trunk, torch.zeros_like(state["text_embeddings"]), LOGIT_SCALE)
        load_into(network, state, weights)
        return Network(network.eval(), backbone.card.preprocessing, None, weights)
    if labels is None:
        raise InputError(
            f"open_clip:{model} classifies zero-shot, so it needs the class names: labels=['cat', 'dog', ...]",
            field="labels",
        )
    backbone = load_open_clip(model, weights, seed)
    embeddings = ZeroShotClassifier(backbone, labels.names, templates).text_embeddings
    network = ZeroShotHead(backbone.trunk, embeddings, LOGIT_SCALE)
    return Network(network.eval(), backbone.card.preprocessing, None, backbone.card.weights)


SOURCE_LOADERS: dict[str, Callable[..., Network]] = {
    DEFAULT_SOURCE: _fovkit_network,
    "timm": _timm_network,
    "open_clip": _open_clip_network,
    "torchvision": _torchvision_network,
}
if set(SOURCE_LOADERS) != set(LOADERS):  # pragma: no cover - a new backbone source needs a classifier loader too
    raise RuntimeError(f"classifier sources {sorted(SOURCE_LOADERS)} differ from backbone sources {sorted(LOADERS)}")


# --- any module, saving -------------------------------------------------------------------------------------------


def classifier_from_module(
    module: nn.Module, preprocessing: Preprocessing, labels: LabelSpace | Sequence[str], name: str = "module"
) -> ImageClassifier:
    """Any nn.Module mapping preprocessed images to N x len(labels) logits, as an ImageClassifier (`module:<name>`).

    Args:
        module: The network; it receives images already resized and normalised by `preprocessing`.
        preprocessing: Input size, mean/std, interpolation and evaluation crop the module expects.
        labels: Class names by logit index, or a LabelSpace (e.g. `imagenet_labels()`).
        name: Identifier in the card id.

    Raises:
        InputError: For a non-module, a non-Preprocessing, or logits whose width differs from the number of labels
            (checked with one forward pass of a black image).

    """
    if not isinstance(module, nn.Module):
        raise InputError(f"expected a torch.nn.Module, got {type(module).__name__}", field="module")
    if not isinstance(preprocessing, Preprocessing):
        raise InputError(
            f"expected a fovkit.models.Preprocessing, got {type(preprocessing).__name__}", field="preprocessing"
        )
    space = label_space(labels)
    was_training = module.training
    module.eval()
    try:
        width = _logit_width(module, preprocessing)
    finally:
        module.train(was_training)
    if width != len(space):
        raise InputError(
            f"the module returns {width} logits per image but {len(space)} labels were given; give one class name "
            "per logit",
            field="labels",
        )
    return make_classifier(module, f"module:{name}", "module", preprocessing, space, "module", 0)


def save_classifier(classifier: ImageClassifier, path: str | Path) -> Path:
    """Write the network's state_dict and, beside it, the card with the labels as `<stem>.card.json`.

    A path without a suffix gets `.safetensors` (or `.pt` without safetensors). `load_classifier(card.id,
    weights=path)` restores it, labels included (not for `module:` classifiers: rebuild the module and load the state
    dict). The saved card records the file and the digest of the weights as saved.
    """
    if not isinstance(classifier, ImageClassifier):
        raise InputError(f"expected a fovkit ImageClassifier, got {type(classifier).__name__}", field="classifier")
    path = checkpoint_target(path)
    write_state_dict(classifier.network.state_dict(), path)
    labels = classifier.labels
    extra = {"labels": {"name": labels.name, "names": list(labels.names), "ids": labels.ids and list(labels.ids)}}
    card = replace(classifier.card, weights=str(path), weights_digest=state_digest(classifier.network))
    write_card(card, path, extra)
    return path
