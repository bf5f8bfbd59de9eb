"""Adapters that turn timm, open_clip and torchvision models (or any nn.Module) into fovkit Backbones, offline.

Each adapter takes a model name, a weights spec (None: the source's pretrained weights from the local cache only;
"random": seeded random init; a Path: a checkpoint file) and a seed. Nothing is ever downloaded: pretrained weights
are looked up in the caches the libraries fill on a connected machine, and a miss raises InputError saying how to fill
them. timm, open_clip and torchvision are imported only when their adapter is used.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

import torch
from torch import nn

from fovkit.errors import InputError, preview
from fovkit.models.base import Backbone, ImageClassifier, LabelSpace, ModelCard, Preprocessing
from fovkit.models.weights import (
    cached_hf_file,
    hf_hub_cache,
    load_into,
    read_state_dict,
    safe_alternatives,
    seeded,
    state_digest,
    torch_hub_checkpoints,
)
from fovkit.registry import unknown_name

WeightsSpec = Path | Literal["random"] | None

IMAGENET_224 = Preprocessing(input_size=224)
HEAD_ATTRIBUTES = ("fc", "heads", "head", "classifier")


def weights_hint(source: str, model: str) -> str:
    """How to give other weights, in command-line syntax first (`timm:resnet18@PATH`), then in Python."""
    return (
        f"or give a checkpoint file as {source}:{model}@PATH (or {source}:{model}@random for random weights; "
        "in Python weights=PATH or weights='random')"
    )


@contextlib.contextmanager
def offline_hub() -> Iterator[None]:
    """Forbid Hugging Face hub downloads inside the block (environment and the already-imported constant)."""
    saved = {variable: os.environ.get(variable) for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    os.environ.update(dict.fromkeys(saved, "1"))
    try:
        from huggingface_hub import constants
    except ImportError:  # pragma: no cover - huggingface_hub ships with timm and open_clip
        constants = None
    previous = getattr(constants, "HF_HUB_OFFLINE", None)
    if constants is not None:
        constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        if constants is not None:
            constants.HF_HUB_OFFLINE = previous
        for variable, value in saved.items():
            if value is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = value


def preprocessing_from(
    size: int | Sequence[int],
    mean: Sequence[float],
    std: Sequence[float],
    interpolation: object,
    crop_pct: float = 1.0,
) -> Preprocessing:
    """A Preprocessing from a library's config: square side, per-channel statistics, bicubic or bilinear resizing."""
    side = size if isinstance(size, int) else int(size[-1])
    mode = "bicubic" if "bicubic" in str(interpolation).lower() else "bilinear"
    return Preprocessing(
        input_size=int(side),
        mean=tuple(float(v) for v in mean),
        std=tuple(float(v) for v in std),
        interpolation=mode,
        crop_pct=float(crop_pct),
    )


def make_backbone(
    trunk: nn.Module,
    card_id: str,
    source: str,
    preprocessing: Preprocessing,
    feature_dim: int,
    weights: WeightsSpec | str,
    seed: int,
    text_encoder: nn.Module | None = None,
) -> Backbone:
    """Wrap a loaded trunk with its card; random weights get the digest `random-<seed>`, others a SHA-256 prefix."""
    card = ModelCard(card_id, source, preprocessing, int(feature_dim), *weights_identity(trunk, weights, seed))
    return Backbone(trunk, card, text_encoder).eval()


def make_classifier(
    network: nn.Module,
    card_id: str,
    source: str,
    preprocessing: Preprocessing,
    labels: LabelSpace,
    weights: WeightsSpec | str,
    seed: int,
) -> ImageClassifier:
    """Wrap a network that returns logits over `labels` with its card (`feature_dim` is the number of logits)."""
    card = ModelCard(card_id, source, preprocessing, len(labels), *weights_identity(network, weights, seed))
    return ImageClassifier(network, card, labels).eval()


def weights_identity(module: nn.Module, weights: WeightsSpec | str, seed: int) -> tuple[str, str]:
    """`(weights label, digest)` for a card: `("random", "random-<seed>")`, else the source and a SHA-256 prefix."""
    if weights == "random":
        return "random", f"random-{seed}"
    return str(weights), state_digest(module)


def infer_feature_dim(trunk: nn.Module, preprocessing: Preprocessing) -> int:
    """Width of the trunk's output, by one forward pass of a black image; the output must be N x D."""
    was_training = trunk.training
    trunk.eval()
    try:
        with torch.no_grad():
            parameter = next(trunk.parameters(), None)
            device = parameter.device if parameter is not None else torch.device("cpu")
            size = preprocessing.input_size
            output = trunk(preprocessing.apply(torch.zeros(1, 3, size, size, device=device)))
    finally:
        trunk.train(was_training)
    if not isinstance(output, torch.Tensor) or output.ndim != 2:
        shape = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
        raise InputError(
            f"the module returns {shape} for one image; a backbone must return N x D features "
            "(end it with pooling and flatten)",
            field="module",
        )
    return int(output.shape[1])


def from_module(
    module: nn.Module, preprocessing: Preprocessing, feature_dim: int | None = None, name: str = "module"
) -> Backbone:
    """Any nn.Module mapping normalised images to N x D features, as a Backbone (card id `module:<name>`).

    Args:
        module: The trunk; it receives images already resized and normalised by `preprocessing`.
        preprocessing: Input size, mean/std and interpolation the module expects.
        feature_dim: Width of its features; inferred by one forward pass of a black image when None.
        name: Identifier in the card id; give trained variants different names or rely on the weights digest.

    Returns:
        The wrapped module in eval mode; its weights digest is a SHA-256 prefix of its state_dict.

    """
    if not isinstance(module, nn.Module):
        raise InputError(f"expected a torch.nn.Module, got {type(module).__name__}", field="module")
    if not isinstance(preprocessing, Preprocessing):
        raise InputError(
            f"expected a fovkit.models.Preprocessing, got {type(preprocessing).__name__}", field="preprocessing"
        )
    if feature_dim is None:
        feature_dim = infer_feature_dim(module, preprocessing)
    elif feature_dim < 1:
        raise InputError(f"feature_dim must be positive, got {feature_dim}", field="feature_dim")
    return make_backbone(module, f"module:{name}", "module", preprocessing, feature_dim, "module", 0)


# --- timm ---------------------------------------------------------------------------------------------------------


def load_timm(model: str, weights: WeightsSpec, seed: int) -> Backbone:
    """A timm model with its classifier removed (`num_classes=0`), so it returns pooled features.

    A checkpoint path must hold timm's own keys (as timm or `save_backbone` write them); classifier weights in it are
    ignored, anything else that does not fit raises InputError.
    """
    net, label = create_timm(model, weights, seed, num_classes=0)
    if isinstance(weights, Path):
        load_into(net, read_state_dict(weights), weights, skip=[f"{name}." for name in timm_head_names(net)])
    preprocessing = timm_preprocessing(net)
    feature_dim = getattr(net, "head_hidden_size", None) or getattr(net, "num_features", None)
    feature_dim = feature_dim or infer_feature_dim(net, preprocessing)
    return make_backbone(net, f"timm:{model}", "timm", preprocessing, feature_dim, label, seed)


def create_timm(model: str, weights: WeightsSpec, seed: int, num_classes: int | None) -> tuple[nn.Module, str | Path]:
    """A timm network by name and where its weights come from, without reading a checkpoint path yet.

    Args:
        model: `architecture[.tag]`, checked against timm's registry.
        weights: None for timm's pretrained weights from the local cache only, "random", or a checkpoint path (the
            caller loads it; the network is random-initialised here).
        seed: Seed of the random init.
        num_classes: Width of the classifier: 0 removes it, None keeps the architecture's default.

    Returns:
        The network in eval mode and its weights label: the cached file, "random", or the checkpoint path.

    """
    import timm
    from timm.models import get_pretrained_cfg, is_model, split_model_name_tag

    architecture, tag = split_model_name_tag(model)
    if not is_model(architecture):
        raise unknown_name("timm model", model, timm.list_models(), "timm.list_models()", field="name")
    if tag:
        try:
            get_pretrained_cfg(model)
        except RuntimeError:
            tags = timm.list_pretrained(f"{architecture}.*")
            raise unknown_name(
                "timm pretrained tag", model, tags, f"timm.list_pretrained('{architecture}.*')", field="name"
            ) from None
    cached = _timm_cached_file(model) if weights is None else None
    with seeded(seed), offline_hub():
        if cached is None:
            net = timm.create_model(model, num_classes=num_classes)
        else:
            # timm reads its own pretrained file (with the architecture's checkpoint conversions); nothing downloads.
            overlay = {"file": str(cached)}
            net = timm.create_model(model, pretrained=True, num_classes=num_classes, pretrained_cfg_overlay=overlay)
    return net.eval(), cached or weights


def timm_head_names(net: nn.Module) -> tuple[str, ...]:
    """State-dict prefixes of a timm network's classifier, from its pretrained config (`fc`, `head.fc`...)."""
    classifiers = (getattr(net, "pretrained_cfg", None) or {}).get("classifier") or ()
    return (classifiers,) if isinstance(classifiers, str) else tuple(classifiers)


def timm_preprocessing(net: nn.Module, crop_pct: bool = False) -> Preprocessing:
    """A timm network's evaluation preprocessing from its pretrained config; its centre crop only when `crop_pct`."""
    from timm.data import resolve_data_config

    config = resolve_data_config({}, model=net)
    crop = config["crop_pct"] if crop_pct else 1.0
    return preprocessing_from(config["input_size"], config["mean"], config["std"], config["interpolation"], crop)


def _timm_cached_file(model: str) -> Path:
    """The locally cached file of timm's pretrained weights for `model` (Hugging Face cache, then torch hub)."""
    from timm.models import get_pretrained_cfg

    config = get_pretrained_cfg(model)
    hub_id = getattr(config, "hf_hub_id", None)
    url = getattr(config, "url", None)
    if config is None or not (hub_id or url or config.file):
        raise InputError(
            f"timm has no pretrained weights for {model!r}; {weights_hint('timm', model)}", field="weights"
        )
    if config.file and Path(config.file).is_file():
        return Path(config.file)
    if hub_id:
        found = cached_hf_file(hub_id, safe_alternatives(config.hf_hub_filename or "pytorch_model.bin"))
        if found is not None:
            return found
    if url:
        found = torch_hub_checkpoints() / os.path.basename(url.split("?")[0])
        if found.is_file():
            return found
    searched = [f"the local Hugging Face cache ({hf_hub_cache()})"] if hub_id else []
    searched += [f"the torch hub cache ({torch_hub_checkpoints()})"] if url else []
    searched += [repr(config.file)] if config.file else []
    raise InputError(
        f"timm weights for {model!r} are not in {' or '.join(searched)}; run timm.create_model({model!r}, "
        f"pretrained=True) on a connected machine and copy the cache here, {weights_hint('timm', model)}",
        field="weights",
    )


# --- open_clip ----------------------------------------------------------------------------------------------------


class OpenClipImage(nn.Module):
    """The image side of an open_clip model: preprocessed images -> `encode_image` embeddings (unnormalised).

    The whole CLIP model is held as `module`, so `state_dict()` keys carry the `module.` prefix that open_clip strips
    on load: a trunk saved by `save_backbone` is an ordinary open_clip checkpoint.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.module = model

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Image embeddings, N x embed_dim."""
        return self.module.encode_image(images)


class OpenClipText(nn.Module):
    """The text side of an open_clip model: prompts -> `encode_text` embeddings (unnormalised).

    It shares the CLIP model with the image trunk without registering it, so the weights live (and move, and are
    saved) once, under the trunk.

    Args:
        model: The open_clip model whose `encode_text` embeds the prompts.
        tokenizer: open_clip's tokenizer for that model.

    """

    def __init__(self, model: nn.Module, tokenizer: object) -> None:
        super().__init__()
        object.__setattr__(self, "_model", model)
        self.tokenizer = tokenizer

    def forward(self, prompts: list[str]) -> torch.Tensor:
        """Text embeddings, len(prompts) x embed_dim."""
        if isinstance(prompts, str) or not all(isinstance(prompt, str) for prompt in prompts):
            raise InputError("prompts must be a list of strings", field="prompts")
        device = next(self._model.parameters()).device
        return self._model.encode_text(self.tokenizer(list(prompts)).to(device))


def load_open_clip(model: str, weights: WeightsSpec, seed: int) -> Backbone:
    """An open_clip model (`ARCH` or `ARCH/TAG`): the image tower is the trunk, the text tower the text encoder."""
    import open_clip

    architecture, _, tag = model.partition("/")
    if architecture not in open_clip.list_models():
        raise unknown_name(
            "open_clip model", architecture, open_clip.list_models(), "open_clip.list_models()", field="name"
        )
    tags = open_clip.list_pretrained_tags_by_model(architecture)
    if tag and not open_clip.is_pretrained_cfg(architecture, tag):
        lister = f"open_clip.list_pretrained_tags_by_model({architecture!r})"
        tagged = [f"{architecture}/{name}" for name in tags]
        raise unknown_name("open_clip pretrained tag", model, tagged, lister, field="name")
    tag_config = open_clip.get_pretrained_cfg(architecture, tag) if tag else {}
    checkpoint = weights if isinstance(weights, Path) else None
    if weights is None:
        checkpoint = _open_clip_cached_file(architecture, tag, tags, tag_config)
    overrides = {key: tag_config[key] for key in ("mean", "std", "interpolation", "resize_mode") if key in tag_config}
    with seeded(seed), offline_hub():
        try:
            clip = open_clip.create_model(
                architecture,
                pretrained=None if checkpoint is None else str(checkpoint),
                pretrained_image=False,
                pretrained_text=False,
                force_quick_gelu=bool(tag_config.get("quick_gelu", False)),
                force_preprocess_cfg=overrides or None,
            )
            tokenizer = open_clip.get_tokenizer(architecture)
        except OSError as error:
            raise InputError(
                f"open_clip model {architecture!r} needs files from the Hugging Face hub (text tower or tokenizer) "
                f"that are not in the local cache ({hf_hub_cache()}); create it once on a connected machine and copy "
                f"the cache here ({error})",
                field="name",
            ) from error
        except (RuntimeError, KeyError, ValueError) as error:
            if weights is None or weights == "random":
                raise
            raise InputError(
                f"open_clip cannot load {architecture!r} from this checkpoint ({error})", path=weights
            ) from error
    config = clip.visual.preprocess_cfg
    preprocessing = preprocessing_from(config["size"], config["mean"], config["std"], config["interpolation"])
    trunk = OpenClipImage(clip)
    feature_dim = getattr(clip.visual, "output_dim", None) or infer_feature_dim(trunk, preprocessing)
    text_encoder = OpenClipText(clip, tokenizer)
    label = weights or checkpoint
    return make_backbone(
        trunk, f"open_clip:{model}", "open_clip", preprocessing, feature_dim, label, seed, text_encoder
    )


def _open_clip_cached_file(architecture: str, tag: str, tags: list[str], tag_config: dict) -> Path:
    """The locally cached checkpoint of an open_clip pretrained tag (Hugging Face cache, then ~/.cache/clip)."""
    if not tag:
        if not tags:
            raise InputError(
                f"open_clip has no pretrained weights for {architecture!r}; {weights_hint('open_clip', architecture)}",
                field="weights",
            )
        raise InputError(
            f"'open_clip:{architecture}' names no pretrained tag; add one, e.g. 'open_clip:{architecture}/{tags[0]}' "
            f"(tags: {preview(tags)}), {weights_hint('open_clip', architecture)}",
            field="weights",
        )
    hub = tag_config.get("hf_hub", "")
    if hub:
        # open_clip's convention: 'org/repo/' means the default file name, 'org/repo/file.bin' a named file.
        repo, filename = os.path.split(hub)
        found = cached_hf_file(repo, safe_alternatives(filename or "open_clip_pytorch_model.bin"))
        if found is not None:
            return found
    url = tag_config.get("url", "")
    url_file = Path("~/.cache/clip").expanduser() / os.path.basename(url) if url else None
    if url_file is not None and url_file.is_file():
        return url_file
    searched = [f"the local Hugging Face cache ({hf_hub_cache()})"] if hub else []
    searched += [f"open_clip's download folder ({url_file.parent})"] if url_file is not None else []
    raise InputError(
        f"open_clip weights {tag!r} for {architecture!r} are not in {' or '.join(searched)}; run "
        f"open_clip.create_model_and_transforms({architecture!r}, pretrained={tag!r}) on a connected machine and copy "
        f"the cache here, {weights_hint('open_clip', f'{architecture}/{tag}')}",
        field="weights",
    )


# --- torchvision --------------------------------------------------------------------------------------------------


def load_torchvision(model: str, weights: WeightsSpec, seed: int) -> Backbone:
    """A torchvision classification model with its final Linear replaced by nn.Identity."""
    net, label = create_torchvision(model, weights, seed)
    removed = _drop_auxiliary_heads(net)
    feature_dim, head = _replace_classifier(net, model)
    if isinstance(weights, Path):
        load_into(net, read_state_dict(weights), weights, skip=[f"{prefix}." for prefix in [*removed, head]])
    return make_backbone(
        net, f"torchvision:{model}", "torchvision", torchvision_preprocessing(model), feature_dim, label, seed
    )


def create_torchvision(
    model: str, weights: WeightsSpec, seed: int, num_classes: int | None = None
) -> tuple[nn.Module, str | Path]:
    """A torchvision classification network by name and where its weights come from; a checkpoint is not read yet.

    Args:
        model: A name from `torchvision.models.list_models(module=torchvision.models)`.
        weights: None for the DEFAULT weights from the torch hub cache only, "random", or a checkpoint path (the
            caller loads it; the network is random-initialised here).
        seed: Seed of the random init.
        num_classes: Classifier width for random init; None keeps torchvision's 1,000.

    Returns:
        The network in eval mode and its weights label: the cached file, "random", or the checkpoint path.

    """
    from torchvision import models

    names = models.list_models(module=models)
    if model not in names:
        raise unknown_name(
            "torchvision model", model, names, "torchvision.models.list_models(module=torchvision.models)", field="name"
        )
    default = _torchvision_default_weights(model)
    cached = None
    if weights is None:
        if default is None:
            raise InputError(
                f"torchvision has no pretrained weights for {model!r}; {weights_hint('torchvision', model)}",
                field="weights",
            )
        cached = torch_hub_checkpoints() / os.path.basename(default.url)
        if not cached.is_file():
            raise InputError(
                f"torchvision weights {default} for {model!r} are not in the torch hub cache ({cached}); run "
                f"torchvision.models.get_model({model!r}, weights='DEFAULT') on a connected machine and copy that "
                f"file here, {weights_hint('torchvision', model)}",
                field="weights",
            )
    with seeded(seed):
        # The weights enum loads through torch.hub, which finds the cached file checked above and downloads nothing.
        if weights is None:
            try:
                net = models.get_model(model, weights=default)
            except RuntimeError as error:  # a truncated or altered file fails torchvision's hash check
                raise InputError(
                    f"the cached torchvision weights are damaged ({error}); delete the file and copy it again",
                    path=cached,
                    field="weights",
                ) from error
        else:
            # GoogLeNet and Inception warn unless their (default) init is asked for explicitly.
            options = {"init_weights": True} if model in ("googlenet", "inception_v3") else {}
            if num_classes is not None:
                options["num_classes"] = num_classes
            net = models.get_model(model, weights=None, **options)
    return net.eval(), cached or weights


def torchvision_preprocessing(model: str, crop_pct: bool = False) -> Preprocessing:
    """The evaluation preprocessing of torchvision's DEFAULT weights (ImageNet 224 px when there are none).

    With `crop_pct`, the centre crop too: torchvision resizes the shorter side to `resize_size`, then crops
    `crop_size` (224 of 256 is 0.875).
    """
    default = _torchvision_default_weights(model)
    if default is None:
        return IMAGENET_224
    transform = default.transforms()
    crop = transform.crop_size[0] / transform.resize_size[0] if crop_pct else 1.0
    return preprocessing_from(transform.crop_size, transform.mean, transform.std, transform.interpolation, crop)


def _torchvision_default_weights(model: str) -> object | None:
    """The DEFAULT weights enum entry of torchvision's `model`, or None when it has none."""
    from torchvision import models

    try:
        return models.get_model_weights(model).DEFAULT
    except (ValueError, AttributeError):
        return None


def _drop_auxiliary_heads(net: nn.Module) -> list[str]:
    """Remove Inception/GoogLeNet auxiliary classifiers so training-mode forward returns one tensor."""
    removed = [name for name in ("AuxLogits", "aux1", "aux2") if getattr(net, name, None) is not None]
    for name in removed:
        setattr(net, name, None)
    if hasattr(net, "aux_logits"):
        net.aux_logits = False
    return removed


def _replace_classifier(net: nn.Module, model: str) -> tuple[int, str]:
    """Swap the final classification Linear for nn.Identity; return its in_features and state_dict prefix."""
    found = final_linear(net)
    if found is None:
        raise InputError(
            f"torchvision model {model!r} does not end in a Linear classifier ({', '.join(HEAD_ATTRIBUTES)}); "
            "build it yourself and wrap its feature extractor with fovkit.models.from_module",
            field="name",
        )
    prefix, head = found
    parent, _, attribute = prefix.rpartition(".")
    setattr(net.get_submodule(parent), attribute, nn.Identity())
    return head.in_features, prefix


def final_linear(net: nn.Module) -> tuple[str, nn.Linear] | None:
    """The state_dict prefix and module of a torchvision network's final classification Linear, or None.

    It is the attribute `fc`, `heads`, `head` or `classifier` itself, or the last module of that Sequential.
    """
    for attribute in HEAD_ATTRIBUTES:
        head = getattr(net, attribute, None)
        if isinstance(head, nn.Linear):
            return attribute, head
        if isinstance(head, nn.Sequential) and len(head) and isinstance(head[-1], nn.Linear):
            name, last = list(head.named_children())[-1]
            return f"{attribute}.{name}", last
    return None
