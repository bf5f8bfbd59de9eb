"""Run folders: written under a temporary name and renamed when complete, with a record of how they were made."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
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


RUN_RECORD = "run.json"
STAGING_MARK = ".partial-"


def fovkit_command(folder: Path) -> str | None:
    """The command recorded in `folder/run.json` if fovkit wrote the folder, else None."""
    try:
        record = json.loads((Path(folder) / RUN_RECORD).read_text())
    except (OSError, ValueError):
        return None
    command = record.get("command") if isinstance(record, dict) else None
    return command if isinstance(command, str) and command.startswith("fovkit") else None


def check_output_folder(out: Path, overwrite: bool = False, inputs: Iterable[Path] = (), field: str = "--out") -> Path:
    """Refuse an output folder that would lose or mix a user's files; return it as given.

    Refused: the current folder or one that contains it, an input, a folder that contains an input or lies inside
    an input folder, a path that is a file, a non-empty folder without `overwrite`, and, even with `overwrite`, a
    non-empty folder that fovkit did not write (no fovkit `run.json` in it).
    """
    out = Path(out)
    target = resolve_path(out, field)
    here = Path.cwd().resolve()
    if target == here or target in here.parents:
        what = "is the current folder" if target == here else "contains the current folder"
        raise InputError(
            f"the output folder {what}; choose a new folder, e.g. --out results/run", path=out, field=field
        )
    for source in inputs:
        place = resolve_path(Path(source), "input")
        if place == target:
            raise InputError(f"the output folder is an input ({source}); choose another folder", path=out, field=field)
        if target in place.parents:
            raise InputError(
                f"the output folder contains an input ({source}); choose another folder", path=out, field=field
            )
        if place in target.parents and place.is_dir():
            raise InputError(
                f"the output folder lies inside the input folder {source}; choose a folder outside it",
                path=out,
                field=field,
            )
    if out.is_symlink() and not out.exists():
        raise InputError("the output path is a broken symbolic link", path=out, field=field)
    if out.exists() and not out.is_dir():
        raise InputError("the output path exists and is not a folder", path=out, field=field)
    if out.is_dir() and _has_entries(out):
        if not overwrite:
            raise InputError(
                "the output folder is not empty; choose another folder, or pass --overwrite to replace an earlier "
                "fovkit output",
                path=out,
                field=field,
            )
        if fovkit_command(out) is None:
            raise InputError(
                f"the output folder holds files fovkit did not write (no fovkit {RUN_RECORD}); fovkit replaces only "
                "its own outputs, even with --overwrite: choose another folder",
                path=out,
                field=field,
            )
    return out


def resolve_path(path: Path, field: str | None = None) -> Path:
    """`path` made absolute with symbolic links resolved; a link loop is an InputError naming it."""
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError) as error:
        raise InputError(f"cannot resolve the path ({error})", path=path, field=field) from error


@contextmanager
def atomic_output_dir(out: Path, overwrite: bool = False, inputs: Iterable[Path] = ()) -> Iterator[Path]:
    """Yield a temporary folder beside `out` that replaces `out` only if the block finishes without error.

    Args:
        out: Final folder; checked by `check_output_folder` before anything is written.
        overwrite: Replace an existing, non-empty `out` that an earlier fovkit run wrote.
        inputs: Files and folders the run reads; `out` may not be, contain or lie inside any of them.

    Raises:
        InputError: For a refused folder, and for an output location that cannot be written (read-only,
            full, no permission), with nothing left behind.

    """
    out = check_output_folder(out, overwrite, inputs)
    parent = out.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        remove_abandoned_staging(out)
        staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(out), dir=parent))
        staging.chmod(0o777 & ~umask())
    except OSError as error:
        raise _write_error(error, out) from error
    try:
        yield staging
        _replace_folder(staging, out)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError) and _is_write_error(error, staging, out):
            raise _write_error(error, out) from error
        raise


def remove_abandoned_staging(out: Path) -> list[Path]:
    """Remove the staging folders of `out` that a killed fovkit process on this host left; return them."""
    removed = []
    host = socket.gethostname()
    for path in Path(out).absolute().parent.glob(f".{Path(out).name}{STAGING_MARK}*"):
        owner, _, rest = path.name[len(f".{Path(out).name}{STAGING_MARK}") :].rpartition("-")
        owner_host, _, pid = owner.rpartition("-")
        if owner_host == host and pid.isdigit() and rest and not _alive(int(pid)) and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def umask() -> int:
    """The file-creation mask of this process (read without changing it where /proc allows)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _staging_prefix(out: Path) -> str:
    return f".{out.name}{STAGING_MARK}{socket.gethostname()}-{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _has_entries(folder: Path) -> bool:
    with os.scandir(folder) as entries:
        return any(True for _ in entries)


def _replace_folder(staging: Path, out: Path) -> None:
    """Move `staging` to `out`; a previous `out` is moved aside first and removed only after the move."""
    if not out.exists():
        staging.rename(out)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.replaced-", dir=out.absolute().parent))
    old = aside / "old"
    out.rename(old)
    try:
        staging.rename(out)
    except BaseException:
        old.rename(out)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def _is_write_error(error: OSError, staging: Path, out: Path) -> bool:
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        return True
    name = getattr(error, "filename", None)
    if not name:
        return False
    place = Path(name).absolute()
    return any(place == root or root in place.parents for root in (staging.absolute(), out.absolute()))


def _write_error(error: OSError, out: Path) -> InputError:
    reason = error.strerror or str(error)
    where = f" ({error.filename})" if getattr(error, "filename", None) else ""
    return InputError(f"cannot write the output: {reason}{where}; nothing was written", path=out, field="--out")


@contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path` that replaces it only if the block completes (else it is removed).

    Readers never see a partial file, and a killed writer leaves at most a hidden `.<name>.*.partial` file. The
    file gets the permissions the process's umask gives new files.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(handle)
    staging = Path(name)
    try:
        yield staging
        staging.chmod(0o666 & ~umask())  # after writing: some writers (safetensors) replace the file as 0600
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)


def file_checksum(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    with Path(path).open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


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
    folder: Path,
    command: str,
    config: BaseModel | dict,
    inputs: Iterable[Path] = (),
    extra: dict | None = None,
    checksums: Mapping[str, str] | None = None,
) -> Path:
    """Write `run.json`: command, config, package versions, the SHA-256 of every input file, and `extra`.

    `checksums` are inputs already hashed (path -> SHA-256), e.g. by the workers that read them; `inputs` are hashed
    here. The record also marks the folder as fovkit's: `check_output_folder` lets `--overwrite` replace only such
    folders.
    """
    record = {
        "command": command,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": config.model_dump(mode="json") if isinstance(config, BaseModel) else config,
        "versions": package_versions(),
        "inputs": {**(checksums or {}), **{str(path): file_checksum(path) for path in inputs}},
        **(extra or {}),
    }
    path = Path(folder) / RUN_RECORD
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path
