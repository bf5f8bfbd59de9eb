"""The report reads run folders and imports no analysis: every report module loads without them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import fovkit.report

FORBIDDEN = ("fovkit.imagenetx", "fovkit.analysis", "fovkit.protocols", "fovkit.render", "fovkit.metrics")


def test_report_modules_import_no_analysis_in_a_fresh_interpreter():
    modules = sorted(f"fovkit.report.{path.stem}" for path in Path(fovkit.report.__file__).parent.glob("*.py"))
    assert "fovkit.report.combined" in modules and "fovkit.report.analysis" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted(name for name in sys.modules if name.startswith({FORBIDDEN!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
