"""Fixtures of the prediction tests (helpers in predict_samples.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from predict_samples import tiny_classifier, write_images

from fovkit.models.base import ImageClassifier


@pytest.fixture
def classifier() -> ImageClassifier:
    return tiny_classifier()


@pytest.fixture(name="write_images")
def write_images_fixture() -> Callable[[Path, list[str]], Path]:
    """Write a random PNG or JPEG at each relative path under a folder; return the folder."""
    return write_images
