"""Streaming images from the shards: the plan, worker independence, resumption, and training and prediction on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from fovkit.errors import InputError
from fovkit.models import load_backbone
from fovkit.models.base import Backbone, Classifier, ModelCard, Preprocessing
from fovkit.protocols import data
from fovkit.protocols.config import FinetuneConfig, ProtocolSettings
from fovkit.protocols.data import image_source, load_images
from fovkit.protocols.finetune import CHECKPOINT, finetune, predict_labels, predict_logits
from fovkit.protocols.runner import ProtocolRunner
from fovkit.protocols.streaming import StreamedImages, pack_buffers, rebatch, skip_rows, stored_pieces
from fovkit.render.store import RenderedDataset

# Small pieces and buffers, so the 630-image tiny render makes many of each.
SMALL = {"piece_size": 16, "buffer_size": 48}


@pytest.fixture(scope="module")
def rows(tiny_dataset: RenderedDataset) -> pd.DataFrame:
    """200 rows from every shard, in a scrambled order."""
    return tiny_dataset.samples.sample(n=200, random_state=5)


@pytest.fixture(scope="module")
def stream(tiny_dataset: RenderedDataset, rows: pd.DataFrame) -> StreamedImages:
    return StreamedImages(tiny_dataset, rows, workers=0, **SMALL)


def tiny_classifier() -> Classifier:
    """A seeded few-hundred-parameter CNN with dropout (random draws a resumption must reproduce)."""
    torch.manual_seed(0)
    trunk = nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3)
    )
    card = ModelCard(
        id="test:tiny",
        source="module",
        preprocessing=Preprocessing(input_size=32),
        feature_dim=8,
        weights="random",
        weights_digest="x",
    )
    return Classifier(Backbone(trunk, card), 3)


def collect(batches) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    parts = list(batches)
    sizes = [len(positions) for positions, _ in parts]
    return torch.cat([positions for positions, _ in parts]), torch.cat([images for _, images in parts]), sizes


def test_every_selected_row_is_visited_once_per_epoch_with_its_image(stream, tiny_dataset, rows):
    assert rows["shard"].nunique() > 1
    positions, images, sizes = collect(stream.batches(30, seed=0, epoch=1))
    assert sorted(positions.tolist()) == list(range(len(rows)))
    assert sizes == [30] * 6 + [20]
    assert positions.tolist() != list(range(len(rows)))  # shuffled
    expected = load_images(tiny_dataset, rows)[positions]
    assert torch.equal(images, expected)


def test_the_order_depends_on_seed_and_epoch_only(stream, tiny_dataset, rows):
    order = stream.batches(30, seed=0, epoch=1)
    first, _, _ = collect(order)
    again = StreamedImages(tiny_dataset, rows, workers=0, **SMALL)
    assert torch.equal(collect(again.batches(30, seed=0, epoch=1))[0], first)
    assert not torch.equal(collect(stream.batches(30, seed=0, epoch=2))[0], first)
    assert not torch.equal(collect(stream.batches(30, seed=1, epoch=1))[0], first)


def test_stored_order_plan_reads_shard_by_shard(stream, rows):
    positions = np.concatenate(stream.plan())
    located = rows.iloc[positions]
    keys = list(zip(located["shard"].astype(str), located["row"], strict=True))
    assert keys == sorted(keys) and len(keys) == len(rows)


def test_buffers_are_bounded_and_mix_shards(stream, rows):
    plan = stream.plan(seed=0, epoch=0)
    assert max(len(buffer) for buffer in plan) <= SMALL["buffer_size"]
    shards = rows["shard"].astype(str).to_numpy()
    assert max(len(set(shards[buffer])) for buffer in plan) > 1
    for piece in stream.pieces:
        assert len(piece) <= SMALL["piece_size"] and len(set(shards[piece])) == 1


def test_workers_give_the_same_batches(tiny_dataset, rows, stream):
    alone = collect(stream.batches(25, seed=3, epoch=0))
    parallel = StreamedImages(tiny_dataset, rows, workers=2, **SMALL)
    together = collect(parallel.batches(25, seed=3, epoch=0))
    assert torch.equal(alone[0], together[0]) and torch.equal(alone[1], together[1]) and alone[2] == together[2]


def test_skipping_starts_at_the_same_batch(stream):
    full, images, _ = collect(stream.batches(30, seed=0, epoch=4))
    resumed, resumed_images, sizes = collect(stream.batches(30, seed=0, epoch=4, skip=90))
    assert torch.equal(resumed, full[90:]) and torch.equal(resumed_images, images[90:])
    assert sizes == [30, 30, 30, 20]


def test_plan_helpers():
    shards, rows = np.array([1, 0, 1, 0, 1, 1]), np.array([5, 2, 1, 0, 3, 9])
    pieces = stored_pieces(shards, rows, piece_size=2)
    assert [piece.tolist() for piece in pieces] == [[3, 1], [2, 4], [0, 5]]
    buffers = pack_buffers([np.arange(2), np.arange(3), np.arange(1), np.arange(3)], buffer_size=4)
    assert [len(buffer) for buffer in buffers] == [2, 4, 3]
    assert [buffer.tolist() for buffer in skip_rows([np.arange(3), np.arange(3, 5), np.arange(5, 9)], 4)] == [
        [4],
        [5, 6, 7, 8],
    ]
    chunks = [(torch.arange(3), torch.zeros(3, 1)), (torch.arange(3, 8), torch.ones(5, 1))]
    assert [positions.tolist() for positions, _ in rebatch(chunks, 3)] == [[0, 1, 2], [3, 4, 5], [6, 7]]


def test_streamed_predictions_equal_in_memory_ones(tiny_dataset, rows):
    model = tiny_classifier()
    streamed = StreamedImages(tiny_dataset, rows, workers=2, **SMALL)
    in_memory = load_images(tiny_dataset, rows)
    logits = predict_logits(model, streamed, batch_size=32)
    expected = predict_logits(model, in_memory, batch_size=64)
    assert logits.shape == (len(rows), 3)
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-6)
    labels = predict_labels(model, streamed, batch_size=32)
    assert labels.dtype == np.int64 and np.array_equal(labels, predict_labels(model, in_memory))
    assert np.array_equal(labels, expected.argmax(axis=1))


STREAMED = FinetuneConfig(epochs=2, batch_size=16, lr=1e-2, checkpoint_every=5, augment=True)


def test_streamed_training_is_deterministic_and_resumes(tiny_dataset, rows, tmp_path: Path):
    labels = rows["label"].to_numpy()

    def train(config: FinetuneConfig, checkpoints: Path | None = None, workers: int = 0):
        stream = StreamedImages(tiny_dataset, rows, workers=workers, **SMALL)
        return finetune(tiny_classifier(), stream, labels, config, checkpoints, progress=False)

    full = train(STREAMED)
    assert full.images == "streamed" and full.steps == 2 * 13 == len(full.history)
    by_epoch = full.history.groupby("epoch")["loss"].mean()
    assert np.isfinite(by_epoch).all()
    again = train(STREAMED, workers=2)
    np.testing.assert_allclose(again.history["loss"], full.history["loss"], rtol=1e-5)

    stopped = train(STREAMED.model_copy(update={"max_steps": 17}), tmp_path)
    assert stopped.steps == 17
    state = torch.load(tmp_path / CHECKPOINT, weights_only=True)
    assert (state["epoch"], state["position"]) == (1, 4) and state["data"]["images"] == "streamed"
    resumed = train(STREAMED, tmp_path)
    assert resumed.resumed_from == 17 and resumed.steps == full.steps
    np.testing.assert_allclose(resumed.history["loss"], full.history["loss"], rtol=1e-5)
    for name, value in full.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[name], value, rtol=1e-5, atol=1e-6)

    in_memory = tmp_path / "in-memory"
    images = load_images(tiny_dataset, rows)
    config = STREAMED.model_copy(update={"max_steps": 2})
    assert finetune(tiny_classifier(), images, labels, config, in_memory, progress=False).images == "in-memory"
    with pytest.raises(InputError, match="other data"):  # the orders differ: one cannot resume the other
        train(STREAMED, in_memory)


def test_image_source_keeps_small_selections_in_memory(tiny_dataset, rows):
    images = image_source(tiny_dataset, rows)
    assert isinstance(images, torch.Tensor) and torch.equal(images, load_images(tiny_dataset, rows))
    size = 200 * 3 * 32 * 32
    assert isinstance(image_source(tiny_dataset, rows, memory_budget=size), torch.Tensor)
    streamed = image_source(tiny_dataset, rows, memory_budget=size - 1, workers=0)
    assert isinstance(streamed, StreamedImages) and len(streamed) == 200 and streamed.decoded_bytes() == size
    loaded = []
    image_source(tiny_dataset, rows, load=loaded.append)
    assert loaded[0] is rows  # e.g. a runner's cached evaluation images


def test_a_damaged_shard_is_named_by_a_streaming_worker(tiny_dataset, rows, tmp_path: Path, flip_bytes):
    copy = tmp_path / "data"
    shutil.copytree(tiny_dataset.folder, copy)
    damaged = RenderedDataset.open(copy)
    shard = str(rows["shard"].iloc[0])
    flip_bytes(copy / shard)
    stream = StreamedImages(damaged, rows, workers=2, **SMALL)
    with pytest.raises(InputError, match="SHA-256") as caught:
        collect(stream.batches(32))
    assert caught.value.path == copy / shard


def test_bad_stream_settings_are_refused(tiny_dataset, rows):
    with pytest.raises(InputError, match="buffer_size") as caught:
        StreamedImages(tiny_dataset, rows, piece_size=64, buffer_size=32)
    assert caught.value.field == "buffer_size"
    with pytest.raises(InputError, match="shard"):
        StreamedImages(tiny_dataset, rows.drop(columns=["shard"]))
    with pytest.raises(InputError, match="no images"):
        predict_logits(tiny_classifier(), StreamedImages(tiny_dataset, rows.iloc[:0]))


def test_protocols_stream_selections_over_the_budget(tiny_dataset, monkeypatch):
    original = data.image_source
    monkeypatch.setattr(data, "image_source", lambda *args, **kwargs: original(*args, memory_budget=0, **kwargs))
    settings = ProtocolSettings(finetune=FinetuneConfig(epochs=1, batch_size=16, max_steps=3), batch_size=64)
    backbone = load_backbone("fovkit:resnet_small", weights="random")
    runner = ProtocolRunner(backbone, tiny_dataset, settings, progress=False)
    samples = tiny_dataset.samples
    train, evaluate = samples.iloc[:80], samples.iloc[300:420]
    outcome = runner.run("finetune", train, evaluate, seed=0, tag="streamed")
    assert outcome.details["images"] == "streamed" and outcome.details["steps"] == 3
    assert outcome.predicted.shape == (120,) and set(outcome.predicted) <= {0, 1, 2}


def test_zero_shot_streams_selections_over_the_budget(tiny_dataset, monkeypatch):
    original = data.image_source
    monkeypatch.setattr(data, "image_source", lambda *args, **kwargs: original(*args, memory_budget=0, **kwargs))
    clip = load_backbone("open_clip:ViT-S-32-alt", weights="random", seed=0)
    runner = ProtocolRunner(clip, tiny_dataset, ProtocolSettings(batch_size=32), progress=False)
    samples = tiny_dataset.samples
    outcome = runner.run("zero_shot", samples.iloc[:4], samples.iloc[300:306], seed=0, tag="zero-shot")
    assert outcome.details["images"] == "streamed" and outcome.predicted.shape == (6,)
