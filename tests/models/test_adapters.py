from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import open_clip
import pytest
import timm
import torch
import torchvision
from timm.data import resolve_data_config
from torch import nn

from fovkit.errors import InputError
from fovkit.models import Backbone, Preprocessing, from_module, load_backbone, save_backbone
from fovkit.models.adapters import OpenClipText
from fovkit.models.weights import state_digest

IMAGES = torch.rand(2, 3, 32, 32)  # small inputs: every backbone resizes them to its own input size


def features(backbone: Backbone, images: torch.Tensor = IMAGES) -> torch.Tensor:
    with torch.no_grad():
        return backbone(images)


@pytest.mark.parametrize(
    ("name", "dim"), [("timm:resnet18", 512), ("timm:vit_tiny_patch16_224", 192), ("timm:resnet18.a1_in1k", 512)]
)
def test_timm_features_and_preprocessing(name: str, dim: int):
    backbone = load_backbone(name, weights="random", seed=0)
    assert features(backbone).shape == (2, dim)
    assert backbone.card.feature_dim == dim and backbone.card.source == "timm" and backbone.card.id == name
    config = resolve_data_config({}, model=timm.create_model(name.removeprefix("timm:")))
    preprocessing = backbone.card.preprocessing
    assert preprocessing.input_size == config["input_size"][-1]
    assert preprocessing.mean == pytest.approx(config["mean"]) and preprocessing.std == pytest.approx(config["std"])
    assert preprocessing.interpolation == config["interpolation"] == "bicubic"


def test_timm_vit_uses_its_own_statistics():
    assert load_backbone("timm:vit_tiny_patch16_224", weights="random").card.preprocessing == Preprocessing(
        224, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5), "bicubic"
    )


@pytest.mark.parametrize("suffix", [".safetensors", ".pth"])
def test_timm_checkpoint_path_round_trip(suffix: str, tmp_path: Path):
    backbone = load_backbone("timm:resnet18", weights="random", seed=7)
    path = save_backbone(backbone, tmp_path / f"resnet18{suffix}")
    loaded = load_backbone("timm:resnet18", weights=path)
    assert torch.equal(features(loaded), features(backbone))
    assert loaded.card.weights == str(path) and loaded.card.weights_digest == state_digest(backbone.trunk)


def test_timm_loads_a_full_classifier_checkpoint(tmp_path: Path):
    with torch.random.fork_rng():
        torch.manual_seed(1)
        classifier = timm.create_model("resnet18", num_classes=1000).eval()
    torch.save(classifier.state_dict(), tmp_path / "full.pth")
    loaded = load_backbone("timm:resnet18", weights=tmp_path / "full.pth")
    with torch.no_grad():
        expected = classifier.forward_head(classifier.forward_features(loaded.card.preprocessing.apply(IMAGES)), True)
    torch.testing.assert_close(features(loaded), expected)


def test_timm_rejects_a_foreign_checkpoint(tmp_path: Path):
    path = save_backbone(load_backbone("vit_tiny"), tmp_path / "vit.pt")
    with pytest.raises(InputError, match="does not fit this architecture") as error:
        load_backbone("timm:resnet18", weights=path)
    assert error.value.path == path


def test_torchvision_features_and_preprocessing():
    backbone = load_backbone("torchvision:resnet18", weights="random", seed=0)
    assert features(backbone).shape == (2, 512)
    transform = torchvision.models.ResNet18_Weights.DEFAULT.transforms()
    assert backbone.card.preprocessing == Preprocessing(
        transform.crop_size[0], tuple(transform.mean), tuple(transform.std), "bilinear"
    )
    assert isinstance(backbone.trunk.fc, nn.Identity) and backbone.card.feature_dim == 512


def test_torchvision_checkpoint_path_round_trip(tmp_path: Path):
    backbone = load_backbone("torchvision:resnet18", weights="random", seed=4)
    path = save_backbone(backbone, tmp_path / "tv.safetensors")
    assert torch.equal(features(load_backbone("torchvision:resnet18", weights=path)), features(backbone))

    with torch.random.fork_rng():
        torch.manual_seed(2)
        classifier = torchvision.models.resnet18(num_classes=10).eval()
    torch.save({"state_dict": classifier.state_dict()}, tmp_path / "full.pt")  # head and wrapper are dropped
    loaded = load_backbone("torchvision:resnet18", weights=tmp_path / "full.pt")
    classifier.fc = nn.Identity()
    with torch.no_grad():
        expected = classifier(loaded.card.preprocessing.apply(IMAGES))
    torch.testing.assert_close(features(loaded), expected)


@pytest.mark.parametrize(("name", "dim"), [("mobilenet_v3_small", 1024), ("googlenet", 1024)])
def test_torchvision_heads_are_found(name: str, dim: int):
    backbone = load_backbone(f"torchvision:{name}", weights="random")
    assert backbone.card.feature_dim == dim
    backbone.train()  # GoogLeNet's auxiliary heads are gone: training mode still returns one tensor
    assert backbone(torch.rand(2, 3, 32, 32)).shape == (2, dim)


def test_torchvision_without_linear_head_points_to_from_module():
    with pytest.raises(InputError, match="from_module"):
        load_backbone("torchvision:squeezenet1_0", weights="random")


def test_open_clip_towers_and_preprocessing():
    backbone = load_backbone("open_clip:ViT-S-32-alt", weights="random", seed=0)
    assert features(backbone).shape == (2, 256) and backbone.card.feature_dim == 256
    config = open_clip.create_model("ViT-S-32-alt").visual.preprocess_cfg
    assert backbone.card.preprocessing == Preprocessing(
        config["size"][0], tuple(config["mean"]), tuple(config["std"]), config["interpolation"]
    )
    assert isinstance(backbone.text_encoder, OpenClipText)
    with torch.no_grad():
        text = backbone.text_encoder(["a photo of a mug.", "a photo of a car.", "a photo of a chair."])
    assert text.shape == (3, 256)
    assert not torch.allclose(text[0], text[1])
    # The text tower's weights live once, under the trunk.
    assert list(backbone.text_encoder.parameters()) == []
    assert sum(p.numel() for p in backbone.parameters()) == sum(p.numel() for p in backbone.trunk.parameters())


def test_open_clip_deepcopy_keeps_the_towers_together():
    backbone = load_backbone("open_clip:ViT-S-32-alt", weights="random", seed=0)
    twin = copy.deepcopy(backbone)
    prompts = ["a photo of a mug."]
    with torch.no_grad():
        before = backbone.text_encoder(prompts)
        assert torch.equal(twin.text_encoder(prompts), before)
        for parameter in twin.trunk.parameters():
            parameter.mul_(0.5)
        assert not torch.equal(twin.text_encoder(prompts), before)  # the copy's text tower is the copy's model
        assert torch.equal(backbone.text_encoder(prompts), before)


def test_open_clip_checkpoint_path_round_trip(tmp_path: Path):
    backbone = load_backbone("open_clip:ViT-S-32-alt", weights="random", seed=3)
    path = save_backbone(backbone, tmp_path / "clip.safetensors")
    loaded = load_backbone("open_clip:ViT-S-32-alt", weights=path)
    assert torch.equal(features(loaded), features(backbone))
    prompts = ["a photo of a mug."]
    with torch.no_grad():
        assert torch.equal(loaded.text_encoder(prompts), backbone.text_encoder(prompts))
    assert loaded.card.weights_digest == state_digest(backbone.trunk)


def test_open_clip_tag_loads_from_a_filled_cache(fill_hf_cache: Callable, tmp_path: Path):
    name = "open_clip:PE-Core-T-16-384/meta"
    reference = load_backbone(name, weights="random", seed=1)
    assert reference.card.preprocessing == Preprocessing(384, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5), "bilinear")
    saved = save_backbone(reference, tmp_path / "pe.safetensors")
    cached = fill_hf_cache("timm/PE-Core-T-16-384", "open_clip_model.safetensors", saved)
    backbone = load_backbone(name)
    assert backbone.card.weights == str(cached)
    assert torch.equal(features(backbone), features(reference))


def test_from_module_infers_feature_dim():
    module = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5))
    backbone = from_module(module, Preprocessing(input_size=16), name="toy")
    assert backbone.card.feature_dim == 5 and backbone.card.id == "module:toy" and backbone.card.source == "module"
    assert features(backbone).shape == (2, 5)
    assert backbone.card.weights_digest == state_digest(module) and len(backbone.card.weights_digest) == 16
    assert from_module(module, Preprocessing(16), feature_dim=5).card.feature_dim == 5


def test_from_module_rejects_non_flat_outputs_and_bad_arguments():
    with pytest.raises(InputError, match="N x D features"):
        from_module(nn.Conv2d(3, 4, 3), Preprocessing(input_size=16))
    with pytest.raises(InputError, match="Preprocessing"):
        from_module(nn.Flatten(), {"input_size": 16})
    with pytest.raises(InputError, match=r"torch\.nn\.Module"):
        from_module(lambda images: images, Preprocessing(16))


def test_digest_tracks_the_weights():
    module = nn.Linear(3, 2)
    before = state_digest(module)
    assert state_digest(module) == before
    with torch.no_grad():
        module.bias.add_(1.0)
    assert state_digest(module) != before
