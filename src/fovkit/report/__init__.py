"""Plots and self-contained HTML reports built from fovkit result tables."""

from fovkit.report.imagenetx import write_imagenetx_report

__all__ = ["write_imagenetx_report"]
