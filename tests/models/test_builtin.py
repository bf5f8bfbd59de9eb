from __future__ import annotations

import json

import pytest
import torch

from fovkit.errors import InputError
from fovkit.models import (
    Backbone,
    Classifier,
    Preprocessing,
    list_backbones,
    list_classifiers,
    load_backbone,
    save_backbone,
)
from fovkit.models.builtin import BUILTINS
from fovkit.registry import Registry

BUILTIN_NAMES = [f"fovkit:{name}" for name in BUILTINS.names()]  # the pretrained ones: test_pretrained.py
FEATURE_DIMS = {"fovkit:resnet_small": 256, "fovkit:vit_tiny": 192}


def test_list_backbones_names_every_builtin():
    assert list_backbones() == sorted([*BUILTIN_NAMES, *list_classifiers()])
    assert set(FEATURE_DIMS) == set(BUILTIN_NAMES)
    assert list_backbones("resnet*") == ["fovkit:resnet_small"]
    assert list_backbones("fovkit:vit*") == ["fovkit:vit_tiny"]
    assert list_backbones("nothing*") == []


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_shapes_dtype_and_card(name: str):
    backbone = load_backbone(name, weights="random", seed=0)
    assert isinstance(backbone, Backbone)
    assert not backbone.training
    card = backbone.card
    assert card.id == name and card.source == "fovkit"
    assert card.feature_dim == FEATURE_DIMS[name]
    assert card.preprocessing == Preprocessing(input_size=64)
    assert (card.weights, card.weights_digest) == ("random", "random-0")
    with torch.no_grad():
        features = backbone(torch.rand(3, 3, 64, 64))
        resized = backbone(torch.rand(2, 3, 40, 48))  # any input size: resized inside
    assert features.shape == (3, card.feature_dim) and features.dtype == torch.float32
    assert resized.shape == (2, card.feature_dim)
    assert torch.isfinite(features).all()


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_seed_determines_weights_and_outputs(name: str):
    images = torch.rand(2, 3, 64, 64)
    state = torch.random.get_rng_state()
    first, again, other = (load_backbone(name, weights="random", seed=seed) for seed in (0, 0, 1))
    assert torch.equal(torch.random.get_rng_state(), state), "loading must not touch the global RNG"
    for key, value in first.state_dict().items():
        assert torch.equal(value, again.state_dict()[key]), key
    assert any(not torch.equal(value, other.state_dict()[key]) for key, value in first.state_dict().items())
    with torch.no_grad():
        assert torch.equal(first(images), again(images))
        assert not torch.allclose(first(images), other(images))
    assert load_backbone(name).card.weights_digest == "random-0"  # built-ins: no weights means random init
    assert other.card.weights_digest == "random-1"


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_trains_end_to_end(name: str):
    model = Classifier(load_backbone(name, weights="random"), num_classes=3).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    images, labels = torch.rand(8, 3, 64, 64), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    loss = torch.nn.functional.cross_entropy(model(images), labels)
    loss.backward()
    assert all(parameter.grad is not None for parameter in model.parameters())
    optimizer.step()


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_save_load_round_trip(name: str, suffix: str, tmp_path):
    backbone = load_backbone(name, weights="random", seed=3)
    with torch.no_grad():  # perturb so the saved weights differ from any seeded init
        for parameter in backbone.parameters():
            parameter.add_(0.01)
    path = save_backbone(backbone, tmp_path / f"trained{suffix}")
    assert path == tmp_path / f"trained{suffix}" and path.is_file()
    card = json.loads((tmp_path / "trained.card.json").read_text())
    assert card["id"] == name and card["weights"] == str(path)

    loaded = load_backbone(name, weights=path, seed=99)
    images = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(loaded(images), backbone.eval()(images))
    assert loaded.card.weights == str(path)
    assert loaded.card.weights_digest == card["weights_digest"]
    assert len(loaded.card.weights_digest) == 16
    assert loaded.card.weights_digest != backbone.card.weights_digest


def test_save_without_suffix_picks_safetensors(tmp_path):
    path = save_backbone(load_backbone("resnet_small"), tmp_path / "model")
    assert path.name == "model.safetensors" and (tmp_path / "model.card.json").is_file()
    with pytest.raises(InputError, match="suffix"):
        save_backbone(load_backbone("resnet_small"), tmp_path / "model.npz")


def test_card_restores_preprocessing(tmp_path):
    backbone = load_backbone("vit_tiny", weights="random")
    path = save_backbone(backbone, tmp_path / "vit.safetensors")
    card = json.loads((tmp_path / "vit.card.json").read_text())
    card["preprocessing"].update(mean=[0.5, 0.5, 0.5], std=[0.25, 0.25, 0.25], interpolation="bicubic")
    (tmp_path / "vit.card.json").write_text(json.dumps(card))
    loaded = load_backbone("fovkit:vit_tiny", weights=path)
    assert loaded.card.preprocessing == Preprocessing(64, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25), "bicubic")
    assert loaded.card.cache_key() != backbone.card.cache_key()


def test_card_of_another_model_is_refused(tmp_path):
    path = save_backbone(load_backbone("vit_tiny"), tmp_path / "vit.pt")
    with pytest.raises(InputError, match="saved from 'fovkit:vit_tiny'") as error:
        load_backbone("resnet_small", weights=path)
    assert error.value.field == "weights"


def test_checkpoint_of_another_architecture_is_refused(tmp_path):
    path = save_backbone(load_backbone("vit_tiny"), tmp_path / "vit.pt")
    path.with_suffix(".card.json").unlink()
    with pytest.raises(InputError, match="does not fit this architecture") as error:
        load_backbone("resnet_small", weights=path)
    assert error.value.path == path


def test_missing_or_unreadable_checkpoint(tmp_path):
    with pytest.raises(InputError, match="is no file") as error:
        load_backbone("resnet_small", weights=tmp_path / "missing.pt")
    assert error.value.field == "weights"
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="cannot read the checkpoint"):
        load_backbone("resnet_small", weights=tmp_path / "junk.pt")


def test_vit_input_size_must_fit_patches():
    with pytest.raises(InputError, match="multiple of the patch size"):
        BUILTINS.get("vit_tiny")(input_size=60)


def test_registry_rejects_duplicates_and_suggests_names():
    registry: Registry = Registry("built-in backbone", "fovkit.models.list_backbones()", "name")
    registry.register("resnet_small")(object)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("resnet_small")
    with pytest.raises(InputError, match=r"closest matches: \['resnet_small'\]"):
        load_backbone("fovkit:resnet_smal")
