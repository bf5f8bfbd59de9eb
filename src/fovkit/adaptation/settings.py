"""Typed, frozen settings of the test-time adaptation methods, validated where they enter (no torch needed)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt

Optimizer = Literal["adam", "sgd"]


class AdaptationSettings(BaseModel):
    """What every method shares: how the test stream is cut into the batches it adapts on (and predicts)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    batch_size: PositiveInt | None = Field(
        None, description="images per adaptation batch, regrouped across the stream's batches; None: as they come"
    )


class BatchNormSettings(AdaptationSettings):
    """BatchNorm adaptation (Schneider et al. 2020): source statistics weigh as `prior` samples against the batch's n.

    Each BatchNorm layer normalises with mean (N * source + n * batch) / (N + n) and the same mixture of variances;
    N = 0 replaces the source statistics by the batch's (and works from one image: statistics over its pixels).
    """

    prior: float = Field(0.0, ge=0.0, allow_inf_nan=False, description="N, the source statistics' weight in samples")


class GradientSettings(AdaptationSettings):
    """Online gradient adaptation of the normalisation layers' affine parameters (scale and shift) only."""

    default_lr: ClassVar[dict[str, float]]
    """Learning rate by optimizer when `lr` is None, from each method's reference code."""

    optimizer: Optimizer = "adam"
    lr: PositiveFloat | None = Field(None, description="learning rate; None: the method's default for the optimizer")
    momentum: float = Field(0.9, ge=0.0, lt=1.0, description="SGD momentum (Nesterov when above 0); unused by Adam")
    steps: PositiveInt = Field(1, description="updates per batch; predictions come from the last update's forward")
    episodic: bool = Field(False, description="restore the source model (and optimizer) before every batch")

    def learning_rate(self) -> float:
        """The learning rate in use: `lr`, else the method's default for its optimizer."""
        return self.lr if self.lr is not None else self.default_lr[self.optimizer]


class TentSettings(GradientSettings):
    """TENT (Wang et al. 2021): minimise the entropy of the predictions; Adam at 1e-3 or SGD at 2.5e-4 by default."""

    default_lr: ClassVar[dict[str, float]] = {"adam": 1e-3, "sgd": 2.5e-4}  # tent's CIFAR-10-C and ImageNet-C configs


class SelfLearningSettings(GradientSettings):
    """Robust pseudo-labelling, RPL (Rusak et al. 2022): generalised cross-entropy on the teacher's argmax labels.

    The teacher is the model as it was at most `teacher_update_every - 1` batches ago (1: the model's own current
    predictions, as in the reference). Plain SGD at 7.5e-4 by default, as the reference's ImageNet-C example.
    """

    default_lr: ClassVar[dict[str, float]] = {"adam": 1e-3, "sgd": 7.5e-4}  # examples/selflearning/main.py

    optimizer: Optimizer = "sgd"
    momentum: float = Field(0.0, ge=0.0, lt=1.0, description="SGD momentum (Nesterov when above 0); unused by Adam")
    q: float = Field(0.8, gt=0.0, le=1.0, description="GCE exponent: loss (1 - p_y^q) / q; q -> 0 is cross-entropy")
    teacher_update_every: PositiveInt = Field(1, description="batches between copies of the model into the teacher")
