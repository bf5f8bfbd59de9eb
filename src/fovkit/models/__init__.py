"""Backbones and classifiers behind one contract: built-in nets, timm, open_clip, torchvision, any nn.Module."""

from fovkit.models.adapters import from_module
from fovkit.models.base import Backbone, Classifier, ImageClassifier, LabelSpace, ModelCard, Preprocessing
from fovkit.models.registry import list_backbones, load_backbone, save_backbone

__all__ = [
    "Backbone",
    "Classifier",
    "ImageClassifier",
    "LabelSpace",
    "ModelCard",
    "Preprocessing",
    "from_module",
    "list_backbones",
    "load_backbone",
    "save_backbone",
]
