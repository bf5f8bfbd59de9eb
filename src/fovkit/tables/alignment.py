"""Map the rows of a prediction file onto the samples of a FactorTable by sample id, never by row order."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fovkit.errors import InputError, preview


@dataclass(frozen=True)
class SampleUniverse:
    """The samples a prediction file must cover, in order, and which other sample ids it may carry.

    Args:
        target: Sample ids every file must predict, in the order of the FactorTable.
        description: Words for error messages, e.g. "the ImageNet-X val annotations".
        is_known_extra: Given ids outside `target`, True for ids that are legal (e.g. unannotated val images).
        default_order: Row order of files that carry logits without sample ids (imagenet-testbed pickles).
        integer_ids: Optional fast path: distinct non-negative integers for ids of one fixed form (e.g. the number
            in `ILSVRC2012_val_00000293.JPEG`), None for an array holding any other id. Files are then aligned by
            an array look-up instead of hashing their strings.
        missing_fix: What to do about samples without a prediction, in the error message.

    """

    target: pd.Index
    description: str
    is_known_extra: Callable[[np.ndarray], np.ndarray] | None = None
    default_order: pd.Index | None = None
    integer_ids: Callable[[pa.Array], np.ndarray | None] | None = None
    missing_fix: str = "predict every sample of the factor table"


@dataclass
class SampleAligner:
    """Finds, for each target sample, its row in a file; remembers the last row order to skip repeated work.

    Prediction files written by one pipeline share their row order, so the common case is one array comparison.
    Thread-safe: files are read by a pool of threads.
    """

    universe: SampleUniverse
    _target_ids: pa.Array = field(init=False, repr=False)
    _target_of_integer: np.ndarray | None = field(default=None, init=False, repr=False)
    _last: tuple[pa.ChunkedArray, np.ndarray] | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self._target_ids = pa.array(self.universe.target, type=pa.string())
        numbers = self.universe.integer_ids(self._target_ids) if self.universe.integer_ids else None
        if numbers is not None:
            self._target_of_integer = np.full(int(numbers.max(initial=-1)) + 1, -1, dtype=np.int64)
            self._target_of_integer[numbers] = np.arange(len(numbers))

    def rows_for(self, sample_ids: pa.Array | pa.ChunkedArray, path: Path, field_name: str) -> np.ndarray:
        """Row index in the file of every target sample, after checking duplicates, unknown and missing ids."""
        if isinstance(sample_ids, pa.Array):
            sample_ids = pa.chunked_array([sample_ids])
        with self._lock:
            last = self._last
        if last is not None and len(last[0]) == len(sample_ids) and last[0].equals(sample_ids):
            return last[1]  # compared chunk by chunk: files parsed in blocks need no concatenation
        rows = self._align(sample_ids.combine_chunks(), path, field_name)
        with self._lock:
            self._last = (sample_ids, rows)
        return rows

    def _align(self, sample_ids: pa.Array, path: Path, field_name: str) -> np.ndarray:
        target_of_row = self._target_positions(sample_ids)
        found = target_of_row >= 0
        extra_rows = np.flatnonzero(~found)
        extra_ids = sample_ids.take(pa.array(extra_rows))  # only rows outside the target can be empty or not UTF-8
        _check_utf8(extra_ids, extra_rows, path, field_name)
        blank = pc.or_kleene(extra_ids.is_null(), pc.equal(pc.utf8_trim_whitespace(extra_ids), ""))
        null_rows = extra_rows[blank.fill_null(True).to_numpy(zero_copy_only=False)]
        if len(null_rows):
            raise InputError(f"empty sample ids at rows {preview(_file_rows(null_rows))}", path=path, field=field_name)
        extras = extra_ids.to_numpy(zero_copy_only=False)
        repeated = np.bincount(target_of_row[found], minlength=len(self.universe.target)) > 1
        duplicate_rows = np.union1d(
            np.flatnonzero(found & repeated[np.maximum(target_of_row, 0)]),
            extra_rows[pd.Index(extras).duplicated(keep=False)],
        )
        if len(duplicate_rows):
            names = list(dict.fromkeys(sample_ids.take(pa.array(duplicate_rows)).to_pylist()))
            raise InputError(
                f"duplicate sample ids {preview(names)} at rows {preview(_file_rows(duplicate_rows))}",
                path=path,
                field=field_name,
            )
        self._check_extras(extras, extra_rows, path, field_name)
        rows = np.full(len(self.universe.target), -1, dtype=np.int64)
        rows[target_of_row[found]] = np.flatnonzero(found)
        missing = np.flatnonzero(rows < 0)
        if len(missing):
            ids = self.universe.target[missing].tolist()
            raise InputError(
                f"missing rows: {len(missing)} of the {len(rows)} samples of {self.universe.description} have no "
                f"prediction, e.g. {preview(ids)}; {self.universe.missing_fix}",
                path=path,
                field=field_name,
            )
        return rows

    def _target_positions(self, sample_ids: pa.Array) -> np.ndarray:
        """Index in the target of each id; -1 for ids outside it."""
        numbers = None
        if self._target_of_integer is not None:
            numbers = self.universe.integer_ids(sample_ids)
        if numbers is not None:
            inside = numbers < len(self._target_of_integer)
            return np.where(inside, self._target_of_integer[np.where(inside, numbers, 0)], -1)
        position = pc.index_in(sample_ids, value_set=self._target_ids)
        return position.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)

    def _check_extras(self, extra: np.ndarray, extra_rows: np.ndarray, path: Path, field_name: str) -> None:
        if not len(extra):
            return
        known = self.universe.is_known_extra(extra) if self.universe.is_known_extra else np.zeros(len(extra), bool)
        unknown = np.flatnonzero(~known)
        if len(unknown):
            raise InputError(
                f"{len(unknown)} sample ids are not in {self.universe.description}: "
                f"{preview(extra[unknown].tolist())} at rows {preview(_file_rows(extra_rows[unknown]))}",
                path=path,
                field=field_name,
            )


def _check_utf8(ids: pa.Array, rows: np.ndarray, path: Path, field_name: str) -> None:
    """Refuse ids that are not valid UTF-8 (files are parsed without that check, which costs time on every file)."""
    try:
        ids.validate(full=True)
    except pa.ArrowInvalid:
        raw = ids.view(pa.binary() if pa.types.is_string(ids.type) else pa.large_binary()).to_pylist()
        bad = [index for index, value in enumerate(raw) if value is not None and not _is_utf8(value)]
        raise InputError(
            f"{len(bad)} sample ids are not UTF-8 text: {preview([raw[index] for index in bad])} at rows "
            f"{preview(_file_rows(rows[bad]))}; the file has another encoding or binary content: save it as UTF-8",
            path=path,
            field=field_name,
        ) from None


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _file_rows(indices: np.ndarray) -> list[int]:
    """Data-row indices as pandas numbers them (0-based, header excluded)."""
    return np.asarray(indices).tolist()
