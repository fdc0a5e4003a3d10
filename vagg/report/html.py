"""One self-contained HTML report: figures embedded as data URIs, readable from 900 px wide.

Wide tables scroll inside their own box (``.table-wrap``), never the page;
:func:`vagg.report.pdf.report_pdf` prints the report to PDF.  Printed, a table
shorter than a page is kept whole, a longer one breaks between rows but never
between an estimate and its standard error (a row without a label) nor after
a panel heading, its last row never alone and its notes once; a section's
heading and reading print on the page of its first table or figure; a figure
prints at the width it was drawn (its fonts at their set size), shrunk only to
the page width.
"""

from __future__ import annotations

import base64
import html
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path

from vagg.report.table import Table

_CSS = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1c2833; line-height: 1.45; overflow-wrap: break-word; }
.table-wrap { max-width: 100%; overflow-x: auto; margin: 1rem 0; }
.table-wrap table.vagg-table { margin: 0; }
table.vagg-table th.panel { font-style: italic; text-align: left; padding-top: .4rem; }
.simulated-note { color: #a04000; }
h1, h2 { font-family: Helvetica, Arial, sans-serif; }
h2 { border-bottom: 1px solid #d5d8dc; padding-bottom: .2rem; margin-top: 2.5rem; }
.simulated { background: #fdebd0; border-left: 4px solid #d68910; padding: .6rem 1rem; }
.reading { font-style: italic; }
table.vagg-table { border-collapse: collapse; margin: 1rem 0; font-size: .85rem; }
table.vagg-table caption { text-align: left; font-weight: bold; padding-bottom: .3rem; }
table.vagg-table th, table.vagg-table td { padding: .15rem .6rem; text-align: center; }
table.vagg-table th:first-child { text-align: left; font-weight: normal; }
table.vagg-table thead { border-top: 2px solid black; border-bottom: 1px solid black; }
table.vagg-table tbody { border-bottom: 2px solid black; }
table.vagg-table tr.section { border-top: 1px solid #7f8c8d; }
table.vagg-table td.notes { text-align: left; font-size: .75rem; white-space: normal; }
table.vagg-table td { white-space: nowrap; }
table.vagg-table td.text { white-space: normal; min-width: 6rem; }
figure { margin: 1rem 0; } figure img { width: 44rem; max-width: 100%; height: auto; }
figcaption { font-size: .85rem; color: #566573; }
nav ol { columns: 2 22rem; column-gap: 3rem; } nav li { break-inside: avoid; }
@page { size: A4; margin: 1.6cm 1.4cm; }
@media print { body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
               .table-wrap { overflow: visible; break-inside: avoid; }
               table.vagg-table { font-size: 7pt; }
               table.vagg-table th, table.vagg-table td { white-space: normal; padding: .05rem .25rem; }
               table.vagg-table tr { break-inside: avoid; }
               table.vagg-table tr.continued, table.vagg-table tbody tr:last-child { break-before: avoid; }
               table.vagg-table tfoot { display: table-row-group; }
               figure { break-inside: avoid; } figure img { width: var(--print-width, 100%); }
               h2, .section-head { break-after: avoid; } .section-head { break-inside: avoid; } nav { display: none; } }
"""


@dataclass
class Section:
    """One part of the report: a title, one line of reading, tables and figures."""

    title: str
    reading: str = ""
    tables: list[Table] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)  # (relative path, caption)
    text: str = ""


@dataclass
class Report:
    """An HTML report; :meth:`write` embeds every figure (a path relative to the report) as a data URI."""

    title: str
    simulated: bool = False
    intro: str = ""
    sections: list[Section] = field(default_factory=list)

    def add(self, section: Section) -> Section:
        self.sections.append(section)
        return section

    def render(self, images: dict[str, str] | None = None, widths: dict[str, float] | None = None) -> str:
        """The HTML; ``images`` maps a figure path to the ``src`` to use (a data URI), default the path.

        ``widths`` maps a figure path to its width in inches as drawn (pixels / dpi): printed, the figure
        keeps that size (its fonts at the size they were set in), shrunk only when wider than the page.
        """
        images, widths = images or {}, widths or {}
        parts = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'><meta name='viewport' content='width=device-width, initial-scale=1'>",
                 f"<title>{html.escape(self.title)}</title><style>{_CSS}</style></head><body>",
                 f"<h1>{html.escape(self.title)}</h1>"]
        if self.simulated:
            parts.append("<p class='simulated'><strong>These data are SIMULATED.</strong> The demo panel is generated "
                         "by <code>vagg.simulate.simulate_demo_panel</code>, calibrated to the index published in Table 1 "
                         "of the source study, with a planted mechanism; no result here describes real cities.</p>")
        if self.intro:
            parts.append(f"<p>{html.escape(self.intro)}</p>")
        parts.append("<nav><ol>" + "".join(
            f"<li><a href='#s{k}'>{html.escape(s.title)}</a></li>" for k, s in enumerate(self.sections)) + "</ol></nav>")
        for k, section in enumerate(self.sections):
            # the heading and its reading stay, printed, on the page of the section's first table or figure
            parts.append(f"<div class='section-head'><h2 id='s{k}'>{html.escape(section.title)}</h2>")
            if section.reading:
                parts.append(f"<p class='reading'>{html.escape(section.reading)}</p>")
            if section.text:
                parts.append(f"<p>{html.escape(section.text)}</p>")
            parts.append("</div>")
            parts.extend(table.to_html() for table in section.tables)
            for path, caption in section.figures:
                size = f" style='--print-width: {widths[path]:.2f}in'" if path in widths else ""
                parts.append(f"<figure><img src='{html.escape(images.get(path, path))}'{size} alt='{html.escape(caption)}'>"
                             f"<figcaption>{html.escape(caption)}</figcaption></figure>")
        parts.append("</body></html>")
        return "\n".join(parts)

    def write(self, path: str | Path) -> Path:
        """Write the report, each figure (relative to the report's folder) embedded as a base64 data URI.

        The file stands alone: it can be mailed or opened from anywhere.  A
        figure that does not exist is an error naming it.
        """
        path = Path(path)
        missing = [f for s in self.sections for f, _ in s.figures if not (path.parent / f).is_file()]
        if missing:
            raise FileNotFoundError(f"the report links figures that do not exist: {missing}")
        figures = [f for s in self.sections for f, _ in s.figures]
        images = {f: data_uri(path.parent / f) for f in figures}
        widths = {f: w for f in figures if (w := drawn_width(path.parent / f)) is not None}
        path.write_text(self.render(images, widths), encoding="utf-8")
        return path


def data_uri(path: str | Path) -> str:
    """``data:<mime>;base64,...`` of a file (a figure embedded in the HTML)."""
    path = Path(path)
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def drawn_width(path: str | Path) -> float | None:
    """The width in inches a raster figure was drawn at (pixels / dpi as saved), or None when it records no dpi."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            dpi = image.info.get("dpi")
            return image.width / float(dpi[0]) if dpi and float(dpi[0]) > 0 else None
    except UnidentifiedImageError:
        return None
