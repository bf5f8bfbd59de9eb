"""Typed configuration of an ImageNet-X analysis, validated at the edge and recorded beside the results."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from fovkit.analysis.config import AnalysisConfig


class ImageNetXConfig(AnalysisConfig):
    """Which annotations to analyse, on top of the engine's options; every field has the paper's default."""

    which_factor: Literal["top", "multi"] = Field("top", description="top factor per image, or all selected factors")
    partition: Literal["val", "train"] = Field("val", description="annotated partition the predictions cover")
    keep_prototypes: bool = Field(False, description="keep the 3,000 class-prototype images")
    human: bool = Field(False, description="add the original labels scored against ReaL as model 'human'")
    worst_k_classes: int = Field(100, ge=1, le=1000, description="k of the worst-k-classes accuracy")
