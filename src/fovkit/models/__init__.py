"""Backbones and classifiers behind one contract: built-in nets, timm, open_clip, torchvision, any nn.Module."""

from fovkit.models.adapters import from_module
from fovkit.models.base import Backbone, Classifier, ImageClassifier, LabelSpace, ModelCard, Preprocessing
from fovkit.models.classifiers import classifier_from_module, list_classifiers, load_classifier, save_classifier
from fovkit.models.imagenet import imagenet_labels
from fovkit.models.registry import list_backbones, load_backbone, save_backbone

__all__ = [
    "Backbone",
    "Classifier",
    "ImageClassifier",
    "LabelSpace",
    "ModelCard",
    "Preprocessing",
    "classifier_from_module",
    "from_module",
    "imagenet_labels",
    "list_backbones",
    "list_classifiers",
    "load_backbone",
    "load_classifier",
    "save_backbone",
    "save_classifier",
]
