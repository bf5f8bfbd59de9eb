"""Factor columns of a user's table: detect each one's kind, check it, and cut it into the analysis groups.

Kinds: binary (booleans, or numbers/words that are only {0, 1}, {false, true} or {no, yes}), categorical (text, or
integers with at most `bins` distinct values; one group per level `factor=level`) and scalar (other numbers: one
group per value when there are at most `bins` of them, else `bins` quantile bins named by their edges such as
`yaw=[-45, 0)`). A binary factor is one group, the rows where it is 1.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fovkit.errors import InputError, preview
from fovkit.tables.factor_table import NO_CANONICAL, FactorKind, FactorSpec

NUMBER_PATTERN = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
INTEGER_PATTERN = r"^[+-]?\d+$"
BINARY_WORDS = ({"0", "1"}, {"false", "true"}, {"no", "yes"})
MAX_LEVELS = 200
"""Most levels a categorical factor may have: more are an id or free text, and would make a huge group mask."""


@dataclass(frozen=True, eq=False)
class FactorColumn:
    """One factor: its spec, its values for the FactorTable and its analysis groups (samples x groups mask)."""

    spec: FactorSpec
    values: np.ndarray
    group_names: tuple[str, ...]
    group_mask: np.ndarray


def read_factor(column: pa.Array, name: str, bins: int, canonical: object, path: Path) -> FactorColumn:
    """Check one factor column and detect its kind; `canonical` is the user's value or NO_CANONICAL (None).

    Raises:
        InputError: For missing values, a column mixing numbers and text, a single value (nothing varies: its
            group would be empty or every image, so its accuracy and error ratio would measure nothing), an
            unsupported type, non-printable or too many levels, or a canonical value not among the column's values.

    """
    values = _plain_values(column, name, path)
    codes, levels = pd.factorize(values, sort=True)
    levels = np.asarray(levels)
    if len(levels) == 1:
        raise InputError(
            f"every row holds the same value {preview([_python(levels[0])])}: nothing varies, so the factor "
            "cannot be analysed; leave the column out (list the factors to use in factor_columns)",
            path=path,
            field=name,
        )
    if values.dtype == object:
        words = [str(level).lower() for level in levels]
        if any(set(words) <= pair for pair in BINARY_WORDS):
            is_true = np.isin(words, ["1", "true", "yes"])
            return _binary(is_true[codes], name, canonical, path)
        return _levels(values, codes, levels, "categorical", name, canonical, path)
    if values.dtype == bool or set(levels.tolist()) <= {0, 1}:
        return _binary(values == 1, name, canonical, path)
    if values.dtype.kind == "i" and len(levels) <= bins:
        return _levels(values, codes, levels, "categorical", name, canonical, path)
    if len(levels) <= bins:
        return _levels(values, codes, levels, "scalar", name, canonical, path)
    return _binned(values, levels, bins, name, canonical, path)


def _plain_values(column: pa.Array, name: str, path: Path) -> np.ndarray:
    """The column as bool, int64, float64 or (stripped) str values, after the checks for missing values."""
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _text_values(column, name, path)
    if not (pa.types.is_boolean(kind) or pa.types.is_integer(kind) or pa.types.is_floating(kind)):
        raise InputError(
            f"unsupported column type {kind}; a factor holds numbers, booleans or text", path=path, field=name
        )
    _check_missing(column.is_null().to_numpy(zero_copy_only=False), name, path)
    values = column.to_numpy(zero_copy_only=False)
    if values.dtype.kind == "f":
        _check_missing(np.isnan(values), name, path)
        infinite = np.flatnonzero(np.isinf(values))
        if len(infinite):
            raise InputError(
                f"infinite values {preview(values[infinite].tolist())} at rows {preview(infinite.tolist())}",
                path=path,
                field=name,
            )
    return values.astype(np.int64) if values.dtype.kind in "iu" else values


def _text_values(column: pa.Array, name: str, path: Path) -> np.ndarray:
    """Stripped text; a column whose every cell is a number becomes numbers, one that mixes both is refused."""
    text = pc.utf8_trim_whitespace(column)
    _check_missing(
        pc.or_kleene(text.is_null(), pc.equal(text, "")).fill_null(True).to_numpy(zero_copy_only=False), name, path
    )
    numeric = pc.match_substring_regex(text, NUMBER_PATTERN).to_numpy(zero_copy_only=False)
    if numeric.all():
        integer = pc.match_substring_regex(text, INTEGER_PATTERN).to_numpy(zero_copy_only=False).all()
        try:
            return pc.cast(text, pa.int64() if integer else pa.float64()).to_numpy(zero_copy_only=False)
        except pa.ArrowInvalid:  # an integer beyond 64 bits
            return pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
    if numeric.any():
        numbers, words = np.flatnonzero(numeric), np.flatnonzero(~numeric)
        raise InputError(
            f"the column mixes numbers {preview(text.take(numbers[:5]).to_pylist())} (rows "
            f"{preview(numbers.tolist())}) and text {preview(text.take(words[:5]).to_pylist())} (rows "
            f"{preview(words.tolist())}); a factor holds one type: numbers, booleans or text",
            path=path,
            field=name,
        )
    return text.to_numpy(zero_copy_only=False).astype(object)


def _check_missing(missing: np.ndarray, name: str, path: Path) -> None:
    rows = np.flatnonzero(missing)
    if len(rows):
        raise InputError(
            f"missing values at rows {preview(rows.tolist())}; every image needs a value for every factor",
            path=path,
            field=name,
        )


def _binary(values: np.ndarray, name: str, canonical: object, path: Path) -> FactorColumn:
    """One group, the rows where the factor is 1; canonical at 0 (False) unless the user says otherwise."""
    flag = False if canonical is NO_CANONICAL else _binary_value(canonical, name, path)
    return FactorColumn(FactorSpec(name, "binary", flag), values, (name,), values[:, None].copy())


def _binary_value(value: object, name: str, path: Path) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    words = {"0": False, "1": True, "false": False, "true": True, "no": False, "yes": True}
    word = str(value).strip().lower()
    if isinstance(value, int | float | str | np.number) and word.removesuffix(".0") in words:
        return words[word.removesuffix(".0")]
    raise InputError(
        f"canonical value {preview([value])} is not binary; give 0/1, true/false or yes/no", path=path, field=name
    )


def _levels(
    values: np.ndarray,
    codes: np.ndarray,
    levels: np.ndarray,
    kind: FactorKind,
    name: str,
    canonical: object,
    path: Path,
) -> FactorColumn:
    """One group per level, `factor=level`, levels in sorted order."""
    texts = [_level_text(level) for level in levels]
    if len(levels) > MAX_LEVELS:
        raise InputError(
            f"{len(levels)} distinct values such as {preview(texts)}: more than {MAX_LEVELS} levels is an id or free "
            "text rather than a factor; leave the column out (list the factors to use in factor_columns)",
            path=path,
            field=name,
        )
    unprintable = [text for text in texts if not text.isprintable()]
    if unprintable:
        raise InputError(
            f"values with control characters {preview(unprintable)}; factor levels name output groups and must be "
            "printable text",
            path=path,
            field=name,
        )
    mask = codes[:, None] == np.arange(len(levels))[None, :]
    spec = FactorSpec(name, kind, _canonical_level(canonical, levels, texts, kind, name, path))
    return FactorColumn(spec, values, tuple(f"{name}={text}" for text in texts), mask)


def _binned(
    values: np.ndarray, levels: np.ndarray, bins: int, name: str, canonical: object, path: Path
) -> FactorColumn:
    """`bins` quantile bins (fewer when values tie), left-closed, the last one closed: `yaw=[-45, 0)` ... `[45, 90]`.

    Edges are values of the column (the first value of each bin), so every bin holds images and its name shows
    numbers the user wrote.
    """
    ordered = np.sort(values)
    count = len(ordered)
    positions = np.minimum((np.arange(1, bins) * count + bins - 1) // bins, count - 1)
    inner = np.unique(ordered[positions])
    inner = inner[inner > ordered[0]]
    edges = _edge_texts(np.array([ordered[0], *inner, ordered[-1]]))
    names = tuple(
        f"{name}=[{low}, {high}{']' if index == len(edges) - 2 else ')'}"
        for index, (low, high) in enumerate(itertools.pairwise(edges))
    )
    codes = np.searchsorted(inner, values, side="right")
    mask = codes[:, None] == np.arange(len(names))[None, :]
    spec = FactorSpec(name, "scalar", _canonical_level(canonical, levels, None, "scalar", name, path))
    return FactorColumn(spec, values, names, mask)


def _canonical_level(
    canonical: object, levels: np.ndarray, texts: list[str] | None, kind: FactorKind, name: str, path: Path
) -> object:
    """The level the user named canonical (matched as text, or as a number for scalars), or NO_CANONICAL."""
    if canonical is NO_CANONICAL:
        return NO_CANONICAL
    if kind == "scalar":
        try:
            number = float(str(canonical).strip())
        except ValueError:
            number = np.nan
        close = np.flatnonzero(np.isclose(levels.astype(float), number, rtol=1e-9, atol=1e-9))
        if len(close):
            return _python(levels[close[0]])
    else:
        matches = [index for index, text in enumerate(texts or ()) if text == str(canonical).strip()]
        if matches:
            return _python(levels[matches[0]])
    shown = [_level_text(level) for level in levels]
    raise InputError(
        f"canonical value {preview([canonical])} is not among the column's values {preview(shown, limit=10)}",
        path=path,
        field=name,
    )


def _edge_texts(edges: np.ndarray) -> list[str]:
    """Bin edges with 4 significant digits, more where that would show two edges alike; integers in full."""
    if edges.dtype.kind in "iu":
        return [str(edge) for edge in edges.tolist()]
    for digits in range(4, 18):
        texts = [_level_text(float(f"{edge:.{digits}g}")) for edge in edges.tolist()]
        if len(set(texts)) == len(set(edges.tolist())):  # the last inner edge may be the maximum itself
            return texts
    return [_level_text(edge) for edge in edges]


def _level_text(value: object) -> str:
    """A level or bin edge as text: whole numbers without a decimal point, other floats in their shortest form."""
    if isinstance(value, float | np.floating):
        number = float(value)
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    return str(_python(value))


def _python(value: object) -> object:
    """A numpy scalar as the Python value it holds (a canonical value compares and prints plainly)."""
    return value.item() if isinstance(value, np.generic) else value
