"""Finetuning: learning, the schedule, exact resumption from checkpoints, prediction and input checks."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from pydantic import ValidationError
from torch import nn

from fovkit.errors import InputError
from fovkit.models.base import Backbone, Classifier, ModelCard, Preprocessing
from fovkit.protocols.data import load_images
from fovkit.protocols.finetune import (
    CHECKPOINT,
    FinetuneConfig,
    epoch_order,
    finetune,
    lr_factor,
    parameter_groups,
    predict_logits,
    save_atomic,
)
from fovkit.render.store import RenderedDataset, ShardImageDataset


def tiny_classifier(dropout: float = 0.0, norm: bool = False) -> Classifier:
    """A few hundred parameters, seeded: trains 160 steps on 32 px images in well under a second."""
    torch.manual_seed(0)
    layers = [nn.Conv2d(3, 8, 3, stride=2), *([nn.BatchNorm2d(8)] if norm else []), nn.ReLU()]
    trunk = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout))
    card = ModelCard(
        id="test:tiny",
        source="module",
        preprocessing=Preprocessing(input_size=32),
        feature_dim=8,
        weights="random",
        weights_digest="x",
    )
    return Classifier(Backbone(trunk, card), 3)


@pytest.fixture(scope="module")
def data(tiny_dataset: RenderedDataset) -> tuple[torch.Tensor, np.ndarray]:
    rows = tiny_dataset.samples
    return load_images(tiny_dataset, rows), rows["label"].to_numpy()


@pytest.fixture(scope="module")
def small(data: tuple[torch.Tensor, np.ndarray]) -> tuple[torch.Tensor, np.ndarray]:
    """100 images in 7 batches of 16 (the last one short), so interruptions fall inside epochs."""
    images, labels = data
    return images[::6][:100], labels[::6][:100]


# Dropout, batch norm and augmentation all draw random numbers or keep state a resumption must reproduce.
RESUMABLE = FinetuneConfig(epochs=3, batch_size=16, lr=1e-2, warmup_fraction=0.2, checkpoint_every=4, augment=True)


def weights(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in model.state_dict().items()}


def test_training_lowers_the_loss_and_beats_chance(data):
    images, labels = data
    config = FinetuneConfig(epochs=8, batch_size=32, lr=3e-2, weight_decay=0.0)
    result = finetune(tiny_classifier(), images, labels, config, progress=False)
    history = result.history
    assert result.steps == 8 * math.ceil(len(labels) / 32) == len(history)
    assert list(history.columns) == ["step", "epoch", "loss", "lr"]
    assert history["step"].tolist() == list(range(1, result.steps + 1))
    by_epoch = history.groupby("epoch")["loss"].mean()
    assert by_epoch.iloc[-1] < by_epoch.iloc[0] - 0.1
    accuracy = (predict_logits(result.model, images).argmax(axis=1) == labels).mean()
    assert accuracy > 0.45  # chance is 1/3
    assert not result.model.training and result.resumed_from is None


def test_learning_rate_warms_up_then_decays_to_zero(small):
    images, labels = small
    config = FinetuneConfig(epochs=4, batch_size=16, lr=0.01, warmup_fraction=0.25)
    lrs = finetune(tiny_classifier(), images, labels, config, progress=False).history["lr"].to_numpy()
    warmup = 7  # 25% of 28 steps
    assert np.all(np.diff(lrs[: warmup + 1]) > 0)
    assert lrs[warmup] == pytest.approx(0.01)
    assert np.all(np.diff(lrs[warmup:]) < 0)
    assert lrs[-1] < 0.01 * 0.01
    assert lrs.max() == pytest.approx(0.01)
    assert lr_factor(0, warmup=0, total=10) == 1.0 and lr_factor(10, warmup=0, total=10) == pytest.approx(0.0)
    assert lr_factor(5, warmup=0, total=10) == pytest.approx(0.5)


def test_epoch_order_depends_on_seed_and_epoch_only():
    assert torch.equal(epoch_order(0, 3, 50), epoch_order(0, 3, 50))
    assert sorted(epoch_order(0, 3, 50).tolist()) == list(range(50))
    assert not torch.equal(epoch_order(0, 3, 50), epoch_order(0, 4, 50))
    assert not torch.equal(epoch_order(0, 3, 50), epoch_order(1, 3, 50))


def test_resumed_run_equals_uninterrupted_run(small, tmp_path: Path):
    images, labels = small
    full = finetune(tiny_classifier(0.3, norm=True), images, labels, RESUMABLE, progress=False)

    stopped_config = RESUMABLE.model_copy(update={"max_steps": 10})
    stopped = finetune(tiny_classifier(0.3, norm=True), images, labels, stopped_config, tmp_path, progress=False)
    assert stopped.steps == 10 and len(stopped.history) == 10

    before = torch.get_rng_state()
    resumed = finetune(tiny_classifier(0.3, norm=True), images, labels, RESUMABLE, tmp_path, progress=False)
    assert torch.equal(torch.get_rng_state(), before)  # the caller's random state is left alone
    assert resumed.resumed_from == 10 and resumed.steps == full.steps == 21
    for name, value in weights(full.model).items():
        assert torch.equal(weights(resumed.model)[name], value), name
    pd.testing.assert_frame_equal(resumed.history, full.history)
    assert torch.load(tmp_path / CHECKPOINT, weights_only=True)["step"] == 21


class Crash(RuntimeError):
    pass


def test_resume_after_a_crash_between_checkpoints(small, tmp_path: Path):
    images, labels = small
    full = finetune(tiny_classifier(0.3), images, labels, RESUMABLE, progress=False)

    crashing = tiny_classifier(0.3)
    calls = []

    def crash_on_eleventh_training_step(module: nn.Module, inputs: object) -> None:
        calls.append(module.training)
        if sum(calls) == 11:
            raise Crash

    crashing.register_forward_pre_hook(crash_on_eleventh_training_step)
    with pytest.raises(Crash):
        finetune(crashing, images, labels, RESUMABLE, tmp_path, progress=False)
    state = torch.load(tmp_path / CHECKPOINT, weights_only=True)
    assert (state["step"], state["epoch"], state["position"]) == (8, 1, 1)

    resumed = finetune(tiny_classifier(0.3), images, labels, RESUMABLE, tmp_path, progress=False)
    assert resumed.resumed_from == 8
    for name, value in weights(full.model).items():
        assert torch.equal(weights(resumed.model)[name], value), name
    assert resumed.history["loss"].tolist() == full.history["loss"].tolist()


def test_resuming_with_another_config_or_data_is_refused(small, tmp_path: Path):
    images, labels = small
    config = RESUMABLE.model_copy(update={"max_steps": 2})
    finetune(tiny_classifier(), images, labels, config, tmp_path, progress=False)
    with pytest.raises(InputError, match=r"lr: checkpoint 0\.01, given 0\.02") as caught:
        finetune(tiny_classifier(), images, labels, config.model_copy(update={"lr": 0.02}), tmp_path, progress=False)
    assert caught.value.field == "config" and caught.value.path == tmp_path / CHECKPOINT
    with pytest.raises(InputError, match="other data"):
        finetune(tiny_classifier(), images, (labels + 1) % 3, config, tmp_path, progress=False)
    # Stopping point, checkpoint interval and device may change between an interruption and its resumption.
    later = config.model_copy(update={"max_steps": 3, "checkpoint_every": 50, "device": "cpu"})
    assert finetune(tiny_classifier(), images, labels, later, tmp_path, progress=False).steps == 3


def test_unreadable_damaged_or_foreign_checkpoints_are_refused(small, tmp_path: Path):
    images, labels = small
    config = FinetuneConfig(max_steps=1)
    (tmp_path / CHECKPOINT).write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="checksum"):  # no checksum recorded: not written by fovkit
        finetune(tiny_classifier(), images, labels, config, tmp_path, progress=False)
    with_digest(tmp_path / CHECKPOINT)
    with pytest.raises(InputError, match="cannot read the checkpoint"):
        finetune(tiny_classifier(), images, labels, config, tmp_path, progress=False)
    torch.save({"model": {}}, tmp_path / CHECKPOINT)
    with_digest(tmp_path / CHECKPOINT)
    with pytest.raises(InputError, match="not a finetune checkpoint"):
        finetune(tiny_classifier(), images, labels, config, tmp_path, progress=False)
    (tmp_path / CHECKPOINT).unlink()
    finetune(tiny_classifier(), images, labels, RESUMABLE.model_copy(update={"max_steps": 4}), tmp_path, progress=False)
    data = bytearray((tmp_path / CHECKPOINT).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / CHECKPOINT).write_bytes(bytes(data))
    with pytest.raises(InputError, match="does not match the checksum"):
        finetune(tiny_classifier(), images, labels, RESUMABLE, tmp_path, progress=False)


def with_digest(path: Path) -> None:
    """Record a file's checksum the way `save_atomic` does."""
    Path(f"{path}.sha256").write_text(hashlib.sha256(path.read_bytes()).hexdigest() + "\n")


def test_checkpoints_are_written_atomically(small, tmp_path: Path):
    images, labels = small
    finetune(tiny_classifier(), images, labels, RESUMABLE.model_copy(update={"max_steps": 9}), tmp_path, progress=False)
    assert sorted(path.name for path in tmp_path.iterdir()) == [CHECKPOINT, f"{CHECKPOINT}.sha256"]
    saved = (tmp_path / CHECKPOINT).read_bytes()

    class Unpicklable:
        def __reduce__(self):
            raise Crash

    with pytest.raises(Crash):
        save_atomic({"step": 99, "bad": Unpicklable()}, tmp_path / CHECKPOINT)
    assert sorted(path.name for path in tmp_path.iterdir()) == [CHECKPOINT, f"{CHECKPOINT}.sha256"]
    assert (tmp_path / CHECKPOINT).read_bytes() == saved


def test_predict_logits_in_eval_mode(small, tiny_dataset: RenderedDataset):
    images, _ = small
    model = tiny_classifier(dropout=0.5).train()
    logits = predict_logits(model, images, batch_size=32)
    assert logits.dtype == np.float32 and logits.shape == (len(images), 3)
    assert model.training  # the caller's mode is restored
    with torch.no_grad():
        expected = model.eval()(images.float() / 255)
    np.testing.assert_allclose(logits, expected.numpy(), rtol=1e-5, atol=1e-6)

    rows = tiny_dataset.samples.iloc[:20]
    from_dataset = predict_logits(model, ShardImageDataset(tiny_dataset, rows), batch_size=8)
    # Other batch sizes may take other kernels: equal up to float rounding, not bit for bit.
    from_tensor = predict_logits(model, load_images(tiny_dataset, rows), batch_size=32)
    np.testing.assert_allclose(from_dataset, from_tensor, rtol=1e-5, atol=1e-6)


def test_no_weight_decay_on_biases_and_norms():
    model = tiny_classifier(norm=True)
    decay, no_decay = parameter_groups(model, 0.05)
    assert decay["weight_decay"] == 0.05 and no_decay["weight_decay"] == 0.0
    conv, norm, head = model.backbone.trunk[0], model.backbone.trunk[1], model.head
    assert {id(p) for p in decay["params"]} == {id(conv.weight), id(head.weight)}
    assert {id(p) for p in no_decay["params"]} == {id(conv.bias), id(norm.weight), id(norm.bias), id(head.bias)}


def test_bf16_autocast_runs_on_cpu(small):
    images, labels = small
    config = FinetuneConfig(batch_size=16, mixed_precision="bf16", max_steps=2)
    result = finetune(tiny_classifier(), images, labels, config, progress=False)
    assert result.steps == 2 and np.isfinite(result.history["loss"]).all()


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        (np.array([0, 1, 3, 2, 5]), r"labels must lie in 0\.\.2; got \[3, 5\]"),
        (np.array([0, 1]), "2 labels for 5 images"),
        (np.array([0.0, 1.0, 2.0, 1.0, 0.0]), "integer"),
    ],
)
def test_bad_labels_are_refused(small, labels, match):
    with pytest.raises(InputError, match=match) as caught:
        finetune(tiny_classifier(), small[0][:5], labels, FinetuneConfig(max_steps=1), progress=False)
    assert caught.value.field == "labels"


def test_other_bad_inputs_are_refused(small):
    images, labels = small
    with pytest.raises(InputError, match="no images") as caught:
        finetune(tiny_classifier(), images[:0], labels[:0], progress=False)
    assert caught.value.field == "images"
    with pytest.raises(InputError, match="uint8"):
        finetune(tiny_classifier(), images.float(), labels, progress=False)
    with pytest.raises(InputError, match="unknown device") as caught:
        predict_logits(tiny_classifier(), images, device="tpu9")
    assert caught.value.field == "device"
    with pytest.raises(ValidationError, match="epochs"):
        FinetuneConfig(epochs=0)
    with pytest.raises(ValidationError, match="extra"):
        FinetuneConfig(learning_rate=0.1)
