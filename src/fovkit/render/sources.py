"""What a render config reads: its class names and the user's mesh and background files, checked before rendering.

Only the folder layout and file counts are checked here (fast enough for `fovkit render plan`); reading every file
is `fovkit.render.dataset.check_files`. With `assets`, the classes are the asset folder's class sub-folders: named
ones must exist there, an integer takes the first n sorted folders. Without it they come from the procedural catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fovkit.errors import InputError, preview
from fovkit.registry import close_matches
from fovkit.render.config import BACKGROUND_TYPES, CATALOG_CLASSES, RenderConfig

MESH_SUFFIXES = (".obj", ".ply", ".glb", ".stl")
"""File suffixes read as meshes."""

SIDECAR_SUFFIXES = (".mtl", ".png", ".jpg", ".jpeg", ".tga", ".bmp")
"""Material and texture files that may sit beside OBJ meshes; skipped when scanning a folder."""

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
"""File suffixes read as background images."""


@dataclass(frozen=True)
class RenderSources:
    """The class names of a config (in label order) and the user files it renders from.

    Attributes:
        class_names: Class names by label number.
        meshes: Per class, the mesh files of its instances (instance i is the i-th file), empty without `assets`.
        backgrounds: Per background type, its image files (index i is the i-th file), empty without `backgrounds`.

    """

    class_names: tuple[str, ...]
    meshes: dict[str, tuple[Path, ...]]
    backgrounds: dict[str, tuple[Path, ...]]

    @property
    def files(self) -> list[Path]:
        """Every user file the render reads: meshes by class, then background images by type."""
        return [path for group in (self.meshes, self.backgrounds) for paths in group.values() for path in paths]


def resolve_sources(config: RenderConfig, path: Path | None = None) -> RenderSources:
    """Class names and user files of `config`; an InputError (naming `path`, the config file) if any is missing.

    Args:
        config: The render config.
        path: The config file, named in errors about the config's own fields.

    """
    if config.assets is None:
        names = _catalog_names(config.classes)
        meshes: dict[str, tuple[Path, ...]] = {}
    else:
        folders = scan_mesh_folder(config.assets)
        names = _folder_names(config.classes, folders, config.assets, path)
        meshes = {name: _enough_meshes(name, folders[name], config.instances_per_class) for name in names}
    return RenderSources(tuple(names), meshes, _background_files(config, path))


def scan_mesh_folder(root: Path) -> dict[str, list[Path]]:
    """Mesh files by class of `root/<class>/<instance>.<obj|ply|glb|stl>`, classes and files sorted by name.

    Hidden files and material or texture files beside meshes are skipped; any other suffix is an error, as are
    mesh files outside a class folder and class folders without meshes.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError("the mesh folder does not exist or is not a folder", path=root, field="assets")
    classes: dict[str, list[Path]] = {}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file():
            if entry.suffix.lower() in MESH_SUFFIXES:
                raise InputError(
                    f"mesh files must lie in class folders: move it to {root}/<class>/{entry.name}", path=entry
                )
            continue
        files = []
        for item in sorted(entry.iterdir()):
            suffix = item.suffix.lower()
            if item.name.startswith(".") or suffix in SIDECAR_SUFFIXES or item.is_dir():
                continue
            if suffix not in MESH_SUFFIXES:
                raise InputError(
                    f"unsupported mesh suffix {item.suffix or '(none)'!r}; expected one of {', '.join(MESH_SUFFIXES)}",
                    path=item,
                )
            files.append(item)
        if not files:
            raise InputError(
                f"the class folder holds no mesh files ({', '.join(MESH_SUFFIXES)}; sub-folders are not searched)",
                path=entry,
            )
        classes[entry.name] = files
    if not classes:
        raise InputError(
            "the mesh folder holds no class sub-folders; expected <root>/<class>/<instance>.obj", path=root
        )
    return classes


def image_files(folder: Path) -> list[Path]:
    """The background images (`IMAGE_SUFFIXES`, not hidden) of one type folder, sorted by name."""
    return sorted(
        item
        for item in Path(folder).iterdir()
        if item.is_file() and not item.name.startswith(".") and item.suffix.lower() in IMAGE_SUFFIXES
    )


def _catalog_names(classes: list[str] | int) -> list[str]:
    return list(CATALOG_CLASSES[:classes]) if isinstance(classes, int) else list(classes)


def _folder_names(classes: list[str] | int, folders: dict[str, list[Path]], root: Path, path: Path | None) -> list[str]:
    """The classes of a mesh folder that the config asks for, in the config's order."""
    available = list(folders)
    if isinstance(classes, int):
        if classes > len(available):
            raise InputError(
                f"classes = {classes}, but the assets folder {root} has {len(available)} class folders "
                f"{preview(available)}; use classes = {len(available)} or add class folders",
                path=path,
                field="classes",
            )
        return available[:classes]
    unknown = [name for name in classes if name not in folders]
    if unknown:
        close = close_matches(unknown[0], available, limit=3)
        hint = f"did you mean {close}? " if close else ""
        raise InputError(
            f"classes {preview(unknown)} are not class folders of the assets folder {root}; {hint}"
            f"its classes are {preview(available, limit=20)}",
            path=path,
            field="classes",
        )
    return list(classes)


def _enough_meshes(name: str, files: list[Path], needed: int) -> tuple[Path, ...]:
    if len(files) < needed:
        raise InputError(
            f"class {name!r} has {len(files)} mesh files but instances_per_class = {needed}; add meshes or lower "
            f"instances_per_class to {len(files)}",
            path=files[0].parent,
            field="instances_per_class",
        )
    return tuple(files[:needed])


def _background_files(config: RenderConfig, path: Path | None) -> dict[str, tuple[Path, ...]]:
    """Per type, the images the config uses from its background folder (none for procedural backgrounds)."""
    if config.backgrounds is None:
        unknown = [kind for kind in config.background_types if kind not in BACKGROUND_TYPES]
        if unknown:
            from fovkit.render.backgrounds import list_backgrounds  # types registered beyond the shipped five

            registered = list_backgrounds()
            unknown = [kind for kind in unknown if kind not in registered]
            if unknown:
                raise InputError(
                    f"background_types {preview(unknown)} are not procedural background types "
                    f"{preview(registered)}; use those, or your own images with backgrounds = <folder>",
                    path=path,
                    field="background_types",
                )
        return {}
    root = Path(config.backgrounds)
    if not root.is_dir():
        raise InputError(
            "the background folder does not exist or is not a folder; expected <folder>/<type>/*.jpg|png",
            path=root,
            field="backgrounds",
        )
    types = sorted(item.name for item in root.iterdir() if item.is_dir() and not item.name.startswith("."))
    files = {}
    for kind in config.background_types:
        if kind not in types:
            raise InputError(
                f"no folder for background type {kind!r}; the folder's types are {preview(types)}; set "
                "background_types to them or add the folder",
                path=root / kind,
                field="background_types",
            )
        found = image_files(root / kind)
        if len(found) < config.backgrounds_per_type:
            lower = f" or lower backgrounds_per_type to {len(found)}" if found else ""
            raise InputError(
                f"{len(found)} images ({'|'.join(IMAGE_SUFFIXES)}) but backgrounds_per_type = "
                f"{config.backgrounds_per_type}; add images{lower}",
                path=root / kind,
                field="backgrounds_per_type",
            )
        files[kind] = tuple(found[: config.backgrounds_per_type])
    return files
