from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from fovkit.errors import InputError
from fovkit.models import load_backbone, save_backbone
from fovkit.models.weights import torch_hub_checkpoints


@pytest.mark.parametrize("name", ["keras:resnet50", "tf:resnet50", "hf-hub:org/model"])
def test_unknown_source_lists_sources(name: str):
    with pytest.raises(InputError, match="sources: fovkit, timm, open_clip, torchvision") as error:
        load_backbone(name)
    assert error.value.field == "name"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("resnet_smal", "'resnet_small'"),
        ("fovkit:vit_tiniest", "'vit_tiny'"),
        ("timm:resnet18x", "'resnet18'"),
        ("timm:resnet18.a1_in1kk", "'resnet18.a1_in1k'"),
        ("torchvision:resnet_18", "'resnet18'"),
        ("open_clip:vit-b-32", "'ViT-B-32'"),
        ("open_clip:ViT-B-32/laion2b_s34b_b78k", "'ViT-B-32/laion2b_s34b_b79k'"),
    ],
)
def test_unknown_model_names_suggest_close_matches(name: str, expected: str):
    with pytest.raises(InputError, match="closest matches") as error:
        load_backbone(name, weights="random")
    assert expected in str(error.value)
    assert "lists all" in str(error.value)
    assert error.value.field == "name"


@pytest.mark.parametrize("name", ["", "timm:", "   "])
def test_empty_names(name: str):
    with pytest.raises(InputError):
        load_backbone(name)


def test_unknown_source_suggests_the_closest_in_command_line_syntax():
    with pytest.raises(InputError, match="did you mean 'torchvision:resnet18'") as error:
        load_backbone("torch:resnet18")
    assert "write <source>:<model>" in str(error.value)


def test_a_name_without_source_suggests_the_sources_that_have_it():
    with pytest.raises(InputError) as error:
        load_backbone("resnet18", weights="random")
    message = str(error.value)
    assert "did you mean timm:resnet18 or torchvision:resnet18?" in message
    assert "fovkit, timm, open_clip, torchvision" in message
    with pytest.raises(InputError, match=r"did you mean timm:vit_small_patch16_224\?"):
        load_backbone("vit_small_patch16_224", weights="random")  # timm only


@pytest.mark.parametrize("name", ["timm:", "torchvision:"])
def test_a_source_without_model_shows_an_example(name: str):
    with pytest.raises(InputError, match=f"e.g. {name}resnet18"):
        load_backbone(name)


def test_bad_weights_and_seed(tmp_path: Path):
    with pytest.raises(InputError, match="is no file; after '@' give a checkpoint file") as error:
        load_backbone("timm:resnet18", weights="randon")
    assert error.value.field == "weights"
    assert "timm:resnet18@random" in str(error.value)
    with pytest.raises(InputError, match="is a folder, not a checkpoint file"):
        load_backbone("timm:resnet18", weights=tmp_path)
    with pytest.raises(InputError, match="seed must be an integer"):
        load_backbone("resnet_small", seed=1.5)


def test_timm_missing_weights_say_how_to_provide_them(empty_caches: Path):
    with pytest.raises(InputError) as error:
        load_backbone("timm:resnet18")
    message = str(error.value)
    assert error.value.field == "weights"
    assert "timm weights for 'resnet18' are not in the local Hugging Face cache" in message
    assert str(empty_caches / "hf" / "hub") in message
    assert "timm.create_model('resnet18', pretrained=True) on a connected machine" in message
    assert "timm:resnet18@PATH" in message and "timm:resnet18@random" in message  # command-line syntax
    assert "weights=PATH" in message and "weights='random'" in message  # and Python's


def test_torchvision_missing_weights_say_how_to_provide_them(empty_caches: Path):
    with pytest.raises(InputError) as error:
        load_backbone("torchvision:resnet18")
    message = str(error.value)
    assert error.value.field == "weights"
    assert "ResNet18_Weights.IMAGENET1K_V1" in message
    assert str(empty_caches / "torch" / "hub" / "checkpoints" / "resnet18-f37072fd.pth") in message
    assert "get_model('resnet18', weights='DEFAULT') on a connected machine" in message
    assert "torchvision:resnet18@PATH" in message and "weights=PATH" in message


def test_open_clip_missing_weights_say_how_to_provide_them(empty_caches: Path):
    with pytest.raises(InputError) as error:
        load_backbone("open_clip:ViT-B-32/laion2b_s34b_b79k")
    message = str(error.value)
    assert error.value.field == "weights"
    assert "open_clip weights 'laion2b_s34b_b79k' for 'ViT-B-32' are not in the local Hugging Face cache" in message
    assert "pretrained='laion2b_s34b_b79k') on a connected machine" in message
    with pytest.raises(InputError, match=r"names no pretrained tag; add one, e\.g\. 'open_clip:ViT-B-32/openai'"):
        load_backbone("open_clip:ViT-B-32")
    with pytest.raises(InputError, match="open_clip has no pretrained weights for 'ViT-S-32-alt'"):
        load_backbone("open_clip:ViT-S-32-alt")


def test_timm_pretrained_weights_load_from_a_filled_cache(fill_hf_cache: Callable, tmp_path: Path):
    reference = load_backbone("timm:resnet18", weights="random", seed=5)
    saved = save_backbone(reference, tmp_path / "resnet18.safetensors")
    cached = fill_hf_cache("timm/resnet18.a1_in1k", "model.safetensors", saved)

    backbone = load_backbone("timm:resnet18")
    assert backbone.card.weights == str(cached)
    assert backbone.card.weights_digest == load_backbone("timm:resnet18", weights=saved).card.weights_digest
    images = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(backbone(images), reference(images))


def test_timm_url_weights_load_from_the_torch_hub_cache(empty_caches: Path, tmp_path: Path):
    reference = load_backbone("timm:resnet18.tv_in1k", weights="random", seed=2)
    checkpoints = torch_hub_checkpoints()
    checkpoints.mkdir(parents=True)
    # timm's resnet18.tv_in1k also lives on the hub; with the hub cache empty, the torch hub copy is used.
    saved = save_backbone(reference, checkpoints / "resnet18-f37072fd.pth")
    backbone = load_backbone("timm:resnet18.tv_in1k")
    assert backbone.card.weights == str(saved)


def test_torchvision_damaged_cache_file_is_reported(empty_caches: Path):
    cached = torch_hub_checkpoints() / "resnet18-f37072fd.pth"
    cached.parent.mkdir(parents=True)
    torch.save({}, cached)  # present, but not the file torchvision published
    with pytest.raises(InputError, match="damaged") as error:
        load_backbone("torchvision:resnet18")
    assert error.value.path == cached
