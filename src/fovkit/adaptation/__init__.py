"""Test-time adaptation of any classifier with normalisation layers: BatchNorm statistics, TENT and self-learning.

`adapt(model, batches, method, settings)` streams the logits of a private, adapted copy of the model over a test
stream (e.g. a corrupted dataset); `list_methods()` names the methods, `get_method(name).settings` their settings.
"""

from fovkit.adaptation.registry import (
    AdaptationMethod,
    AdaptationRun,
    adapt,
    get_method,
    list_methods,
    method_settings,
    rebatch,
)
from fovkit.adaptation.settings import AdaptationSettings, BatchNormSettings, SelfLearningSettings, TentSettings

__all__ = [
    "AdaptationMethod",
    "AdaptationRun",
    "AdaptationSettings",
    "BatchNormSettings",
    "SelfLearningSettings",
    "TentSettings",
    "adapt",
    "get_method",
    "list_methods",
    "method_settings",
    "rebatch",
]
