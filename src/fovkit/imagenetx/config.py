"""Typed configuration of an ImageNet-X analysis, validated at the edge and recorded beside the results."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ImageNetXConfig(BaseModel):
    """What to analyse and how; every field has the paper's default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    which_factor: Literal["top", "multi"] = Field("top", description="top factor per image, or all selected factors")
    partition: Literal["val", "train"] = Field("val", description="annotated partition the predictions cover")
    keep_prototypes: bool = Field(False, description="keep the 3,000 class-prototype images")
    human: bool = Field(False, description="add the original labels scored against ReaL as model 'human'")
    bootstrap: int = Field(1000, ge=0, description="bootstrap resamples for 95% intervals (0: none)")
    seed: int = Field(0, description="seed of the bootstrap resampling")
    worst_k_classes: int = Field(100, ge=1, le=1000, description="k of the worst-k-classes accuracy")
    calibration_bins: int = Field(15, ge=2, description="equal-width confidence bins of the ECE")
    alpha: float = Field(0.05, gt=0, lt=1, description="significance level of the Holm-corrected group tests")
    model_chunk: int = Field(256, ge=1, description="models scored together; bounds peak memory")
