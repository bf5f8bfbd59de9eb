"""A stored dataset's `manifest.json`: kind, factor specification, image format and every shard's rows and SHA-256.

The manifest is written once, when every shard is finished, and never rewritten with other checksums; the per-shard
records in `checksums/<shard>.json` (the same entries, written as each shard ends) let a killed job resume before
it exists. Reading validates every field the store relies on, with an InputError naming the file and the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from fovkit.errors import InputError, preview
from fovkit.runs import atomic_file, package_versions
from fovkit.store.codec import FORMATS, ImageFormat
from fovkit.tables import FactorSpec

MANIFEST = "manifest.json"
RECORDS = "checksums"
"""Folder of the per-shard records (`<shard>.json`: name, partition, rows, SHA-256), one written as each shard ends."""
SHARD_NAME = re.compile(r"^[A-Za-z0-9_-]+\.parquet$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
KIND = re.compile(r"^[a-z][a-z0-9_]*$")
FACTOR_KINDS = ("binary", "scalar", "categorical")


@dataclass(frozen=True)
class ShardRecord:
    """What the manifest says of a finished shard: file name, partition (e.g. the render design), rows, SHA-256."""

    name: str
    partition: str
    rows: int
    sha256: str

    def to_json(self, key: str) -> dict:
        """The manifest entry, the partition under the dataset's partition column name `key` (e.g. `design`)."""
        return {"name": self.name, key: self.partition, "rows": self.rows, "sha256": self.sha256}

    @classmethod
    def from_json(cls, entry: object, key: str) -> ShardRecord | None:
        """The record of a manifest entry, or None when it is not one (see `valid_entry`)."""
        if not valid_entry(entry, key):
            return None
        return cls(entry["name"], entry[key], entry["rows"], entry["sha256"])


@dataclass(frozen=True)
class ImageSpec:
    """How a dataset's images are stored: one format and one size for every image."""

    format: ImageFormat
    height: int
    width: int

    @property
    def shape(self) -> tuple[int, int, int]:
        """The decoded shape, (height, width, 3)."""
        return (self.height, self.width, 3)

    def to_json(self) -> dict:
        """The manifest's `image` entry."""
        return {"format": self.format, "height": self.height, "width": self.width}


class Manifest(Mapping[str, object]):
    """A validated manifest: the JSON object itself (a read-only mapping) plus typed views of what the store uses."""

    def __init__(self, data: dict, path: Path) -> None:
        self._data = data
        self.path = Path(path)

    def __getitem__(self, key: str) -> object:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    @property
    def kind(self) -> str:
        """What wrote the dataset: `render`, `corruption`, `counterfactual`, ..."""
        return self._data["kind"]

    @property
    def partition(self) -> str:
        """The column shards are grouped by (render: `design`); every shard holds one of its values."""
        return self._data["partition"]

    @cached_property
    def factors(self) -> tuple[FactorSpec, ...]:
        """The factor specification: name, kind and canonical value of every factor."""
        return tuple(FactorSpec(entry["name"], entry["kind"], entry["canonical"]) for entry in self._data["factors"])

    @cached_property
    def image(self) -> ImageSpec:
        """The images' format and size."""
        entry = self._data["image"]
        return ImageSpec(entry["format"], entry["height"], entry["width"])

    @cached_property
    def shards(self) -> tuple[ShardRecord, ...]:
        """Every shard, in the order they were written."""
        return tuple(ShardRecord.from_json(entry, self.partition) for entry in self._data["shards"])


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


def read_manifest(path: Path, fix: str, kind: str | None = None) -> Manifest:
    """`manifest.json` read and validated (`parse_manifest`); `kind`, when given, is the kind the caller needs."""
    return parse_manifest(read_json_object(path, fix), path, fix, kind)


def parse_manifest(data: dict, path: Path, fix: str, kind: str | None = None) -> Manifest:
    """Validate a manifest object: kind, partition, shards, factors and image, each error naming its field."""
    found = data.get("kind")
    if not isinstance(found, str) or KIND.match(found) is None:
        raise InputError(f"no dataset kind (e.g. 'render'), got {found!r}; {fix}", path=path, field="kind")
    if kind is not None and found != kind:
        raise InputError(f"holds a {found} dataset, not a {kind} dataset; {fix}", path=path, field="kind")
    check_shards(data, path, fix)
    _check_factors(data.get("factors"), path, fix)
    _check_image(data.get("image"), path, fix)
    return Manifest(data, path)


def check_shards(data: dict, path: Path, fix: str) -> None:
    """Check the `partition` name and the `shards` entries (plain file name, partition, rows, SHA-256), none twice."""
    key = data.get("partition")
    if not isinstance(key, str) or not key:
        raise InputError(f"no partition column name (e.g. 'design'), got {key!r}; {fix}", path=path, field="partition")
    shards = data.get("shards")
    if not isinstance(shards, list) or not shards:
        raise InputError(f"no list of shards; {fix}", path=path, field="shards")
    bad = [entry for entry in shards if not valid_entry(entry, key)]
    if bad:
        raise InputError(
            f"shard entries need a plain file name ending in .parquet, a {key}, rows and a SHA-256; got "
            f"{preview(bad, limit=2)}; {fix}",
            path=path,
            field="shards",
        )
    names = [entry["name"] for entry in shards]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InputError(f"shards listed twice: {preview(repeated)}; {fix}", path=path, field="shards")


def valid_entry(entry: object, key: str) -> bool:
    """True for a shard record: a plain shard file name, a partition, a non-negative row count and a SHA-256."""
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("name"), str)
        and SHARD_NAME.match(entry["name"]) is not None
        and isinstance(entry.get(key), str)
        and isinstance(entry.get("rows"), int)
        and not isinstance(entry.get("rows"), bool)
        and entry["rows"] >= 0
        and isinstance(entry.get("sha256"), str)
        and SHA256.match(entry["sha256"]) is not None
    )


def factors_to_json(factors: Sequence[FactorSpec]) -> list[dict]:
    """The manifest's `factors` entry."""
    return [{"name": factor.name, "kind": factor.kind, "canonical": factor.canonical} for factor in factors]


def _check_factors(factors: object, path: Path, fix: str) -> None:
    """Each factor: a name, a kind (binary, scalar, categorical) and a canonical value that fits the kind."""
    if not isinstance(factors, list):
        raise InputError(f"no list of factors (name, kind, canonical); {fix}", path=path, field="factors")
    bad = [entry for entry in factors if not _valid_factor(entry)]
    if bad:
        raise InputError(
            f"factor entries need a name, a kind in {list(FACTOR_KINDS)} and a canonical value of that kind (a "
            f"number for scalar, 0/1 or true/false for binary, a string or integer for categorical); got "
            f"{preview(bad, limit=2)}; {fix}",
            path=path,
            field="factors",
        )
    names = [entry["name"] for entry in factors]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InputError(f"factors listed twice: {preview(repeated)}; {fix}", path=path, field="factors")


def _valid_factor(entry: object) -> bool:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
        return False
    canonical = entry.get("canonical")
    if entry.get("kind") == "scalar":
        return isinstance(canonical, int | float) and not isinstance(canonical, bool)
    if entry.get("kind") == "binary":
        return isinstance(canonical, bool) or canonical in (0, 1)
    if entry.get("kind") == "categorical":
        return isinstance(canonical, str | int) and not isinstance(canonical, bool)
    return False


def _check_image(image: object, path: Path, fix: str) -> None:
    """The image entry: a known format and a positive height and width."""
    valid = (
        isinstance(image, dict)
        and image.get("format") in FORMATS
        and all(
            isinstance(image.get(side), int) and not isinstance(image.get(side), bool) and image[side] > 0
            for side in ("height", "width")
        )
    )
    if not valid:
        raise InputError(
            f"the image entry needs a format in {list(FORMATS)} and a positive height and width; got "
            f"{preview([image], limit=1)}; {fix}",
            path=path,
            field="image",
        )


def write_manifest(
    out_dir: Path,
    kind: str,
    partition: str,
    factors: Sequence[FactorSpec],
    image: ImageSpec,
    records: Sequence[ShardRecord],
    extra: Mapping[str, object] | None = None,
    packages: Sequence[str] = ("fovkit", "numpy", "pyarrow", "pillow"),
    existing: Manifest | None = None,
) -> Path:
    """Write `manifest.json`: kind, factors, image, rows per partition, every shard's rows and SHA-256, versions.

    `extra` entries (e.g. the render config) are written too. An `existing` manifest (the one in `out_dir`) is kept
    as it is when it lists the same shards; one that records other shards or checksums is never rewritten
    (InputError).
    """
    path = Path(out_dir) / MANIFEST
    shards = [record.to_json(partition) for record in records]
    if existing is not None:
        listed = {entry["name"]: entry for entry in existing["shards"]}
        differ = [entry["name"] for entry in shards if listed.get(entry["name"]) != entry]
        if differ or len(listed) != len(shards):
            raise InputError(
                f"manifest.json records other shards or checksums than the folder holds ({preview(differ)}); it is "
                "never rewritten with different checksums: write the dataset again with --overwrite",
                path=path,
            )
        return path
    counts: dict[str, int] = {}
    for record in records:
        counts[record.partition] = counts.get(record.partition, 0) + record.rows
    manifest = {
        "kind": kind,
        "partition": partition,
        "factors": factors_to_json(factors),
        "image": image.to_json(),
        **(extra or {}),
        "counts": counts,
        "total": sum(counts.values()),
        "shards": shards,
        "versions": package_versions(packages),
    }
    parse_manifest(manifest, path, "a bug: the manifest being written is invalid")
    with atomic_file(path) as staging:
        staging.write_text(json.dumps(manifest, indent=2) + "\n")
    return path
