"""Run folders: written under a temporary name and renamed when complete, with a record of how they were made."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from pydantic import BaseModel

from fovkit.errors import InputError

RECORD_PACKAGES = (
    "fovkit",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "imagenet-x",
    "torch",
    "torchvision",
    "timm",
    "open_clip_torch",
    "sentence-transformers",
)


@contextmanager
def atomic_output_dir(out: Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside `out` that replaces `out` only if the block finishes without error.

    Args:
        out: Final folder. It must not exist or be empty, unless `overwrite` is set.
        overwrite: Replace an existing, non-empty `out`.

    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError("the output path exists and is not a folder", path=out, field="--out")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise InputError("the output folder is not empty; choose another --out or pass --overwrite", path=out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)


@contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path` that replaces it only if the block completes (else it is removed).

    Readers never see a partial file, and a killed writer leaves at most a hidden `.<name>.*.partial` file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(handle)
    staging = Path(name)
    try:
        yield staging
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)


def file_checksum(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_versions(names: Iterable[str] = RECORD_PACKAGES) -> dict[str, str]:
    """Installed versions of the packages that shape a result (absent ones are left out)."""
    versions = {"python": sys.version.split()[0]}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def write_run_record(
    folder: Path, command: str, config: BaseModel, inputs: Iterable[Path] = (), extra: dict | None = None
) -> Path:
    """Write `run.json`: command, typed config, package versions, the SHA-256 of every input file, and `extra`."""
    record = {
        "command": command,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": config.model_dump(mode="json"),
        "versions": package_versions(),
        "inputs": {str(path): file_checksum(path) for path in inputs},
        **(extra or {}),
    }
    path = Path(folder) / "run.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path
