"""Report page of a `fovkit topfactor` folder: agreement of the selected top factors with the shipped ones."""

from __future__ import annotations

import pandas as pd

from fovkit.report.html import Section, details, format_count, paragraph, table_block
from fovkit.report.page import Page, versions_table
from fovkit.report.run_folder import RunFolder

SUMMARY = "top_factor_summary.json"


def topfactor_page(run: RunFolder, prefix: str = "") -> Page:
    """Overall agreement, agreement by selection method, and the per-factor and confusion tables."""
    summary = run.json(SUMMARY)
    agreement = summary.get("agreement")
    section = Section("Top-factor selection", f"{prefix}top-factor")
    shown = "–" if agreement is None else f"{agreement:.4f}"
    section.add(
        paragraph(
            f"Top factor of {summary.get('n_images', 0):,} ImageNet-X {summary.get('partition', '')} images chosen by "
            f"text similarity (paper Sec. 3.1) with {summary.get('encoder', 'a sentence encoder')}; agreement with the "
            f"shipped top factor: {shown} over {summary.get('n_compared', 0):,} images."
        )
    )
    methods = pd.DataFrame(
        {
            "images": summary.get("method_counts", {}),
            "agreement": {key: value for key, value in summary.get("agreement_by_method", {}).items()},
        }
    ).rename_axis("method")
    section.add(table_block(methods.astype(float), "By selection method", formatters={"images": format_count}))
    agreement_table = run.table("top_factor_agreement", "factor")
    section.add(
        table_block(
            agreement_table,
            "Per factor: agreement = recall of the shipped factor, precision of the selected one",
            formatters={name: format_count for name in ("n_shipped", "n_selected", "n_agree")},
            row_label="factors",
        ),
        details(
            "Confusion: shipped factor (rows) x selected factor (columns)",
            table_block(run.table("top_factor_confusion", "shipped"), row_label="factors"),
        ),
    )
    config = Section("Configuration", f"{prefix}configuration").add(versions_table(run.record))
    return Page("ImageNet-X top-factor selection", [section, config])
