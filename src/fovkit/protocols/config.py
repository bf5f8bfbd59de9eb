"""Typed settings of the protocols and of the commands built on them (`probe`, `experiment`); no torch needed."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, PositiveInt, field_validator, model_validator

from fovkit.errors import InputError

Protocol = Literal["linear", "finetune", "zero_shot"]
PROTOCOLS: tuple[Protocol, ...] = ("linear", "finetune", "zero_shot")
DEFAULT_BACKBONE = "fovkit:default"
Precision = Literal["auto", "off", "bf16", "fp16"]


class NoiseTraining(BaseModel):
    """Gaussian or speckle noise on training images, each noisy with `probability`, sigma uniform in `sigma`.

    From Rusak et al. 2020, "A simple way to make neural networks robust against diverse image corruptions".
    Gaussian noise adds sigma * N(0, 1) to the pixels (in [0, 1]), speckle noise pixel * sigma * N(0, 1), as ImageNet-C
    defines them; the result is clipped to [0, 1]. The defaults span ImageNet-C's Gaussian noise severities 1 to 5
    (sigma 0.08 to 0.38; its speckle noise spans 0.15 to 0.6) and keep half of the images clean, as in the paper.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["gaussian", "speckle"] = "gaussian"
    sigma: tuple[float, float] = Field((0.08, 0.38), description="lowest and highest noise standard deviation")
    probability: float = Field(0.5, ge=0.0, le=1.0, description="chance that a training image gets noise")

    @field_validator("sigma")
    @classmethod
    def _ordered_range(cls, sigma: tuple[float, float]) -> tuple[float, float]:
        low, high = sigma
        if not 0.0 <= low <= high or high == 0.0:
            raise ValueError(f"sigma is a range [low, high] with 0 <= low <= high and high > 0, got {list(sigma)}")
        return sigma


class FinetuneConfig(BaseModel):
    """How to finetune: optimisation, schedule, randomness, checkpointing and numeric precision.

    The learning rate rises linearly over the first `warmup_fraction` of all steps, then follows a cosine to zero at
    `epochs * ceil(N / batch_size)` steps. AdamW decays every weight except biases and normalisation parameters.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    epochs: int = Field(10, ge=1)
    batch_size: int = Field(64, ge=1)
    lr: float = Field(1e-3, gt=0.0, description="peak learning rate, reached at the end of warmup")
    weight_decay: float = Field(0.05, ge=0.0, description="decoupled (AdamW) weight decay")
    warmup_fraction: float = Field(0.05, ge=0.0, lt=1.0, description="share of all steps spent in linear warmup")
    label_smoothing: float = Field(0.0, ge=0.0, lt=1.0)
    seed: int = 0
    checkpoint_every: int = Field(200, ge=1, description="steps between checkpoints (one is also written at the end)")
    mixed_precision: Precision = Field(
        "off", description="off: float32 everywhere (default); bf16/fp16 autocast; auto: bf16 on CUDA, off on CPU"
    )
    device: str = Field("auto", description="torch device; auto: cuda when available, else cpu")
    max_steps: int | None = Field(None, ge=1, description="stop after this many steps in all (smoke runs)")
    augment: bool = Field(False, description="random resized crop (35-100% of the area) and horizontal flip")
    noise: NoiseTraining | None = Field(None, description="Gaussian or speckle noise on training images; None: off")


class LinearSettings(BaseModel):
    """Linear probe on frozen features: the weight-decay grid searched on a validation split of held-back objects."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weight_decays: tuple[float, ...] = (1e-5, 1e-4, 1e-3, 1e-2)
    validation_fraction: float = Field(0.2, gt=0.0, lt=1.0)
    max_iter: int = Field(500, ge=1)
    precision: Literal["float32", "bfloat16"] = Field(
        "float32", description="dtype of the solver's large products; bfloat16 only when asked (results differ)"
    )


class ZeroShotSettings(BaseModel):
    """Zero-shot classification of CLIP-style backbones: prompt templates (`{}` is the class name)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    templates: tuple[str, ...] = ("an image of a {}.",)

    @field_validator("templates")
    @classmethod
    def _has_placeholder(cls, templates: tuple[str, ...]) -> tuple[str, ...]:
        bad = [template for template in templates if "{}" not in template]
        if bad or not templates:
            raise ValueError(f"every template needs a {{}} placeholder for the class name; got {list(bad)}")
        return templates


class BackboneSpec(BaseModel):
    """A backbone to evaluate: `source:name` (see `fovkit.models.list_backbones`) and where its weights are.

    Also given as one string in command-line syntax, `source:name` or `source:name@weights` (a checkpoint path or
    `random`), e.g. `timm:resnet18@random`, on the command line and in TOML (`backbones = ["timm:resnet18"]`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = DEFAULT_BACKBONE
    weights: str | None = Field(None, description="checkpoint path, 'random', or empty for the source's weights")

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: object) -> object:
        """`source:name[@weights]` as name and weights; '@' must be followed by a path or `random`."""
        if not isinstance(value, str):
            return value
        name, at, weights = value.partition("@")
        if at and not weights.strip():
            raise ValueError(
                f"{value!r} has nothing after '@'; give a checkpoint path or random (e.g. {name}@random), or leave "
                "out '@' for the source's pretrained weights"
            )
        return {"name": name, "weights": weights or None}

    @field_validator("name")
    @classmethod
    def _known_source(cls, name: str) -> str:
        """A name whose source is known and that names a model (`default` is the default backbone)."""
        from fovkit.models.registry import split_backbone_name

        if name not in (DEFAULT_BACKBONE, DEFAULT_BACKBONE.partition(":")[2]):
            try:
                split_backbone_name(name)
            except InputError as error:
                raise ValueError(error.reason) from None
        return name

    def __str__(self) -> str:
        """The spec in command-line syntax, `source:name[@weights]`."""
        return self.name if self.weights is None else f"{self.name}@{self.weights}"


class ProtocolSettings(BaseModel):
    """Everything the protocols need besides the data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    linear: LinearSettings = LinearSettings()
    finetune: FinetuneConfig = FinetuneConfig()
    zero_shot: ZeroShotSettings = ZeroShotSettings()
    batch_size: int = Field(256, ge=1, description="images per batch for feature extraction and prediction")
    device: str = "cpu"
    workers: int | None = Field(
        None, ge=1, description="processes extracting features, a shard each (default: one per core; 1: in-process)"
    )


class ProbeConfig(BaseModel):
    """What `fovkit probe` evaluates: a rendered dataset, backbones, protocols and their settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset: Path = Field(description="folder of a rendered dataset (`fovkit render run`)")
    backbones: tuple[BackboneSpec, ...] = (BackboneSpec(),)
    protocols: tuple[Protocol, ...] = Field(("linear",), min_length=1)
    settings: ProtocolSettings = ProtocolSettings()
    seeds: tuple[NonNegativeInt, ...] = Field((0,), min_length=1, description="training seeds; gaps pool them")
    gap_designs: tuple[str, ...] = Field(
        ("single",), min_length=1, description="designs whose rows form the canonical and one-factor groups"
    )
    bootstrap: NonNegativeInt = Field(1000, description="resamples of held-out objects for the gap intervals")
    held_out_objects: PositiveInt | None = Field(
        None,
        description="held-out objects evaluated per class, the first by instance number (default: all); a slow "
        "backbone then extracts features of the training and evaluated images only",
    )


class ExperimentConfig(BaseModel):
    """One variability experiment: dataset, backbones, protocols, factors, fractions and seeds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset: Path = Field(description="folder of a rendered dataset with the single (and for 5.3, all) design")
    backbones: tuple[BackboneSpec, ...] = (BackboneSpec(),)
    protocols: tuple[Literal["linear", "finetune"], ...] = Field(("linear",), min_length=1)
    factors: tuple[str, ...] = Field((), description="factors varied in training; empty means every factor")
    fractions: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
    class_fraction: float = Field(0.5, gt=0.0, lt=1.0, description="classes seen varying (experiment 5.4)")
    instance_fraction: float = Field(0.5, gt=0.0, le=1.0, description="instances of a varying class (5.4)")
    seeds: tuple[NonNegativeInt, ...] = Field((0,), min_length=1)
    gap_designs: tuple[str, ...] = Field(
        ("single",), min_length=1, description="designs whose rows form the canonical and one-factor groups"
    )
    settings: ProtocolSettings = ProtocolSettings()

    @field_validator("fractions")
    @classmethod
    def _fractions_in_range(cls, fractions: tuple[float, ...]) -> tuple[float, ...]:
        bad = [value for value in fractions if not 0.0 < value <= 1.0]
        if bad or not fractions:
            raise ValueError(f"fractions must lie in (0, 1]; got {list(fractions)}")
        return tuple(sorted(set(fractions)))
