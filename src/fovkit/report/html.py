"""Building blocks of one self-contained HTML page: inline figures, DataFrame tables, sections and the template."""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import matplotlib as mpl
import numpy as np
import pandas as pd
from markupsafe import Markup

from fovkit.report.plots import STYLE

NA = "–"
DIGITS = 3
PNG_DPI = 120
_CODE_SPAN = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class SavedFigure:
    """A figure written to disk as PNG and SVG, with the PNG bytes kept for inlining."""

    png: Path
    svg: Path
    png_bytes: bytes


@dataclass
class Section:
    """One titled part of the page: HTML fragments in order, and optional nested sections."""

    title: str
    anchor: str
    blocks: list[Markup] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)

    def add(self, *blocks: Markup) -> Section:
        """Append fragments (built with the helpers of this module) and return the section."""
        self.blocks.extend(blocks)
        return self


def save_figure(figure: mpl.figure.Figure, directory: Path, stem: str, dpi: int = PNG_DPI) -> SavedFigure:
    """Write `figure` as `<stem>.png` and `<stem>.svg` under `directory` (created) with reproducible bytes.

    The figure is closed afterwards (cleared; it was never registered with pyplot).
    """
    directory.mkdir(parents=True, exist_ok=True)
    png_buffer, svg_buffer = io.BytesIO(), io.BytesIO()
    with mpl.rc_context({**STYLE, "figure.autolayout": False, "figure.constrained_layout.use": False}):
        engine = figure.get_layout_engine()
        if engine is not None:
            engine.execute(figure)  # lay out once and freeze, so each save below draws the figure only once
            figure.set_layout_engine(None)  # no engine at all: savefig then skips its own layout draw
        figure.savefig(png_buffer, format="png", dpi=dpi, metadata={"Software": None})
        figure.savefig(svg_buffer, format="svg", metadata={"Date": None, "Creator": None})
    figure.clear()
    png, svg = directory / f"{stem}.png", directory / f"{stem}.svg"
    png.write_bytes(png_buffer.getvalue())
    svg.write_bytes(svg_buffer.getvalue())
    return SavedFigure(png, svg, png_buffer.getvalue())


def png_data_uri(png_bytes: bytes) -> str:
    """PNG bytes as a `data:` URI for an inline <img>."""
    return "data:image/png;base64," + base64.b64encode(png_bytes).decode("ascii")


def figure_block(saved: SavedFigure, alt: str, caption: str | None = None) -> Markup:
    """Build an inline <figure> with the PNG embedded and a caption naming the saved files."""
    files = f"{saved.png.parent.name}/{saved.png.name}, {saved.svg.name}"
    caption_html = inline_text(caption) + " " if caption else ""
    return Markup(
        f'<figure><img src="{png_data_uri(saved.png_bytes)}" alt="{html.escape(alt)}">'
        f'<figcaption>{caption_html}<span class="files">{html.escape(files)}</span></figcaption></figure>'
    )


def inline_text(text: str) -> Markup:
    """Escape plain text, turning `backticked` words into <code>."""
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", html.escape(text)))


def paragraph(text: str, css_class: str | None = None) -> Markup:
    """Build a <p> of escaped text (backticks become <code>)."""
    attribute = f' class="{css_class}"' if css_class else ""
    return Markup(f"<p{attribute}>{inline_text(text)}</p>")


def note(text: str) -> Markup:
    """Build a one-line muted remark, e.g. why a section is empty or that a table is cut."""
    return paragraph(text, "note")


def heading(text: str, level: int = 3) -> Markup:
    """Build a sub-heading inside a section."""
    return Markup(f"<h{level}>{inline_text(text)}</h{level}>")


def bullet_list(items: Iterable[str]) -> Markup:
    """Build an unordered list of escaped items."""
    return Markup("<ul>" + "".join(f"<li>{inline_text(item)}</li>" for item in items) + "</ul>")


def code_block(text: str) -> Markup:
    """Preformatted text, e.g. a JSON config."""
    return Markup(f"<pre>{html.escape(text, quote=False)}</pre>")


def details(summary: str, *blocks: Markup) -> Markup:
    """Wrap fragments in a collapsed <details> element (no JavaScript needed)."""
    return Markup(f"<details><summary>{inline_text(summary)}</summary>{''.join(blocks)}</details>")


def format_number(value: object, digits: int = DIGITS) -> str:
    """Format a float rounded to `digits` decimals, NaN/None as an en dash, booleans as yes/no, others as str."""
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        return NA
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return f"{value:.{digits}f}"
    if value is pd.NA or value is pd.NaT:
        return NA
    return str(value)


def format_pvalue(value: object) -> str:
    """Format a p-value with three decimals, or `<0.001`; NaN as an en dash."""
    if value is None or pd.isna(value):
        return NA
    number = float(value)  # type: ignore[arg-type]
    return "<0.001" if number < 0.001 else f"{number:.3f}"


def format_count(value: object) -> str:
    """Format a count as an integer with thousands separators; NaN as an en dash."""
    if value is None or pd.isna(value):
        return NA
    return f"{round(float(value)):,}"  # type: ignore[arg-type]


def table_block(
    frame: pd.DataFrame,
    caption: str | None = None,
    max_rows: int | None = None,
    digits: int = DIGITS,
    formatters: Mapping[str, Callable[[object], str]] | None = None,
    row_label: str = "models",
) -> Markup:
    """Render a DataFrame as an HTML table: floats rounded, NaN as an en dash, cut to `max_rows` with a note.

    Args:
        frame: Any DataFrame; a (Multi)Index is rendered as row headers.
        caption: Text above the table.
        max_rows: Show only the first rows; a note says how many were left out.
        digits: Decimals of float cells.
        formatters: Per-column formatting functions that override the default.
        row_label: What a row is, for the cut note ("Showing the first 50 of 200 models").

    """
    formatters = dict(formatters or {})
    shown = frame if max_rows is None or len(frame) <= max_rows else frame.iloc[:max_rows]
    if shown.index.nlevels == 1 and shown.columns.nlevels == 1 and shown.columns.name is None:
        shown = shown.rename_axis(index=None, columns=shown.index.name)  # index name in the corner, one header row
    column_formatters = {
        column: formatters.get(str(column), lambda value, digits=digits: format_number(value, digits))
        for column in shown.columns
    }
    body = shown.to_html(
        formatters=column_formatters,
        na_rep=NA,
        border=0,
        classes="data",
        escape=True,
        index_names=True,
        sparsify=True,
    )
    parts = []
    if caption:
        parts.append(f'<p class="caption">{inline_text(caption)}</p>')
    parts.append(f'<div class="table-wrap">{body}</div>')
    if len(shown) < len(frame):
        parts.append(str(note(f"Showing the first {len(shown)} of {len(frame)} {row_label}.")))
    return Markup("".join(parts))


def render_page(
    title: str,
    sections: list[Section],
    intro: Iterable[Markup] = (),
    footer: str | None = None,
    template: str = "report.html.j2",
) -> str:
    """Render the sections into one self-contained HTML document (inline CSS, no external resources)."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("fovkit.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.get_template(template).render(title=title, sections=sections, intro=list(intro), footer=footer)
