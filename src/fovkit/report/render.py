"""Report page of a rendered synthetic dataset folder: design counts, contact sheets and render checks."""

from __future__ import annotations

from fovkit.report.html import SavedFigure, Section, figure_block, paragraph, table_block
from fovkit.report.page import Page, versions_table
from fovkit.report.run_folder import RunFolder

MANIFEST = "manifest.json"
CHECKS = "render_checks"


def render_page(run: RunFolder, prefix: str = "") -> Page:
    """What was rendered: counts per design (from `manifest.json`), one contact sheet per design, checks per class."""
    manifest = run.json(MANIFEST)
    config = manifest.get("config", {})
    counts = ", ".join(f"{design}: {count:,} images" for design, count in manifest.get("counts", {}).items())
    size = config.get("image_size")
    section = Section("Synthetic dataset", f"{prefix}synthetic-dataset")
    section.add(
        paragraph(
            f"{manifest.get('total', 0):,} images of {size}x{size} px rendered into `{run.path}` ({counts}). Factors: "
            f"{', '.join(factor['name'] for factor in manifest.get('factors', []))}; each varies around its canonical "
            "value as in the "
            "robustness-limits paper (section 3.1)."
        )
    )
    for sheet in sorted(run.path.glob("contact_*.png")):
        design = sheet.stem.removeprefix("contact_")
        saved = SavedFigure(sheet, sheet.read_bytes())
        section.add(
            figure_block(saved, f"contact sheet of the {design} design", f"Design `{design}`: one row per class.")
        )
    checks = run.table(CHECKS, "class_name")
    section.add(table_block(checks, caption="Render checks per class (blank, clipped, mean visible fraction)"))
    config_section = Section("Configuration", f"{prefix}configuration").add(versions_table(run.record))
    return Page("Rendered dataset", [section, config_section])
