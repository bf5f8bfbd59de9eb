"""The model contracts every adapter fulfils: a Backbone maps images to features, a Classifier maps them to logits.

Images enter as float tensors in [0, 1], NCHW, at any size; each model resizes and normalises them itself from its
frozen `ModelCard`, so callers never repeat preprocessing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import torch
from torch import nn
from torch.nn import functional


@dataclass(frozen=True)
class Preprocessing:
    """What a network expects: square input side, per-channel mean and std, resize interpolation, centre crop.

    `crop_pct` is the share of the shorter side the evaluation crop keeps (timm's convention: 0.875 resizes the
    shorter side to input_size / 0.875, then crops the centre); 1.0 resizes the whole image.
    """

    input_size: int
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    interpolation: Literal["bilinear", "bicubic"] = "bilinear"
    crop_pct: float = 1.0

    def key(self) -> str:
        """A stable text form, part of feature-cache keys."""
        mean = ",".join(f"{value:.6g}" for value in self.mean)
        std = ",".join(f"{value:.6g}" for value in self.std)
        crop = "" if self.crop_pct == 1.0 else f"-c{self.crop_pct:.6g}"
        return f"{self.input_size}-{self.interpolation}-m{mean}-s{std}{crop}"

    def prepare(self, image: torch.Tensor) -> torch.Tensor:
        """One image of any size (float 3 x H x W in [0, 1]) as the evaluation view: 3 x input_size x input_size.

        The shorter side is resized (antialiased) to `input_size / crop_pct` and the centre cropped, as timm and
        torchvision evaluate; the result is not normalised (`apply` does that inside the model).
        """
        return self.view(image[None])[0]

    def view(self, images: torch.Tensor) -> torch.Tensor:
        """A batch (float NCHW in [0, 1]) as its evaluation view: shorter side to size / crop_pct, centre crop."""
        height, width = images.shape[-2:]
        side = self.input_size
        scaled = max(side, int(side / self.crop_pct))
        scale = scaled / min(height, width)
        size = (max(side, round(height * scale)), max(side, round(width * scale)))
        if size != (height, width):
            images = functional.interpolate(images, size=size, mode=self.interpolation, antialias=True)
        top, left = (size[0] - side) // 2, (size[1] - side) // 2
        return images[..., top : top + side, left : left + side].clamp(0.0, 1.0)

    def apply(self, images: torch.Tensor) -> torch.Tensor:
        """Bring float NCHW images in [0, 1] to `input_size` and normalise them.

        Images of another size are resized whole (antialiased) when `crop_pct` is 1, else brought to the evaluation
        view (`view`), so a model sees the same pixels whether its caller prepared the images or not.
        """
        if images.shape[-2:] != (self.input_size, self.input_size):
            if self.crop_pct == 1.0:
                images = functional.interpolate(
                    images, size=(self.input_size, self.input_size), mode=self.interpolation, antialias=True
                )
            else:
                images = self.view(images)
        mean = images.new_tensor(self.mean).view(1, 3, 1, 1)
        std = images.new_tensor(self.std).view(1, 3, 1, 1)
        return (images - mean) / std


@dataclass(frozen=True)
class ModelCard:
    """Identity and preprocessing of a backbone.

    Attributes:
        id: Unique name including the source, e.g. `timm:resnet50`; part of feature-cache keys.
        source: The adapter that built it: `fovkit`, `timm`, `open_clip`, `torchvision` or `module`.
        preprocessing: How images are resized and normalised before the network.
        feature_dim: Width of the feature vector.
        weights: Where the weights came from: a file path, `random`, or the source's cache entry.
        weights_digest: SHA-256 prefix of the weights (or `random-<seed>`), so caches change when weights do.

    """

    id: str
    source: str
    preprocessing: Preprocessing
    feature_dim: int
    weights: str
    weights_digest: str

    def to_dict(self) -> dict:
        """Plain form for run records."""
        return asdict(self)

    def cache_key(self) -> str:
        """Identity of the features this backbone computes: id, weights digest and preprocessing."""
        return f"{self.id}|{self.weights_digest}|{self.preprocessing.key()}"


class Backbone(nn.Module):
    """Images (float NCHW in [0, 1]) -> features (N x feature_dim); preprocessing happens inside.

    Args:
        trunk: Module mapping preprocessed images to a flat feature vector per image.
        card: The backbone's identity and preprocessing.
        text_encoder: For CLIP-style models, a function mapping prompts to (normalised or not) text embeddings in the
            image feature space; enables zero-shot classification.

    """

    def __init__(self, trunk: nn.Module, card: ModelCard, text_encoder: nn.Module | None = None) -> None:
        super().__init__()
        self.trunk = trunk
        self.card = card
        self.text_encoder = text_encoder

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Features of a batch of images."""
        return self.trunk(self.card.preprocessing.apply(images))


@dataclass(frozen=True)
class LabelSpace:
    """The classes a classifier's logits stand for, by index.

    Attributes:
        name: `imagenet-1k` for ImageNet-1k's 1,000 classes in their standard order, else a name of the user's.
        names: Human-readable class names by index.
        ids: Stable class ids by index (WordNet ids such as `n01440764` for ImageNet-1k), or None.

    """

    name: str
    names: tuple[str, ...]
    ids: tuple[str, ...] | None = None

    def __len__(self) -> int:
        return len(self.names)


class ImageClassifier(nn.Module):
    """A classifier with its own head: images (float NCHW in [0, 1]) -> logits over `labels`.

    Preprocessing (resize and normalisation from `card.preprocessing`) happens inside, as for a Backbone; callers
    that read images of mixed sizes first bring each to the evaluation view with `card.preprocessing.prepare`.

    Args:
        network: Module mapping preprocessed images to N x len(labels) logits.
        card: Identity and preprocessing; `feature_dim` holds the number of logits.
        labels: What each logit stands for.

    """

    def __init__(self, network: nn.Module, card: ModelCard, labels: LabelSpace) -> None:
        super().__init__()
        self.network = network
        self.card = card
        self.labels = labels

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits of a batch of images."""
        return self.network(self.card.preprocessing.apply(images))


class Classifier(nn.Module):
    """A backbone with a linear head: images (float NCHW in [0, 1]) -> logits (N x classes)."""

    def __init__(self, backbone: Backbone, num_classes: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(backbone.card.feature_dim, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits of a batch of images."""
        return self.head(self.backbone(images))
