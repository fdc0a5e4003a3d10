"""A publication table and its writers: LaTeX, Markdown, HTML, Word, Excel, CSV.

:class:`Table` holds the cells as text, exactly as they are printed, so every
display format (LaTeX, Markdown, HTML, Word) shows the same numbers; beside
the text it keeps the numbers behind the cells and the Excel number format
that prints each one the same, so a spreadsheet holds numbers, not text.  The
CSV is the machine-readable twin: the numbers themselves (for a regression
table one row per term with estimate, se, t, p and interval), never text with
stars.  A table of simulated data says so in every format (:data:`SIMULATED_NOTE`).
"""

from __future__ import annotations

import dataclasses
import html
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from vagg._errors import SpecificationError
from vagg.report.numbers import format_number, format_pvalue

FORMATS = ("tex", "md", "html", "docx", "xlsx", "csv")
#: the note every exported artefact of a simulated run carries
SIMULATED_NOTE = ("SIMULATED DATA: computed on a simulated panel (vagg.simulate); "
                  "no number here describes real cities.")
#: the LaTeX packages a written table needs
LATEX_PACKAGES = ("booktabs", "graphicx")
#: lines (column headers, rows, note lines) one LaTeX table float holds: 40 rows of 13.6pt (11pt) on a page of
#: 650pt (letter with 2.5cm margins; A4 700pt) leave 100pt for the caption and the rules
LATEX_PAGE_LINES = 40
#: characters of a footnotesize note line across the text width
_LATEX_NOTE_CHARS = 100
#: the text width (pt) of an 11pt article on A4 with 2.5cm margins
LATEX_LINE_PT = 455.0
#: a table estimated wider (pt) sets its cells of several words (longer than :data:`_LATEX_WRAP_CHARS`) on two
#: lines before \resizebox shrinks what remains: on the 455pt text width of an 11pt A4 article with 2.5cm margins
#: it would print below 87% of its size; a narrower one keeps one line a row, shrunk a little
LATEX_WRAP_PT = 520.0
_LATEX_WRAP_CHARS = 16

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "²": r"\textsuperscript{2}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "·": r"$\cdot$",
    "×": r"$\times$",
    "σ": r"$\sigma$",
    "ρ": r"$\rho$",
    "λ": r"$\lambda$",
    "φ": r"$\phi$",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "÷": r"$\div$",
    "⁻": r"\textsuperscript{-}",
    **{sup: f"\\textsuperscript{{{digit}}}" for digit, sup in zip("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")},
    "−": "-",
    "–": "--",
}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX_SPECIAL))
#: columns of a descriptive table printed as p-values (three decimals, "<0.001")
_P_COLUMN = re.compile(r"^(p|pvalue|p_value|p_sim|p_norm|p_z|p_rand)$|_p$|^p_")


def latex_escape(text: object) -> str:
    """Escape LaTeX's special characters (``_`` in variable names included)."""
    return _LATEX_RE.sub(lambda m: _LATEX_SPECIAL[m.group()], str(text))


@dataclass
class Table:
    """A table of text cells with a title, column groups, notes and the numbers behind the cells.

    Attributes
    ----------
    body
        DataFrame of strings; its index is the row label, its columns the
        column headers.
    title
        Caption.
    notes
        Lines printed under the table (significance levels, SE convention, ...).
    groups
        Optional column groups as ``(label, span)`` pairs covering the columns.
    sections
        Row positions before which a rule is drawn (e.g. between coefficients
        and statistics).
    values
        Optional numbers behind the cells (NaN where a cell is text), shaped
        like ``body``; Excel stores these.
    number_formats
        Excel number format of each numeric cell (e.g. ``0.000"***"``), shaped
        like ``body``.
    data
        The machine-readable table the CSV holds (numbers, one row per term
        for a regression table); default the display cells.
    headings
        Row positions that are panel headings (Main, W·x, Direct, ...): their
        label spans the row.
    simulated
        The data are simulated: every format carries :data:`SIMULATED_NOTE`.
    """

    body: pd.DataFrame
    title: str = ""
    notes: list[str] = field(default_factory=list)
    groups: list[tuple[str, int]] | None = None
    sections: list[int] = field(default_factory=list)
    values: pd.DataFrame | None = None
    number_formats: pd.DataFrame | None = None
    data: pd.DataFrame | None = None
    headings: list[int] = field(default_factory=list)
    simulated: bool = False

    def __post_init__(self) -> None:
        self.body = self.body.astype(str)
        if self.groups is not None and sum(span for _, span in self.groups) != self.body.shape[1]:
            raise SpecificationError("column groups must span all the table's columns")
        for name in ("values", "number_formats"):
            grid = getattr(self, name)
            if grid is not None and grid.shape != self.body.shape:
                raise SpecificationError(f"Table.{name} has shape {grid.shape}, the body {self.body.shape}")

    @property
    def all_notes(self) -> list[str]:
        """The notes, the simulated-data note first when the data are simulated."""
        return ([SIMULATED_NOTE] if self.simulated else []) + list(self.notes)

    def _rows(self):
        """(position, label, cells, is_heading, rule_before) for each body row."""
        for position, (label, row) in enumerate(self.body.iterrows()):
            yield (position, str(label), [str(c) for c in row], position in self.headings,
                   position in self.sections and position > 0)

    # ------------------------------------------------------------------ text
    def to_markdown(self) -> str:
        """Pipe table (GitHub-flavoured Markdown), title in bold above, notes below."""
        header = ["", *map(str, self.body.columns)]
        lines = [f"**{self.title}**", ""] if self.title else []
        if self.groups:
            grouped = [""] + [label for label, span in self.groups for _ in range(span)]
            lines.append("| " + " | ".join(grouped) + " |")
            lines.append("|" + "---|" * len(header))
            lines.append("| " + " | ".join(header) + " |")
        else:
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "---|" * len(header))
        for _, label, cells, heading, _ in self._rows():
            first = f"*{label}*" if heading else label
            lines.append("| " + " | ".join([first, *(c.replace("|", "\\|") for c in cells)]) + " |")
        notes = self.all_notes
        for note in notes:  # one paragraph each
            lines += ["", "**" + note + "**" if note == SIMULATED_NOTE else note.replace("*", "\\*")]
        return "\n".join(lines) + "\n"

    def to_latex(self) -> str:
        """Booktabs ``table`` floats, each shrunk to the text width when wider; notes in a paragraph below.

        Needs ``\\usepackage{booktabs,graphicx}``.  The tabular sits in
        ``\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{...}``:
        a table that fits keeps its size, a wider one is scaled to the line width,
        after its cells of several words have been set on two lines when its
        estimated width exceeds :data:`LATEX_WRAP_PT` (less shrinking: the demo's
        quantile table went from 59% to 87%).

        A table taller than a page (:data:`LATEX_PAGE_LINES` lines counting its
        header, rows and notes) continues in further floats of even length, cut
        before a panel heading or a rule where it can and never between an
        estimate and its standard error (a row without a label); each part
        repeats the column headers and keeps the whole table's column widths,
        the later ones captioned "(continued)" under the same table number, the
        notes after the last.
        """
        wrap = self._latex_width() > LATEX_WRAP_PT
        parts = self._latex_parts(wrap)
        widest = self._latex_widest(wrap) if len(parts) > 1 else None
        return "\n".join(self._latex_float(rows, first=k == 0, last=k == len(parts) - 1, widest=widest, wrap=wrap)
                          for k, rows in enumerate(parts))

    def _latex_columns(self) -> list[list[str]]:
        """The texts of each LaTeX column, header included: the row labels (panel headings aside), then the body's."""
        labels = [str(label) for position, label in enumerate(self.body.index) if position not in self.headings]
        return [labels, *([str(self.body.columns[j]), *map(str, self.body.iloc[:, j])] for j in range(self.body.shape[1]))]

    def _latex_width(self, wrap: bool = False) -> float:
        """The tabular's width at 11pt, estimated: 5.2pt a character and 12pt between columns (within 7% of
        pdflatex's on the demo's tables); ``wrap``: with the body's and headers' texts on :func:`_latex_lines`."""
        return sum(5.2 * max((_printed_chars(t, wrap and j > 0) for t in texts), default=0) + 12.0
                   for j, texts in enumerate(self._latex_columns()))

    def _latex_widest(self, wrap: bool, keep: int = 3) -> list[list[str]]:
        """The ``keep`` longest texts of each column (row labels first) as LaTeX: every part of a table cut in
        several floats reserves their width, so the parts share column widths and, resized, one font size."""
        return [[_latex_cell(t, wrap and j > 0)
                 for t in sorted(set(texts), key=lambda t: _printed_chars(t, wrap and j > 0), reverse=True)[:keep]]
                for j, texts in enumerate(self._latex_columns())]

    def _latex_parts(self, wrap: bool) -> list[range]:
        """The body rows of each LaTeX float: whole panels while they fit on a page, the parts of even length.

        A row takes as many lines as its tallest cell (two for a wrapped text, ``wrap``), scaled as
        \\resizebox will scale the tabular (:meth:`_latex_width`); a note line counts 0.8 (footnotesize).
        """
        n = len(self.body)
        labels = [str(label).strip() for label in self.body.index]
        # a cut before row i may not part a standard error from its estimate nor a heading from its first row
        cuttable = [i > 0 and bool(labels[i]) and (i - 1) not in self.headings for i in range(n)]
        preferred = set(self.headings) | set(self.sections)
        scale = min(1.0, LATEX_LINE_PT / max(self._latex_width(wrap), 1.0))
        lines = [1 + (wrap and any(len(_latex_lines(c)) > 1 for c in cells)) for _, _, cells, _, _ in self._rows()]
        above = scale * np.concatenate([[0], np.cumsum(lines)])  # lines of the rows before row i
        head = scale * ((2 if self.groups else 1) + (wrap and any(len(_latex_lines(str(c))) > 1 for c in self.body.columns)))
        notes = 0.8 * sum(1 + len(note) // _LATEX_NOTE_CHARS for note in self.all_notes)
        room = LATEX_PAGE_LINES - head  # lines for body rows in one float
        parts, start = [], 0
        while above[n] - above[start] + notes > room:
            rest = above[n] - above[start] + notes
            target = rest / math.ceil(rest / room)  # the parts left, of even length
            cuts = [i for i in range(start + 1, n) if cuttable[i] and above[i] - above[start] <= room]
            if not cuts:
                break
            good = [i for i in cuts if i in preferred and above[i] - above[start] >= target / 2] or cuts
            end = min(good, key=lambda i: abs(above[i] - above[start] - target))
            parts.append(range(start, end))
            start = end
        return [*parts, range(start, n)]

    def _latex_float(self, rows: range, first: bool, last: bool, widest: list[list[str]] | None = None,
                     wrap: bool = False) -> str:
        """One ``table`` float holding the body rows ``rows``: caption, column headers, the rows, the notes if last.

        ``widest`` (texts by column) are overlaid, invisible, on the column headers (``\\ooalign``): each column
        is as wide as in the whole table.  ``wrap``: the headers' and cells' texts of several words go on two
        lines (:func:`_latex_cell`).
        """
        ncol = self.body.shape[1]
        out = [f"% needs \\usepackage{{{','.join(LATEX_PACKAGES)}}}"] if first else []
        out += ["\\begin{table}[htbp]", "\\centering"]
        if self.title:
            out.append(f"\\caption{{{latex_escape(self.title)}}}" if first else
                       f"\\addtocounter{{table}}{{-1}}\\caption{{{latex_escape(self.title)} (continued)}}")
        out.append("\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%")
        out.append("\\begin{tabular}{l" + "c" * ncol + "}")
        out.append("\\toprule")
        if self.groups:
            cells, rules, start = [""], [], 2
            for label, span in self.groups:
                cells.append(f"\\multicolumn{{{span}}}{{c}}{{{latex_escape(label)}}}")
                rules.append(f"\\cmidrule(lr){{{start}-{start + span - 1}}}")
                start += span
            out.append(" & ".join(cells) + " \\\\")
            out.append(" ".join(rules))
        headers = ["", *(_latex_cell(str(c), wrap) for c in self.body.columns)]
        if widest is not None:
            # ooalign overlays its lines on one baseline, its box as high as the first line and as deep as the
            # last: the header first and last (invisible), set in normal line spacing
            headers = ["\\ooalign{" + (f"\\hfil{{\\normalbaselines {h}}}\\hfil\\cr " if h else "")
                       + "".join(f"\\hphantom{{{t}}}\\cr " for t in texts)
                       + (f"\\phantom{{\\normalbaselines {h}}}\\cr" if h else "") + "}" for h, texts in zip(headers, widest)]
        out.append(" & ".join(headers) + " \\\\")
        out.append("\\midrule")
        for position, label, cells, heading, rule in self._rows():
            if position not in rows:
                continue
            if rule and position != rows.start:
                out.append("\\midrule")
            if heading:
                out.append(f"\\multicolumn{{{ncol + 1}}}{{l}}{{\\textit{{{latex_escape(label)}}}}} \\\\")
            else:
                out.append(" & ".join([latex_escape(label), *(_latex_cell(c, wrap) for c in cells)]) + " \\\\")
        out.append("\\bottomrule")
        out.append("\\end{tabular}}")
        if last and self.all_notes:
            out.append("\\par\\smallskip\\begin{minipage}{\\linewidth}\\footnotesize")
            out.append("\\par ".join(("\\textbf{" + latex_escape(n) + "}" if n == SIMULATED_NOTE else latex_escape(n))
                                     for n in self.all_notes))
            out.append("\\end{minipage}")
        out.append("\\end{table}")
        return "\n".join(out) + "\n"

    def to_html(self) -> str:
        """An HTML ``<table class="vagg-table">`` with caption and notes, in a box that scrolls when wide."""
        out = ['<div class="table-wrap"><table class="vagg-table">']
        if self.title:
            out.append(f"<caption>{html.escape(self.title)}</caption>")
        out.append("<thead>")
        if self.groups:
            out.append("<tr><th></th>" + "".join(
                f'<th colspan="{span}">{html.escape(label)}</th>' for label, span in self.groups) + "</tr>")
        out.append("<tr><th></th>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in self.body.columns) + "</tr>")
        out.append("</thead><tbody>")
        span = self.body.shape[1] + 1
        after_heading = False
        for _, label, cells, heading, rule in self._rows():
            # a row without a label (a standard error under its estimate) or under a panel heading stays, printed,
            # on the page of the row above
            keep = not label.strip() or after_heading
            classes = " ".join(name for name, on in (("section", rule), ("continued", keep)) if on)
            css = f' class="{classes}"' if classes else ""
            after_heading = heading
            if heading:
                out.append(f'<tr{css}><th colspan="{span}" class="panel">{html.escape(label)}</th></tr>')
            else:
                out.append(f"<tr{css}><th>{html.escape(label)}</th>"
                           + "".join(f'<td class="text">{html.escape(c)}</td>' if _is_prose(c)
                                     else f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        out.append("</tbody>")
        if self.all_notes:
            notes = "<br>".join((f'<strong class="simulated-note">{html.escape(n)}</strong>' if n == SIMULATED_NOTE
                                 else html.escape(n)) for n in self.all_notes)
            out.append(f'<tfoot><tr><td colspan="{span}" class="notes">{notes}</td></tr></tfoot>')
        out.append("</table></div>")
        return "\n".join(out) + "\n"

    def to_frame(self) -> pd.DataFrame:
        """The display cells with the row labels as the first column (what Word and Excel show)."""
        frame = self.body.copy()
        frame.insert(0, "", [str(i) for i in frame.index])
        return frame.reset_index(drop=True)

    def machine_frame(self) -> pd.DataFrame:
        """What the CSV holds: :attr:`data`, or the display cells when the table has no numbers behind it."""
        return self.data.copy() if self.data is not None else self.to_frame()

    # ------------------------------------------------------------------ files
    def _comment_lines(self) -> list[str]:
        lines = [self.title] if self.title else []
        return lines + self.all_notes

    def to_csv(self, path: str | Path) -> Path:
        """The machine-readable CSV; title, notes and the simulated note as leading ``#`` lines.

        Read it back with ``pd.read_csv(path, comment="#")``.
        """
        path = Path(path)
        header = "".join(f"# {line}\n" for line in self._comment_lines())
        path.write_text(header + self.machine_frame().to_csv(index=False), encoding="utf-8")
        return path

    def to_excel(self, path: str | Path) -> Path:
        """An .xlsx sheet (openpyxl): title, the table with numbers stored as numbers, notes.

        A numeric cell holds the number and an Excel number format that prints
        it as the other formats do (stars and parentheses are part of the
        format, not of the value).  The workbook's properties say when the
        data are simulated.
        """
        from openpyxl import Workbook
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        path = Path(path)
        book = Workbook()
        sheet = book.active
        sheet.title = "table"
        if self.title:
            sheet.append([self.title])
            sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        frame = self.to_frame()
        sheet.append(list(frame.columns))
        for position, row in enumerate(frame.itertuples(index=False)):
            sheet.append(list(row))
            r = sheet.max_row
            if position in self.headings:
                sheet.cell(row=r, column=1).font = Font(italic=True)
            if self.values is None:
                continue
            for j in range(self.body.shape[1]):
                value = self.values.iat[position, j]
                if value is not None and isinstance(value, (int, float, np.number)) and math.isfinite(value):
                    cell = sheet.cell(row=r, column=j + 2)
                    cell.value = float(value)
                    if self.number_formats is not None and self.number_formats.iat[position, j]:
                        cell.number_format = str(self.number_formats.iat[position, j])
        for note in self.all_notes:
            sheet.append([note])
            if note == SIMULATED_NOTE:
                sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        widths = [max([len(str(v)) for v in frame.iloc[:, j]] + [len(str(frame.columns[j])), 6])
                  for j in range(frame.shape[1])]
        for j, width in enumerate(widths):
            sheet.column_dimensions[get_column_letter(j + 1)].width = min(width + 2, 48)
        book.properties.title = self.title or None
        if self.simulated:
            book.properties.subject = "SIMULATED DATA"
            book.properties.keywords = "SIMULATED"
            book.properties.description = SIMULATED_NOTE
        book.save(path)
        return path

    def to_docx(self, path: str | Path) -> Path:
        """A Word document (python-docx) holding the table, its caption and notes; properties say SIMULATED.

        A table of more than six columns is put on a landscape page.
        """
        from docx import Document

        path = Path(path)
        document = Document()
        if self.body.shape[1] > 6:  # a wide table gets a landscape page
            from docx.enum.section import WD_ORIENT

            section = document.sections[0]
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = section.page_height, section.page_width
        if self.title:
            document.add_paragraph(self.title, style="Caption")
        frame = self.to_frame()
        grid = document.add_table(rows=1, cols=frame.shape[1])
        grid.style = "Table Grid"
        for cell, name in zip(grid.rows[0].cells, frame.columns):
            cell.text = str(name)
        for position, row in enumerate(frame.itertuples(index=False)):
            cells = grid.add_row().cells
            for cell, value in zip(cells, row):
                cell.text = str(value)
            if position in self.headings:
                cells[0].paragraphs[0].runs[0].italic = True
        for note in self.all_notes:
            paragraph = document.add_paragraph()
            paragraph.add_run(note).bold = note == SIMULATED_NOTE
        document.core_properties.title = self.title
        if self.simulated:
            document.core_properties.subject = "SIMULATED DATA"
            document.core_properties.keywords = "SIMULATED"
            document.core_properties.comments = SIMULATED_NOTE
        document.save(path)
        return path

    def write(self, folder: str | Path, name: str, formats: Iterable[str] = FORMATS,
              simulated: bool | None = None) -> list[Path]:
        """Write ``folder/name.<ext>`` for each format; returns the paths.

        ``simulated`` overrides :attr:`simulated` for these files.
        """
        table = self if simulated is None else dataclasses.replace(self, simulated=bool(simulated))
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for fmt in formats:
            if fmt not in FORMATS:
                raise SpecificationError(f"unknown table format {fmt!r}; use one of {FORMATS}")
            target = folder / f"{name}.{fmt}"
            if fmt in ("tex", "md", "html"):
                text = {"tex": table.to_latex, "md": table.to_markdown, "html": table.to_html}[fmt]()
                target.write_text(text, encoding="utf-8")
            else:
                try:
                    {"csv": table.to_csv, "xlsx": table.to_excel, "docx": table.to_docx}[fmt](target)
                except ImportError as exc:
                    extra = {"xlsx": "xlsx", "docx": "docx"}.get(fmt, "all")
                    raise SpecificationError(
                        f"table format {fmt!r} needs {exc.name}: pip install 'vagg[{extra}]'") from exc
            written.append(target)
        return written


def _is_integer(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def frame_table(
    frame: pd.DataFrame,
    title: str = "",
    digits: int | Sequence[int] = 3,
    notes: Sequence[str] = (),
    groups: list[tuple[str, int]] | None = None,
    labels: dict[str, str] | None = None,
    precision: str = "auto",
) -> Table:
    """A descriptive :class:`Table` from a DataFrame, numbers rounded to ``digits``.

    ``digits`` may give one precision per column.  Integers print without
    decimals, missing cells as empty, booleans as Yes / No; a non-zero value
    that would round to zero gets more decimals or scientific notation
    (:func:`vagg.report.numbers.decimals_for`, ``precision``); columns named
    like p-values (``pvalue``, ``p``, ``*_p``, ``p_*``) print with three
    decimals and ``<0.001``.  ``labels`` renames rows and columns for display
    (the CSV keeps the names).  The CSV holds ``frame`` itself.
    """
    precision_by_col = [digits] * frame.shape[1] if isinstance(digits, int) else list(digits)
    labels = dict(labels or {})
    texts: dict[str, list[str]] = {}
    numbers: dict[str, list[float]] = {}
    formats: dict[str, list[str]] = {}
    for j, col in enumerate(frame.columns):
        is_p = bool(_P_COLUMN.search(str(col)))
        texts[j], numbers[j], formats[j] = [], [], []
        for value in frame[col].tolist():
            text, number, fmt = _cell(value, precision_by_col[j], is_p, precision)
            texts[j].append(text)
            numbers[j].append(number)
            formats[j].append(fmt)
    index = [str(i) if not isinstance(i, tuple) else " / ".join(map(str, i)) for i in frame.index]
    columns = [labels.get(str(c), str(c)) for c in frame.columns]
    body = pd.DataFrame({j: texts[j] for j in texts}, index=[labels.get(i, i) for i in index])
    body.columns = columns
    values = pd.DataFrame({j: numbers[j] for j in numbers}, index=body.index, dtype=float)
    values.columns = columns
    number_formats = pd.DataFrame({j: formats[j] for j in formats}, index=body.index)
    number_formats.columns = columns
    data = frame.copy()
    data.columns = [str(c) for c in data.columns]
    names = [n if n is not None else "" for n in (frame.index.names or [None])]
    data = data.reset_index(names=[n or ("row" if k == 0 else f"row_{k}") for k, n in enumerate(names)])
    return Table(body=body, title=title, notes=list(notes), groups=groups, values=values,
                 number_formats=number_formats, data=data)


def _cell(value: object, digits: int, is_p: bool, precision: str) -> tuple[str, float, str]:
    """(text, number or NaN, Excel format) of one descriptive cell."""
    if value is None or (isinstance(value, (float, np.floating)) and pd.isna(value)):
        return "", math.nan, ""
    if isinstance(value, (bool, np.bool_)):
        return ("Yes" if value else "No"), math.nan, ""
    if _is_integer(value):
        return str(int(value)), float(value), "0"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            return "", math.nan, ""
        text, fmt = format_pvalue(v) if is_p else format_number(v, digits, precision)
        return text, v, fmt
    return str(value), math.nan, ""


def latex_document(*tables: Table, landscape: bool = False) -> str:
    """A standalone LaTeX article holding ``tables`` (what the tests compile; a start for a paper's appendix).

    ``landscape`` puts the tables on landscape pages (``pdflscape``).
    """
    packages = [*LATEX_PACKAGES, *(["pdflscape"] if landscape else [])]
    body = "\n".join(t.to_latex() for t in tables)
    if landscape:
        body = "\\begin{landscape}\n" + body + "\\end{landscape}\n"
    return ("\\documentclass[11pt]{article}\n\\usepackage[T1]{fontenc}\n\\usepackage[margin=2.5cm]{geometry}\n"
            f"\\usepackage{{{','.join(packages)}}}\n\\begin{{document}}\n{body}\\end{{document}}\n")


_WORD = re.compile(r"[^\W\d_]{2}")  # two letters in a row: a word, not a number such as 1.7e-06


def _is_prose(cell: str) -> bool:
    """A text cell of several words ("Industrial synergy (CCD)", "clustered (entity)"), which the HTML
    table may wrap; numbers, intervals and single words stay on one line."""
    return " " in cell.strip() and bool(_WORD.search(cell))


def _latex_lines(text: str) -> list[str]:
    """A text of several words longer than :data:`_LATEX_WRAP_CHARS` as two lines, broken where the longer line
    is shortest ("Industrial / synergy (CCD)"); other texts as one line."""
    words = text.split()
    if len(text) <= _LATEX_WRAP_CHARS or len(words) < 2 or not _is_prose(text):
        return [text]
    cut = min(range(1, len(words)), key=lambda k: max(len(" ".join(words[:k])), len(" ".join(words[k:]))))
    return [" ".join(words[:cut]), " ".join(words[cut:])]


def _printed_chars(text: str, wrap: bool) -> int:
    """The characters of a cell's longest printed line (:func:`_latex_lines` when ``wrap``)."""
    return max(map(len, _latex_lines(text))) if wrap else len(text)


def _latex_cell(text: str, wrap: bool = False) -> str:
    """A cell as LaTeX; with ``wrap`` its :func:`_latex_lines` stacked in a nested ``tabular``."""
    lines = _latex_lines(text) if wrap else [text]
    if len(lines) == 1:
        return latex_escape(text)
    return "\\begin{tabular}[c]{@{}c@{}}" + " \\\\ ".join(map(latex_escape, lines)) + "\\end{tabular}"
