"""Report section of a rendered synthetic dataset: design counts, contact sheets and render checks."""

from __future__ import annotations

from fovkit.render.counts import design_sizes
from fovkit.render.job import RenderRun
from fovkit.report.html import SavedFigure, Section, figure_block, paragraph, table_block


def render_section(run: RenderRun, title: str = "Synthetic dataset") -> Section:
    """A report section showing what was rendered: counts per design, one contact sheet per design, checks."""
    config = run.dataset.config
    counts = ", ".join(f"{size.design}: {size.total:,} images" for size in design_sizes(config))
    section = Section(title, "synthetic-dataset")
    section.add(
        paragraph(
            f"{len(run.dataset.samples):,} images of {config.image_size}x{config.image_size} px rendered into "
            f"`{run.dataset.folder}` ({counts}). Factors: {', '.join(config.factors)}; each varies around its "
            "canonical value as in the robustness-limits paper (section 3.1)."
        )
    )
    for sheet in run.contact_sheets:
        design = sheet.stem.removeprefix("contact_")
        saved = SavedFigure(sheet, sheet.read_bytes())
        section.add(
            figure_block(saved, f"contact sheet of the {design} design", f"Design `{design}`: one row per class.")
        )
    section.add(table_block(run.checks, caption="Render checks per class (blank, clipped, mean visible fraction)"))
    return section
