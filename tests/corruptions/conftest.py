"""Fixtures of the corruption tests (helpers in corruption_samples.py)."""

from __future__ import annotations

import numpy as np
import pytest
from corruption_samples import photo_batch


@pytest.fixture(scope="module")
def photos() -> np.ndarray:
    """Three photographs, 40 x 56 (non-square), N x H x W x 3 uint8."""
    return photo_batch()
