"""Read one-model-per-file predictions (CSV, Parquet, NPY/NPZ logits, imagenet-testbed pickles) into Predictions.

Columns follow the ImageNet-X reference toolkit: `file_name`, `predicted_class`, optional `predicted_probability`.
Rows are matched to samples by file name; every problem raises an InputError naming file, field and rows. Files are
untrusted: CSVs may be gzip-compressed (other encodings are refused by their first bytes), NPY/NPZ object arrays
are never unpickled, and pickles go through a restricted unpickler (`fovkit.tables.safe_pickle`).
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from rich.progress import Progress

from fovkit.errors import InputError, preview, printable
from fovkit.tables.alignment import SampleAligner, SampleUniverse
from fovkit.tables.predictions import Predictions
from fovkit.tables.safe_pickle import load_pickle
from fovkit.tables.sniff import SNIFF_BYTES, content_problem, open_csv, path_problem, read_text, unreadable

ID_COLUMN = "file_name"
CLASS_COLUMN = "predicted_class"
PROBABILITY_COLUMN = "predicted_probability"
CSV_SUFFIXES = (".csv", ".csv.gz")
TABLE_SUFFIXES = (*CSV_SUFFIXES, ".parquet", ".pq")
LOGIT_SUFFIXES = (".npy", ".npz", ".pickle", ".pkl")
SUFFIXES = TABLE_SUFFIXES + LOGIT_SUFFIXES
ZIP_MAGIC = b"PK"
NPY_MAGIC = b"\x93NUMPY"
NAMES_FIX = "np.asarray(names, dtype=str)"
_CSV_TYPES = {ID_COLUMN: pa.string(), CLASS_COLUMN: pa.int64(), PROBABILITY_COLUMN: pa.float64()}


@dataclass(frozen=True)
class ModelPrediction:
    """One model's predictions aligned to the target samples."""

    model: str
    path: Path
    predicted: np.ndarray
    probability: np.ndarray | None


def expand_prediction_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files given directly plus the prediction files inside given folders (sorted), each checked to be readable.

    A missing path, a broken symbolic link and a link loop are each named as such, also among a folder's files.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(child for child in path.iterdir() if file_suffix(child) in SUFFIXES and not child.is_dir())
            if not found:
                raise InputError(f"folder holds no prediction files ({', '.join(SUFFIXES)})", path=path)
            files.extend(_checked_file(child) for child in found)
        elif file_suffix(_checked_file(path)) not in SUFFIXES:
            raise InputError(
                f"unsupported file type {printable(repr(path.suffix), 40)}; expected one of {', '.join(SUFFIXES)}",
                path=path,
            )
        else:
            files.append(path)
    if not files:
        raise InputError("no prediction files given")
    return files


def file_suffix(path: Path) -> str:
    """The format suffix of a prediction file, lower case: `.csv.gz` for gzip-compressed CSV, else the last one."""
    name = path.name.lower()
    return ".csv.gz" if name.endswith(".csv.gz") else path.suffix.lower()


def model_name(path: Path) -> str:
    """The model a prediction file stands for: its name without the format suffix."""
    return path.name[: -len(file_suffix(path))] if file_suffix(path) else path.name


def _checked_file(path: Path) -> Path:
    problem = path_problem(path)
    if problem:
        raise InputError(problem, path=path)
    return path


def load_prediction_files(
    paths: Sequence[Path],
    universe: SampleUniverse,
    num_classes: int,
    file_names: Path | None = None,
    threads: int | None = None,
    progress: bool = True,
) -> Predictions:
    """Read every file (one model each) and stack them into one Predictions matrix; see `iter_prediction_chunks`."""
    chunks = iter_prediction_chunks(paths, universe, num_classes, len(paths), file_names, threads, progress)
    return Predictions.stack(list(chunks))


def iter_prediction_chunks(
    paths: Sequence[Path],
    universe: SampleUniverse,
    num_classes: int,
    chunk_size: int = 32,
    file_names: Path | None = None,
    threads: int | None = None,
    progress: bool = True,
) -> Iterator[Predictions]:
    """Read prediction files in a thread pool and yield them `chunk_size` models at a time, in `paths` order.

    Reading runs ahead in the pool while the caller scores the chunk it holds, so loading and analysis overlap
    and memory stays bounded by the chunk, not by the number of models.

    Args:
        paths: Prediction files, one model per file.
        universe: Samples every file must cover and the extra ids it may carry.
        num_classes: Predicted classes must lie in 0..num_classes-1; logits must have this many columns.
        chunk_size: Models per yielded Predictions.
        file_names: Row order (one id per line) for NPY/NPZ logits files that carry none beside them.
        threads: Reader threads (defaults to the number of cores).
        progress: Show a progress bar.

    """
    reader = PredictionFileReader.for_universe(universe, num_classes, file_names)
    roster = ModelRoster()
    with ThreadPoolExecutor(threads or os.cpu_count() or 1) as pool, Progress(disable=not (progress and paths)) as bar:
        task = bar.add_task("Reading predictions", total=len(paths))
        batch: list[ModelPrediction] = []
        for result in pool.map(reader.read, paths):
            roster.add(result.model, result.path, result.probability is not None)
            batch.append(result)
            bar.advance(task)
            if len(batch) == chunk_size:
                yield stack_model_predictions(batch, universe)
                batch = []
        if batch:
            yield stack_model_predictions(batch, universe)


@dataclass
class ModelRoster:
    """The models read so far: rejects a model name given twice and probabilities given for some files only."""

    owners: dict[str, Path] = field(default_factory=dict)
    first: tuple[Path, bool] | None = None

    def add(self, model: str, path: Path, has_probability: bool) -> None:
        """Record one model's file, or raise an InputError naming both files involved."""
        if model in self.owners:
            raise InputError(f"model name '{model}' is also given by {self.owners[model]}; rename one file", path=path)
        self.owners[model] = path
        self.first = self.first or (path, has_probability)
        first_path, first_has = self.first
        if has_probability != first_has:
            has, lacks = (first_path, path) if first_has else (path, first_path)
            raise InputError(
                f"{has} gives '{PROBABILITY_COLUMN}' but {lacks} does not; give it for every model or for none",
                path=path,
                field=PROBABILITY_COLUMN,
            )


def stack_model_predictions(batch: list[ModelPrediction], universe: SampleUniverse) -> Predictions:
    """One Predictions matrix from models read one file at a time (all with or all without probabilities)."""
    dtype = np.int16 if max(int(result.predicted.max(initial=0)) for result in batch) < 2**15 else np.int32
    has_probability = batch[0].probability is not None
    return Predictions(
        tuple(result.model for result in batch),
        universe.target,
        np.stack([result.predicted for result in batch]).astype(dtype, copy=False),
        np.stack([result.probability for result in batch]) if has_probability else None,
    )


@dataclass(frozen=True)
class PredictionFileReader:
    """Reads one prediction file (any supported format) into a ModelPrediction aligned to the universe."""

    aligner: SampleAligner
    num_classes: int
    shared_names: np.ndarray | None

    @classmethod
    def for_universe(
        cls, universe: SampleUniverse, num_classes: int, file_names: Path | None = None
    ) -> PredictionFileReader:
        """Reader for files that must cover `universe`; `file_names` orders logits files that carry no names."""
        return cls(SampleAligner(universe), num_classes, _read_name_list(file_names) if file_names else None)

    def read(self, path: Path) -> ModelPrediction:
        """Read, check and align one file; every problem raises an InputError naming the file."""
        try:
            if file_suffix(path) in TABLE_SUFFIXES:
                return self._read_table(path)
            return self._read_logits(path)
        except InputError:
            raise
        except OSError as error:
            raise unreadable(path, error) from error
        except (ValueError, pa.ArrowException, EOFError, KeyError) as error:
            raise InputError(f"cannot read file: {printable(error)}", path=path) from error

    def _read_table(self, path: Path) -> ModelPrediction:
        table = _read_csv(path) if file_suffix(path) in CSV_SUFFIXES else pq.read_table(path, use_threads=False)
        missing = [column for column in (ID_COLUMN, CLASS_COLUMN) if column not in table.column_names]
        if missing:
            raise InputError(
                f"missing column(s) {missing}; the file has {preview(table.column_names)}. Expected columns "
                f"'{ID_COLUMN}', '{CLASS_COLUMN}' and optionally '{PROBABILITY_COLUMN}'",
                path=path,
                field=missing[0],
            )
        ids = table.column(ID_COLUMN)
        if not pa.types.is_string(ids.type) and not pa.types.is_large_string(ids.type):
            ids = ids.cast(pa.string())
        rows = self.aligner.rows_for(ids, path, ID_COLUMN)
        classes = _checked_classes(table.column(CLASS_COLUMN), self.num_classes, path)
        probability = None
        if PROBABILITY_COLUMN in table.column_names:
            probability = _checked_probability(table.column(PROBABILITY_COLUMN), path)[rows]
        return ModelPrediction(model_name(path), path, classes[rows], probability)

    def _read_logits(self, path: Path) -> ModelPrediction:
        model, logits, names = _load_logit_file(path)
        if names is None:
            names = self._default_names(path)
        if logits.dtype.kind not in "biuf":
            raise InputError(
                f"logits must be numbers, got an array of dtype {logits.dtype}; save them as "
                f"np.asarray(logits, dtype=np.float32)",
                path=path,
                field="logits",
            )
        if logits.ndim != 2 or logits.shape[1] != self.num_classes:
            raise InputError(f"logits have shape {logits.shape}, expected (samples, {self.num_classes})", path=path)
        if np.ndim(names) != 1:
            raise InputError(
                f"file names must be one list of names, got shape {np.shape(names)}; save them as {NAMES_FIX}",
                path=path,
                field="file_names",
            )
        if len(names) != logits.shape[0]:
            raise InputError(
                f"{logits.shape[0]} rows of logits but {len(names)} file names; give one name per row",
                path=path,
                field="file_names",
            )
        rows = self.aligner.rows_for(pa.array(names, type=pa.string()), path, "file_names")
        chosen = np.asarray(logits[rows], dtype=np.float32)
        bad = np.flatnonzero(~np.isfinite(chosen).all(axis=1))
        if len(bad):
            raise InputError(f"NaN or infinite logits at rows {preview(rows[bad].tolist())}", path=path, field="logits")
        return ModelPrediction(model or model_name(path), path, chosen.argmax(axis=1), _top_softmax(chosen))

    def _default_names(self, path: Path) -> np.ndarray:
        sidecar = path.with_suffix(".txt")
        if sidecar.exists():
            return _read_name_list(sidecar)
        if self.shared_names is not None:
            return self.shared_names
        if file_suffix(path) in (".pickle", ".pkl") and self.aligner.universe.default_order is not None:
            return self.aligner.universe.default_order.to_numpy(dtype=object)
        raise InputError(
            f"logits carry no file names: store them under 'file_names' in the NPZ, put one name per line in "
            f"{sidecar.name} beside it, or pass --file-names",
            path=path,
        )


def _read_csv(path: Path) -> pa.Table:
    """Parse with the expected column types (fast path); gzip content is decompressed, non-text content refused.

    On a type mismatch, parse again inferring types so that the checks can name the offending rows. UTF-8 is not
    checked while parsing (that costs time on every file): sample ids that are not UTF-8 are found when aligning.
    """
    options = pa_csv.ReadOptions(use_threads=False)
    try:
        with open_csv(path) as stream:
            return pa_csv.read_csv(
                stream,
                read_options=options,
                convert_options=pa_csv.ConvertOptions(column_types=_CSV_TYPES, check_utf8=False),
            )
    except pa.ArrowInvalid:
        with open_csv(path) as stream:
            return pa_csv.read_csv(
                stream, read_options=options, convert_options=pa_csv.ConvertOptions(check_utf8=False)
            )


def _load_logit_file(path: Path) -> tuple[str | None, np.ndarray, object | None]:
    """(model name or None, logits, file names or None) of an NPY, NPZ or imagenet-testbed pickle file."""
    suffix = file_suffix(path)
    if suffix == ".npy":
        with path.open("rb") as handle:
            _check_magic(handle, NPY_MAGIC, path, "a .npy array (np.save)")
            return None, _read_npy(handle, path, "logits"), None
    if suffix == ".npz":
        logits, names = _read_npz(path)
        return None, logits, names
    return _read_testbed_pickle(path)


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """Arrays `logits` and (optional) `file_names` of an NPZ archive, read without unpickling anything."""
    with path.open("rb") as handle:
        _check_magic(handle, ZIP_MAGIC, path, "an NPZ archive (the ZIP file np.savez writes)")
        try:
            with zipfile.ZipFile(handle) as archive:
                members = {name.removesuffix(".npy"): name for name in archive.namelist()}
                if "logits" not in members:
                    raise InputError(
                        f"no 'logits' array; the archive has {preview(sorted(members))}", path=path, field="logits"
                    )
                arrays = {
                    key: _read_member(archive, members[key], path, key)
                    for key in ("logits", "file_names")
                    if key in members
                }
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
            raise InputError(
                f"the NPZ archive is truncated or damaged ({printable(error, 120)}); write it again with np.savez",
                path=path,
                field="format",
            ) from error
    names = arrays.get("file_names")
    return arrays["logits"], None if names is None else names.astype(str)


def _read_member(archive: zipfile.ZipFile, member: str, path: Path, field_name: str) -> np.ndarray:
    with archive.open(member) as handle:
        return _read_npy(handle, path, field_name)


def _check_magic(handle: BinaryIO, magic: bytes, path: Path, what: str) -> None:
    """Refuse a file that does not start with `magic`, saying what it looks like instead; rewind it."""
    head = handle.read(SNIFF_BYTES)
    handle.seek(0)
    if not head.startswith(magic):
        looks = content_problem(head) or f"it starts with {printable(repr(head[:16]))}"
        raise InputError(f"the file is not {what}: {looks}", path=path, field="format")


def _read_npy(handle: BinaryIO, path: Path, field_name: str) -> np.ndarray:
    """One array in .npy format from an open file or archive member; arrays of Python objects are refused unread.

    The header is read first, so an object array (which only unpickling could load) is never unpickled.
    """
    try:
        version = np.lib.format.read_magic(handle)
        header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        dtype = header(handle)[2]
        handle.seek(0)
        array = None if dtype.hasobject else np.lib.format.read_array(handle, allow_pickle=False)
    except Exception as error:  # untrusted bytes: numpy's header parser raises ValueError, SyntaxError, TokenError...
        raise InputError(
            f"'{field_name}' is not a readable .npy array, truncated or damaged ({printable(error, 120)}); "
            "save it again with np.save or np.savez",
            path=path,
            field=field_name,
        ) from error
    if array is None:
        fix = NAMES_FIX if field_name == "file_names" else "np.asarray(logits, dtype=np.float32)"
        raise InputError(
            f"'{field_name}' is stored as Python objects (dtype {dtype}, what np.save writes for a pandas column or "
            f"an object array), which could run code when loaded and is never unpickled; save it as {fix}",
            path=path,
            field=field_name,
        )
    return array


def _read_testbed_pickle(path: Path) -> tuple[str | None, np.ndarray, object | None]:
    """An imagenet-testbed pickle `{"model": name, "logits": N x C[, "file_names": N]}`, unpickled restrictedly."""
    content = load_pickle(path)
    if not isinstance(content, dict) or "logits" not in content:
        keys = preview(sorted(str(key) for key in content)) if isinstance(content, dict) else type(content).__name__
        raise InputError(f"expected a dict with 'model' and 'logits', got {keys}", path=path, field="logits")
    model = content.get("model")
    if model is not None and not (isinstance(model, str) and model.strip() and model.isprintable()):
        raise InputError(
            f"'model' must be a printable, non-empty name, got {preview([model])}; store the model's name as a string",
            path=path,
            field="model",
        )
    names = content.get("file_names")
    return model, np.asarray(content["logits"]), None if names is None else np.asarray(names, dtype=object)


def _read_name_list(path: Path) -> np.ndarray:
    """File names, one per line (a first line `file_name` is a header), from a UTF-8 text file."""
    text = read_text(path, "file-name list", "format")
    names = [name for name in (line.strip() for line in text.splitlines()) if name]
    if names and names[0] == ID_COLUMN:
        names = names[1:]
    return np.asarray(names, dtype=object)


def _checked_classes(column: pa.ChunkedArray, num_classes: int, path: Path) -> np.ndarray:
    values = column.combine_chunks()
    if values.null_count:
        rows = np.flatnonzero(values.is_null().to_numpy(zero_copy_only=False))
        raise InputError(f"empty or NaN classes at rows {preview(rows.tolist())}", path=path, field=CLASS_COLUMN)
    if pa.types.is_integer(values.type):
        classes = values.to_numpy()
    elif pa.types.is_floating(values.type):
        floats = values.to_numpy()
        bad = np.flatnonzero(~np.isfinite(floats) | (floats != np.round(floats)))
        if len(bad):
            raise InputError(
                f"classes must be whole numbers; rows {preview(bad.tolist())} hold {preview(floats[bad].tolist())}",
                path=path,
                field=CLASS_COLUMN,
            )
        classes = floats.astype(np.int64)
    else:
        raise InputError(f"classes must be integers, got {values.type}", path=path, field=CLASS_COLUMN)
    bad = np.flatnonzero((classes < 0) | (classes >= num_classes))
    if len(bad):
        raise InputError(
            f"classes outside 0..{num_classes - 1}: {preview(classes[bad].tolist())} at rows {preview(bad.tolist())}",
            path=path,
            field=CLASS_COLUMN,
        )
    return classes


def _checked_probability(column: pa.ChunkedArray, path: Path) -> np.ndarray:
    values = column.combine_chunks()
    if not (pa.types.is_floating(values.type) or pa.types.is_integer(values.type)):
        raise InputError(f"probabilities must be numbers, got {values.type}", path=path, field=PROBABILITY_COLUMN)
    numbers = values.to_numpy(zero_copy_only=False).astype(np.float32)
    bad = np.flatnonzero(~((numbers >= 0) & (numbers <= 1)))
    if len(bad):
        raise InputError(
            f"probabilities must lie in [0, 1] (no NaN): {preview(numbers[bad].tolist())} "
            f"at rows {preview(bad.tolist())}",
            path=path,
            field=PROBABILITY_COLUMN,
        )
    return numbers


def _top_softmax(logits: np.ndarray) -> np.ndarray:
    """Largest softmax probability per row, computed stably."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return (1.0 / np.exp(shifted).sum(axis=1)).astype(np.float32)
