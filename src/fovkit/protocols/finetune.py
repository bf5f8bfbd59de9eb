"""Finetuning a whole classifier (the paper's finetune protocol): AdamW, warmup and cosine, resumable checkpoints."""

from __future__ import annotations

import hashlib
import io
import math
import os
import pickle
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    track,
)
from torch import nn
from torch.nn import functional

from fovkit.errors import InputError, preview
from fovkit.protocols.config import FinetuneConfig, Precision
from fovkit.protocols.data import ImageBatches, as_labels, image_mode, to_float
from fovkit.protocols.devices import device_name, precision_name, resolve_device
from fovkit.protocols.noise_training import add_training_noise
from fovkit.protocols.streaming import StreamedImages
from fovkit.runs import atomic_file
from fovkit.seeding import derive_seed, torch_generator

CHECKPOINT = "last.pt"
HISTORY_COLUMNS = ("step", "epoch", "loss", "lr")
# What a resumption reads from a checkpoint (which also records `epoch` and `position` for people).
CHECKPOINT_KEYS = ("model", "optimizer", "scheduler", "grad_scaler", "step", "config", "data", "history")
# Fields that may differ between an interrupted run and its resumption: they do not change the trained weights.
RESUMABLE_FIELDS = ("max_steps", "checkpoint_every", "device")
# Losses are copied from the device (one synchronisation) this often, and at every checkpoint.
LOG_EVERY = 20
NORM_LAYERS = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm, nn.LocalResponseNorm, nn.RMSNorm)


@dataclass
class FinetuneResult:
    """A finished (or `max_steps`-stopped) finetuning run.

    Attributes:
        model: The trained model, in eval mode, on the training device.
        history: One row per step: `step` (1-based), `epoch` (0-based), `loss` (batch mean) and `lr` (used by it).
        steps: Steps taken in all, including those before a resumption.
        resumed_from: The checkpoint's step this call resumed from, or None for a fresh run.
        device: The resolved training device, e.g. "cpu" or "cuda:0".
        precision: The resolved compute precision: "float32", or the autocast dtype ("bfloat16", "float16").
        images: How the images were read: "in-memory" (one tensor or dataset) or "streamed" (`StreamedImages`).

    """

    model: nn.Module
    history: pd.DataFrame
    steps: int
    resumed_from: int | None
    device: str
    precision: str
    images: str


def finetune(
    model: nn.Module,
    images: torch.Tensor | torch.utils.data.Dataset | StreamedImages,
    labels: torch.Tensor | np.ndarray,
    config: FinetuneConfig | None = None,
    checkpoint_dir: Path | None = None,
    progress: bool = True,
) -> FinetuneResult:
    """Train every parameter of `model` (images -> logits) with cross-entropy on the given images.

    Each epoch visits the images in an order seeded by (seed, epoch): a permutation of all of them in memory, the
    stream's two-level shuffle (`StreamedImages.plan`) when streamed. Every step reseeds torch's random generators
    from (seed, step) (dropout, augmentation), so a run resumed from `checkpoint_dir/last.pt` (at its epoch and
    position in it) ends with weights identical to an uninterrupted one on CPU. The caller's random state is left
    untouched.

    Args:
        model: Maps float NCHW images in [0, 1] to logits N x K, e.g. a `fovkit.models.base.Classifier`. It is
            trained in place and moved to the training device.
        images: uint8 tensor N x 3 x H x W (see `load_images`), a dataset of images (see `ImageBatches`), or
            `StreamedImages` (see `image_source`).
        labels: N class indices in 0..K-1; with a dataset these are the targets (the dataset's own are ignored).
        config: Optimisation settings; the defaults when None.
        checkpoint_dir: Folder for `last.pt`, written every `checkpoint_every` steps and at the end. If it already
            holds one, training resumes from it; its config must match `config` except in `RESUMABLE_FIELDS`.
        progress: Show a progress bar with the loss and learning rate (on stderr).

    Returns:
        The trained model (in eval mode) with its per-step history.

    """
    config = config or FinetuneConfig()
    source = images if isinstance(images, StreamedImages) else ImageBatches(images)
    count = len(source)
    if count == 0:
        raise InputError("no images to train on", field="images")
    targets = as_labels(labels, count)
    device = resolve_device(config.device)
    model.to(device)
    classes = _output_width(model, source, device)
    if targets.max() >= classes:
        bad = targets[targets >= classes].unique().tolist()
        raise InputError(
            f"the model has {classes} outputs, so labels must lie in 0..{classes - 1}; got {preview(bad)}",
            field="labels",
        )

    steps_per_epoch = math.ceil(count / config.batch_size)
    total = config.epochs * steps_per_epoch
    stop = total if config.max_steps is None else min(total, config.max_steps)
    dtype = autocast_dtype(config.mixed_precision, device)
    optimizer = torch.optim.AdamW(parameter_groups(model, config.weight_decay), lr=config.lr)
    run = _Run(
        model=model,
        optimizer=optimizer,
        scheduler=torch.optim.lr_scheduler.LambdaLR(
            optimizer, partial(lr_factor, warmup=_warmup(config, total), total=total)
        ),
        scaler=torch.amp.GradScaler(device.type, enabled=dtype == torch.float16),
        config=config,
        data={
            "samples": count,
            "labels_sha256": hashlib.sha256(targets.numpy().tobytes()).hexdigest(),
            **(source.fingerprint() if isinstance(source, StreamedImages) else {}),
        },
        steps_per_epoch=steps_per_epoch,
    )
    checkpoint = None if checkpoint_dir is None else Path(checkpoint_dir) / CHECKPOINT
    resumed_from = None
    if checkpoint is not None and checkpoint.exists():
        run.restore(_read_checkpoint(checkpoint, device), checkpoint)
        resumed_from = run.step

    model.train()
    start = run.step
    with _rng_fork(device), _progress(progress) as bar:
        task = bar.add_task("finetune", total=stop, completed=start, loss=float("nan"), lr=float("nan"))
        while run.step < stop:
            epoch, position = divmod(run.step, steps_per_epoch)
            with closing(_epoch_batches(source, config, epoch, position, device)) as batches:
                for indices, gather in batches:
                    torch.manual_seed(derive_seed(config.seed, "finetune", "step", run.step))
                    batch = gather()
                    if config.augment:
                        batch = random_resized_flip(batch)
                    if config.noise is not None:
                        batch = add_training_noise(batch, config.noise)
                    lr = optimizer.param_groups[0]["lr"]
                    loss = run.train_step(batch, targets[indices].to(device), dtype)
                    run.pending.append((run.step, epoch, loss.detach(), lr))
                    saving = checkpoint is not None and run.step % config.checkpoint_every == 0
                    if saving or run.step % LOG_EVERY == 0:
                        run.flush(bar, task)
                    if saving:
                        save_atomic(run.state(), checkpoint)
                    if run.step >= stop:
                        break
        run.flush(bar, task)
        if checkpoint is not None and (run.step > start or not checkpoint.exists()):
            save_atomic(run.state(), checkpoint)
    model.eval()
    return FinetuneResult(
        model=model,
        history=run.history(),
        steps=run.step,
        resumed_from=resumed_from,
        device=device_name(device),
        precision=precision_name(dtype),
        images=image_mode(source),
    )


def predict_logits(
    model: nn.Module,
    images: torch.Tensor | torch.utils.data.Dataset | StreamedImages,
    batch_size: int = 256,
    device: str = "auto",
    mixed_precision: Precision = "off",
    progress: bool = False,
) -> np.ndarray:
    """Logits (float32 N x K) of images under `torch.inference_mode`, with the model in eval mode.

    Args:
        model: Maps float NCHW images in [0, 1] to logits; moved to `device`, its train/eval mode restored after.
        images: uint8 tensor N x 3 x H x W, a dataset of images (see `ImageBatches`), or `StreamedImages` (decoded
            batch by batch; only the logits are kept).
        batch_size: Images per forward pass.
        device: Torch device; `auto` picks cuda when available.
        mixed_precision: `off` (default) computes in float32; `auto` runs bf16 autocast on CUDA only.
        progress: Show a progress bar (on stderr).

    """
    return _predict(model, images, batch_size, device, mixed_precision, progress, classes_only=False)


def predict_labels(
    model: nn.Module,
    images: torch.Tensor | torch.utils.data.Dataset | StreamedImages,
    batch_size: int = 256,
    device: str = "auto",
    mixed_precision: Precision = "off",
    progress: bool = False,
) -> np.ndarray:
    """The predicted class of every image (int64 N, the argmax of `predict_logits`), keeping N ints, not N x K logits.

    Arguments as for `predict_logits`.
    """
    return _predict(model, images, batch_size, device, mixed_precision, progress, classes_only=True)


def _predict(
    model: nn.Module,
    images: torch.Tensor | torch.utils.data.Dataset | StreamedImages,
    batch_size: int,
    device: str,
    mixed_precision: Precision,
    progress: bool,
    classes_only: bool,
) -> np.ndarray:
    """Logits, or only their argmax, written batch by batch at the images' positions."""
    source = images if isinstance(images, StreamedImages) else ImageBatches(images)
    if len(source) == 0:
        raise InputError("no images to predict", field="images")
    target = resolve_device(device)
    dtype = autocast_dtype(mixed_precision, target)
    was_training = model.training
    model.to(target).eval()
    outputs: np.ndarray | None = None
    try:
        with torch.inference_mode(), torch.autocast(target.type, dtype=dtype, enabled=dtype is not None):
            for positions, batch in _inference_batches(source, batch_size, target, progress):
                logits = model(batch)
                _check_logits(logits, len(batch))
                result = logits.float().argmax(dim=1) if classes_only else logits.float()
                if outputs is None:
                    outputs = np.empty((len(source), *result.shape[1:]), dtype=np.int64 if classes_only else np.float32)
                outputs[positions.numpy()] = result.cpu().numpy()
    finally:
        model.train(was_training)
    return outputs


def _inference_batches(
    source: ImageBatches | StreamedImages, batch_size: int, device: torch.device, progress: bool
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(positions, float images on `device`) of consecutive batches in stored order."""
    if isinstance(source, ImageBatches):
        starts = range(0, len(source), batch_size)
        for start, batch in zip(starts, source.batches(batch_size, device, progress), strict=True):
            yield torch.arange(start, start + len(batch)), batch
        return
    if batch_size < 1:
        raise InputError(f"batch_size must be at least 1, got {batch_size}", field="batch_size")
    batches = source.batches(batch_size, pin_memory=device.type == "cuda")
    total = math.ceil(len(source) / batch_size)
    for positions, images in track(batches, total=total, description="Predicting", disable=not progress):
        yield positions, to_float(images.to(device, non_blocking=True))


def lr_factor(step: int, warmup: int, total: int) -> float:
    """Multiplier of the peak learning rate at a 0-based step: linear warmup, then a cosine towards zero at `total`."""
    if step < warmup:
        return (step + 1) / (warmup + 1)
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


def epoch_order(seed: int, epoch: int, count: int) -> torch.Tensor:
    """The permutation of `count` samples visited in `epoch`, a function of (seed, epoch) only."""
    return torch.randperm(count, generator=torch_generator(seed, "finetune", "epoch", epoch))


def random_resized_flip(images: torch.Tensor, min_area: float = 0.35) -> torch.Tensor:
    """Per-image random resized crop (area share in [min_area, 1], aspect in [3/4, 4/3]) and horizontal flip.

    Uses torch's global generator on the images' device; the output keeps the input size.
    """
    count, device = len(images), images.device
    area = torch.empty(count, device=device).uniform_(min_area, 1.0)
    aspect = torch.empty(count, device=device).uniform_(math.log(3 / 4), math.log(4 / 3)).exp()
    width, height = (area * aspect).sqrt().clamp(max=1.0), (area / aspect).sqrt().clamp(max=1.0)
    flip = torch.where(torch.rand(count, device=device) < 0.5, -1.0, 1.0)
    theta = torch.zeros(count, 2, 3, device=device)
    theta[:, 0, 0] = width * flip
    theta[:, 0, 2] = (torch.rand(count, device=device) * 2 - 1) * (1 - width)
    theta[:, 1, 1] = height
    theta[:, 1, 2] = (torch.rand(count, device=device) * 2 - 1) * (1 - height)
    grid = functional.affine_grid(theta.to(images.dtype), list(images.shape), align_corners=False)
    return functional.grid_sample(images, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def autocast_dtype(mixed_precision: Precision, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for a precision setting on a device (None: full precision)."""
    if mixed_precision == "auto":
        return torch.bfloat16 if device.type == "cuda" else None
    return {"off": None, "bf16": torch.bfloat16, "fp16": torch.float16}[mixed_precision]


def save_atomic(state: dict[str, Any], path: Path) -> None:
    """`torch.save` to a temporary file beside `path`, then rename it over `path` (readers never see a partial file).

    The file's SHA-256 is written beside it (`<path>.sha256`) and checked when the checkpoint is read back.
    """
    buffer = io.BytesIO()
    torch.save(state, buffer)
    data = buffer.getvalue()
    with atomic_file(path) as staging, staging.open("wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    with atomic_file(_digest_path(path)) as staging:
        staging.write_text(hashlib.sha256(data).hexdigest() + "\n")


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Trainable parameters split into decayed weights and undecayed biases and normalisation parameters.

    Names a submodule lists in a timm-style `no_weight_decay()` (position embeddings, class tokens) are not decayed.
    """
    exempt: set[int] = set()
    for module in model.modules():
        is_norm = isinstance(module, NORM_LAYERS)
        for parameter in module.parameters(recurse=False):
            if is_norm or parameter.ndim <= 1:
                exempt.add(id(parameter))
        if callable(getattr(module, "no_weight_decay", None)):
            named = dict(module.named_parameters())
            exempt.update(id(named[name]) for name in module.no_weight_decay() if name in named)
    trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
    if not trainable:
        raise InputError("the model has no trainable parameters", field="model")
    decay = [parameter for parameter in trainable if id(parameter) not in exempt]
    no_decay = [parameter for parameter in trainable if id(parameter) in exempt]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return [group for group in groups if group["params"]]


def _warmup(config: FinetuneConfig, total: int) -> int:
    return max(1, round(config.warmup_fraction * total)) if config.warmup_fraction > 0 else 0


def _epoch_batches(
    source: ImageBatches | StreamedImages, config: FinetuneConfig, epoch: int, position: int, device: torch.device
) -> Iterator[tuple[torch.Tensor, Callable[[], torch.Tensor]]]:
    """(indices, gather) of the epoch's batches from batch `position` on; `gather()` gives the float batch on device.

    In memory, gathering happens when called (after the step's seeding, as a dataset's transforms may draw random
    numbers); streamed, the batch was decoded by the stream already.
    """
    size = config.batch_size
    if isinstance(source, StreamedImages):
        batches = source.batches(size, config.seed, epoch, skip=position * size, pin_memory=device.type == "cuda")
        for indices, images in batches:
            yield indices, partial(_on_device, images, device)
        return
    order = epoch_order(config.seed, epoch, len(source))
    for start in range(position * size, len(order), size):
        indices = order[start : start + size]
        yield indices, partial(source.take, indices, device)


def _on_device(images: torch.Tensor, device: torch.device) -> torch.Tensor:
    return to_float(images.to(device, non_blocking=True))


def _output_width(model: nn.Module, source: ImageBatches | StreamedImages, device: torch.device) -> int:
    """The number of classes, from one forward pass on the first image (eval mode, no gradients)."""
    first = _on_device(source.decode([0]), device) if isinstance(source, StreamedImages) else None
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            logits = model(source.take(torch.arange(1), device) if first is None else first)
    finally:
        model.train(was_training)
    _check_logits(logits, 1)
    return logits.shape[1]


def _check_logits(logits: torch.Tensor, count: int) -> None:
    if not isinstance(logits, torch.Tensor) or logits.ndim != 2 or len(logits) != count:
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise InputError(f"the model returned {shape} for {count} images; expected logits ({count}, classes)")


@dataclass
class _Run:
    """The state of a finetuning run that a checkpoint holds, with the losses not yet copied from the device."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler
    config: FinetuneConfig
    data: dict[str, Any]
    steps_per_epoch: int
    step: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)
    pending: list[tuple[int, int, torch.Tensor, float]] = field(default_factory=list)

    def train_step(self, batch: torch.Tensor, targets: torch.Tensor, dtype: torch.dtype | None) -> torch.Tensor:
        """One optimisation step on a batch (autocast to `dtype` unless None); returns the loss, on the device."""
        with torch.autocast(batch.device.type, dtype=dtype, enabled=dtype is not None):
            logits = self.model(batch)
        loss = functional.cross_entropy(logits.float(), targets, label_smoothing=self.config.label_smoothing)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        self.step += 1
        return loss

    def history(self) -> pd.DataFrame:
        """Step, epoch, loss and learning rate of every recorded step."""
        return pd.DataFrame(self.rows, columns=list(HISTORY_COLUMNS))

    def flush(self, bar: Progress, task: TaskID) -> None:
        """Copy pending losses from the device (one synchronisation) into the history and the progress bar."""
        if not self.pending:
            return
        losses = torch.stack([loss for _, _, loss, _ in self.pending]).float().cpu().tolist()
        for (step, epoch, _, lr), loss in zip(self.pending, losses, strict=True):
            if not math.isfinite(loss) and not self.scaler.is_enabled():
                raise FloatingPointError(f"the loss became {loss} at step {step}; lower the learning rate")
            self.rows.append(dict(zip(HISTORY_COLUMNS, (step, epoch, loss, lr), strict=True)))
        self.pending.clear()
        last = self.rows[-1]
        bar.update(task, completed=last["step"], loss=last["loss"], lr=last["lr"])

    def state(self) -> dict[str, Any]:
        """Everything a resumption needs, plus the config and data fingerprint it must match."""
        epoch, position = divmod(self.step, self.steps_per_epoch)
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "grad_scaler": self.scaler.state_dict(),
            "step": self.step,
            "epoch": epoch,
            "position": position,
            "config": self.config.model_dump(mode="json"),
            "data": self.data,
            "history": self.history().to_dict("list"),
        }

    def restore(self, state: dict[str, Any], path: Path) -> None:
        """Load a checkpoint's state, refusing one made with another config (see `RESUMABLE_FIELDS`) or data."""
        saved, given = (
            {key: value for key, value in dump.items() if key not in RESUMABLE_FIELDS}
            for dump in (state["config"], self.config.model_dump(mode="json"))
        )
        changed = [
            f"{key}: checkpoint {saved.get(key)!r}, given {value!r}"
            for key, value in given.items()
            if saved.get(key) != value
        ]
        if changed:
            raise InputError(
                f"the checkpoint was made with another config ({'; '.join(changed)}); "
                "pass the same config to resume, or use an empty checkpoint_dir to start over",
                path=path,
                field="config",
            )
        if state["data"] != self.data:
            raise InputError(
                f"the checkpoint was made on other data ({state['data']}, now {self.data}); "
                "pass the same images and labels to resume, or use an empty checkpoint_dir to start over",
                path=path,
            )
        try:
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
        except (RuntimeError, ValueError) as error:
            raise InputError(f"the checkpoint does not fit this model: {error}", path=path) from None
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["grad_scaler"])
        self.step = state["step"]
        self.rows = pd.DataFrame(state["history"], columns=list(HISTORY_COLUMNS)).to_dict("records")


def _read_checkpoint(path: Path, device: torch.device) -> dict[str, Any]:
    data = path.read_bytes()
    try:
        recorded = _digest_path(path).read_text().strip()
    except OSError:
        recorded = None
    if recorded != hashlib.sha256(data).hexdigest():
        raise InputError(
            "the checkpoint does not match the checksum recorded when it was written (damaged or replaced); "
            "delete it to start over",
            path=path,
        )
    try:
        state = torch.load(io.BytesIO(data), map_location=device, weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError) as error:
        raise InputError(f"cannot read the checkpoint ({error}); delete it to start over", path=path) from None
    missing = [key for key in CHECKPOINT_KEYS if not isinstance(state, dict) or key not in state]
    if missing:
        raise InputError(f"not a finetune checkpoint: it lacks {missing}; delete it to start over", path=path)
    return state


def _digest_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _rng_fork(device: torch.device) -> Any:
    """Run a block with torch's random state saved and restored afterwards (CPU, plus the CUDA device in use)."""
    devices = (
        [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else []
    )
    return torch.random.fork_rng(devices=devices)


def _progress(enabled: bool) -> Progress:
    columns = (
        TextColumn("finetune"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.4f}  lr {task.fields[lr]:.2e}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    return Progress(*columns, console=Console(stderr=True), disable=not enabled)
