"""Read a fovkit run folder for a report: its `run.json`, its `analysis.json` (when it has one) and its tables.

The report is built from these files alone. Tables are read from their Parquet copies under `parquet/` when present
(they keep the index), else from the CSV; they are not verified against checksums (fovkit has just written them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from fovkit.errors import InputError, preview

RUN_RECORD = "run.json"
ANALYSIS_RECORD = "analysis.json"
PARQUET = "parquet"
KINDS = ("analysis", "probe", "experiment", "render", "topfactor", "demo")
"""Run kinds a report knows (`kind` in `run.json`)."""
LEGACY_KINDS = {
    "fovkit imagenetx": "analysis",
    "fovkit analyze": "analysis",
    "fovkit probe": "probe",
    "fovkit render run": "render",
    "fovkit topfactor": "topfactor",
    "fovkit demo": "demo",
}
"""The kind of a folder written before run records named their kind, from its command."""


@dataclass
class RunFolder:
    """A finished run folder as a report sees it.

    Attributes:
        path: The folder.
        record: Its `run.json`.
        kind: One of `KINDS`.

    """

    path: Path
    record: dict
    kind: str
    _tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        """The folder's name, used to label the run in pages and tables."""
        return self.path.name

    @property
    def command(self) -> str:
        """The command that wrote the folder, e.g. `fovkit probe`."""
        return str(self.record.get("command", ""))

    @cached_property
    def analysis(self) -> dict:
        """`analysis.json` of a factor analysis folder (an InputError naming the file when missing or not JSON)."""
        return read_json(self.path / ANALYSIS_RECORD, "an analysis folder's description of its tables")

    def has(self, name: str) -> bool:
        """Whether the folder holds the table `name` (a relative path without suffix, e.g. `real/error_ratios`)."""
        return (self.path / PARQUET / f"{name}.parquet").is_file() or (self.path / f"{name}.csv").is_file()

    def table(self, name: str, index: str | list[str] | None = None) -> pd.DataFrame:
        """The table `name`, from its Parquet copy (index kept) or else its CSV (`index` columns as the index).

        Raises:
            InputError: When the folder holds neither file, naming the folder and the table.

        """
        if name not in self._tables:
            self._tables[name] = self._read(name, index)
        return self._tables[name]

    def optional(self, name: str, index: str | list[str] | None = None) -> pd.DataFrame | None:
        """The table `name`, or None when the folder does not hold it."""
        return self.table(name, index) if self.has(name) else None

    def json(self, name: str) -> dict:
        """A JSON object the run wrote beside its tables (e.g. `manifest.json`)."""
        return read_json(self.path / name, f"a file of the {self.kind} run")

    def _read(self, name: str, index: str | list[str] | None) -> pd.DataFrame:
        parquet, csv = self.path / PARQUET / f"{name}.parquet", self.path / f"{name}.csv"
        try:
            if parquet.is_file():
                return pd.read_parquet(parquet)
            if csv.is_file():
                return pd.read_csv(csv, index_col=index)
        except (OSError, ValueError) as error:
            raise InputError(f"cannot read the table {name!r}: {error}", path=self.path) from error
        raise InputError(
            f"the {self.kind} run folder lacks the table {name!r} ({csv.name} or {PARQUET}/{name}.parquet); "
            "it was not written completely: run the command again",
            path=self.path,
        )


def open_run_folder(path: Path) -> RunFolder:
    """Open the fovkit run folder at `path` for a report.

    Raises:
        InputError: When `path` is not a folder, holds no fovkit `run.json`, or records an unknown kind.

    """
    path = Path(path)
    if not path.is_dir():
        raise InputError("not a folder; pass the output folder of a fovkit command", path=path)
    if not (path / RUN_RECORD).is_file():
        raise InputError(
            f"not a fovkit run folder (no {RUN_RECORD}); pass the output folder of a fovkit command", path=path
        )
    record = read_json(path / RUN_RECORD, "a run record")
    command = record.get("command")
    if not isinstance(command, str) or not command.startswith("fovkit"):
        raise InputError(f"not a fovkit run record (command {command!r})", path=path / RUN_RECORD, field="command")
    kind = record.get("kind") or LEGACY_KINDS.get(command) or _legacy_experiment(command)
    if kind == "report":
        raise InputError(
            "a combined report, not a run folder; pass the run folders it was made from (listed in its run.json)",
            path=path,
        )
    if kind not in KINDS:
        raise InputError(
            f"unknown run kind {kind!r} (command {command!r}); a report knows {preview(list(KINDS))}",
            path=path / RUN_RECORD,
            field="kind",
        )
    return RunFolder(path, record, kind)


def read_json(path: Path, what: str) -> dict:
    """The JSON object in `path`; an InputError naming the file when it is missing, unreadable or not an object."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise InputError(
            f"the folder has no {Path(path).name} ({what}): it was not written completely, or by an older fovkit; "
            "run the command again",
            path=path,
        ) from error
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read {what}: {error}", path=path) from error
    if not isinstance(data, dict):
        raise InputError(f"expected a JSON object ({what}), got {type(data).__name__}", path=path)
    return data


def _legacy_experiment(command: str) -> str | None:
    return "experiment" if command.startswith("fovkit experiment ") else None
