"""Render a dataset into Parquet shards: a pure shard function run by the store's resumable writer.

A shard is a pure function of (config, design, shard number): `shard_table` renders it into an Arrow table and
`fovkit.store.writer` writes it atomically, records its SHA-256 in `checksums/<shard>.json` and resumes a killed job
with the same bytes; every read of a stored shard is verified against its SHA-256 (`fovkit.store.loader`). Shards
run in forked local processes (or Ray tasks); each process builds its renderer and assets once.

A dataset folder holds `run.json` (command, config and the SHA-256 of every mesh and background file, written when
the render starts), `config.json` (the config that pins the folder), the shards, `checksums/`, and once every shard
is done `manifest.json` (kind `render`, the factors, counts and every shard's SHA-256; never rewritten with a
different checksum).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import ValidationError

from fovkit.engine import Engine
from fovkit.errors import InputError
from fovkit.render.config import RenderConfig
from fovkit.render.counts import design_sizes
from fovkit.render.design import design_table
from fovkit.render.scene import SceneRenderer
from fovkit.render.sources import RenderSources, resolve_sources
from fovkit.runs import (
    RUN_RECORD,
    atomic_output_dir,
    check_output_folder,
    file_checksum,
    fovkit_command,
    write_run_record,
)
from fovkit.store import manifest as store_manifest
from fovkit.store.loader import parse_shard, verified_bytes
from fovkit.store.manifest import (
    MANIFEST,
    RECORDS,
    ImageSpec,
    Manifest,
    ShardRecord,
    check_shards,
    factors_to_json,
    parse_manifest,
    read_json_object,
)
from fovkit.store.writer import ShardLayout, image_table, write_shard, write_shards
from fovkit.tables import FactorSpec

__all__ = [
    "CONFIG",
    "MANIFEST",
    "RECORDS",
    "ShardRecord",
    "ShardTask",
    "parse_shard",
    "read_json_object",
    "read_manifest",
    "render_dataset",
    "render_shard",
    "shard_tasks",
    "verified_bytes",
    "write_manifest",
]

CONFIG = "config.json"
RENDER_COMMAND = "fovkit render run"
KIND = "render"
RESUME_FIX = "delete that shard file and run the same command again to render it again"
LAYOUT = ShardLayout(partition="design", fix=RESUME_FIX)
MANIFEST_FIX = (
    "the dataset is damaged: delete manifest.json and resume the render with the same config "
    "(`fovkit render run CONFIG --out FOLDER`) to write it again"
)
VERSIONED = ("fovkit", "numpy", "pyarrow", "moderngl", "trimesh", "pillow")


@dataclass(frozen=True)
class ShardTask:
    """Rows `start`..`stop`-1 of one design, written as shard number `shard` of that design."""

    design: str
    shard: int
    start: int
    stop: int

    @property
    def name(self) -> str:
        """File name of the shard."""
        return f"{self.design}-{self.shard:05d}.parquet"

    @property
    def partition(self) -> str:
        """The design: the manifest groups shards and counts rows by it."""
        return self.design

    @property
    def size(self) -> int:
        """Rows of the shard."""
        return self.stop - self.start


def shard_tasks(config: RenderConfig) -> list[ShardTask]:
    """Every shard of every design, in a fixed order."""
    tasks = []
    for size in design_sizes(config):
        for shard, start in enumerate(range(0, size.total, config.shard_size)):
            tasks.append(ShardTask(size.design, shard, start, min(start + config.shard_size, size.total)))
    return tasks


def render_shard(
    config: RenderConfig, task: ShardTask, out_dir: Path, recorded: Mapping[str, str] | None = None
) -> ShardRecord:
    """Render one shard into `out_dir`, or verify the finished one there, record it and return its record.

    See `fovkit.store.writer.write_shard`: a shard without a `recorded` SHA-256 is rendered again, one whose bytes
    differ from it is an InputError, and so is a shard rendered again to other bytes (another renderer would mix
    images).
    """
    return write_shard(partial(shard_table, config), task, Path(out_dir), LAYOUT, recorded)


def shard_table(config: RenderConfig, task: ShardTask) -> pa.Table:
    """The Arrow table of one shard: factor columns from the design plus the encoded image and render checks."""
    frame = design_table(config, task.design, task.start, task.stop)
    scene = _scene(config)
    frame.insert(3, "class_name", np.asarray(scene.class_names, dtype=object)[frame["label"].to_numpy()])
    images, checks = scene.render_rows(frame)
    frame = pd.concat([frame, checks], axis=1)
    return image_table(frame, images, (frame["sample_id"] + "." + scene.extension).tolist())


_SCENES: dict[str, SceneRenderer] = {}


def _scene(config: RenderConfig) -> SceneRenderer:
    """One scene renderer per process and config (GL context, assets and backgrounds are built once)."""
    key = config.model_dump_json()
    if key not in _SCENES:
        _SCENES.clear()
        _SCENES[key] = SceneRenderer(config)
    return _SCENES[key]


def render_factors(config: RenderConfig) -> tuple[FactorSpec, ...]:
    """The factor specification of a render: each axis a scalar, the background a `type/index` category."""
    kind, index = config.canonical_background
    specs = [FactorSpec(name, "scalar", axis.canonical) for name, axis in config.axes.items()]
    return (*specs, FactorSpec("background", "categorical", f"{kind}/{index}"))


def render_image(config: RenderConfig) -> ImageSpec:
    """How a render stores its images."""
    return ImageSpec(config.image_format, config.image_size, config.image_size)


def render_dataset(
    config: RenderConfig,
    out_dir: Path,
    workers: int | None = None,
    progress: bool = True,
    engine: Engine = "local",
    address: str | None = None,
    overwrite: bool = False,
) -> list[ShardRecord]:
    """Render every shard of `config` into `out_dir` (resuming), then write the manifest.

    Everything is checked before anything is written: the config's classes and user folders
    (`resolve_sources`), every mesh and background file (`check_files`), and the output folder. A new or empty
    folder is rendered into; one holding a dataset rendered with the same config resumes, after checking that no
    mesh or background file changed since it started (`run.json`) and every finished shard against its SHA-256.
    A dataset of another config is replaced only with `overwrite`; other folders, the current folder and the
    asset and background folders (or folders around or inside them) are refused.

    Args:
        config: What to render.
        out_dir: Dataset folder; with Ray on a cluster it must be a path every node shares.
        workers: Shards rendered at once (default: one per core, or what the Ray cluster schedules).
        progress: Show a progress bar.
        engine: `"local"` (forked processes) or `"ray"` (Ray tasks).
        address: Ray cluster to connect to; by default the Ray engine starts a local instance.
        overwrite: Replace a dataset folder that fovkit wrote with another config (or another command).

    Raises:
        InputError: For anything the user can fix, with nothing written when it is found before rendering; a
            read-only, unwritable or full output location included.

    """
    out_dir = Path(out_dir)
    sources = resolve_sources(config)
    started = not _resumes(config, out_dir, overwrite, sources)
    if started:
        check_files(sources)
        _start(config, out_dir, overwrite, sources)
    try:
        existing = read_manifest(out_dir / MANIFEST) if (out_dir / MANIFEST).exists() else None
        records = write_shards(
            partial(shard_table, config),
            shard_tasks(config),
            out_dir,
            LAYOUT,
            existing=existing,
            workers=workers,
            progress=progress,
            description="Rendering",
            engine=engine,
            address=address,
        )
        write_manifest(config, out_dir, records)
    except BaseException as error:
        if started and not any((out_dir / RECORDS).glob("*.json")):  # nothing rendered: leave no folder behind
            shutil.rmtree(out_dir, ignore_errors=True)
        if isinstance(error, OSError):
            raise _write_error(error, out_dir) from error
        raise
    return records


def check_files(sources: RenderSources) -> None:
    """Read every mesh and background image a render uses, so a bad file stops it before anything is written."""
    from fovkit.render.assets import load_mesh
    from fovkit.render.backgrounds import load_image

    for paths in sources.meshes.values():
        for path in paths:
            load_mesh(path)
    for paths in sources.backgrounds.values():
        for path in paths:
            load_image(path, (16, 16))


def _resumes(config: RenderConfig, out_dir: Path, overwrite: bool, sources: RenderSources) -> bool:
    """True when `out_dir` holds this config's dataset to resume; False for a folder to (re)start; else refused."""
    inputs = [path for path in (config.assets, config.backgrounds) if path is not None]
    _adopt_earlier_dataset(config, out_dir, sources)
    check_output_folder(out_dir, overwrite=True, inputs=inputs)
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return False
    command = fovkit_command(out_dir)
    if command != RENDER_COMMAND:
        if overwrite:
            return False
        raise InputError(
            f"the folder holds the output of `{command}`, not a rendered dataset; choose another --out, or pass "
            "--overwrite to replace it",
            path=out_dir,
            field="--out",
        )
    if overwrite:
        return False
    pinned = read_json_object(out_dir / CONFIG, "restore it, or pass --overwrite to render the dataset again")
    current = config.model_dump(mode="json")
    if pinned != current:
        changed = sorted(key for key in set(pinned) | set(current) if pinned.get(key) != current.get(key))
        raise InputError(
            f"the folder holds a dataset rendered with another config (differs in {changed}); resume with the same "
            "config, choose another --out, or pass --overwrite to replace it",
            path=out_dir / CONFIG,
            field="--out",
        )
    _check_inputs_unchanged(out_dir, sources)
    return True


def _adopt_earlier_dataset(config: RenderConfig, out_dir: Path, sources: RenderSources) -> None:
    """Give a dataset folder rendered before fovkit wrote run records (no run.json, this config's config.json) one.

    Its shards are then verified against its manifest, or rendered again where nothing recorded them.
    """
    if not (out_dir / CONFIG).is_file() or (out_dir / RUN_RECORD).exists():
        return
    try:
        pinned = json.loads((out_dir / CONFIG).read_text())
    except (OSError, ValueError):
        return
    if pinned == config.model_dump(mode="json"):
        write_run_record(out_dir, RENDER_COMMAND, config, inputs=sources.files, extra={"adopted": True})


def _check_inputs_unchanged(out_dir: Path, sources: RenderSources) -> None:
    """Refuse to resume when a mesh or background file differs from the one the render started with."""
    fix = "restore it to resume, or pass --overwrite to render the dataset again"
    record = read_json_object(out_dir / RUN_RECORD, fix)
    started = record.get("inputs")
    if not isinstance(started, dict):
        raise InputError(f"no 'inputs' record of the files the render read; {fix}", path=out_dir / RUN_RECORD)
    current = {str(path): file_checksum(path) for path in sources.files}
    for path, checksum in current.items():
        if started.get(path) != checksum:
            what = "changed since" if path in started else "was not used when"
            raise InputError(
                f"this file {what} the dataset's render started (its SHA-256 is not the one in "
                f"{out_dir / RUN_RECORD}), so resuming would mix old and new renders; {fix}",
                path=path,
            )
    gone = [path for path in started if path not in current]
    if gone:
        raise InputError(
            f"this file was read when the dataset's render started ({out_dir / RUN_RECORD}) and is now missing or "
            f"no longer used; {fix}",
            path=gone[0],
        )


def _start(config: RenderConfig, out_dir: Path, overwrite: bool, sources: RenderSources) -> None:
    """Create the dataset folder with its run record and pinned config, in one rename (replacing an old one)."""
    inputs = [path for path in (config.assets, config.backgrounds) if path is not None]
    with atomic_output_dir(out_dir, overwrite=overwrite, inputs=inputs) as staging:
        (staging / CONFIG).write_text(json.dumps(config.model_dump(mode="json"), indent=2) + "\n")
        (staging / RECORDS).mkdir()
        write_run_record(
            staging, RENDER_COMMAND, config, inputs=sources.files, extra={"classes": list(sources.class_names)}
        )


def _write_error(error: OSError, out_dir: Path) -> InputError:
    where = f" ({error.filename})" if error.filename else ""
    return InputError(
        f"cannot write the dataset: {error.strerror or error}{where}; free space or fix the permissions and run the "
        "same command again to resume",
        path=out_dir,
        field="--out",
    )


def read_manifest(path: Path) -> Manifest:
    """A render's `manifest.json`, validated: the store's fields (`fovkit.store.manifest`) and a valid render config.

    A manifest written before the store layer (no `kind`) is read as a render's, its factors and image format
    derived from its config.
    """
    data = read_json_object(path, MANIFEST_FIX)
    legacy = "kind" not in data
    if legacy:
        data = {"kind": KIND, "partition": LAYOUT.partition, **data}
    check_shards(data, path, MANIFEST_FIX)
    config = _manifest_config(data, path)
    if legacy:
        data = {**data, "factors": factors_to_json(render_factors(config)), "image": render_image(config).to_json()}
    return parse_manifest(data, path, MANIFEST_FIX, kind=KIND)


def _manifest_config(data: dict, path: Path) -> RenderConfig:
    """The render config a manifest records; a missing or invalid one is an InputError naming its field."""
    if not isinstance(data.get("config"), dict):
        raise InputError(f"no config object; {MANIFEST_FIX}", path=path, field="config")
    try:
        return RenderConfig(**data["config"])
    except (ValidationError, TypeError) as error:
        problem = error.errors()[0] if isinstance(error, ValidationError) else {"loc": (), "msg": str(error)}
        where = ".".join(map(str, problem["loc"])) or "config"
        message = f"not a valid render config ({where}: {problem['msg']}); {MANIFEST_FIX}"
        raise InputError(message, path=path, field="config") from error


def write_manifest(config: RenderConfig, out_dir: Path, records: list[ShardRecord]) -> Path:
    """`manifest.json`: kind `render`, the factors, counts per design, every shard's rows and SHA-256, the config.

    An existing manifest is kept as it is when it lists the same shards; one that records other checksums is never
    rewritten (InputError).
    """
    path = Path(out_dir) / MANIFEST
    return store_manifest.write_manifest(
        out_dir,
        kind=KIND,
        partition=LAYOUT.partition,
        factors=render_factors(config),
        image=render_image(config),
        records=records,
        extra={"config": config.model_dump(mode="json")},
        packages=VERSIONED,
        existing=read_manifest(path) if path.exists() else None,
    )
