from __future__ import annotations

import json
from pathlib import Path

import pytest
import timm
import torch
import torchvision
from torch import nn

from fovkit.errors import InputError
from fovkit.models import (
    ImageClassifier,
    LabelSpace,
    Preprocessing,
    classifier_from_module,
    imagenet_labels,
    load_backbone,
    load_classifier,
    save_classifier,
)
from fovkit.models.classifiers import PAPER_TEMPLATES
from fovkit.models.zero_shot import ZeroShotClassifier

IMAGES = torch.rand(2, 3, 40, 48, generator=torch.Generator().manual_seed(0))
CLIP = "open_clip:ViT-S-32-alt"  # a small open_clip architecture with a bundled tokenizer, random-initialised


def logits(classifier: nn.Module, images: torch.Tensor = IMAGES) -> torch.Tensor:
    with torch.no_grad():
        return classifier(images)


def test_timm_keeps_its_imagenet_head():
    classifier = load_classifier("timm:resnet18", weights="random", seed=0)
    assert isinstance(classifier, ImageClassifier) and not classifier.training
    assert classifier.labels == imagenet_labels() and classifier.card.feature_dim == 1000
    out = logits(classifier)
    assert out.shape == (2, 1000) and out.dtype == torch.float32
    config = timm.models.get_pretrained_cfg("resnet18")
    assert classifier.card.preprocessing == Preprocessing(224, config.mean, config.std, "bicubic", config.crop_pct)
    assert (classifier.card.weights, classifier.card.weights_digest) == ("random", "random-0")
    assert torch.equal(logits(load_classifier("timm:resnet18", weights="random", seed=0)), out)
    assert not torch.allclose(logits(load_classifier("timm:resnet18", weights="random", seed=1)), out)


def test_timm_head_of_another_width_from_a_checkpoint(tmp_path: Path):
    with torch.random.fork_rng():
        torch.manual_seed(1)
        network = timm.create_model("resnet18", num_classes=10).eval()
    torch.save(network.state_dict(), tmp_path / "ten.pth")
    classifier = load_classifier("timm:resnet18", weights=tmp_path / "ten.pth")
    assert classifier.labels.names == tuple(f"class_{index}" for index in range(10))
    with torch.no_grad():
        expected = network(classifier.card.preprocessing.apply(IMAGES))
    torch.testing.assert_close(logits(classifier), expected)
    names = [f"digit {index}" for index in range(10)]
    named = load_classifier("timm:resnet18", weights=tmp_path / "ten.pth", labels=names)
    assert named.labels == LabelSpace("user", tuple(names))
    with pytest.raises(InputError, match="timm:resnet18 returns 10 logits but 3 labels were given") as error:
        load_classifier("timm:resnet18", weights=tmp_path / "ten.pth", labels=["a", "b", "c"])
    assert error.value.field == "labels"


def test_timm_checkpoint_round_trip_keeps_the_labels(tmp_path: Path):
    classifier = load_classifier("timm:resnet18", weights="random", seed=2)
    with torch.no_grad():
        classifier.network.fc.bias.add_(torch.linspace(0, 1, 1000))
    path = save_classifier(classifier, tmp_path / "trained.pt")
    card = json.loads((tmp_path / "trained.card.json").read_text())
    assert card["id"] == "timm:resnet18" and card["weights"] == str(path) and len(card["labels"]["names"]) == 1000
    loaded = load_classifier("timm:resnet18", weights=path)
    assert torch.equal(logits(loaded), logits(classifier))
    assert loaded.labels == classifier.labels and loaded.card.weights_digest == card["weights_digest"]


def test_torchvision_keeps_its_head():
    classifier = load_classifier("torchvision:resnet18", weights="random", seed=0)
    assert classifier.labels == imagenet_labels() and logits(classifier).shape == (2, 1000)
    assert isinstance(classifier.network.fc, nn.Linear)
    transform = torchvision.models.ResNet18_Weights.DEFAULT.transforms()
    assert classifier.card.preprocessing == Preprocessing(
        224, tuple(transform.mean), tuple(transform.std), "bilinear", crop_pct=224 / 256
    )


def test_torchvision_checkpoint_with_another_width(tmp_path: Path):
    with torch.random.fork_rng():
        torch.manual_seed(3)
        network = torchvision.models.resnet18(num_classes=7).eval()
    torch.save(network.state_dict(), tmp_path / "seven.pt")
    classifier = load_classifier("torchvision:resnet18", weights=tmp_path / "seven.pt", labels=list("abcdefg"))
    with torch.no_grad():
        expected = network(classifier.card.preprocessing.apply(IMAGES))
    torch.testing.assert_close(logits(classifier), expected)
    assert classifier.labels.names == tuple("abcdefg")


def test_open_clip_zero_shot_head_matches_the_protocol():
    names = ["coffee mug", "sports car", "chair"]
    classifier = load_classifier(CLIP, weights="random", labels=names, seed=0)
    assert classifier.labels == LabelSpace("user", tuple(names)) and classifier.card.feature_dim == 3
    reference = ZeroShotClassifier(load_backbone(CLIP, weights="random", seed=0), names, PAPER_TEMPLATES)
    torch.testing.assert_close(logits(classifier), logits(reference))
    other = load_classifier(CLIP, weights="random", labels=names, templates=["a sketch of a {}."])
    assert not torch.allclose(other.network.text_embeddings, classifier.network.text_embeddings)
    with pytest.raises(InputError, match=r"needs the class names: labels=") as error:
        load_classifier(CLIP, weights="random")
    assert error.value.field == "labels"


def test_open_clip_zero_shot_round_trip(tmp_path: Path):
    classifier = load_classifier(CLIP, weights="random", labels=["cat", "dog"], seed=4)
    path = save_classifier(classifier, tmp_path / "zero_shot.safetensors")
    loaded = load_classifier(CLIP, weights=path)
    assert loaded.labels == classifier.labels
    assert torch.equal(logits(loaded), logits(classifier))


def test_classifier_from_module_checks_the_width():
    module = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
    classifier = classifier_from_module(module, Preprocessing(16), ["a", "b", "c"], name="toy")
    assert classifier.card.id == "module:toy" and classifier.labels.names == ("a", "b", "c")
    assert logits(classifier).shape == (2, 3)
    with pytest.raises(InputError, match="the module returns 3 logits per image but 2 labels were given"):
        classifier_from_module(module, Preprocessing(16), ["a", "b"])
    with pytest.raises(InputError, match="N x classes logits"):
        classifier_from_module(nn.Conv2d(3, 2, 3), Preprocessing(16), ["a", "b"])
    with pytest.raises(InputError, match="labels must be a non-empty list"):
        classifier_from_module(module, Preprocessing(16), "abc")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("fovkit:efficientnet_lite3", "unknown built-in classifier 'efficientnet_lite3'; closest matches: "),
        ("efficientnet_lite", "'efficientnet_lite0'"),
        ("resnet_small", "unknown built-in classifier 'resnet_small'"),
        ("resnet18", "did you mean timm:resnet18 or torchvision:resnet18?"),
        ("timm:resnet18x", "unknown timm model 'resnet18x'; closest matches: ['resnet18'"),
        ("torchvision:resnet_18", "closest matches: ['resnet18'"),
        ("keras:resnet50", "sources: fovkit, timm, open_clip, torchvision"),
        ("", "a classifier is named <source>:<model>"),
    ],
)
def test_unknown_names(name: str, message: str):
    with pytest.raises(InputError) as error:
        load_classifier(name, weights="random")
    assert message in str(error.value) and error.value.field == "name"
    if "built-in" in message:
        assert "fovkit.models.list_classifiers() lists all 4" in str(error.value)


def test_bad_weights_and_seed(tmp_path: Path):
    with pytest.raises(InputError, match="is no file; after '@' give a checkpoint file"):
        load_classifier("timm:resnet18", weights="randon")
    with pytest.raises(InputError, match="seed must be an integer"):
        load_classifier("timm:resnet18", weights="random", seed=0.5)
    path = save_classifier(load_classifier("timm:resnet18", weights="random"), tmp_path / "r18.pt")
    with pytest.raises(InputError, match="saved from 'timm:resnet18', not 'timm:resnet34'"):
        load_classifier("timm:resnet34", weights=path)
    with pytest.raises(InputError, match="expected a fovkit ImageClassifier"):
        save_classifier(nn.Linear(2, 2), tmp_path / "x.pt")


def test_a_model_sees_the_same_view_whether_or_not_its_caller_prepared_the_images():
    from torch import nn

    from fovkit.models import Preprocessing, classifier_from_module

    preprocessing = Preprocessing(input_size=16, crop_pct=0.8, interpolation="bicubic")
    with torch.random.fork_rng():
        torch.manual_seed(0)
        network = nn.Sequential(nn.Flatten(), nn.Linear(3 * 16 * 16, 4))
    classifier = classifier_from_module(network, preprocessing, list("abcd"))
    images = torch.rand(3, 3, 40, 40)
    prepared = torch.stack([preprocessing.prepare(image) for image in images])
    assert prepared.shape == (3, 3, 16, 16)
    with torch.inference_mode():
        assert torch.allclose(classifier(images), classifier(prepared), atol=1e-5)
        squashed = torch.nn.functional.interpolate(images, size=(16, 16), mode="bicubic", antialias=True)
        assert not torch.allclose(classifier(images), classifier(squashed.clamp(0, 1)), atol=1e-3)
