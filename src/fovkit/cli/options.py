"""Shared CLI helpers: merge a TOML config file with the options given on the command line."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from fovkit.errors import InputError

ConfigT = TypeVar("ConfigT", bound=BaseModel)


def build_config(model: type[ConfigT], config_file: Path | None, **given: Any) -> ConfigT:
    """Config from `config_file` (TOML) overridden by the options the user gave (those not None)."""
    values: dict[str, Any] = {}
    if config_file is not None:
        try:
            values = tomllib.loads(Path(config_file).read_text())
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise InputError(f"cannot read the config: {error}", path=config_file) from error
    values.update({name: value for name, value in given.items() if value is not None})
    try:
        return model(**values)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, issue['loc']))}: {issue['msg']} (got {issue.get('input')!r})"
            for issue in error.errors()
        )
        raise InputError(problems, path=config_file, field="config") from error
