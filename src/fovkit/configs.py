"""Typed configs from TOML files plus command-line overrides, with every problem told in the user's words.

A problem names the key as written in the TOML file (`settings.linear.max_iter`) or the flag it came from
(`--bootstrap`), what the key expects (kind and range, or the valid keys with the closest one) and the value received,
written as the user wrote it (`-5`, `"val"`, `[0.5, 1.5]`).
"""

from __future__ import annotations

import difflib
import json
import math
import re
import tomllib
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ValidationError

from fovkit.errors import InputError
from fovkit.seeding import check_seed

ConfigT = TypeVar("ConfigT", bound=BaseModel)

SEED_RULE = "a seed is a whole number from 0 to 2**63 - 1"
"""What every `seed` key and every item of a `seeds` key must hold, at any depth (`fovkit.seeding.check_seed`)."""

KINDS = {bool: "true or false", int: "a whole number", float: "a number", str: "text", Path: "a path"}
RANGES = (
    (annotated_types.Ge, "ge", ">="),
    (annotated_types.Gt, "gt", ">"),
    (annotated_types.Le, "le", "<="),
    (annotated_types.Lt, "lt", "<"),
)
TOML_POSITION = re.compile(r"^(?P<what>.*?) \(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)$")
LONGEST_VALUE = 80


@dataclass(frozen=True)
class Place:
    """Where a value sits: its key path, the 1-based item numbers on the way, the flag it came from (if any)."""

    keys: tuple[str, ...]
    items: tuple[int, ...] = ()
    flag: str | None = None

    @property
    def name(self) -> str | None:
        """The key path or flag as the user wrote it; None for the config as a whole."""
        if self.flag:
            return self.flag
        return ".".join(self.keys) or None

    @property
    def prefix(self) -> str:
        """`item N: ` for a value inside a TOML list (a repeated flag's value is named by the value itself)."""
        return "" if self.flag else "".join(f"item {item}: " for item in self.items)


def load_config(
    model: type[ConfigT], path: Path | None = None, flags: Mapping[str, str] | None = None, **overrides: Any
) -> ConfigT:
    """`model` from the TOML file at `path` (if any), overridden by the `overrides` that are not None.

    Args:
        model: The pydantic config class.
        path: TOML file whose keys are the model's fields (tables for nested settings).
        flags: The command-line flag of each override, e.g. `{"which_factor": "--factors"}`, named in messages
            (default `--<field-with-dashes>`).
        **overrides: Field values from the command line; None means not given.

    Raises:
        InputError: For an unreadable file or invalid TOML (with file, line and what is wrong), an unknown key (with
            the closest valid key and all valid keys), a value of the wrong kind or range, or a negative seed.

    """
    values = read_toml(path) if path is not None else {}
    given = {name: value for name, value in overrides.items() if value is not None}
    values.update(given)
    origins = {name: (flags or {}).get(name, f"--{name.replace('_', '-')}") for name in given}
    try:
        config = model(**values)
    except ValidationError as error:
        raise config_error(error, model, path, origins, flags or {}) from None
    for keys, items, seed in seed_values(config):
        try:
            check_seed(seed)
        except InputError:
            place = Place(keys, items, origins.get(keys[0]))
            raise _problem(place, path, f"{place.prefix}{SEED_RULE}, got {show_value(seed, True)}") from None
    return config


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML document at `path`; InputError for a missing, unreadable, non-UTF-8 or invalid file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise InputError("is a folder, not a TOML config file", path=path) from None
    except FileNotFoundError:
        raise InputError("no such config file; check the path", path=path) from None
    except OSError as error:
        raise InputError(f"cannot read the config ({error.strerror or error})", path=path) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            f"the config is not UTF-8 text (byte {error.start} is {data[error.start : error.start + 1]!r}); "
            "a config is a TOML text file saved as UTF-8",
            path=path,
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(toml_problem(str(error), text), path=path) from None


def toml_problem(message: str, text: str) -> str:
    """A TOML syntax error as `line N, column C: what is wrong: <the line>`, with a hint for unquoted text."""
    match = TOML_POSITION.match(message)
    what = match["what"] if match else message
    hint = '; text values need quotes, e.g. partition = "val"' if what == "Invalid value" else ""
    if not match or not match["line"]:
        return f"invalid TOML at the end of the file: {_lower_first(what)}{hint}"
    line = int(match["line"])
    shown = _shorten(text.splitlines()[line - 1].strip()) if line <= len(text.splitlines()) else ""
    return f"invalid TOML at line {line}, column {match['column']}: {_lower_first(what)}{hint} (line {line}: {shown})"


def config_error(
    error: ValidationError,
    model: type[BaseModel],
    path: Path | None,
    origins: Mapping[str, str],
    flags: Mapping[str, str],
) -> InputError:
    """One InputError for every problem pydantic found, each told as a sentence in the user's words.

    Args:
        error: What pydantic found.
        model: The config class.
        path: The TOML file, if any.
        origins: Field -> flag, for the fields given on the command line.
        flags: Field -> flag, for every field a flag can set (a TOML key spelt like a flag is pointed to its field).

    """
    issues = error.errors()
    locations = [tuple(issue["loc"]) for issue in issues]
    problems: dict[Place, str] = {}
    for issue, loc in zip(issues, locations, strict=True):
        if any(other[: len(loc)] == loc and len(other) > len(loc) for other in locations):
            continue  # e.g. "too short after validation" of a list whose items are already reported
        place, sentence = describe_issue(issue, model, origins, flags)
        problems.setdefault(place, sentence)
    if len(problems) == 1:
        [(place, sentence)] = problems.items()
        return _problem(place, path, sentence)
    from_file = any(place.flag is None for place in problems)
    text = "; ".join(f"{place.name or 'config'}: {sentence}" for place, sentence in problems.items())
    return InputError(f"{len(problems)} problems: {text}", path=path if from_file else None)


def describe_issue(
    issue: Mapping[str, Any], model: type[BaseModel], origins: Mapping[str, str], flags: Mapping[str, str]
) -> tuple[Place, str]:
    """Where one pydantic issue is (key path or flag) and the sentence that says what is wrong there."""
    loc = tuple(issue["loc"])
    found = resolve(model, loc)
    place = Place(found.keys, found.items, origins.get(loc[0]) if loc else None)
    if issue["type"] == "extra_forbidden":
        return place, unknown_key_sentence(str(loc[-1]), found.parent, flags)
    if issue["type"] == "missing":
        return place, "is required; add it"
    if issue["type"] in ("value_error", "assertion_error"):
        return place, f"{place.prefix}{issue.get('ctx', {}).get('error', issue['msg'])}"
    expected = expectation(found.annotation, found.constraints, quoted=place.flag is None)
    return place, f"{place.prefix}must be {expected}, got {show_value(issue.get('input'), place.flag is not None)}"


def unknown_key_sentence(key: str, parent: Any, flags: Mapping[str, str]) -> str:
    """`unknown key 'x'; did you mean 'y'? valid keys: ...` for a key that `parent` (a config class) does not have.

    A key spelt like a flag (`factors` for `--factors`) is pointed to the field that flag sets (`which_factor`).
    """
    valid = list(parent.model_fields) if _is_model(parent) else []
    by_flag = {flag.lstrip("-").replace("-", "_"): field for field, flag in flags.items()}
    close = [by_flag[key]] if by_flag.get(key) in valid else difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ";"
    return f"unknown key {_shorten(key)!r}{hint} valid keys: {', '.join(valid)}"


@dataclass(frozen=True)
class Resolved:
    """What a pydantic location points at: key path, item numbers, the enclosing type, the annotation and bounds."""

    keys: tuple[str, ...]
    items: tuple[int, ...]
    parent: Any
    annotation: Any
    constraints: tuple[Any, ...]


def resolve(model: type[BaseModel], loc: tuple[Any, ...]) -> Resolved:
    """Follow a pydantic error location through `model`'s fields, lists and tables."""
    keys: list[str] = []
    items: list[int] = []
    parent, annotation, constraints = None, model, ()
    for part in loc:
        base, _ = _unwrap(annotation)
        if isinstance(part, int):
            items.append(part + 1)
            if get_origin(base) in (tuple, list):
                parent, (annotation, constraints) = base, _unwrap(get_args(base)[0])
        elif _is_model(base):
            info = base.model_fields.get(part)
            keys.append(str(part))
            parent, annotation, constraints = base, *((info.annotation, tuple(info.metadata)) if info else (Any, ()))
        elif get_origin(base) is dict:
            keys.append(str(part))
            parent, annotation, constraints = base, get_args(base)[1], ()
        # any other part names a member of a union ('str', 'function-after[...]'): the annotation stays the union
    return Resolved(tuple(keys), tuple(items), parent, annotation, constraints)


def expectation(annotation: Any, constraints: tuple[Any, ...] = (), quoted: bool = True) -> str:
    """What a value of `annotation` with `constraints` must be, in words: `a whole number >= 0`, `one of: a, b`."""
    base, inner = _unwrap(annotation)
    constraints = (*inner, *constraints)
    origin = get_origin(base)
    if origin is Literal:
        options = [
            json.dumps(option) if quoted and isinstance(option, str) else str(option) for option in get_args(base)
        ]
        return f"one of: {', '.join(options)}"
    if origin in (Union, types.UnionType):
        members = [member for member in get_args(base) if member is not type(None)]
        return " or ".join(expectation(member, quoted=quoted) for member in members) + _range(constraints)
    if origin in (tuple, list):
        item = get_args(base)[0]
        return f"a list, each item {expectation(item, quoted=quoted)}{_length(constraints)}"
    if origin is dict:
        return "a table of keys and values"
    if _is_model(base):
        return f"a table with the keys {', '.join(base.model_fields)}"
    kind = next((text for kind, text in KINDS.items() if base is kind), getattr(base, "__name__", str(base)))
    return kind + _range(constraints)


def show_value(value: Any, from_flag: bool = False) -> str:
    """`value` as the user wrote it: TOML syntax for config files, the plain text of the flag for flags."""
    if from_flag:
        if isinstance(value, tuple | list):
            return ", ".join(show_value(item, from_flag=True) for item in value) or "nothing"
        return _shorten(str(value))
    return _shorten(_toml(value))


def seed_values(
    config: BaseModel, keys: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], tuple[int, ...], Any]]:
    """Every seed in `config` (fields named `seed`, items of `seeds`, at any depth): key path, item number, value."""
    for name in type(config).model_fields:
        value = getattr(config, name)
        if isinstance(value, BaseModel):
            yield from seed_values(value, (*keys, name))
        elif name == "seed":
            yield (*keys, name), (), value
        elif name == "seeds" and isinstance(value, tuple | list):
            yield from (((*keys, name), (number,), seed) for number, seed in enumerate(value, 1))


def _problem(place: Place, path: Path | None, sentence: str) -> InputError:
    return InputError(sentence, path=None if place.flag else path, field=place.name)


def _unwrap(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    """`annotation` without `Annotated[...]` and `| None`, plus the constraints `Annotated` carried."""
    constraints: tuple[Any, ...] = ()
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            constraints += tuple(_flatten(extra))
        elif origin in (Union, types.UnionType) and type(None) in get_args(annotation):
            members = [member for member in get_args(annotation) if member is not type(None)]
            if len(members) != 1:
                return annotation, constraints
            annotation = members[0]
        else:
            return annotation, constraints


def _flatten(metadata: list[Any]) -> Iterator[Any]:
    """Annotated metadata as plain constraints (a pydantic `Field(ge=0)` carries them in its own metadata)."""
    for entry in metadata:
        yield from getattr(entry, "metadata", None) or [entry]


def _range(constraints: tuple[Any, ...]) -> str:
    bounds = [
        f"{symbol} {_number(getattr(constraint, name))}"
        for constraint in constraints
        for kind, name, symbol in RANGES
        if isinstance(constraint, kind)
    ]
    return f" {' and '.join(bounds)}" if bounds else ""


def _length(constraints: tuple[Any, ...]) -> str:
    lowest = [constraint.min_length for constraint in constraints if isinstance(constraint, annotated_types.MinLen)]
    return f", at least {lowest[0]} item{'s' if lowest[0] != 1 else ''}" if lowest and lowest[0] > 0 else ""


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _toml(value: Any) -> str:
    """`value` in TOML syntax (what a config file holds), other objects as their text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("-inf" if value < 0 else "inf")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, tuple | list):
        return f"[{', '.join(_toml(item) for item in value)}]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key} = {_toml(item)}" for key, item in value.items()) + "}"
    return str(value)


def _shorten(text: str, limit: int = LONGEST_VALUE) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)
