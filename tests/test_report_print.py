"""The report as printed (``vagg report-pdf``, headless Chromium): where the pages break and how large figures print.

A synthetic report is printed to PDF and each page's text read back (pypdf): tokens in the cells say on which page
every caption, estimate, standard error and note landed.  Without the print rules of :mod:`vagg.report.html`
(a short table kept whole, a standard error on its estimate's page, notes once, a heading on its table's page)
Chromium cuts these tables at the page edge: the assertions below count those cuts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from vagg.report.html import Report, Section, drawn_width
from vagg.report.pdf import report_pdf
from vagg.report.table import Table

CHROMIUM = "/usr/bin/chromium"
pypdf = pytest.importorskip("pypdf")


def _estimates_table(tag: str, n: int, headings: bool = False) -> Table:
    """``n`` estimates, each with its standard error on a row of its own, as in a regression table."""
    labels, cells = [], []
    for k in range(n):
        labels += [f"x{tag}r{k}", ""]
        cells += [[f"b{tag}r{k}", f"c{tag}r{k}"], [f"(s{tag}r{k})", f"(t{tag}r{k})"]]
    body = pd.DataFrame(cells, index=labels, columns=["(1)", "(2)"])
    heads = []
    if headings:  # a panel heading every 8 estimates
        for position in range(16 * ((n - 1) // 8), 0, -16):
            body = pd.concat([body.iloc[:position], pd.DataFrame([["", ""]], index=[f"panel{tag}p{position}"],
                                                                 columns=body.columns), body.iloc[position:]])
            heads = [h + 1 for h in heads] + [position]
    return Table(body=body, title=f"cap{tag} table", notes=[f"note{tag} one", f"note{tag} two"], headings=sorted(heads))


def _pages(pdf: Path) -> list[set[str]]:
    """The tokens (letters and digits) printed on each page."""
    return [set(re.findall(r"[A-Za-z0-9]+", page.extract_text() or "")) for page in pypdf.PdfReader(pdf).pages]


def _page_of(pages: list[set[str]], token: str) -> list[int]:
    """The pages printing ``token`` (a cell's text without its parentheses)."""
    return [k for k, tokens in enumerate(pages) if token.strip("()") in tokens]


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """A report of short tables between paragraphs of growing length (so that some fall across a page edge),
    one table of 45 estimates in panels (longer than a page) and a heading with its reading before each table."""
    assert Path(CHROMIUM).is_file(), "Chromium missing: .ci/run installs Debian's chromium"
    folder = tmp_path_factory.mktemp("print")
    report = Report(title="Print test")
    for k in range(14):
        filler = " ".join(f"w{k}" for _ in range(40 + 37 * k))
        report.add(Section(title=f"head{k} section", reading=f"read{k} line", text=filler,
                           tables=[_estimates_table(f"T{k}", 6)]))
    report.add(Section(title="headL section", reading="readL line", tables=[_estimates_table("L", 45, headings=True)]))
    html = report.write(folder / "report.html")
    return report, _pages(report_pdf(html))


def test_short_tables_are_not_cut_by_a_page_edge(printed):
    report, pages = printed
    assert len(pages) >= 8
    spans = {}
    for section in report.sections[:-1]:
        table = section.tables[0]
        tokens = [table.title.split()[0], *(c for row in table.body.itertuples(index=False) for c in row),
                  *(n.split()[0] for n in table.notes)]
        spans[table.title] = sorted({page for token in tokens for page in _page_of(pages, token)})
    assert {title: span for title, span in spans.items() if len(span) != 1} == {}
    # the section's heading and reading print on the page of its table's caption
    heads = {s.title: (_page_of(pages, s.title.split()[0]), _page_of(pages, s.reading.split()[0]),
                       _page_of(pages, s.tables[0].title.split()[0])) for s in report.sections}
    assert {title: p for title, p in heads.items() if not (len(p[0]) == 1 and p[0] == p[1] == p[2])} == {}


def test_a_long_table_breaks_between_estimates_and_prints_its_notes_once(printed):
    report, pages = printed
    table = report.sections[-1].tables[0]
    body = table.body
    rows = [k for k in range(len(body)) if body.index[k].startswith("xL")]
    assert len(rows) == 45
    span = sorted({p for token in body.to_numpy().ravel() if token for p in _page_of(pages, token)})
    assert len(span) >= 2  # the table is longer than a page: it does break
    for k in range(45):  # each standard error on the page of its estimate
        assert _page_of(pages, f"xLr{k}") == _page_of(pages, f"bLr{k}") == _page_of(pages, f"sLr{k}"), k
    for heading in (body.index[h] for h in table.headings):  # a panel heading on the page of its first estimate
        first = body.index[body.index.get_loc(heading) + 1]
        assert _page_of(pages, heading) == _page_of(pages, first), heading
    last = _page_of(pages, "bLr44")[0]  # no single estimate alone on the table's last page
    assert sum(f"bLr{k}" in pages[last] for k in range(45)) >= 2
    assert [len(_page_of(pages, n.split()[0])) for n in table.notes] == [1, 1]  # notes once, not on every page


def test_figures_print_at_the_size_they_were_drawn(tmp_path):
    # a figure drawn 3.2 in wide prints 3.2 in wide (its fonts at their set size), one drawn 10 in wide fits the page
    from PIL import Image

    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    (tmp_path / "figures").mkdir()
    for name, inches in (("small", 3.2), ("wide", 10.0), ("nodpi", None)):
        image = Image.new("RGB", (int(300 * (inches or 2)), 300), "white")
        image.save(tmp_path / "figures" / f"{name}.png", **({"dpi": (300, 300)} if inches else {}))
    assert drawn_width(tmp_path / "figures" / "small.png") == pytest.approx(3.2, abs=1e-3)
    assert drawn_width(tmp_path / "figures" / "nodpi.png") is None
    report = Report(title="figures")
    report.add(Section(title="f", figures=[(f"figures/{n}.png", n) for n in ("small", "wide", "nodpi")]))
    html = report.write(tmp_path / "report.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 688, "height": 1000})  # A4 less the report's margins
            page.emulate_media(media="print")
            page.goto(html.as_uri())
            widths = page.evaluate("() => Array.from(document.images).map(i => i.getBoundingClientRect().width)")
            page.emulate_media(media="screen")
            screen = page.evaluate("() => Array.from(document.images).map(i => i.getBoundingClientRect().width)")
        finally:
            browser.close()
    assert widths == pytest.approx([3.2 * 96, 688, 688], abs=1.0)  # CSS: 96 px to the inch
    assert screen == pytest.approx([656, 656, 656], abs=1.0)  # on screen unchanged: 44rem within the 900px column
