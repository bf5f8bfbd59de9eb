"""Zero-shot classification with a CLIP-style backbone: class prompts embedded by its text tower are the classifier."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional

from fovkit.errors import InputError, preview
from fovkit.models.base import Backbone

DEFAULT_TEMPLATES = ("an image of a {}.",)
LOGIT_SCALE = 100.0
PROMPT_BATCH = 256


def prompts_for(class_name: str, templates: Sequence[str]) -> list[str]:
    """The prompts of one class: each template filled with the name, underscores shown as spaces."""
    return [template.format(class_name.replace("_", " ")) for template in templates]


def class_embeddings(
    text_encoder: nn.Module, class_names: Sequence[str], templates: Sequence[str] = DEFAULT_TEMPLATES
) -> torch.Tensor:
    """Unit-norm embedding per class (C x D): the mean of its normalised prompt embeddings, renormalised."""
    prompts = [prompt for name in class_names for prompt in prompts_for(name, templates)]
    with torch.no_grad():
        embedded = torch.cat(
            [text_encoder(prompts[i : i + PROMPT_BATCH]) for i in range(0, len(prompts), PROMPT_BATCH)]
        )
    embedded = functional.normalize(embedded.float(), dim=-1).view(len(class_names), len(templates), -1)
    return functional.normalize(embedded.mean(dim=1), dim=-1)


class ZeroShotClassifier(nn.Module):
    """Images (float NCHW in [0, 1]) -> logits `100 * cos(image features, class text embeddings)` (N x classes).

    The class embeddings are computed once, at construction, and kept as the buffer `text_embeddings` (so they move
    with the module); the backbone is used as is, without training.

    Args:
        backbone: A CLIP-style backbone whose `text_encoder` maps prompts into its image feature space.
        class_names: One name per class index, e.g. `["coffee_mug", "car"]` (underscores read as spaces).
        templates: Prompt templates with one `{}` for the class name; a class embedding averages over them.

    """

    def __init__(
        self, backbone: Backbone, class_names: Sequence[str], templates: Sequence[str] = DEFAULT_TEMPLATES
    ) -> None:
        super().__init__()
        card = getattr(backbone, "card", None)
        if getattr(backbone, "text_encoder", None) is None:
            name = card.id if card is not None else type(backbone).__name__
            raise InputError(
                f"zero-shot needs a CLIP-style backbone with a text tower, e.g. open_clip:ViT-B-32; {name!r} has none",
                field="backbone",
            )
        self.class_names = _validate_names(class_names)
        self.templates = _validate_templates(templates)
        self.backbone = backbone
        embeddings = class_embeddings(backbone.text_encoder, self.class_names, self.templates)
        if embeddings.shape[1] != card.feature_dim:
            raise InputError(
                f"the text tower embeds prompts in {embeddings.shape[1]} dimensions but the image features have "
                f"{card.feature_dim}; use a backbone whose towers share one embedding space",
                field="backbone",
            )
        self.register_buffer("text_embeddings", embeddings)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits of a batch of images."""
        features = functional.normalize(self.backbone(images), dim=-1)
        return LOGIT_SCALE * features @ self.text_embeddings.to(features.dtype).T


def _validate_names(class_names: Sequence[str]) -> tuple[str, ...]:
    if isinstance(class_names, str) or not len(class_names):
        raise InputError(f"class_names must be a non-empty list of names, got {class_names!r}", field="class_names")
    bad = [name for name in class_names if not isinstance(name, str) or not name.strip()]
    if bad:
        raise InputError(f"class names must be non-empty strings; got {preview(bad)}", field="class_names")
    return tuple(class_names)


def _validate_templates(templates: Sequence[str]) -> tuple[str, ...]:
    if isinstance(templates, str):
        raise InputError(f"templates must be a list of strings, got the string {templates!r}", field="templates")
    bad = [template for template in templates if not _fillable(template)]
    if bad or not templates:
        raise InputError(
            f"every template needs exactly one {{}} placeholder for the class name, e.g. 'a photo of a {{}}.'; "
            f"got {preview(bad)}",
            field="templates",
        )
    return tuple(templates)


def _fillable(template: object) -> bool:
    """Whether `template` is a string with exactly one `{}` and no other replacement fields."""
    if not isinstance(template, str) or template.count("{}") != 1:
        return False
    try:
        template.format("x")
    except (IndexError, KeyError, ValueError):
        return False
    return True
