"""Plots and self-contained HTML reports built from fovkit run folders alone (no analysis is imported)."""

from fovkit.report.combined import write_combined_report
from fovkit.report.pages import write_report

__all__ = ["write_combined_report", "write_report"]
