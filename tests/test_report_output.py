"""The demo's exported artefacts as a journal and a reader get them: figures on their canvas, SIMULATED everywhere,
numbers as numbers, LaTeX that compiles on the page, and report.html checked in a real browser (headless Chromium)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from docx import Document
from openpyxl import load_workbook

import vagg
from vagg.pipeline import demo_config

CHROMIUM = "/usr/bin/chromium"
#: flags that work on a machine without display or network (see .ci/run)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def demo(demo_output):
    """The shared demo run (conftest): folder, manifest, and the texts each figure drew off its canvas."""
    return demo_output


def test_every_pipeline_figure_keeps_its_text_on_the_canvas(demo):
    out, manifest, outside = demo
    figures = sorted(Path(f).stem for f in manifest["files"] if f.startswith("figures/") and f.endswith(".png"))
    assert len(figures) >= 12 and sorted(outside) == figures
    assert {name: texts for name, texts in outside.items() if texts} == {}
    for name in figures:
        png = out / "figures" / f"{name}.png"
        pdf = out / "figures" / f"{name}.pdf"
        from PIL import Image

        image = Image.open(png)
        assert round(image.info["dpi"][0]) == 300 and "SIMULATED" in image.text.get("Description", "")
        assert pdf.read_bytes()[:4] == b"%PDF" and b"SIMULATED" in pdf.read_bytes()


def test_every_exported_table_says_simulated(demo):
    out, manifest, _ = demo
    tables = [out / f for f in manifest["files"] if f.startswith("tables/")]
    assert len(tables) >= 100
    for path in tables:
        if path.suffix == ".docx":
            document = Document(path)
            text = "\n".join(p.text for p in document.paragraphs)
            assert document.core_properties.keywords == "SIMULATED", path.name
        elif path.suffix == ".xlsx":
            book = load_workbook(path)
            text = "\n".join(str(c.value) for row in book.active.iter_rows() for c in row if c.value is not None)
            assert book.properties.keywords == "SIMULATED", path.name
        else:
            text = path.read_text(encoding="utf-8")
        assert "SIMULATED DATA" in text, path.name
    assert all((out / "tables" / f"{p.stem}.csv").read_text().startswith("# ") for p in tables)


def test_demo_tables_hold_numbers_and_read_as_a_paper(demo):
    out, _, _ = demo
    csv = pd.read_csv(out / "tables" / "baseline_fe.csv", comment="#")
    assert {"estimate", "se", "t", "p", "ci_low", "ci_high"} <= set(csv.columns)
    sheet = load_workbook(out / "tables" / "baseline_fe.xlsx").active
    rows = list(sheet.iter_rows())
    labels = [r[0].value for r in rows]
    for _, term in csv.iterrows():
        col = 1 + ["(1)", "(2)", "(3)", "(4)"].index(term["model"])
        cell = rows[labels.index(term["label"])][col]
        assert isinstance(cell.value, float) and cell.value == pytest.approx(term["estimate"], rel=1e-12)
    md = (out / "tables" / "spatial_durbin.md").read_text()
    for heading in ("*Main*", "*W·x*", "*Spatial*", "*Variance*", "*Direct effects*", "*Indirect (spillover) effects*",
                    "*Total effects*"):
        assert f"| {heading} |" in md
    assert "GDP per capita" in md and "gdp_per_capita" not in md and "va_index" not in md
    assert "| Dependent variable | Industrial synergy (CCD) |" in md  # the config's [labels] reach the tables
    assert not re.search(r"\| -?0\.0+\**( |\|)", md), "a non-zero estimate printed as 0.000"
    sigma = next(line for line in md.splitlines() if line.startswith("| σ² |"))
    assert "*" not in sigma
    for table_md in sorted((out / "tables").glob("*.md")):  # printed headers are words, not column names
        header = next((line for line in table_md.read_text().splitlines() if line.startswith("|  |")), "")
        assert "_" not in header, (table_md.name, header)
    weights_md = (out / "tables" / "index_weights.md").read_text()  # printed with the indicator system's words
    assert "| Broadband subscribers per 100 people | Digital infrastructure | 1 |" in weights_md
    assert "| Days to register a business | Policy environment | -1 |" in weights_md
    assert "broadband_per100" not in weights_md and "weight_in_dimension" not in weights_md
    weights_csv = pd.read_csv(out / "tables" / "index_weights.csv", comment="#")
    assert weights_csv.columns.tolist()[-1] == "weight_in_dimension" and "broadband_per100" in weights_csv.iloc[:, 0].tolist()
    robustness = (out / "tables" / "robustness.md").read_text()
    assert "0.0000" not in robustness and "<0.001" in robustness and "placebo" not in robustness.lower()
    placebo = pd.read_csv(out / "tables" / "placebo.csv", comment="#").set_index("statistic")["value"].astype(float)
    assert placebo["placebo estimates: 2.5% quantile"] < placebo["placebo estimates: 97.5% quantile"] \
        < placebo["real estimate"]
    table1 = pd.read_csv(out / "tables" / "table1_index.csv", comment="#")
    assert [c for c in table1.columns if c.startswith("index_")] == ["index_2011", "index_2015", "index_2020"]
    het = (out / "tables" / "heterogeneity.md").read_text()
    assert "reference: Pearl River Delta Core" in het and "Pearl River Delta Core (reference)" in het
    by_group = pd.read_csv(out / "tables" / "heterogeneity.csv", comment="#").set_index("group")
    gaps = by_group["estimate"] - by_group.loc["Pearl River Delta Core", "estimate"]
    assert np.allclose(by_group["gap_to_reference"].dropna(), gaps.drop("Pearl River Delta Core"))
    assert "Pooled interaction model" in (out / "tables" / "heterogeneity_differences.md").read_text()
    joint = pd.read_csv(out / "tables" / "specification_curve_test.csv", comment="#")
    assert sorted(joint["outcome"].unique()) == ["Construction index", "Industrial synergy (CCD)"]
    synergy_median = joint.query("outcome == 'Industrial synergy (CCD)' and statistic == 'median'")["observed"].item()
    assert 0.001 < synergy_median < 0.02  # the synergy curve alone, not pooled with the construction index


def test_demo_latex_compiles_and_fits_the_page(demo, tmp_path):
    out, _, _ = demo
    assert shutil.which("pdflatex"), "pdflatex missing: .ci/run installs texlive-latex-base/-recommended"
    inputs = "\n".join(f"\\input{{{p.as_posix()}}}\\clearpage" for p in sorted((out / "tables").glob("*.tex")))
    (tmp_path / "all.tex").write_text("\\documentclass[11pt]{article}\\usepackage[T1]{fontenc}"
                                      "\\usepackage[margin=2.5cm]{geometry}\\usepackage{booktabs,graphicx}"
                                      "\\begin{document}" + inputs + "\\end{document}")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "all.tex"], cwd=tmp_path,
                         capture_output=True, timeout=300)
    log = (tmp_path / "all.log").read_text(errors="replace")
    assert run.returncode == 0, log[-3000:]
    assert "Overfull \\hbox" not in log
    assert "Float too large" not in log  # a table taller than the page continues in a second float


def test_report_in_a_real_browser(demo, tmp_path):
    # Headless Debian Chromium driven by Playwright (no browser download): every image loads, nothing overflows
    # the page horizontally at 900 and 1400 px, the SIMULATED banner is visible; screenshots into tmp_path.
    out, _, _ = demo
    html = (out / "report.html").read_text()
    assert re.findall(r"<img src='([^']+)'", html) and all(
        src.startswith("data:image/png;base64,") for src in re.findall(r"<img src='([^']+)'", html))
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    assert Path(CHROMIUM).is_file(), "Chromium missing: .ci/run installs Debian's chromium"
    alone = tmp_path / "alone" / "report.html"  # self-contained: no figures folder beside it
    alone.parent.mkdir()
    alone.write_text(html, encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for width in (900, 1400):
                page = browser.new_page(viewport={"width": width, "height": 1000})
                page.goto(alone.as_uri())
                page.wait_for_load_state("load")
                state = page.evaluate("""() => ({
                    images: Array.from(document.images).map(i => ({ok: i.complete && i.naturalWidth > 0,
                                                                    alt: i.alt})),
                    scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
                    over: Array.from(document.querySelectorAll('body *'))
                        .filter(e => !e.closest('.table-wrap')
                                && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                        .map(e => e.tagName + ' ' + (e.textContent || '').slice(0, 40))})""")
                assert len(state["images"]) >= 12
                assert [i["alt"] for i in state["images"] if not i["ok"]] == []
                assert state["scroll"] <= state["client"], (width, state["over"])
                assert state["over"] == []
                banner = page.locator(".simulated")
                assert banner.is_visible() and "SIMULATED" in banner.inner_text()
                assert banner.bounding_box()["y"] < 1000  # on the first screen
                page.screenshot(path=str(tmp_path / f"report_{width}.png"))
                page.screenshot(path=str(tmp_path / f"report_{width}_full.png"), full_page=True)
                page.close()
            # printed (vagg report-pdf): A4 less its margins is 688 px wide; no table may be cut at the right
            page = browser.new_page(viewport={"width": 688, "height": 1000})
            page.emulate_media(media="print")
            page.goto(alone.as_uri())
            cut = page.evaluate("""() => Array.from(document.querySelectorAll('table.vagg-table'))
                .filter(t => t.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                .map(t => t.caption ? t.caption.textContent : '?')""")
            assert cut == []
            page.close()
        finally:
            browser.close()
    assert all((tmp_path / f"report_{w}.png").stat().st_size > 10_000 for w in (900, 1400))


def test_report_pdf_one_command_away(demo, tmp_path):
    from click.testing import CliRunner

    from vagg.cli import main

    out, _, _ = demo
    target = tmp_path / "report.pdf"
    result = CliRunner().invoke(main, ["report-pdf", str(out), "--pdf", str(target)])
    assert result.exit_code == 0, result.output
    data = target.read_bytes()
    assert data[:4] == b"%PDF" and len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 10
    # every table shorter than a page prints whole on one page: its caption, first and last row (before the print
    # rules, Table 1's caption, header and first row were alone on page 1 and four tables lost rows to the next)
    pypdf = pytest.importorskip("pypdf")
    import html as markup
    import unicodedata

    def text(value: str) -> str:
        return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", markup.unescape(value)))

    pages = [text(page.extract_text() or "") for page in pypdf.PdfReader(target).pages]
    report = (out / "report.html").read_text()
    tables = re.findall(r"<caption>(.*?)</caption>.*?<tbody>(.*?)</tbody>", report, re.S)
    assert len(tables) >= 25
    cut = []
    for caption, body in tables:
        labels = [text(label) for label in re.findall(r"<tr[^>]*><th>(.*?)</th>", body) if label]
        if len(re.findall(r"<tr", body)) > 40:  # longer than a page: it breaks, between estimates (test_report_print)
            continue
        caption, first, last = text(caption), labels[0], labels[-1]
        where = [k for k, page in enumerate(pages) if caption in page]
        if len(where) != 1 or not (first in pages[where[0]] and last in pages[where[0]].split(caption, 1)[1]):
            cut.append((caption, where))
    assert cut == []
    missing = CliRunner().invoke(main, ["report-pdf", str(tmp_path / "nothing")])
    assert missing.exit_code != 0 and "no report to print" in missing.output


def test_table1_years_and_labels_from_the_config():
    from vagg.config import validate_config
    from vagg.pipeline import table1_years

    years = list(range(2011, 2021))
    assert table1_years(years, []) == [2011, 2016, 2020]
    assert table1_years(years, [2011, 2015, 2020]) == [2011, 2015, 2020]
    with pytest.raises(vagg.SpecificationError, match=r"output.table1_years names years not in the panel: \[2025\]"):
        table1_years(years, [2011, 2025])
    config = demo_config()
    assert config["output"]["table1_years"] == [2011, 2015, 2020] and config["labels"]["va_index"]
    raw = {"data": {"path": config["data"]["path"]}, "labels": {"va_index": 3}}
    with pytest.raises(vagg.SpecificationError, match="config key labels.va_index must be str"):
        validate_config(raw)
    with pytest.raises(vagg.SpecificationError, match="output.city_names = 'fr' is not one of en, zh"):
        validate_config({"data": {"path": config["data"]["path"]}, "output": {"city_names": "fr"}})
