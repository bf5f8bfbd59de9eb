"""Render a dataset into Parquet shards: a pure shard function, a resumable job, a manifest with checksums.

A shard is a pure function of (config, design, shard number). It is rendered into memory, written to a temporary
file and renamed when complete, then its SHA-256 is recorded in `checksums/<shard>.json`; a job killed at any point
resumes by rendering only the missing or unrecorded shards, and ends with the same bytes. Every read of a stored
shard -- on resume, by `RenderedDataset`, by exports -- hashes the file's bytes, compares them with the recorded
SHA-256 and parses Parquet from those same bytes, so what is used is what was verified. Shards run in forked local
processes (or Ray tasks); each process builds its renderer and assets once.

A dataset folder holds `run.json` (command, config and the SHA-256 of every mesh and background file, written when
the render starts), `config.json` (the config that pins the folder), the shards, `checksums/`, and once every shard
is done `manifest.json` (counts and every shard's SHA-256; never rewritten with a different checksum).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from fovkit.engine import Engine, map_ordered
from fovkit.errors import InputError, preview
from fovkit.render.config import RenderConfig
from fovkit.render.counts import design_sizes
from fovkit.render.design import design_table
from fovkit.render.scene import SceneRenderer
from fovkit.render.sources import RenderSources, resolve_sources
from fovkit.runs import (
    RUN_RECORD,
    atomic_file,
    atomic_output_dir,
    check_output_folder,
    file_checksum,
    fovkit_command,
    package_versions,
    write_run_record,
)

MANIFEST = "manifest.json"
CONFIG = "config.json"
RECORDS = "checksums"
"""Folder of the per-shard records (`<shard>.json`: name, design, rows, SHA-256), one written as each shard ends."""
RENDER_COMMAND = "fovkit render run"
IMAGE_FEATURE = {"_type": "Image"}
SHARD_NAME = re.compile(r"^[A-Za-z0-9_-]+\.parquet$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
RESUME_FIX = "delete that shard file and run the same command again to render it again"


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


@dataclass(frozen=True)
class ShardRecord:
    """What the manifest says of a finished shard."""

    name: str
    design: str
    rows: int
    sha256: str


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

    Args:
        config: What to render.
        task: The shard.
        out_dir: Dataset folder.
        recorded: SHA-256 of the shards finished earlier, by name. A shard file without one is rendered again
            (its run was killed before recording it); one whose bytes differ from it is an InputError, and so is a
            shard rendered again whose bytes differ from it (another renderer would mix images).

    """
    target = Path(out_dir) / task.name
    expected = (recorded or {}).get(task.name)
    if expected is not None and target.exists():
        data = verified_bytes(target, expected, RESUME_FIX)
        record = ShardRecord(task.name, task.design, parse_shard(data, target, RESUME_FIX).metadata.num_rows, expected)
    else:
        table = shard_table(config, task)
        stream = pa.BufferOutputStream()
        pq.write_table(table, stream, compression="zstd")
        data = stream.getvalue()
        record = ShardRecord(task.name, task.design, table.num_rows, hashlib.sha256(data).hexdigest())
        if expected is not None and record.sha256 != expected:
            raise InputError(
                "rendering this shard again gave bytes whose SHA-256 differs from the one recorded when it was "
                "first rendered, so this machine renders differently (another Mesa, driver or package version); "
                "render the whole dataset here with --overwrite, or resume on the machine that started it",
                path=target,
            )
        with atomic_file(target) as staging:
            staging.write_bytes(memoryview(data))
    _write_record(Path(out_dir), record)
    return record


def verified_bytes(path: Path, sha256: str, fix: str) -> bytes:
    """The bytes of a shard file, after checking that they hash to its recorded `sha256` (else an InputError)."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the shard ({error.strerror or error}); {fix}", path=path) from error
    if hashlib.sha256(data).hexdigest() != sha256:
        raise InputError(
            f"the shard's SHA-256 differs from the one recorded when it was rendered: the file was changed, "
            f"truncated or damaged; {fix}",
            path=path,
        )
    return data


def parse_shard(data: bytes | pa.Buffer, path: Path, fix: str) -> pq.ParquetFile:
    """A Parquet reader over verified shard bytes (`verified_bytes`); unreadable Parquet is an InputError."""
    try:
        return pq.ParquetFile(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as error:
        raise InputError(f"the shard is not readable Parquet ({error}); {fix}", path=path) from error


def shard_table(config: RenderConfig, task: ShardTask) -> pa.Table:
    """The Arrow table of one shard: factor columns from the design plus the encoded image and render checks."""
    frame = design_table(config, task.design, task.start, task.stop)
    scene = _scene(config)
    frame.insert(3, "class_name", np.asarray(scene.class_names, dtype=object)[frame["label"].to_numpy()])
    images, checks = scene.render_rows(frame)
    frame = pd.concat([frame, checks], axis=1)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.cast(pa.schema([_plain_string(field) for field in table.schema]))
    paths = pa.array((frame["sample_id"] + "." + scene.extension).to_numpy(dtype=object), type=pa.string())
    image = pa.StructArray.from_arrays([pa.array(images, type=pa.binary()), paths], names=["bytes", "path"])
    table = table.append_column("image", image)
    return table.replace_schema_metadata({b"huggingface": json.dumps(_hf_features(table.schema)).encode()})


def _plain_string(field: pa.Field) -> pa.Field:
    """Strings as `string` (not `large_string`), the type Hugging Face `datasets` features map to."""
    return field.with_type(pa.string()) if pa.types.is_large_string(field.type) else field


_SCENES: dict[str, SceneRenderer] = {}


def _scene(config: RenderConfig) -> SceneRenderer:
    """One scene renderer per process and config (GL context, assets and backgrounds are built once)."""
    key = config.model_dump_json()
    if key not in _SCENES:
        _SCENES.clear()
        _SCENES[key] = SceneRenderer(config)
    return _SCENES[key]


def _hf_features(schema: pa.Schema) -> dict:
    """Hugging Face `datasets` feature metadata, so its Parquet loader decodes `image` as an image column."""
    features = {}
    for field in schema:
        if field.name == "image":
            features[field.name] = IMAGE_FEATURE
        elif pa.types.is_list(field.type):
            features[field.name] = {
                "feature": {"dtype": str(field.type.value_type), "_type": "Value"},
                "_type": "Sequence",
            }
        else:
            dtype = (
                "string" if pa.types.is_string(field.type) or pa.types.is_large_string(field.type) else str(field.type)
            )
            features[field.name] = {"dtype": "bool" if dtype == "bool" else dtype, "_type": "Value"}
    return {"info": {"features": features}}


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
    recorded = _recorded_checksums(out_dir)
    try:
        for stale in [*out_dir.glob(".*.partial"), *(out_dir / RECORDS).glob(".*.partial")]:  # of a killed run
            stale.unlink(missing_ok=True)
        records = list(
            map_ordered(
                partial(render_shard, config, out_dir=out_dir, recorded=recorded),
                shard_tasks(config),
                workers,
                "Rendering",
                weight=lambda task: task.stop - task.start,
                progress=progress,
                engine=engine,
                address=address,
            )
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


def _recorded_checksums(out_dir: Path) -> dict[str, str]:
    """SHA-256 of the finished shards by name, from their records and the manifest (which must agree)."""
    checksums = {}
    for path in sorted((out_dir / RECORDS).glob("*.json")):
        fix = "delete this record file, and its shard is rendered again"
        entry = read_json_object(path, fix)
        if not _valid_entry(entry) or path.name != f"{entry['name']}.json":
            raise InputError(f"not a shard record (name, design, rows, sha256); {fix}", path=path)
        checksums[entry["name"]] = entry["sha256"]
    if (out_dir / MANIFEST).exists():
        for entry in read_manifest(out_dir / MANIFEST)["shards"]:
            if checksums.setdefault(entry["name"], entry["sha256"]) != entry["sha256"]:
                raise InputError(
                    f"{RECORDS}/{entry['name']}.json and manifest.json record different SHA-256 for this shard; "
                    "the folder is inconsistent: render the dataset again with --overwrite",
                    path=out_dir / entry["name"],
                )
    return checksums


def _write_record(out_dir: Path, record: ShardRecord) -> None:
    path = out_dir / RECORDS / f"{record.name}.json"
    text = json.dumps(asdict(record), indent=2) + "\n"
    if not path.exists() or path.read_text() != text:
        with atomic_file(path) as staging:
            staging.write_text(text)


def _write_error(error: OSError, out_dir: Path) -> InputError:
    where = f" ({error.filename})" if error.filename else ""
    return InputError(
        f"cannot write the dataset: {error.strerror or error}{where}; free space or fix the permissions and run the "
        "same command again to resume",
        path=out_dir,
        field="--out",
    )


def read_json_object(path: Path, fix: str) -> dict:
    """A JSON object read from `path`; a missing, unreadable or invalid file is an InputError naming it and `fix`."""
    try:
        value = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"the file is missing; {fix}", path=path) from None
    except OSError as error:
        raise InputError(f"cannot read the file ({error.strerror or error}); {fix}", path=path) from error
    except ValueError as error:
        raise InputError(f"not valid JSON ({error}); {fix}", path=path) from error
    if not isinstance(value, dict):
        raise InputError(f"holds a JSON {type(value).__name__}, not an object; {fix}", path=path)
    return value


def read_manifest(path: Path) -> dict:
    """`manifest.json` checked: a valid render config and shard entries (plain file name, design, rows, SHA-256)."""
    fix = (
        "the dataset is damaged: delete manifest.json and resume the render with the same config "
        "(`fovkit render run CONFIG --out FOLDER`) to write it again"
    )
    manifest = read_json_object(path, fix)
    shards = manifest.get("shards")
    if not isinstance(shards, list) or not shards:
        raise InputError(f"no list of shards; {fix}", path=path, field="shards")
    bad = [entry for entry in shards if not _valid_entry(entry)]
    if bad:
        raise InputError(
            f"shard entries need a plain file name ending in .parquet, a design, rows and a SHA-256; got "
            f"{preview(bad, limit=2)}; {fix}",
            path=path,
            field="shards",
        )
    if not isinstance(manifest.get("config"), dict):
        raise InputError(f"no config object; {fix}", path=path, field="config")
    try:
        RenderConfig(**manifest["config"])
    except (ValidationError, TypeError) as error:
        problem = error.errors()[0] if isinstance(error, ValidationError) else {"loc": (), "msg": str(error)}
        where = ".".join(map(str, problem["loc"])) or "config"
        message = f"not a valid render config ({where}: {problem['msg']}); {fix}"
        raise InputError(message, path=path, field="config") from error
    return manifest


def _valid_entry(entry: object) -> bool:
    """True for a shard record: a plain shard file name, a design, a non-negative row count and a SHA-256."""
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("name"), str)
        and SHARD_NAME.match(entry["name"]) is not None
        and isinstance(entry.get("design"), str)
        and isinstance(entry.get("rows"), int)
        and not isinstance(entry.get("rows"), bool)
        and entry["rows"] >= 0
        and isinstance(entry.get("sha256"), str)
        and SHA256.match(entry["sha256"]) is not None
    )


def write_manifest(config: RenderConfig, out_dir: Path, records: list[ShardRecord]) -> Path:
    """`manifest.json`: counts per design, every shard's rows and SHA-256, the config and package versions.

    An existing manifest is kept as it is when it lists the same shards; one that records other checksums is never
    rewritten (InputError).
    """
    path = Path(out_dir) / MANIFEST
    shards = [asdict(record) for record in records]
    if path.exists():
        listed = {entry["name"]: entry for entry in read_manifest(path)["shards"]}
        differ = [entry["name"] for entry in shards if listed.get(entry["name"]) != entry]
        if differ or len(listed) != len(shards):
            raise InputError(
                f"manifest.json records other shards or checksums than the folder holds ({preview(differ)}); it is "
                "never rewritten with different checksums: render the dataset again with --overwrite",
                path=path,
            )
        return path
    counts: dict[str, int] = {}
    for record in records:
        counts[record.design] = counts.get(record.design, 0) + record.rows
    manifest = {
        "config": config.model_dump(mode="json"),
        "counts": counts,
        "total": sum(counts.values()),
        "shards": shards,
        "versions": package_versions(("fovkit", "numpy", "pyarrow", "moderngl", "trimesh", "pillow")),
    }
    with atomic_file(path) as staging:
        staging.write_text(json.dumps(manifest, indent=2) + "\n")
    return path
