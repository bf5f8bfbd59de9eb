"""Render configs shipped with fovkit (see `list_presets`) and loading a config from a TOML path or preset name.

Rule for a name that is both a preset and something here: an existing file is the config; a folder is never a
config, so a folder named like a preset (e.g. `small/`, an earlier output) leaves the preset in charge, and
`preset_note` says so.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from fovkit.errors import InputError

if TYPE_CHECKING:  # loaded on use: listing presets (for help texts) must not build the config models
    from fovkit.render.config import RenderConfig


def list_presets() -> list[str]:
    """Names of the shipped presets."""
    folder = resources.files("fovkit.render") / "presets"
    return sorted(Path(str(entry)).stem for entry in folder.iterdir() if str(entry).endswith(".toml"))


def preset_path(name: str) -> Path:
    """The TOML file of the shipped preset `name`."""
    return Path(str(resources.files("fovkit.render") / "presets" / f"{name}.toml"))


def config_path(source: str | Path) -> Path:
    """The TOML file `source` names: an existing file, else the preset of that name (a folder is never a config)."""
    path = Path(source)
    if path.is_file():
        return path
    if str(source) in list_presets():
        return preset_path(str(source))
    if path.is_dir():
        raise InputError(f"a folder, not a TOML config file; give a .toml file or a preset {list_presets()}", path=path)
    raise InputError(f"no such config file or preset; presets: {list_presets()}", path=path)


def preset_note(source: str | Path) -> str | None:
    """A note when `source` names both a folder here and a preset (the preset is used), else None."""
    if Path(source).is_dir() and str(source) in list_presets():
        return (
            f"{source} is a folder here, not a TOML file, so the preset {source} is used ({preset_path(str(source))}); "
            f"to render from a config file, pass its path"
        )
    return None


def load_render_config(source: str | Path) -> RenderConfig:
    """A RenderConfig from a TOML file, or from a shipped preset given by name (see `list_presets`)."""
    from fovkit.configs import load_config
    from fovkit.render.config import RenderConfig

    return load_config(RenderConfig, config_path(source))
