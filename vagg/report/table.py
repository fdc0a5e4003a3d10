"""A publication table and its writers: LaTeX, Markdown, HTML, Word, Excel, CSV.

:class:`Table` holds the cells as text, exactly as they are printed, so every
format shows the same numbers.  It is what :func:`regression_table` and the
descriptive-table builders return.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from vagg._errors import SpecificationError

FORMATS = ("tex", "md", "html", "docx", "xlsx", "csv")

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
}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX_SPECIAL))


def latex_escape(text: object) -> str:
    """Escape LaTeX's special characters (``_`` in variable names included)."""
    return _LATEX_RE.sub(lambda m: _LATEX_SPECIAL[m.group()], str(text))


@dataclass
class Table:
    """A table of text cells with a title, column groups and notes.

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
    """

    body: pd.DataFrame
    title: str = ""
    notes: list[str] = field(default_factory=list)
    groups: list[tuple[str, int]] | None = None
    sections: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.body = self.body.astype(str)
        if self.groups is not None and sum(span for _, span in self.groups) != self.body.shape[1]:
            raise SpecificationError("column groups must span all the table's columns")

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
        for label, row in self.body.iterrows():
            cells = [str(label), *(c.replace("|", "\\|") for c in row)]
            lines.append("| " + " | ".join(cells) + " |")
        lines += [""] + [f"*{note}*" for note in self.notes] if self.notes else []
        return "\n".join(lines) + "\n"

    def to_latex(self) -> str:
        """A booktabs ``table`` environment; special characters escaped."""
        ncol = self.body.shape[1]
        out = ["\\begin{table}[htbp]", "\\centering"]
        if self.title:
            out.append(f"\\caption{{{latex_escape(self.title)}}}")
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
        out.append(" & ".join(["", *(latex_escape(c) for c in self.body.columns)]) + " \\\\")
        out.append("\\midrule")
        for position, (label, row) in enumerate(self.body.iterrows()):
            if position in self.sections and position > 0:
                out.append("\\midrule")
            out.append(" & ".join([latex_escape(label), *(latex_escape(c) for c in row)]) + " \\\\")
        out.append("\\bottomrule")
        out.append("\\end{tabular}")
        for note in self.notes:
            out.append(f"\\par\\footnotesize {latex_escape(note)}")
        out.append("\\end{table}")
        return "\n".join(out) + "\n"

    def to_html(self) -> str:
        """An HTML ``<table class="vagg-table">`` with caption and notes."""
        out = ['<table class="vagg-table">']
        if self.title:
            out.append(f"<caption>{html.escape(self.title)}</caption>")
        out.append("<thead>")
        if self.groups:
            out.append("<tr><th></th>" + "".join(
                f'<th colspan="{span}">{html.escape(label)}</th>' for label, span in self.groups) + "</tr>")
        out.append("<tr><th></th>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in self.body.columns) + "</tr>")
        out.append("</thead><tbody>")
        for position, (label, row) in enumerate(self.body.iterrows()):
            css = ' class="section"' if position in self.sections and position > 0 else ""
            out.append(f"<tr{css}><th>{html.escape(str(label))}</th>"
                       + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
        out.append("</tbody>")
        if self.notes:
            span = self.body.shape[1] + 1
            notes = "<br>".join(html.escape(n) for n in self.notes)
            out.append(f'<tfoot><tr><td colspan="{span}" class="notes">{notes}</td></tr></tfoot>')
        out.append("</table>")
        return "\n".join(out) + "\n"

    def to_frame(self) -> pd.DataFrame:
        """The cells with the row labels as the first column (what CSV and Excel hold)."""
        frame = self.body.copy()
        frame.insert(0, "", [str(i) for i in frame.index])
        return frame.reset_index(drop=True)

    # ------------------------------------------------------------------ files
    def to_csv(self, path: str | Path) -> Path:
        path = Path(path)
        self.to_frame().to_csv(path, index=False)
        return path

    def to_excel(self, path: str | Path) -> Path:
        """An .xlsx sheet (openpyxl): title, the table, notes."""
        from openpyxl import Workbook

        path = Path(path)
        book = Workbook()
        sheet = book.active
        sheet.title = "table"
        if self.title:
            sheet.append([self.title])
        frame = self.to_frame()
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append(list(row))
        for note in self.notes:
            sheet.append([note])
        book.save(path)
        return path

    def to_docx(self, path: str | Path) -> Path:
        """A Word document (python-docx) holding the table, its caption and notes."""
        from docx import Document

        path = Path(path)
        document = Document()
        if self.title:
            document.add_paragraph(self.title, style="Caption")
        frame = self.to_frame()
        grid = document.add_table(rows=1, cols=frame.shape[1])
        grid.style = "Table Grid"
        for cell, name in zip(grid.rows[0].cells, frame.columns):
            cell.text = str(name)
        for row in frame.itertuples(index=False):
            for cell, value in zip(grid.add_row().cells, row):
                cell.text = str(value)
        for note in self.notes:
            document.add_paragraph(note)
        document.save(path)
        return path

    def write(self, folder: str | Path, name: str, formats: Iterable[str] = FORMATS) -> list[Path]:
        """Write ``folder/name.<ext>`` for each format; returns the paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for fmt in formats:
            if fmt not in FORMATS:
                raise SpecificationError(f"unknown table format {fmt!r}; use one of {FORMATS}")
            target = folder / f"{name}.{fmt}"
            if fmt in ("tex", "md", "html"):
                text = {"tex": self.to_latex, "md": self.to_markdown, "html": self.to_html}[fmt]()
                target.write_text(text, encoding="utf-8")
            else:
                try:
                    {"csv": self.to_csv, "xlsx": self.to_excel, "docx": self.to_docx}[fmt](target)
                except ImportError as exc:
                    extra = {"xlsx": "xlsx", "docx": "docx"}.get(fmt, "all")
                    raise SpecificationError(
                        f"table format {fmt!r} needs {exc.name}: pip install 'vagg[{extra}]'") from exc
            written.append(target)
        return written


def frame_table(
    frame: pd.DataFrame,
    title: str = "",
    digits: int | Sequence[int] = 3,
    notes: Sequence[str] = (),
    groups: list[tuple[str, int]] | None = None,
) -> Table:
    """A descriptive :class:`Table` from a numeric DataFrame (numbers rounded to ``digits``).

    ``digits`` may give one precision per column.  Integers print without
    decimals, missing cells as empty.
    """
    precision = [digits] * frame.shape[1] if isinstance(digits, int) else list(digits)

    def cell(value: object, d: int) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return ""
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value, "dtype").kind in "iu"):
            return f"{int(value):,}".replace(",", "")
        if isinstance(value, float) or (hasattr(value, "dtype") and getattr(value, "dtype").kind == "f"):
            return f"{float(value):.{d}f}"
        return str(value)

    body = pd.DataFrame(
        {col: [cell(v, precision[j]) for v in frame[col]] for j, col in enumerate(frame.columns)},
        index=[str(i) if not isinstance(i, tuple) else " / ".join(map(str, i)) for i in frame.index],
    )
    body.columns = [str(c) for c in frame.columns]
    return Table(body=body, title=title, notes=list(notes), groups=groups)
