"""The progress bar of fovkit's long jobs: description, bar, done/total, time elapsed and an estimate of time left."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


def progress_bar(enabled: bool, transient: bool = False) -> Progress:
    """A rich progress bar with counts, elapsed time and time left; hidden (and silent) when not `enabled`."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    return Progress(*columns, disable=not enabled, transient=transient)
