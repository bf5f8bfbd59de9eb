"""Decoding rendered images into memory and batching them as float tensors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fovkit.errors import InputError
from fovkit.protocols.data import ImageBatches, TensorImageDataset, as_labels, iter_batches, load_images, to_float
from fovkit.render.store import RenderedDataset, ShardImageDataset


@pytest.fixture(scope="module")
def shuffled_rows(tiny_dataset: RenderedDataset):
    """Rows from several shards in a scrambled order, so restoring the requested order is tested."""
    return tiny_dataset.samples.sample(n=90, random_state=3)


def test_load_images_keeps_requested_order(tiny_dataset: RenderedDataset, shuffled_rows):
    assert shuffled_rows["shard"].nunique() > 1
    images = load_images(tiny_dataset, shuffled_rows)
    size = tiny_dataset.config.image_size
    assert images.dtype == torch.uint8 and images.shape == (len(shuffled_rows), 3, size, size)
    expected = np.stack(list(tiny_dataset.images(shuffled_rows))).transpose(0, 3, 1, 2)
    assert torch.equal(images, torch.from_numpy(expected))


def test_load_images_of_no_rows(tiny_dataset: RenderedDataset):
    images = load_images(tiny_dataset, tiny_dataset.samples.iloc[:0])
    assert images.shape == (0, 3, 32, 32)


def test_load_images_needs_location_columns(tiny_dataset: RenderedDataset):
    with pytest.raises(InputError, match="shard") as caught:
        load_images(tiny_dataset, tiny_dataset.samples.drop(columns=["shard"]))
    assert caught.value.field == "rows"


def test_tensor_dataset_items_and_batches(tiny_dataset: RenderedDataset, shuffled_rows):
    data = TensorImageDataset.from_rows(tiny_dataset, shuffled_rows)
    reference = ShardImageDataset(tiny_dataset, shuffled_rows)
    image, label = data[5]
    expected_image, expected_label = reference[5]
    assert image.dtype == torch.float32 and label == expected_label
    assert torch.equal(image, expected_image)
    images, labels = data.batch(torch.tensor([5, 0]))
    assert images.shape == (2, 3, 32, 32) and images.max() <= 1.0
    assert labels.tolist() == [expected_label, int(shuffled_rows["label"].iloc[0])]


def test_iter_batches_covers_every_image_in_order(tiny_dataset: RenderedDataset, shuffled_rows):
    images = load_images(tiny_dataset, shuffled_rows)
    batches = list(iter_batches(images, batch_size=32))
    assert [len(batch) for batch in batches] == [32, 32, 26]
    assert torch.equal(torch.cat(batches), to_float(images))


def test_dataset_source_matches_tensor_source(tiny_dataset: RenderedDataset, shuffled_rows):
    from_tensor = ImageBatches(load_images(tiny_dataset, shuffled_rows)).take(torch.tensor([4, 1, 7]))
    from_dataset = ImageBatches(ShardImageDataset(tiny_dataset, shuffled_rows)).take(torch.tensor([4, 1, 7]))
    assert torch.equal(from_tensor, from_dataset)


@pytest.mark.parametrize(
    ("images", "match"),
    [
        (torch.zeros(2, 3, 8, 8), "uint8"),
        (torch.zeros(2, 8, 8, 3, dtype=torch.uint8), "N x 3 x H x W"),
        (np.zeros((2, 8, 8, 3), dtype=np.uint8), "numpy array"),
        (7, "map-style dataset"),
    ],
)
def test_bad_images_are_refused(images, match):
    with pytest.raises(InputError, match=match) as caught:
        ImageBatches(images)
    assert caught.value.field == "images"
    if isinstance(images, torch.Tensor):
        with pytest.raises(InputError, match=match):
            TensorImageDataset(images, [0, 1])


def test_dataset_items_must_be_image_tensors():
    with pytest.raises(InputError, match="dataset item 0"):
        ImageBatches([(np.zeros((8, 8, 3)), 0)]).take(torch.tensor([0]))


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        ([0, 1], "2 labels for 3 images"),
        ([0.0, 1.0, 2.0], "integer"),
        ([[0, 1, 2]], "one-dimensional"),
        ([0, -1, 2], "non-negative"),
    ],
)
def test_bad_labels_are_refused(labels, match):
    with pytest.raises(InputError, match=match) as caught:
        as_labels(labels, 3)
    assert caught.value.field == "labels"
