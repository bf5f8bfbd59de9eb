"""The prediction file of `fovkit predict`: its columns, resumable parts in a work folder, and the atomic final file.

Columns, in order: `file_name` (string), `label` (int64, only when the source knows the true labels: stored datasets
with a label column and class folders; absent otherwise, never a placeholder), `class_dir` (string, class folders
only), `predicted_class` (int64, index in the model's label space), `predicted_probability` (float32, softmax of the
top class), `predicted_name` (string), `top_classes` (list<int64>, k), `top_probabilities` (list<float32>, k) and,
with logits, `logits` (fixed_size_list<float32>[classes]). The schema's metadata `fovkit.predictions` holds JSON:
model card, label space, source, settings, device, precision and fovkit's version; nothing time-dependent, so the
same inputs give the same bytes.

Predictions are written in parts of a fixed number of rows to `.<FILE>.parts/` beside FILE: `part-NNNNN.parquet`
(renamed into place when complete) and then `part-NNNNN.json` with its rows and SHA-256. `predict.json` records
what the parts were computed from; a run with the same model, source and settings resumes after the last part whose
bytes match its checksum. The parts are finally copied into FILE as row groups (temporary name, then renamed) and
the work folder is removed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from fovkit.errors import InputError
from fovkit.runs import atomic_file, file_checksum, resolve_path

METADATA_KEY = b"fovkit.predictions"
STATE = "predict.json"
SUFFIX = ".parquet"
OUT_FIELD = "--out"
FORMAT = 1
"""Version of the work folder's layout; a folder of another version is not resumed."""
IDENTITY = {"model": "model", "source": "source images", "settings": "settings", "fovkit": "fovkit version"}
"""The parts of a run's identity, in words for the message that refuses to resume."""


@dataclass(frozen=True)
class Scores:
    """A batch's predictions: names, optional true labels and class folders, top-k classes and probabilities."""

    file_names: list[str]
    labels: np.ndarray | None
    class_dirs: list[str] | None
    top_classes: np.ndarray
    top_probabilities: np.ndarray
    logits: np.ndarray | None = None


def output_schema(classes: int, labels: bool, class_dirs: bool, logits: bool, metadata: dict) -> pa.Schema:
    """The prediction file's schema (see the module's notes), with `metadata` as JSON under `fovkit.predictions`."""
    fields = [pa.field("file_name", pa.string(), nullable=False)]
    if labels:
        fields.append(pa.field("label", pa.int64(), nullable=False))
    if class_dirs:
        fields.append(pa.field("class_dir", pa.string(), nullable=False))
    fields += [
        pa.field("predicted_class", pa.int64(), nullable=False),
        pa.field("predicted_probability", pa.float32(), nullable=False),
        pa.field("predicted_name", pa.string(), nullable=False),
        pa.field("top_classes", pa.list_(pa.int64()), nullable=False),
        pa.field("top_probabilities", pa.list_(pa.float32()), nullable=False),
    ]
    if logits:
        fields.append(pa.field("logits", pa.list_(pa.float32(), classes), nullable=False))
    text = json.dumps(metadata, sort_keys=True, separators=(",", ":"))
    return pa.schema(fields, metadata={METADATA_KEY: text.encode()})


def scores_table(scores: Scores, names: Sequence[str], schema: pa.Schema) -> pa.Table:
    """One batch's rows in the file's schema; `names` are the label space's class names by index."""
    top = scores.top_classes.astype(np.int64)
    width = top.shape[1]
    columns = {"file_name": pa.array(scores.file_names, pa.string())}
    if "label" in schema.names:
        columns["label"] = pa.array(np.asarray(scores.labels, dtype=np.int64))
    if "class_dir" in schema.names:
        columns["class_dir"] = pa.array(scores.class_dirs, pa.string())
    columns["predicted_class"] = pa.array(top[:, 0])
    columns["predicted_probability"] = pa.array(scores.top_probabilities[:, 0].astype(np.float32))
    columns["predicted_name"] = pa.array([names[index] for index in top[:, 0]], pa.string())
    columns["top_classes"] = _lists(top.ravel(), width, pa.int64())
    columns["top_probabilities"] = _lists(scores.top_probabilities.astype(np.float32).ravel(), width, pa.float32())
    if "logits" in schema.names:
        logits = scores.logits.astype(np.float32)
        columns["logits"] = pa.FixedSizeListArray.from_arrays(pa.array(logits.ravel()), logits.shape[1])
    return pa.Table.from_pydict(columns, schema=schema.remove_metadata())


def _lists(values: np.ndarray, width: int, kind: pa.DataType) -> pa.Array:
    """Rows of `width` values as a variable-size list column (the type prediction readers expect)."""
    return pa.FixedSizeListArray.from_arrays(pa.array(values, kind), width).cast(pa.list_(kind))


def check_output_file(out: Path, source: Path, overwrite: bool) -> Path:
    """Refuse an output FILE that is not `.parquet`, is or lies inside the source, or exists without `overwrite`.

    With `overwrite`, an existing file is replaced only if it is a prediction file fovkit wrote (its schema carries
    fovkit's metadata): fovkit never replaces a user's own file.
    """
    out = Path(out)
    if out.suffix.lower() != SUFFIX:
        raise InputError(
            f"the output must be a Parquet file ending in {SUFFIX}, got {out.name!r}; e.g. --out predictions.parquet",
            path=out,
            field=OUT_FIELD,
        )
    target = resolve_path(out, OUT_FIELD)
    origin = resolve_path(source, "SOURCE")
    if target == origin or origin in target.parents:
        raise InputError(
            f"the output lies inside the source folder {source}; write it outside the images it predicts",
            path=out,
            field=OUT_FIELD,
        )
    if out.is_symlink():
        raise InputError("the output path is a symbolic link; give a plain file path", path=out, field=OUT_FIELD)
    if out.is_dir():
        raise InputError("the output path is a folder; give a file path ending in .parquet", path=out, field=OUT_FIELD)
    if out.exists():
        if not overwrite:
            raise InputError(
                "the output file exists; choose another path, or pass --overwrite to replace it",
                path=out,
                field=OUT_FIELD,
            )
        if not is_prediction_file(out):
            raise InputError(
                "the output file exists and is not a prediction file fovkit wrote; fovkit replaces only its own "
                "files, even with --overwrite: choose another path",
                path=out,
                field=OUT_FIELD,
            )
    return out


def is_prediction_file(path: Path) -> bool:
    """True for a Parquet file whose schema carries the metadata `fovkit predict` writes."""
    try:
        metadata = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowException):
        return False
    return METADATA_KEY in metadata


def read_metadata(path: Path) -> dict:
    """The JSON metadata of a prediction file written by `fovkit predict`."""
    metadata = pq.read_schema(path).metadata or {}
    if METADATA_KEY not in metadata:
        raise InputError("not a prediction file written by fovkit predict (no fovkit metadata)", path=path)
    return json.loads(metadata[METADATA_KEY])


class PartFolder:
    """The work folder `.<FILE>.parts/` of one output file: resumable parts, verified, then assembled into FILE.

    Args:
        out: The output file.
        identity: What the parts are computed from (model, source, settings); a folder made from anything else is
            not resumed.
        sizes: Rows of each part, in order.

    """

    def __init__(self, out: Path, identity: dict, sizes: Sequence[int]) -> None:
        self.out = Path(out)
        self.path = self.out.parent / f".{self.out.name}.parts"
        self.identity = json.loads(json.dumps({"format": FORMAT, **identity}))  # as recorded: tuples become lists
        self.sizes = list(sizes)

    def prepare(self, overwrite: bool) -> int:
        """Create the folder, or check that an existing one was made from the same inputs; return the parts done.

        Raises:
            InputError: For an existing folder fovkit did not make, or one made from another model, source or
                settings (without `overwrite`, which discards it).

        """
        if self.path.is_symlink() or (self.path.exists() and not self.path.is_dir()):
            raise InputError(
                "the work path of the output exists and is not a folder fovkit made; move it away",
                path=self.path,
                field=OUT_FIELD,
            )
        if self.path.is_dir():
            recorded = self._recorded()
            if recorded == self.identity:
                return self.completed()
            if not overwrite:
                changed = [word for key, word in IDENTITY.items() if recorded.get(key) != self.identity.get(key)]
                raise InputError(
                    f"an interrupted run left predictions here, but their {' and '.join(changed) or 'format'} differ "
                    "from this run's; run its command again to resume it, or pass --overwrite to start over",
                    path=self.path,
                    field=OUT_FIELD,
                )
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True)
        with atomic_file(self.path / STATE) as staging:
            staging.write_text(json.dumps(self.identity, indent=2, sort_keys=True) + "\n")
        return 0

    def _recorded(self) -> dict:
        """The identity an existing work folder records; one without a readable record is not fovkit's."""
        try:
            recorded = json.loads((self.path / STATE).read_text())
        except (OSError, ValueError):
            recorded = None
        if not isinstance(recorded, dict):
            raise InputError(
                f"the work folder of the output holds no readable {STATE}, so fovkit did not make it; move it away",
                path=self.path,
                field=OUT_FIELD,
            )
        return recorded

    def part(self, index: int) -> Path:
        """The Parquet file of part `index`."""
        return self.path / f"part-{index:05d}{SUFFIX}"

    def completed(self) -> int:
        """Parts done: the leading parts whose file matches its recorded rows and SHA-256 (later ones are removed)."""
        done = 0
        while done < len(self.sizes) and self._valid(done):
            done += 1
        for stale in [*self.path.glob(f"part-*{SUFFIX}"), *self.path.glob("part-*.json")]:
            if int(stale.name[5:10]) >= done:
                stale.unlink()
        return done

    def _valid(self, index: int) -> bool:
        record_path = self.part(index).with_suffix(".json")
        try:
            record = json.loads(record_path.read_text())
            return record == {"rows": self.sizes[index], "sha256": file_checksum(self.part(index))}
        except (OSError, ValueError):
            return False

    def write(self, index: int, tables: Sequence[pa.Table]) -> None:
        """Write part `index` (one row group) from its batches' tables, then its record."""
        table = pa.concat_tables(tables)
        if table.num_rows != self.sizes[index]:
            raise RuntimeError(f"part {index} has {table.num_rows} rows, expected {self.sizes[index]}")
        with atomic_file(self.part(index)) as staging:
            pq.write_table(table, staging, row_group_size=max(table.num_rows, 1))
        record = {"rows": table.num_rows, "sha256": file_checksum(self.part(index))}
        with atomic_file(self.part(index).with_suffix(".json")) as staging:
            staging.write_text(json.dumps(record, sort_keys=True) + "\n")

    def assemble(self, schema: pa.Schema) -> Path:
        """Copy the verified parts into the output file (atomically), one row group each; remove the work folder."""
        with atomic_file(self.out) as staging, pq.ParquetWriter(staging, schema) as writer:
            for index, rows in enumerate(self.sizes):
                data = self.part(index).read_bytes()
                record = json.loads(self.part(index).with_suffix(".json").read_text())
                if record != {"rows": rows, "sha256": hashlib.sha256(data).hexdigest()}:
                    raise InputError(
                        "the part changed while the run went on; run the command again to compute it again",
                        path=self.part(index),
                    )
                table = pq.read_table(pa.BufferReader(data))
                writer.write_table(table, row_group_size=max(table.num_rows, 1))
        self.discard()
        return self.out

    def discard(self) -> None:
        """Remove the work folder and everything in it."""
        shutil.rmtree(self.path, ignore_errors=True)
