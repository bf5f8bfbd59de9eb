"""The adaptation registry and `adapt`: every method streams aligned logits, leaves the caller's model and its file
alone, records device and precision; settings and inputs are checked with clear messages."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch

from fovkit.adaptation import (
    AdaptationSettings,
    BatchNormSettings,
    SelfLearningSettings,
    TentSettings,
    adapt,
    get_method,
    list_methods,
    method_settings,
    rebatch,
)
from fovkit.errors import InputError

METHODS = ("bn", "none", "rpl", "tent")
SETTINGS = {"none": AdaptationSettings, "bn": BatchNormSettings, "tent": TentSettings, "rpl": SelfLearningSettings}


def test_the_registry_lists_the_four_methods_with_their_settings():
    assert list_methods() == list(METHODS)
    assert list_methods("t*") == ["tent"]
    for name in METHODS:
        method = get_method(name)
        assert method.name == name and method.description
        assert method.settings is SETTINGS[name]
        assert method.settings().model_config["frozen"]


@pytest.mark.parametrize("method", METHODS)
def test_every_method_streams_logits_aligned_with_the_images(bar_task, method: str):
    images = bar_task.shifted[:19]
    stream = [images[:5], images[5:12], images[12:12], images[12:]]  # 5, 7, an empty batch, 7
    run = adapt(bar_task.model, stream, method, {"batch_size": 4}, device="cpu")
    logits = list(run)
    assert [len(batch) for batch in logits] == [4, 4, 4, 4, 3]
    assert all(batch.dtype == torch.float32 and not batch.requires_grad for batch in logits)
    assert run.details() == {
        "method": method,
        "settings": SETTINGS[method](batch_size=4).model_dump(mode="json"),
        "device": "cpu",
        "precision": "float32",
    }
    # Without batch_size the stream's own batches are used; the empty one yields nothing.
    assert [len(batch) for batch in adapt(bar_task.model, stream, method, device="cpu")] == [5, 7, 7]


@pytest.mark.parametrize("method", METHODS)
def test_adaptation_never_changes_the_callers_model_or_its_file(bar_task, method: str, tmp_path: Path):
    model = bar_task.model
    checkpoint = tmp_path / "bars.pt"
    torch.save(model.state_dict(), checkpoint)
    digest = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    before = {name: value.clone() for name, value in model.state_dict().items()}
    flags = [parameter.requires_grad for parameter in model.parameters()]
    settings = {"prior": 0.0} if method == "bn" else {"lr": 0.1, "steps": 2} if method in ("tent", "rpl") else {}
    run = adapt(model, bar_task.batches(bar_task.shifted), method, settings, device="cpu")
    list(run)
    after = model.state_dict()
    assert after.keys() == before.keys()
    assert all(torch.equal(after[name], value) for name, value in before.items())
    assert [parameter.requires_grad for parameter in model.parameters()] == flags and not model.training
    assert run.model is not model
    assert hashlib.sha256(checkpoint.read_bytes()).hexdigest() == digest


def test_rebatch_regroups_in_order():
    stream = [torch.arange(3), torch.arange(3, 4), torch.arange(4, 10)]
    assert [batch.tolist() for batch in rebatch(stream, 4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [batch.tolist() for batch in rebatch(stream, 20)] == [list(range(10))]


def test_bf16_autocast_is_recorded(bar_task):
    run = adapt(bar_task.model, bar_task.batches(bar_task.shifted)[:1], "tent", device="cpu", mixed_precision="bf16")
    logits = next(run)
    assert run.precision == "bfloat16" and logits.dtype == torch.float32 and torch.isfinite(logits).all()


def test_gradient_methods_run_inside_the_callers_inference_mode(bar_task):
    with torch.inference_mode():
        batches = [bar_task.shifted[:32] * 1.0]
        logits = list(adapt(bar_task.model, batches, "rpl", device="cpu"))
    assert logits[0].shape == (32, 4)


@pytest.mark.parametrize(
    ("method", "settings", "message"),
    [
        ("tnet", None, "field 'method': unknown adaptation method 'tnet'; closest matches: ['tent', 'none']"),
        ("bn", {"prior": -1}, "field 'prior': must be a number >= 0, got -1"),
        ("bn", {"priors": 16}, "unknown key 'priors'; did you mean 'prior'?"),
        ("tent", {"optimizer": "rmsprop"}, 'field \'optimizer\': must be one of: "adam", "sgd", got "rmsprop"'),
        ("rpl", {"q": 0}, "field 'q': must be a number > 0 and <= 1, got 0"),
        ("none", {"batch_size": 0}, "field 'batch_size': must be a whole number > 0, got 0"),
        ("bn", TentSettings(), "method 'bn' takes BatchNormSettings, got TentSettings"),
        ("tent", "fast", "settings must be None, a TentSettings or a dict of its fields, got str"),
    ],
)
def test_bad_methods_and_settings_are_refused_clearly(bar_task, method, settings, message):
    with pytest.raises(InputError) as raised:
        adapt(bar_task.model, [], method, settings, device="cpu")
    assert message in str(raised.value)


def test_bad_batches_devices_and_precisions_are_refused(bar_task):
    with pytest.raises(InputError, match=r"batch 1 is a torch.uint8 tensor of shape \(2, 3, 32, 32\)"):
        list(adapt(bar_task.model, [bar_task.shifted[:2], torch.zeros(2, 3, 32, 32, dtype=torch.uint8)], "bn"))
    with pytest.raises(InputError, match="mixed_precision must be off, auto or bf16, got 'fp16'"):
        adapt(bar_task.model, [], "bn", device="cpu", mixed_precision="fp16")
    with pytest.raises(InputError, match="unknown device 'gpu7'"):
        adapt(bar_task.model, [], "bn", device="gpu7")


def test_settings_defaults_follow_the_papers():
    assert method_settings("bn") == BatchNormSettings(prior=0.0, batch_size=None)
    tent = method_settings("tent")
    assert (tent.optimizer, tent.learning_rate(), tent.steps, tent.episodic) == ("adam", 1e-3, 1, False)
    assert method_settings("tent", {"optimizer": "sgd"}).learning_rate() == 2.5e-4
    rpl = method_settings("rpl")
    assert (rpl.optimizer, rpl.learning_rate(), rpl.q, rpl.teacher_update_every) == ("sgd", 7.5e-4, 0.8, 1)
