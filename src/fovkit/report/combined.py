"""One page over several run folders (`fovkit report RUN_DIR... --out DIR`).

A navigation entry per run, and a table of every model's headline numbers joined on model ids across the runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from fovkit.errors import InputError
from fovkit.report.html import Section, note, paragraph, table_block
from fovkit.report.page import Page, write_page
from fovkit.report.pages import PLOTS, run_page
from fovkit.report.run_folder import RunFolder, open_run_folder
from fovkit.runs import atomic_output_dir, write_run_record

MODELS_ANCHOR = "models"
REPORT_COMMAND = "fovkit report"


def write_combined_report(
    folders: Sequence[Path], out: Path, overwrite: bool = False, svg: bool = False, workers: int | None = None
) -> Path:
    """Write one self-contained page over the run folders `folders` into `out`; returns `out/report.html`.

    A demo folder stands for its runs. `out` is refused when it is, contains or lies inside an input.

    Raises:
        InputError: For no folder, a path that is not a fovkit run folder, an unknown kind, a run folder that lacks
            a table it declares, and a refused output folder; nothing is written then.

    """
    if not folders:
        raise InputError("no run folder given; pass the output folders of fovkit commands", field="RUN_DIR")
    runs = [run for folder in folders for run in expand(open_run_folder(folder))]
    with atomic_output_dir(out, overwrite, inputs=folders) as staging:
        page = combined_page(runs, staging / PLOTS, svg=svg, workers=workers)
        write_page(page, staging)
        record = {"runs": [str(Path(folder)) for folder in folders], "svg": svg}
        write_run_record(staging, REPORT_COMMAND, record, extra={"kind": "report"})
    return Path(out) / "report.html"


def expand(run: RunFolder) -> list[RunFolder]:
    """The runs a folder stands for: a demo folder's runs, or the folder itself."""
    return demo_runs(run) if run.kind == "demo" else [run]


def demo_runs(run: RunFolder) -> list[RunFolder]:
    """The runs of a demo folder, in the order its `run.json` lists them (subfolders of the demo)."""
    names = run.record.get("runs")
    if not isinstance(names, list) or not names:
        raise InputError("the demo's run record lists no runs; run `fovkit demo` again", path=run.path, field="runs")
    return [open_run_folder(run.path / str(name)) for name in names]


def combined_page(
    runs: Sequence[RunFolder],
    plot_dir: Path,
    svg: bool = False,
    workers: int | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> Page:
    """The page of several runs: the cross-run model table, then one section per run (its page's sections nested).

    Plots of run `<id>` are saved under `plot_dir/<id>/`; ids are the folder names, made unique.
    """
    ids = run_ids(runs)
    sections = [models_section(runs, ids)]
    for number, (run, key) in enumerate(zip(runs, ids, strict=True)):
        page = run_page(
            run,
            plot_dir / key,
            svg=svg,
            workers=workers,
            prefix=f"{key}-",
            meanwhile=meanwhile if number == 0 else None,
        )
        section = Section(f"{page.title} ({run.name})", key, nav=run.name)
        section.add(paragraph(f"`{run.command}` in `{run.path}`."), *page.intro)
        section.subsections.extend(page.sections)
        sections.append(section)
    intro = [paragraph(f"{len(runs)} runs: " + ", ".join(f"`{run.name}` ({run.kind})" for run in runs) + ".")]
    return Page("fovkit runs", sections, intro)


def run_ids(runs: Sequence[RunFolder]) -> list[str]:
    """An anchor-safe id per run from its folder name, unique in the page (`-2`, `-3` added to repeats)."""
    ids: list[str] = []
    for run in runs:
        base = "".join(char if char.isalnum() or char in "-_" else "-" for char in run.name) or "run"
        key, number = f"run-{base}", 2
        while key in ids or key == MODELS_ANCHOR:
            key, number = f"run-{base}-{number}", number + 1
        ids.append(key)
    return ids


def models_section(runs: Sequence[RunFolder], ids: Sequence[str]) -> Section:
    """Per model id: the headline numbers of every run that scored it, one column per run and number."""
    section = Section("Models across runs", MODELS_ANCHOR, nav="Models")
    columns = [headline(run) for run in runs]
    columns = [frame for frame in columns if frame is not None and len(frame)]
    if not columns:
        return section.add(note("No run scored a model."))
    table = pd.concat(columns, axis=1, sort=False).rename_axis("model")
    section.add(
        paragraph(
            "One row per model id, joined across runs: the overall accuracy and worst factor of each analysis, the "
            "held-out accuracy and average gap (points) of each probe protocol. A dash: the run did not score it."
        )
    )
    return section.add(table_block(table, row_label="models"))


def headline(run: RunFolder) -> pd.DataFrame | None:
    """A run's headline numbers by model id, columns named `<run>: <number>`; None for runs without models."""
    if run.kind == "analysis":
        summary = run.table("summary")
        accuracy = next((column for column in summary.columns if str(column).endswith("accuracy")), None)
        kept = {accuracy: "accuracy", "worst_factor": "worst factor"}
        present = {column: label for column, label in kept.items() if column in summary.columns}
        frame = summary[list(present)].rename(
            columns={column: f"{run.name}: {label}" for column, label in present.items()}
        )
        return frame.rename_axis("model")
    if run.kind == "probe":
        gaps = run.table("gap_table", ["backbone", "protocol"])
        frames = []
        for protocol, part in gaps.groupby(level="protocol", sort=False):
            values = part.droplevel("protocol")[["held_out_accuracy", "average_gap"]]
            frames.append(
                values.rename(
                    columns={
                        "held_out_accuracy": f"{run.name}: held-out accuracy ({protocol})",
                        "average_gap": f"{run.name}: average gap ({protocol})",
                    }
                )
            )
        return pd.concat(frames, axis=1).rename_axis("model") if frames else None
    return None
