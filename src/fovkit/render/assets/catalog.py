"""Catalogs, the interface the renderer uses: the procedural classes or a folder of user meshes."""

from __future__ import annotations

import difflib
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from fovkit.errors import InputError, preview
from fovkit.render.assets.classes import Asset, check_count, get_class, list_classes, make_instance
from fovkit.render.assets.meshfiles import load_mesh
from fovkit.render.sources import scan_mesh_folder
from fovkit.runs import file_checksum


@runtime_checkable
class Catalog(Protocol):
    """A source of assets: named classes, each with a fixed number of instances."""

    def classes(self) -> list[str]:
        """Class names, in label order."""
        ...

    def n_instances(self, class_name: str) -> int:
        """How many instances `class_name` has."""
        ...

    def asset(self, class_name: str, index: int) -> Asset:
        """Instance `index` (0-based) of `class_name`."""
        ...

    def describe(self) -> dict[str, object]:
        """JSON-ready record of what the catalog holds, to store beside rendered outputs."""
        ...


class ProceduralCatalog:
    """The registered procedural classes, `n_instances` seeded instances each.

    Args:
        classes: Class names; an integer takes that many from `list_classes()`; None takes them all.
        n_instances: Instances per class.
        seed: Catalog seed; different seeds give different instances of the same classes.

    """

    def __init__(self, classes: Sequence[str] | int | None = None, n_instances: int = 50, seed: int = 0) -> None:
        available = list_classes()
        if classes is None:
            names = available
        elif isinstance(classes, int | np.integer) and not isinstance(classes, bool):
            if not 1 <= classes <= len(available):
                raise InputError(
                    f"expected 1..{len(available)} classes (the registered count), got {classes}", field="classes"
                )
            names = available[: int(classes)]
        elif isinstance(classes, str):
            raise InputError(f"expected a list of class names, got the string {classes!r}", field="classes")
        else:
            names = [str(name) for name in classes]
            for name in names:
                get_class(name)
            duplicates = sorted({name for name in names if names.count(name) > 1})
            if duplicates:
                raise InputError(f"class names repeat: {preview(duplicates)}", field="classes")
            if not names:
                raise InputError("expected at least one class name, got an empty list", field="classes")
        check_count(seed, "seed")
        check_count(n_instances, "n_instances")
        if n_instances < 1:
            raise InputError("expected at least 1 instance per class, got 0", field="n_instances")
        self._classes = names
        self._n_instances = int(n_instances)
        self.seed = int(seed)

    def classes(self) -> list[str]:
        """Class names, in the order given (or sorted when taken from the registry)."""
        return list(self._classes)

    def n_instances(self, class_name: str) -> int:
        """Instances per class (the same for every class)."""
        self._check_class(class_name)
        return self._n_instances

    def asset(self, class_name: str, index: int) -> Asset:
        """Build instance `index` of `class_name` (a few milliseconds; nothing is cached)."""
        self._check_class(class_name)
        _check_index(index, self._n_instances, class_name)
        return make_instance(class_name, index, self.seed)

    def describe(self) -> dict[str, object]:
        """Kind, seed, classes and instance count: enough to rebuild every asset."""
        return {
            "kind": "procedural",
            "seed": self.seed,
            "n_instances": self._n_instances,
            "classes": list(self._classes),
        }

    def _check_class(self, class_name: str) -> None:
        if class_name not in self._classes:
            get_class(class_name)
            raise InputError(f"class {class_name!r} is not in this catalog's {len(self._classes)}", field="class_name")

    def __repr__(self) -> str:
        return f"ProceduralCatalog({len(self._classes)} classes, n_instances={self._n_instances}, seed={self.seed})"


class FolderCatalog:
    """User meshes laid out as `root/<class>/<instance>.<obj|ply|glb|stl>`, normalised like procedural assets.

    The layout is scanned when the catalog is made: sub-folders are classes and their mesh files, sorted by name,
    are instances. Files are read on first use; `load_mesh_folder` reads them all up front. Material and texture
    files (`.mtl`, images) beside OBJ files and hidden files are skipped; any other suffix is an error. Textures are
    reduced to colours (per-vertex samples or the material colour), uncoloured meshes get `DEFAULT_COLOR`.

    Args:
        root: Folder holding one sub-folder per class.
        up_axis: The files' up axis; `"z"` rotates Z-up meshes (e.g. SketchUp exports) into the +Y-up frame.
        cache_size: How many loaded assets to keep in memory.

    """

    def __init__(self, root: Path, up_axis: Literal["y", "z"] = "y", cache_size: int = 64) -> None:
        self.root = Path(root)
        if up_axis not in ("y", "z"):
            raise InputError(f"expected 'y' or 'z', got {up_axis!r}", field="up_axis")
        self.up_axis = up_axis
        self._files = scan_mesh_folder(self.root)
        self._cache: OrderedDict[Path, Asset] = OrderedDict()
        self._cache_size = cache_size

    def classes(self) -> list[str]:
        """Class folder names, sorted."""
        return list(self._files)

    def n_instances(self, class_name: str) -> int:
        """Number of mesh files in the class folder."""
        return len(self._class_files(class_name))

    def files(self, class_name: str) -> list[Path]:
        """The mesh files of `class_name`, in instance order."""
        return list(self._class_files(class_name))

    def asset(self, class_name: str, index: int) -> Asset:
        """Load (or take from the cache) instance `index` of `class_name`; a copy the caller may mutate."""
        files = self._class_files(class_name)
        _check_index(index, len(files), class_name)
        path = files[index]
        if path not in self._cache:
            mesh = load_mesh(path, self.up_axis)
            self._cache[path] = Asset(mesh, class_name, int(index), str(path))
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        self._cache.move_to_end(path)
        cached = self._cache[path]
        return Asset(cached.mesh.copy(), cached.class_name, cached.instance_index, cached.source)

    def describe(self) -> dict[str, object]:
        """Kind, root, up axis and the SHA-256 of every mesh file, by class."""
        return {
            "kind": "folder",
            "root": str(self.root),
            "up_axis": self.up_axis,
            "classes": {
                name: {str(path.relative_to(self.root)): file_checksum(path) for path in paths}
                for name, paths in self._files.items()
            },
        }

    def _class_files(self, class_name: str) -> list[Path]:
        try:
            return self._files[class_name]
        except KeyError:
            close = difflib.get_close_matches(str(class_name), list(self._files), n=5, cutoff=0.5)
            hint = f"; closest matches: {preview(close)}" if close else ""
            raise InputError(
                f"no class folder {class_name!r} among {len(self._files)}{hint}", path=self.root, field="class_name"
            ) from None

    def __repr__(self) -> str:
        total = sum(len(paths) for paths in self._files.values())
        return f"FolderCatalog({str(self.root)!r}, {len(self._files)} classes, {total} meshes)"


def load_mesh_folder(root: Path, up_axis: Literal["y", "z"] = "y") -> FolderCatalog:
    """Scan `root/<class>/<instance>.<obj|ply|glb|stl>` and read every file once, so bad files fail now.

    Args:
        root: Folder holding one sub-folder per class.
        up_axis: The files' up axis (`"y"` or `"z"`).

    Returns:
        The catalog, with its cache warmed up to its size.

    Raises:
        InputError: naming the path and the reason, for a missing root, an empty class folder, an unsupported
            suffix, a mesh file outside a class folder, or a file trimesh cannot read or that holds no triangles.

    """
    catalog = FolderCatalog(root, up_axis=up_axis)
    for name in catalog.classes():
        for index in range(catalog.n_instances(name)):
            catalog.asset(name, index)
    return catalog


def _check_index(index: object, count: int, class_name: str) -> None:
    if isinstance(index, bool) or not isinstance(index, int | np.integer) or not 0 <= index < count:
        raise InputError(
            f"expected an instance index in 0..{count - 1} for {class_name!r}, got {index!r}", field="index"
        )
