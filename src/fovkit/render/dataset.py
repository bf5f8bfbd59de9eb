"""Render a dataset into Parquet shards: a pure shard function, a resumable job, a manifest with checksums.

A shard is a pure function of (config, design, shard number): it is rendered into a temporary file and renamed
when complete, so a job killed at any point resumes by rendering only the missing shards and ends with the same
bytes. Shards run in forked local processes (or Ray tasks); each process builds its renderer and assets once.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fovkit.engine import Engine, map_ordered
from fovkit.errors import InputError
from fovkit.render.config import RenderConfig
from fovkit.render.design import design_sizes, design_table
from fovkit.render.scene import SceneRenderer
from fovkit.runs import atomic_file, file_checksum, package_versions

MANIFEST = "manifest.json"
CONFIG = "config.json"
IMAGE_FEATURE = {"_type": "Image"}


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


def render_shard(config: RenderConfig, task: ShardTask, out_dir: Path) -> ShardRecord:
    """Render one shard into `out_dir` (skipped if already complete) and return its record."""
    target = Path(out_dir) / task.name
    if not target.exists():
        table = shard_table(config, task)
        with atomic_file(target) as staging:
            pq.write_table(table, staging, compression="zstd")
    return ShardRecord(task.name, task.design, pq.read_metadata(target).num_rows, file_checksum(target))


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
) -> list[ShardRecord]:
    """Render every shard of `config` into `out_dir` (resuming), then write the manifest.

    The folder's `config.json` pins the config: resuming with a different config is refused.

    Args:
        config: What to render.
        out_dir: Dataset folder; with Ray on a cluster it must be a path every node shares.
        workers: Shards rendered at once (default: one per core, or what the Ray cluster schedules).
        progress: Show a progress bar.
        engine: `"local"` (forked processes) or `"ray"` (Ray tasks).
        address: Ray cluster to connect to; by default the Ray engine starts a local instance.

    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _pin_config(config, out_dir)
    for stale in out_dir.glob(".*.parquet.*.partial"):  # left by a killed run; its shard is rendered again
        stale.unlink(missing_ok=True)
    tasks = shard_tasks(config)
    records = list(
        map_ordered(
            partial(render_shard, config, out_dir=out_dir),
            tasks,
            workers,
            "Rendering",
            weight=lambda task: task.stop - task.start,
            progress=progress,
            engine=engine,
            address=address,
        )
    )
    write_manifest(config, out_dir, records)
    return records


def _pin_config(config: RenderConfig, out_dir: Path) -> None:
    path = out_dir / CONFIG
    current = config.model_dump(mode="json")
    if path.exists():
        pinned = json.loads(path.read_text())
        if pinned != current:
            changed = sorted(key for key in set(pinned) | set(current) if pinned.get(key) != current.get(key))
            raise InputError(
                f"the folder holds a dataset rendered with another config (differs in {changed}); "
                "resume with the same config or choose another --out",
                path=path,
            )
        return
    path.write_text(json.dumps(current, indent=2) + "\n")


def write_manifest(config: RenderConfig, out_dir: Path, records: list[ShardRecord]) -> Path:
    """`manifest.json`: counts per design, every shard's rows and SHA-256, the config and package versions."""
    counts: dict[str, int] = {}
    for record in records:
        counts[record.design] = counts.get(record.design, 0) + record.rows
    manifest = {
        "config": config.model_dump(mode="json"),
        "counts": counts,
        "total": sum(counts.values()),
        "shards": [asdict(record) for record in records],
        "versions": package_versions(("fovkit", "numpy", "pyarrow", "moderngl", "trimesh", "pillow")),
    }
    path = Path(out_dir) / MANIFEST
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return path
