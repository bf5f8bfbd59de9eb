"""Building blocks of one self-contained HTML page: inline figures, readable tables, tabs, sections and the template."""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import matplotlib as mpl
import numpy as np
import pandas as pd
from markupsafe import Markup

from fovkit.report.plots import DPI, STYLE

NA = "–"
DIGITS = 3
PNG_DPI = DPI
PNG_OPTIONS = {"compress_level": 1}
MAX_TABS = 8
"""Most panels of one `tabs` group (the template's CSS has a rule per panel)."""
SCROLL_ROWS = 12
"""Tables longer than this scroll inside a box of about that height, so long tables do not stretch the page."""
ROW_LABEL_LEVELS = frozenset({"factor", "metaclass", "train_factor", "group"})
"""Index levels whose values are snake_case names (factors, meta-labels): shown with spaces, like the headers."""
HEADER_NAMES = {
    "pvalue_holm": "p-value (Holm)",
    "n_groups": "groups",
    "train_factor": "factor varied in training",
}
"""Column names whose readable header is not just the words of the name."""
HEADER_COMPOUNDS = {"held_out": "held-out", "all_factors": "all-factors"}
HEADER_WORDS = {"pvalue": "p-value", "ece": "ECE", "real": "ReaL", "metaclass": "meta-label"}
_CODE_SPAN = re.compile(r"`([^`]+)`")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class SavedFigure:
    """A figure written to disk as PNG (and SVG when asked), with the PNG bytes kept for inlining."""

    png: Path
    png_bytes: bytes
    svg: Path | None = None


@dataclass
class Section:
    """One titled part of the page: HTML fragments in order, and optional nested sections.

    `nav` is the section's (shorter) name in the page's sticky navigation bar; the title by default.
    """

    title: str
    anchor: str
    blocks: list[Markup] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)
    nav: str | None = None

    def add(self, *blocks: Markup) -> Section:
        """Append fragments (built with the helpers of this module) and return the section."""
        self.blocks.extend(blocks)
        return self


def save_figure(
    figure: mpl.figure.Figure, directory: Path, stem: str, dpi: int = PNG_DPI, svg: bool = False
) -> SavedFigure:
    """Write `figure` as `<stem>.png` (and `<stem>.svg` when `svg`) under `directory` (created), reproducibly.

    The figure was never registered with pyplot, so dropping it frees it; it is not cleared (that costs time).
    """
    directory.mkdir(parents=True, exist_ok=True)
    png_buffer = io.BytesIO()
    svg_buffer = io.BytesIO() if svg else None
    with mpl.rc_context({**STYLE, "figure.autolayout": False, "figure.constrained_layout.use": False}):
        engine = figure.get_layout_engine()
        if engine is not None:
            engine.execute(figure)  # lay out once and freeze, so each save below draws the figure only once
            figure.set_layout_engine(None)  # no engine at all: savefig then skips its own layout draw
        # zlib level 1: a third faster than the default 6 for files ~8% larger
        figure.savefig(png_buffer, format="png", dpi=dpi, metadata={"Software": None}, pil_kwargs=PNG_OPTIONS)
        if svg_buffer is not None:
            figure.savefig(svg_buffer, format="svg", metadata={"Date": None, "Creator": None})
    png = directory / f"{stem}.png"
    png.write_bytes(png_buffer.getvalue())
    if svg_buffer is None:
        return SavedFigure(png, png_buffer.getvalue())
    svg_path = directory / f"{stem}.svg"
    svg_path.write_bytes(svg_buffer.getvalue())
    return SavedFigure(png, png_buffer.getvalue(), svg_path)


def png_data_uri(png_bytes: bytes) -> str:
    """PNG bytes as a `data:` URI for an inline <img>."""
    return "data:image/png;base64," + base64.b64encode(png_bytes).decode("ascii")


def png_size(png_bytes: bytes) -> tuple[int, int] | None:
    """Width and height in pixels read from a PNG header, or None when the bytes are not a PNG."""
    if len(png_bytes) < 24 or not png_bytes.startswith(_PNG_MAGIC):
        return None
    return int.from_bytes(png_bytes[16:20], "big"), int.from_bytes(png_bytes[20:24], "big")


def figure_block(saved: SavedFigure, alt: str, caption: str | None = None) -> Markup:
    """Build an inline <figure> with the PNG embedded (shown at its natural size) and a caption naming the files."""
    names = [f"{saved.png.parent.name}/{saved.png.name}", *([saved.svg.name] if saved.svg else [])]
    caption_html = inline_text(caption) + " " if caption else ""
    size = png_size(saved.png_bytes)
    dimensions = f' width="{size[0]}" height="{size[1]}"' if size else ""
    return Markup(
        f'<figure><img src="{png_data_uri(saved.png_bytes)}" alt="{html.escape(alt)}"{dimensions}>'
        f'<figcaption>{caption_html}<span class="files">{html.escape(", ".join(names))}</span></figcaption></figure>'
    )


def figure_row(*figures: Markup) -> Markup:
    """Place figures side by side (two per row on a wide screen, stacked on a narrow one)."""
    return Markup('<div class="figure-row">' + "".join(figures) + "</div>")


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


def tabs(name: str, panels: Sequence[tuple[str, Sequence[Markup]]]) -> Markup:
    """Radio-button tabs in pure HTML and CSS: one panel shown at a time, the first one selected.

    Args:
        name: Identifier of the tab group, unique in the page (letters, digits, `-`).
        panels: (tab label, fragments) per panel, at most `MAX_TABS` of them (the template styles that many).

    """
    if not 0 < len(panels) <= MAX_TABS:
        raise ValueError(f"tabs need 1 to {MAX_TABS} panels, got {len(panels)}")
    controls = "".join(
        f'<input type="radio" name="{name}" id="{name}-{number}"{" checked" if number == 0 else ""}>'
        f'<label for="{name}-{number}">{inline_text(label)}</label>'
        for number, (label, _) in enumerate(panels)
    )
    bodies = "".join(f'<div class="tab-panel">{"".join(blocks)}</div>' for _, blocks in panels)
    return Markup(f'<div class="tabs">{controls}{bodies}</div>')


def format_number(value: object, digits: int = DIGITS) -> str:
    """Format a float rounded to `digits` decimals, NaN/None as an en dash, booleans as yes/no, others as str.

    `Markup` (a cell built with `interval_cell`) is returned as is.
    """
    if isinstance(value, Markup):
        return value
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


def interval_cell(estimate: float, low: float, high: float, digits: int = DIGITS, n: object = None) -> Markup:
    """A table cell holding an estimate with its interval `[low, high]` below it (and `n = ...` when given).

    A NaN estimate is an en dash; NaN bounds leave the interval out.
    """
    if pd.isna(estimate):
        return Markup(NA)
    parts = [f"{estimate:.{digits}f}"]
    if not (pd.isna(low) or pd.isna(high)):
        parts.append(f'<span class="ci">[{low:.{digits}f}, {high:.{digits}f}]</span>')
    if n is not None and not pd.isna(n):
        parts.append(f'<span class="ci">n = {format_count(n)}</span>')
    return Markup("".join(parts))


def interval_table(estimate: pd.DataFrame, low: pd.DataFrame, high: pd.DataFrame, digits: int = DIGITS) -> pd.DataFrame:
    """Cells of `interval_cell` from three aligned tables (estimate, low and high bounds), for `table_block`."""
    cells = [
        [interval_cell(*values, digits=digits) for values in zip(*rows, strict=True)]
        for rows in zip(estimate.to_numpy(float), low.to_numpy(float), high.to_numpy(float), strict=True)
    ]
    return markup_frame(cells, estimate.index, list(estimate.columns))


def markup_frame(rows: Sequence[Sequence[object]], index: pd.Index, columns: Sequence[object]) -> pd.DataFrame:
    """A DataFrame of Python objects that keeps `Markup` cells and headers (pandas would turn them into strings)."""
    return pd.DataFrame(list(rows), index=index, columns=pd.Index(list(columns), dtype=object), dtype=object)


def readable(name: object) -> str:
    """A column or index name as readers see it: `held_out_accuracy` -> `held-out accuracy`, `pvalue` -> `p-value`.

    Labels that are not strings (e.g. a fraction 0.25) are formatted compactly.
    """
    if isinstance(name, tuple):
        return " ".join(readable(part) for part in name if str(part))
    if isinstance(name, float | np.floating):
        return f"{name:g}"
    text = str(name)
    if text in HEADER_NAMES:
        return HEADER_NAMES[text]
    for compound, replacement in HEADER_COMPOUNDS.items():
        text = text.replace(compound, replacement)
    return " ".join(HEADER_WORDS.get(word, word) for word in text.split("_") if word)


def table_block(
    frame: pd.DataFrame,
    caption: str | None = None,
    max_rows: int | None = None,
    digits: int = DIGITS,
    formatters: Mapping[str, Callable[[object], str]] | None = None,
    row_label: str = "models",
) -> Markup:
    """Render a DataFrame as an HTML table with one row of readable headers; floats rounded, NaN as an en dash.

    The index (every level of a MultiIndex, repeated values left blank) becomes the first, sticky, columns; an
    unnamed RangeIndex is left out. Tables longer than `SCROLL_ROWS` scroll inside their box.

    Args:
        frame: Any DataFrame.
        caption: Text above the table.
        max_rows: Show only the first rows; a note says how many were left out.
        digits: Decimals of float cells.
        formatters: Per-column formatting functions that override the default; a function may return `Markup`
            (e.g. a value with its interval on a second line), which is inserted as is.
        row_label: What a row is, for the cut note ("Showing the first 50 of 200 models").

    """
    formatters = dict(formatters or {})
    shown = frame if max_rows is None or len(frame) <= max_rows else frame.iloc[:max_rows]
    index_levels = _index_levels(shown)
    header = [
        *[readable(name) if name is not None else "" for name, _ in index_levels],
        *[label if isinstance(label, Markup) else readable(label) for label in shown.columns],
    ]
    columns = [shown.iloc[:, position].tolist() for position in range(shown.shape[1])]
    cell_formatters = [
        formatters.get(str(column), lambda value: format_number(value, digits)) for column in shown.columns
    ]
    body = []
    previous: tuple = ()
    for number in range(len(shown)):
        key = tuple(values[number] for _, values in index_levels)
        row_headers = [
            "" if key[: level + 1] == previous[: level + 1] else _row_label(name, key[level])
            for level, (name, _) in enumerate(index_levels)
        ]
        previous = key
        cells = [_cell(show(values[number])) for show, values in zip(cell_formatters, columns, strict=True)]
        body.append(
            "<tr>"
            + "".join(f'<th scope="row">{html.escape(text)}</th>' for text in row_headers)
            + "".join(f"<td>{cell}</td>" for cell in cells)
            + "</tr>"
        )
    head = "".join(f'<th scope="col">{_cell(label)}</th>' for label in header)
    scroll = " scroll" if len(shown) > SCROLL_ROWS else ""
    parts = [f'<p class="caption">{inline_text(caption)}</p>'] if caption else []
    parts.append(
        f'<div class="table-wrap{scroll}"><table class="data"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )
    if len(shown) < len(frame):
        parts.append(str(note(f"Showing the first {len(shown)} of {len(frame)} {row_label}.")))
    return Markup("".join(parts))


def _index_levels(frame: pd.DataFrame) -> list[tuple[object, list]]:
    """(name, values) of each index level shown as row headers; none for an unnamed RangeIndex."""
    index = frame.index
    if isinstance(index, pd.RangeIndex) and index.name is None:
        return []
    return [(index.names[level], index.get_level_values(level).tolist()) for level in range(index.nlevels)]


def _row_label(level_name: object, value: object) -> str:
    if level_name in ROW_LABEL_LEVELS:
        return readable(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _cell(value: str) -> str:
    return str(value) if isinstance(value, Markup) else html.escape(str(value))


def render_page(
    title: str,
    sections: list[Section],
    intro: Iterable[Markup] = (),
    footer: str | None = None,
    template: str = "report.html.j2",
) -> str:
    """Render the sections into one self-contained HTML document (inline CSS, no external resources).

    The page has a sticky navigation bar listing exactly the sections given, in order.
    """
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("fovkit.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.get_template(template).render(
        title=title, sections=sections, intro=list(intro), footer=footer, max_tabs=MAX_TABS
    )
