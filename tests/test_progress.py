from rich.progress import MofNCompleteColumn, TimeElapsedColumn, TimeRemainingColumn

from fovkit.progress import progress_bar


def test_long_jobs_show_counts_elapsed_time_and_time_left():
    bar = progress_bar(True)
    kinds = {type(column) for column in bar.columns}
    assert {MofNCompleteColumn, TimeElapsedColumn, TimeRemainingColumn} <= kinds
    assert progress_bar(False).disable and not bar.disable
