"""The one way a command writes its run folder: staged and renamed, a `run.json`, then the report of the folder.

`run.json` records the command, the run's `kind` (which report page it gets), its config, package versions, the
SHA-256 of every input, the resolved device and precision and the seeds. The report is then built from the finished
folder alone (`fovkit.report.pages.write_report`), before the folder is renamed into place.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from pydantic import BaseModel

from fovkit.errors import InputError
from fovkit.runs import RUN_RECORD, atomic_file, atomic_output_dir, write_run_record

KINDS = ("analysis", "probe", "experiment", "render", "topfactor", "demo")
"""Run kinds; each has a report page (`fovkit.report.pages`)."""
REPORT = "report.html"


@dataclass(frozen=True)
class JobRecord:
    """What `run.json` says about a run.

    Attributes:
        kind: One of `KINDS`.
        command: The command line's name, e.g. `fovkit probe`.
        config: The run's typed config (or a dict of settings).
        inputs: Files hashed (SHA-256) into the record.
        checksums: Inputs already hashed, path -> SHA-256 (e.g. by the workers that read them).
        seeds: Every seed the run used, by what it seeds.
        device: The resolved torch device (`cpu`, `cuda:0`), for runs that compute on one.
        precision: How the run computed (`float32`, `bfloat16`), for runs that train or predict.
        extra: Further facts of the run (models, dataset digest, ...).

    """

    kind: str
    command: str
    config: BaseModel | dict
    inputs: tuple[Path, ...] = ()
    checksums: Mapping[str, str] = field(default_factory=dict)
    seeds: Mapping[str, object] = field(default_factory=dict)
    device: str | None = None
    precision: str | None = None
    extra: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown run kind {self.kind!r}; kinds: {list(KINDS)}")
        object.__setattr__(self, "inputs", tuple(Path(path) for path in self.inputs))


@dataclass(frozen=True)
class ReportOptions:
    """How the report of a run folder is drawn: SVG copies of the plots, and the processes that draw them."""

    svg: bool = False
    workers: int | None = None


@dataclass
class JobFolder:
    """A running job's staging folder (`path`) and the record that is written when the job ends."""

    path: Path
    record: JobRecord
    _meanwhile: list[Callable[[], object]] = field(default_factory=list)

    def update(self, **facts: object) -> None:
        """Add facts known only after running (`checksums`, `seeds`, `device`, `precision`, `extra`)."""
        merged = {
            name: {**getattr(self.record, name), **value} if isinstance(value, Mapping) else value
            for name, value in facts.items()
        }
        self.record = replace(self.record, **merged)

    def meanwhile(self, work: Callable[[], object]) -> None:
        """Run `work` in this process while the report's plots are drawn by worker processes (e.g. write CSVs)."""
        self._meanwhile.append(work)

    def run_meanwhile(self) -> None:
        """Do the work queued with `meanwhile` (the report calls it, or the job's end when there is no report)."""
        while self._meanwhile:
            self._meanwhile.pop(0)()


@contextmanager
def job_folder(
    out: Path,
    record: JobRecord,
    guard: Iterable[Path] = (),
    overwrite: bool = False,
    report: ReportOptions | None = ReportOptions(),
) -> Iterator[JobFolder]:
    """Yield the staging folder of a job; when the block ends without error, finish it and rename it to `out`.

    Finishing writes `run.json` from the (updated) record, then the report built from the folder alone (unless
    `report` is None). On any error nothing is left: `out` keeps what it held before.

    Args:
        out: The run folder; checked by `fovkit.runs.check_output_folder`.
        record: What `run.json` says; `JobFolder.update` adds facts found while running.
        guard: Paths `out` may not be, contain or lie inside (default: `record.inputs`).
        overwrite: Replace an earlier fovkit output in `out`.
        report: How to draw the report; None writes none.

    """
    guard = list(guard) or list(record.inputs)
    with atomic_output_dir(out, overwrite, inputs=guard) as staging:
        job = JobFolder(staging, record)
        yield job
        finish(job, report)


def finish(job: JobFolder, report: ReportOptions | None) -> Path | None:
    """Write the job's `run.json`, then its report (the queued `meanwhile` work done while plots draw)."""
    write_record(job.path, job.record)
    if report is None:
        job.run_meanwhile()
        return None
    from fovkit.report.pages import write_report  # matplotlib loads only once the job's work is done

    return write_report(job.path, svg=report.svg, workers=report.workers, meanwhile=job.run_meanwhile)


def write_record(folder: Path, record: JobRecord) -> Path:
    """Write `folder/run.json` from `record` (inputs hashed now)."""
    extra = {
        "kind": record.kind,
        "seeds": dict(record.seeds),
        "device": record.device,
        "precision": record.precision,
        **record.extra,
    }
    return write_run_record(folder, record.command, record.config, record.inputs, extra, record.checksums)


def finish_in_place(folder: Path, kind: str, facts: Mapping[str, object], report: ReportOptions | None) -> Path | None:
    """Finish a resumable run folder that its writer started (e.g. a rendered dataset), then write its report.

    `kind` and `facts` are added to the `run.json` the folder holds, which keeps the inputs it recorded at the start.

    Raises:
        InputError: When the folder holds no run record.

    """
    if kind not in KINDS:
        raise ValueError(f"unknown run kind {kind!r}; kinds: {list(KINDS)}")
    path = Path(folder) / RUN_RECORD
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read the run record the job started with: {error}", path=path) from error
    record.update({"kind": kind, **facts})
    with atomic_file(path) as staging:
        staging.write_text(json.dumps(record, indent=2) + "\n")
    if report is None:
        return None
    from fovkit.report.pages import write_report

    return write_report(Path(folder), svg=report.svg, workers=report.workers)


def resolved(values: Iterable[object]) -> str | None:
    """The device (or precision) every fit of a run shares, the distinct ones joined when they differ, else None."""
    distinct = sorted({str(value) for value in values if value is not None})
    return ", ".join(distinct) if distinct else None
