import pytest

from fovkit.models.weights import write_state_dict
from fovkit.protocols import backbones
from fovkit.protocols.backbones import PretrainConfig, default_backbone, pretraining_classes, resolve_backbone
from fovkit.protocols.config import FinetuneConfig
from fovkit.render.config import RenderConfig

TINY_PRETRAIN = PretrainConfig(
    render=RenderConfig(
        classes=["bench", "cup"],
        instances_per_class=2,
        held_out_fraction=0.0,
        image_size=32,
        designs=("all",),
        combinations=8,
        samples=1,
        shard_size=100,
    ),
    training=FinetuneConfig(epochs=1, batch_size=8, max_steps=3),
)


def test_default_backbone_is_pretrained_once_then_loaded_from_the_cache(tmp_path, monkeypatch):
    first = default_backbone(TINY_PRETRAIN, root=tmp_path, progress=False)
    assert first.card.id == "fovkit:default"
    assert first.card.weights_digest not in ("", "random-0")
    folder = tmp_path / f"default-{TINY_PRETRAIN.key()}"
    assert (folder / "pretrain.json").is_file() and (folder / "history.csv").is_file()

    def refuse(*args):
        raise AssertionError("pretrained again")

    monkeypatch.setattr(backbones, "_pretrain", refuse)
    again = default_backbone(TINY_PRETRAIN, root=tmp_path, progress=False)
    assert again.card == first.card
    state, other = first.state_dict(), again.state_dict()
    assert all((state[key] == other[key]).all() for key in state)


def test_cached_weights_that_differ_from_their_recorded_digest_are_trained_again(tmp_path, monkeypatch):
    first = default_backbone(TINY_PRETRAIN, root=tmp_path, progress=False)
    weights = tmp_path / f"default-{TINY_PRETRAIN.key()}" / backbones.WEIGHTS
    state = {key: value.clone() for key, value in first.trunk.state_dict().items()}
    name = next(key for key, value in state.items() if value.is_floating_point())
    state[name] += 1.0
    write_state_dict(state, weights)  # the file now holds other weights than its card records
    calls = []
    original = backbones._pretrain
    monkeypatch.setattr(backbones, "_pretrain", lambda *args: calls.append(1) or original(*args))
    again = default_backbone(TINY_PRETRAIN, root=tmp_path, progress=False)
    assert calls == [1]
    assert again.card.weights_digest == first.card.weights_digest


def test_pretraining_classes_are_disjoint_from_the_study_preset():
    from fovkit.render.presets import load_render_config

    assert set(pretraining_classes()).isdisjoint(load_render_config("study").classes)
    assert len(pretraining_classes()) == 27


def test_resolve_passes_other_specs_to_the_registry():
    backbone = resolve_backbone("fovkit:vit_tiny")
    assert backbone.card.id == "fovkit:vit_tiny"
    with pytest.raises(Exception, match="vit_tiny"):
        resolve_backbone("fovkit:vit_tin")


def test_pretraining_gives_the_same_weights_whatever_the_global_random_state(tmp_path):
    import torch

    torch.manual_seed(123)
    first = default_backbone(TINY_PRETRAIN, root=tmp_path / "a", progress=False)
    torch.manual_seed(456)
    second = default_backbone(TINY_PRETRAIN, root=tmp_path / "b", progress=False)
    assert first.card.weights_digest == second.card.weights_digest
