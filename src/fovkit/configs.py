"""Typed configs from TOML files plus overrides, with validation errors that name the file and the fields."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from fovkit.errors import InputError

ConfigT = TypeVar("ConfigT", bound=BaseModel)


def load_config(model: type[ConfigT], path: Path | None = None, **overrides: Any) -> ConfigT:
    """`model` from the TOML file at `path` (if any), overridden by the `overrides` that are not None."""
    values: dict[str, Any] = {}
    if path is not None:
        try:
            values = tomllib.loads(Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise InputError(f"cannot read the config: {error}", path=path) from error
    values.update({name: value for name, value in overrides.items() if value is not None})
    try:
        return model(**values)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, issue['loc'])) or 'config'}: {issue['msg']} (got {issue.get('input')!r})"
            for issue in error.errors()
        )
        raise InputError(problems, path=path, field="config") from error
