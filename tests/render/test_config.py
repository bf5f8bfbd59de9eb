"""Render configs: every hostile value is refused with a message in the config's words, before anything renders."""

from __future__ import annotations

from pathlib import Path

import pytest

from fovkit.errors import InputError
from fovkit.render.assets import list_classes
from fovkit.render.backgrounds import list_backgrounds
from fovkit.render.config import BACKGROUND_TYPES, CATALOG_CLASSES, RenderConfig
from fovkit.render.presets import load_render_config


def load(folder: Path, text: str) -> RenderConfig:
    path = folder / "config.toml"
    path.write_text(text)
    return load_render_config(path)


def test_static_catalog_names_match_the_registries():
    assert list(CATALOG_CLASSES) == list_classes()
    assert sorted(BACKGROUND_TYPES) == list_backgrounds()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("classes = 0", ["classes = 0", "at least 1 class"]),
        ("classes = 500", ["classes = 500", "54 classes", "at most 54"]),
        ("classes = 55", ["at most 54"]),
        ('classes = ["mugg", "car"]', ["'mugg'", "'mug'"]),
        ('classes = ["mug", "car", "mug"]', ["more than once", "'mug'"]),
        ("classes = []", ["classes = []"]),
        ('classes = ["mug/../x"]', ["plain names"]),
        ("designs = []", ["designs = []", '"single"']),
        ('designs = ["single", "single"]', ["more than once"]),
        ("seed = -1", ["seed", "-1"]),
        ("combinations = 200000000", ["combinations = 200000000", "at most"]),
        ("held_out_fraction = 0.99\ninstances_per_class = 2", ["holds out all 2 instances"]),
        ('canonical_background = ["desert", 0]', ["'desert'", "background_types"]),
        ('canonical_background = ["sky", 7]', ["index 7", "0..4"]),
        ("grid_backgrounds = 99", ["grid_backgrounds = 99", "at most 25"]),
        ("background_types = []", ["background_types = []"]),
    ],
)
def test_hostile_values_are_refused_in_the_config_words(tmp_path: Path, text: str, words: list[str]):
    with pytest.raises(InputError) as caught:
        load(tmp_path, text)
    message = str(caught.value)
    assert str(tmp_path / "config.toml") in message
    for word in words:
        assert word in message, message


def test_two_axes_setting_the_same_parameter_are_refused(tmp_path: Path):
    text = """
[axes.pose]
parameter = "yaw"
low = -180.0
high = 180.0
canonical = 0.0

[axes.turn]
parameter = "yaw"
low = -90.0
high = 90.0
canonical = 0.0
"""
    with pytest.raises(InputError, match=r"\['pose', 'turn'\] all set the render parameter 'yaw'"):
        load(tmp_path, text)


@pytest.mark.parametrize("name", ["label", "background", "split"])
def test_axis_names_that_are_dataset_columns_are_refused(name: str):
    axis = {"parameter": "size", "low": 0.2, "high": 0.8, "canonical": 0.5}
    with pytest.raises(ValueError, match="are taken"):
        RenderConfig(axes={name: axis})


def test_non_finite_axis_values_are_refused():
    with pytest.raises(ValueError, match="finite"):
        RenderConfig(axes={"size": {"parameter": "size", "low": 0.2, "high": float("inf"), "canonical": 0.5}})


def test_asset_folder_configs_take_any_class_names_and_counts():
    config = RenderConfig(classes=["box", "mugg"], assets=Path("meshes"))
    assert config.classes == ["box", "mugg"]  # checked against the folder by fovkit.render.sources
    assert RenderConfig(classes=80, assets=Path("meshes")).classes == 80


def test_presets_are_valid_configs():
    for name in ("paper", "paper64", "pretrain", "small", "study"):
        assert load_render_config(name).factors[-1] == "background"
