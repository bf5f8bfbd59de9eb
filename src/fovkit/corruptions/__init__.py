"""ImageNet-C corruptions on any images: 15 common and 4 extra, 5 severities each, batched in torch.

Importing this package registers all 19 (one module per ImageNet-C family).
"""

from fovkit.corruptions import blur, digital, noise, weather  # noqa: F401  (each registers its corruptions)
from fovkit.corruptions.api import corrupt, corrupt_batch
from fovkit.corruptions.registry import (
    ALL,
    COMMON,
    EXTRA,
    SEVERITIES,
    Corruption,
    check_severity,
    get_corruption,
    get_corruption_names,
)

__all__ = [
    "ALL",
    "COMMON",
    "EXTRA",
    "SEVERITIES",
    "Corruption",
    "check_severity",
    "corrupt",
    "corrupt_batch",
    "get_corruption",
    "get_corruption_names",
]
