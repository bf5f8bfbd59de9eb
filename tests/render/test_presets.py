"""Presets and config sources: a file is a config, a folder never is, and a preset name finds the shipped file."""

from __future__ import annotations

from pathlib import Path

import pytest

from fovkit.errors import InputError
from fovkit.render.presets import config_path, list_presets, load_render_config, preset_note, preset_path


def test_five_presets_ship():
    assert list_presets() == ["paper", "paper64", "pretrain", "small", "study"]
    assert all(preset_path(name).is_file() for name in list_presets())


def test_a_folder_named_like_a_preset_is_not_a_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "small").mkdir()
    assert config_path("small") == preset_path("small")
    assert load_render_config("small").image_size == 96
    assert "small is a folder here, not a TOML file, so the preset small is used" in preset_note("small")
    assert preset_note("paper") is None


def test_a_local_file_named_like_a_preset_is_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    Path("small").write_text("classes = 2\nimage_size = 32\n")
    assert load_render_config("small").image_size == 32 and preset_note("small") is None


def test_folders_and_missing_files_are_refused(tmp_path: Path):
    with pytest.raises(InputError, match="a folder, not a TOML config file"):
        config_path(tmp_path)
    with pytest.raises(InputError, match=r"no such config file or preset; presets: .*'study'"):
        config_path(tmp_path / "missing.toml")
