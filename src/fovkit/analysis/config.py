"""Typed options of a factor analysis, shared by every source (ImageNet-X, user tables, renders)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AnalysisConfig(BaseModel):
    """How to analyse; every field has the ImageNet-X paper's default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bootstrap: int = Field(1000, ge=0, description="bootstrap resamples for 95% intervals (0: none)")
    seed: int = Field(0, description="seed of the bootstrap resampling")
    worst_k_classes: int = Field(100, ge=1, description="k of the worst-k-classes accuracy (at most the classes seen)")
    calibration_bins: int = Field(15, ge=2, description="equal-width confidence bins of the ECE")
    alpha: float = Field(0.05, gt=0, lt=1, description="significance level of the Holm-corrected group tests")
    model_chunk: int = Field(256, ge=1, description="models scored together; bounds peak memory")


class AnalyzeConfig(AnalysisConfig):
    """`fovkit analyze`: how to read the factor table (a user's CSV/Parquet or a rendered dataset), and the engine."""

    id_column: str | None = Field(None, description="image ids (default: the first of file_name, id, sample_id)")
    label_column: str = Field("label", description="true labels: class ids, or names with a class file")
    factor_columns: tuple[str, ...] | None = Field(None, description="factor columns (default: every other column)")
    group_column: str | None = Field(None, description="groups of classes, such as meta-labels")
    acceptable_column: str | None = Field(None, description="lists of acceptable labels, like ReaL")
    num_classes: int | None = Field(None, ge=1, description="classes without a class file (default: largest label + 1)")
    numeric_bins: int = Field(4, ge=2, description="quantile bins of numeric factors")
    canonical: dict[str, str] = Field(default_factory=dict, description="canonical value per factor")
    split: Literal["train", "held_out"] | None = Field(None, description="rows of a rendered dataset (default: all)")
    designs: tuple[str, ...] | None = Field(None, description="designs of a rendered dataset (default: all)")
    title: str | None = Field(None, description="title of the report")
    baseline_model: str | None = Field(
        None,
        description="corrupted datasets: the model whose errors normalise CE and mCE (default: AlexNet's published "
        "errors for ImageNet val, none otherwise)",
    )
    label_space: Literal["dataset", "imagenet-1k"] = Field(
        "dataset",
        description="what predicted classes of a rendered dataset are: its own labels, or ImageNet-1k indices "
        "(a pretrained ImageNet classifier, scored against each class's ImageNet counterparts)",
    )
