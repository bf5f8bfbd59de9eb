"""Typed settings of the evaluation protocols (linear probe, finetuning, zero-shot) and of the backbones to probe."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fovkit.errors import InputError
from fovkit.protocols.finetune import FinetuneConfig

Protocol = Literal["linear", "finetune", "zero_shot"]
PROTOCOLS: tuple[Protocol, ...] = ("linear", "finetune", "zero_shot")
DEFAULT_BACKBONE = "fovkit:default"


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
