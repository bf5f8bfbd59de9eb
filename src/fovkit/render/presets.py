"""Render configs shipped with fovkit (`paper`, `small`) and loading a config from a TOML path or preset name."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fovkit.configs import load_config
from fovkit.errors import InputError
from fovkit.render.config import RenderConfig


def list_presets() -> list[str]:
    """Names of the shipped presets."""
    folder = resources.files("fovkit.render") / "presets"
    return sorted(Path(str(entry)).stem for entry in folder.iterdir() if str(entry).endswith(".toml"))


def load_render_config(source: str | Path) -> RenderConfig:
    """A RenderConfig from a TOML file, or from a shipped preset given by name (see `list_presets`)."""
    path = Path(source)
    if not path.exists() and str(source) in list_presets():
        path = Path(str(resources.files("fovkit.render") / "presets" / f"{source}.toml"))
    if not path.exists():
        raise InputError(f"no such config file or preset; presets: {list_presets()}", path=path)
    return load_config(RenderConfig, path)
