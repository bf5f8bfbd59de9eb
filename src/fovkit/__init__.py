"""fovkit: under which factors of variation an image classifier fails, by how much, and why.

Importing the package is light on purpose (the command line starts fast): the subpackages hold the API, e.g.
`fovkit.models.load_backbone`, `fovkit.imagenetx.analysis.analyze_files`, `fovkit.render.store.RenderedDataset`.
"""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """`fovkit.__version__`: the installed package's version, read from its metadata on first use."""
    if name != "__version__":
        raise AttributeError(f"module 'fovkit' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fovkit")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"
