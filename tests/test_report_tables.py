"""Regression and descriptive tables in every format."""

from __future__ import annotations

import re
import shutil
import subprocess

import linearmodels as lm
import numpy as np
import pandas as pd
import pytest
from docx import Document
from openpyxl import load_workbook

import vagg
from vagg.report import frame_table, latex_escape, regression_table


@pytest.fixture(scope="module")
def wage_results():
    from linearmodels.datasets import wage_panel

    data = wage_panel.load().set_index(["nr", "year"])
    data["union_member"] = data["union"]
    fe = lm.PanelOLS.from_formula("lwage ~ hours + union_member + EntityEffects + TimeEffects", data).fit(
        cov_type="clustered", cluster_entity=True)
    one = lm.PanelOLS.from_formula("lwage ~ hours + union_member + married + EntityEffects", data).fit(cov_type="robust")
    return fe, one


def _numbers(text: str) -> list[str]:
    return re.findall(r"-?\d+\.\d+", text)


def test_regression_table_cells_match_linearmodels(wage_results):
    # Reference: the linearmodels results themselves (params, std_errors, pvalues, nobs).
    fe, one = wage_results
    table = regression_table([fe, one], digits=4)
    body = table.body
    assert body.iloc[0].tolist() == ["lwage", "lwage"]
    row = body.index.get_loc("union_member")
    est = f"{fe.params['union_member']:.4f}"
    assert body.iloc[row, 0].startswith(est)
    assert body.iloc[row, 0].count("*") == (fe.pvalues["union_member"] < np.array([0.1, 0.05, 0.01])).sum()
    assert body.iloc[row + 1, 0] == f"({fe.std_errors['union_member']:.4f})"
    assert body.loc["married"].iloc[0] == "" and body.loc["married"].iloc[1].startswith(f"{one.params['married']:.4f}")
    assert body.loc["City FE"].tolist() == ["Yes", "Yes"]
    assert body.loc["Year FE"].tolist() == ["Yes", "No"]
    assert body.loc["Observations"].tolist() == [str(fe.nobs), str(one.nobs)]
    # within R^2 = R^2 after removing all included effects (linearmodels' ``rsquared``; reghdfe's convention)
    assert body.loc["Within R²"].tolist() == [f"{fe.rsquared:.3f}", f"{one.rsquared:.3f}"]
    assert body.loc["Clusters"].tolist() == ["545", ""]
    assert "Standard errors in parentheses; * p < 0.1, ** p < 0.05, *** p < 0.01." in table.notes


def test_stat_t_and_custom_stars(wage_results):
    fe, _ = wage_results
    table = regression_table([fe], stat="t", stars=(0.05,), keep=["union_member"])
    assert list(table.body.index[1:3]) == ["union_member", ""]
    assert table.body.iloc[2, 0] == f"({fe.tstats['union_member']:.2f})"
    assert table.body.iloc[1, 0].count("*") <= 1
    assert "t statistics" in table.notes[0] and "* p < 0.05" in table.notes[0]
    with pytest.raises(vagg.SpecificationError, match="order names regressors that no model has"):
        regression_table([fe], order=["nope"])


def test_latex_has_booktabs_and_no_unescaped_specials(wage_results):
    fe, one = wage_results
    table = regression_table([fe, one], labels={"union_member": "union_member (%) & #"}, groups=[("log_wage", 2)],
                             title="Baseline: lwage_it")
    tex = table.to_latex()
    for rule in ("\\toprule", "\\midrule", "\\bottomrule", "\\cmidrule"):
        assert rule in tex
    assert "union\\_member (\\%) \\& \\#" in tex
    body_lines = [ln for ln in tex.splitlines() if "&" in ln]
    for line in body_lines:
        cleaned = re.sub(r"\\[&%$#_{}]|\\textsuperscript\{2\}", "", line)
        assert not re.search(r"(?<!\\)[%$#_]", cleaned), line
    assert latex_escape("a_b^c~d\\") == "a\\_b\\textasciicircum{}c\\textasciitilde{}d\\textbackslash{}"


def _compile(tmp_path, doc: str) -> str:
    """pdflatex ``doc``; returns the log (TeX is installed by .ci/run, so this never skips in CI)."""
    assert shutil.which("pdflatex"), "pdflatex missing: .ci/run installs texlive-latex-base/-recommended"
    (tmp_path / "t.tex").write_text(doc)
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"], cwd=tmp_path,
                         capture_output=True, timeout=120)
    log = (tmp_path / "t.log").read_text(errors="replace")
    assert run.returncode == 0, log[-3000:]
    return log


def test_latex_compiles_and_fits_the_page(tmp_path, wage_results):
    fe, one = wage_results
    narrow = regression_table([fe, one], title="lwage_it")
    wide_results = [fe, one] * 5
    names = [f"a rather long model name {k}" for k in range(10)]
    wide = regression_table(wide_results, model_names=names, title="ten models side by side")
    log = _compile(tmp_path, vagg.report.latex_document(narrow, wide))
    assert "Overfull \\hbox" not in log  # the wide table is scaled to the line width
    assert "\\resizebox" in wide.to_latex()
    landscape = _compile(tmp_path, vagg.report.latex_document(wide, landscape=True))  # pdflscape pages
    assert "Overfull \\hbox" not in landscape


def _boxes(tmp_path, *tables) -> list[list[float]]:
    """Compile ``tables`` (with a list of tables) and return, per \\resizebox, the tabular's natural width and
    height, the line width and the text height (pt); asserts nothing runs off the page."""
    measure = ("\\let\\vaggresize\\resizebox\\renewcommand{\\resizebox}[3]{\\sbox0{#3}\\typeout{BOX \\the\\wd0\\space"
               " \\the\\dimexpr\\ht0+\\dp0\\relax\\space \\the\\linewidth\\space \\the\\textheight}"
               "\\vaggresize{#1}{#2}{\\usebox0}}\\listoftables\\clearpage\n")
    doc = vagg.report.latex_document(*tables).replace("\\begin{document}\n", "\\begin{document}\n" + measure)
    _compile(tmp_path, doc)
    log = _compile(tmp_path, doc)  # the list of tables reads the .lot of the first run
    assert "Float too large" not in log and "Overfull \\hbox" not in log
    return [[float(v) for v in re.findall(r"([\d.]+)pt", line)] for line in log.splitlines() if line.startswith("BOX ")]


def _tall_table() -> vagg.report.Table:
    """Eight panels of 7 estimates with their standard errors, statistics below: 123 rows, three pages at 11pt."""
    labels, cells, headings = [], [], []
    for panel in range(8):
        headings.append(len(labels))
        labels.append(f"Panel {panel}")
        cells.append(["", "", ""])
        for k in range(7):
            labels += [f"x{panel}v{k}", ""]
            cells += [[f"0.{panel}{k}1", f"0.{panel}{k}2", f"0.{panel}{k}3"], [f"(0.{panel}{k}4)"] * 3]
    sections = [len(labels)]
    labels += ["Observations", "R²", "SE type"]
    cells += [["210"] * 3, ["0.5"] * 3, ["clustered (entity)"] * 3]
    cells[-1][2] = " ".join(["[-0.000335123, 0.000029123]"] * 3)  # only the last part holds it: a wide column
    body = pd.DataFrame(cells, index=labels, columns=["(1)", "(2)", "(3)"])
    return vagg.report.Table(body=body, title="Tall", notes=["Standard errors in parentheses."] * 4,
                             headings=headings, sections=sections)


def test_a_table_taller_than_the_page_continues_in_floats_of_one_width(tmp_path):
    # One float taller than the page runs off its bottom ("Float too large for page"; the demo's spatial Durbin,
    # dynamic spatial Durbin and top-obstacles tables did, by 353, 717 and 274pt).  Cut into floats, each
    # fits, the cuts fall before panel headings, never between an estimate and its standard error; every
    # part is as wide as the whole table, so \resizebox scales all by one factor (one font size).
    table = _tall_table()
    tex = table.to_latex()
    parts = tex.split("\\begin{table}")[1:]
    assert len(parts) == 3 and tex.count("(continued)") == 2 and tex.count("Standard errors") == 4
    first_rows = [re.search(r"\\midrule\n(.*)\n", part).group(1) for part in parts]
    assert [row.startswith(("\\multicolumn", "x")) for row in first_rows] == [True] * 3
    assert all(tex.count(f"0.{p}{k}1 ") == 1 for p in range(8) for k in range(7))
    boxes = _boxes(tmp_path, table)
    assert len(boxes) == 3
    widths = [b[0] for b in boxes]
    assert max(widths) - min(widths) < 0.01 and widths[0] > boxes[0][2]  # one width, wider than the line: scaled
    assert all(b[1] * b[2] / b[0] < 0.8 * b[3] for b in boxes)  # each part, scaled, within the text height
    numbers = re.findall(r"\\numberline \{(\d+)\}", (tmp_path / "t.lot").read_text())
    assert numbers == ["1", "1", "1"]  # one table number for the three parts


def test_a_wide_table_sets_its_words_on_two_lines_before_shrinking(tmp_path):
    # The demo's quantile table (five columns of "Industrial synergy (CCD)", "clustered (entity)") was 795pt wide,
    # printed at 59% (11pt type at 6.5pt).  Wider than the line, its multi-word cells take two lines first.
    rows = {"Dependent variable": ["Industrial synergy (CCD)"] * 5, "Virtual agglomeration": ["0.007***"] * 5,
            "": ["(0.001)"] * 5, "GDP per capita": ["1.7e-06**"] * 5, "SE type": ["clustered (entity)"] * 5}
    wide = vagg.report.Table(body=pd.DataFrame(list(rows.values()), index=list(rows), columns=[f"({k})" for k in
                                                                                              range(1, 6)]))
    narrow = vagg.report.Table(body=wide.body.iloc[:, :2])
    assert "Industrial \\\\ synergy (CCD)" in wide.to_latex() and "\\begin{tabular}[c]" not in narrow.to_latex()
    assert "Industrial synergy (CCD)" in narrow.to_latex()
    (width, _, line, _), (narrow_width, _, _, _) = _boxes(tmp_path, wide, narrow)
    assert line / width > 0.85  # scaled to 0.875 (0.598 with each text on one line)
    assert narrow_width < line


def test_word_excel_csv_hold_the_same_numbers(tmp_path, wage_results):
    # The machine-readable CSV is the reference: Excel holds the same numbers as numbers (the number format
    # prints stars and parentheses), Word shows them rounded to the printed decimals.
    fe, one = wage_results
    table = regression_table([fe, one], title="Baseline")
    paths = table.write(tmp_path, "baseline")
    assert sorted(p.suffix for p in paths) == sorted(f".{f}" for f in vagg.report.FORMATS)
    csv = pd.read_csv(tmp_path / "baseline.csv", comment="#")
    assert list(csv.columns[:11]) == ["model", "dependent", "panel", "term", "label", "estimate", "se", "t", "p",
                                      "ci_low", "ci_high"]
    union = csv[(csv["model"] == "(1)") & (csv["term"] == "union_member")].iloc[0]
    assert union["estimate"] == pytest.approx(fe.params["union_member"], rel=1e-12)
    assert union["se"] == pytest.approx(fe.std_errors["union_member"], rel=1e-12)
    assert union["p"] == pytest.approx(fe.pvalues["union_member"], rel=1e-12)
    assert union["ci_low"] == pytest.approx(fe.conf_int().loc["union_member", "lower"], rel=1e-12)
    assert len(csv) == 2 + 3  # (1): hours, union_member; (2): hours, union_member, married

    sheet = load_workbook(tmp_path / "baseline.xlsx").active
    rows = list(sheet.iter_rows())
    labels = [r[0].value for r in rows]
    document = Document(tmp_path / "baseline.docx")
    docx_rows = [[c.text for c in row.cells] for row in document.tables[0].rows]
    docx_labels = [r[0] for r in docx_rows]
    for _, term in csv.iterrows():
        col = 1 + ["(1)", "(2)"].index(term["model"])
        r = labels.index(term["term"])
        est_cell, se_cell = rows[r][col], rows[r + 1][col]
        assert isinstance(est_cell.value, float) and est_cell.value == pytest.approx(term["estimate"], rel=1e-12)
        assert isinstance(se_cell.value, float) and se_cell.value == pytest.approx(term["se"], rel=1e-12)
        assert est_cell.number_format.endswith('"' + "*" * int(term["stars"]) + '"') or term["stars"] == 0
        assert se_cell.number_format.startswith('"("')
        d = docx_labels.index(term["term"])
        shown, shown_se = docx_rows[d][col], docx_rows[d + 1][col]
        decimals = len(shown.rstrip("*").split(".")[1])
        assert float(shown.rstrip("*")) == pytest.approx(round(term["estimate"], decimals), abs=10 ** -decimals / 2)
        assert float(shown_se.strip("()")) == pytest.approx(round(term["se"], decimals), abs=10 ** -decimals / 2)
    nobs = rows[labels.index("Observations")][1]
    assert nobs.value == fe.nobs and nobs.number_format == "0"
    md = (tmp_path / "baseline.md").read_text()
    html = (tmp_path / "baseline.html").read_text()
    assert docx_rows[docx_labels.index("union_member")][1] in md and docx_rows[docx_labels.index("union_member")][1] in html


def test_adaptive_precision_pvalues_and_no_stars_on_variances():
    # Known truth: a tiny non-zero coefficient must not print as 0.000; a variance gets no stars.
    from vagg.report.numbers import format_number, format_pvalue

    assert format_number(-1.234e-7, 3)[0] == "-1.2e-07"
    assert format_number(0.00042, 3)[0] == "0.00042"
    assert format_number(0.00042, 3, precision="scientific")[0] == "4.2e-04"
    assert format_number(0.0, 3)[0] == "0.000" and format_number(-0.0001, 3, decimals=3)[0] == "0.000"
    assert format_pvalue(0.00001)[0] == "<0.001" and format_pvalue(0.0123)[0] == "0.012"

    class Fit:
        params = pd.Series({"gdp": -2.0e-7, "x": 0.5, "sigma2": 2.0e-5, "rho": 0.3})
        std_errors = pd.Series({"gdp": 5.0e-8, "x": 0.1, "sigma2": 2.0e-6, "rho": 0.05})
        pvalues = pd.Series({"gdp": 6e-5, "x": 1e-6, "sigma2": 1e-9, "rho": 1e-8})
        table_info = {"dependent": "y", "nobs": 10}

    table = regression_table([Fit()], labels={"gdp": "GDP per capita"})
    cells = table.body.iloc[:, 0].tolist()
    labels = table.body.index.tolist()
    assert cells[labels.index("GDP per capita")] == "-2.0e-07***"
    assert cells[labels.index("GDP per capita") + 1] == "(5.0e-08)"
    assert cells[labels.index("sigma2")] == "2.0e-05" and "*" not in cells[labels.index("sigma2")]
    assert cells[labels.index("rho")] == "0.300***"
    assert any("Variance parameters carry no stars" in n for n in table.notes)
    assert regression_table([Fit()], stat="p").body.iloc[labels.index("x") + 1, 0] == "(<0.001)"
    assert "0.000" not in " ".join(cells)
    frame = frame_table(pd.DataFrame({"estimate": [3e-6], "pvalue": [2e-6], "wald_p": [0.5]}, index=["a"]))
    assert frame.body.iloc[0].tolist() == ["3.0e-06", "<0.001", "0.500"]


@pytest.mark.parametrize("simulated", [True, False])
def test_every_format_says_simulated_only_when_simulated(tmp_path, wage_results, simulated):
    fe, one = wage_results
    regression = regression_table([fe, one], title="Baseline")
    descriptive = frame_table(pd.DataFrame({"mean": [1.5]}, index=["x"]), title="Summary")
    for name, table in (("reg", regression), ("desc", descriptive)):
        table.write(tmp_path, name, simulated=simulated)
        texts = {fmt: (tmp_path / f"{name}.{fmt}").read_text() for fmt in ("tex", "md", "html", "csv")}
        document = Document(tmp_path / f"{name}.docx")
        texts["docx"] = "\n".join(p.text for p in document.paragraphs)
        book = load_workbook(tmp_path / f"{name}.xlsx")
        texts["xlsx"] = "\n".join(str(c.value) for row in book.active.iter_rows() for c in row if c.value is not None)
        for fmt, text in texts.items():
            assert ("SIMULATED" in text) is simulated, (name, fmt)
        assert texts["csv"].startswith("# ") and ("# SIMULATED DATA" in texts["csv"]) is simulated
        assert (document.core_properties.keywords == "SIMULATED") is simulated
        assert (book.properties.keywords == "SIMULATED") is simulated
        assert not table.simulated  # write() does not change the table


def test_frame_table_formats_numbers():
    frame = pd.DataFrame({"n": [21, 21], "mean": [1.23456, np.nan], "flag": [True, False]}, index=["x", "y"])
    table = frame_table(frame, title="Summary", digits=2)
    assert table.body.loc["x"].tolist() == ["21", "1.23", "Yes"]
    assert table.body.loc["y"].tolist() == ["21", "", "No"]
    with pytest.raises(vagg.SpecificationError, match="unknown table format 'pdf'"):
        table.write("unused", "t", formats=["pdf"])


def test_spatial_table_in_grouped_panels(wage_results):
    # The xsmle / esttab layout: Main, W·x, Spatial, Variance, Direct, Indirect, Total, rows under labels.
    class Sdm:
        params = pd.Series({"x": 0.5, "W_x": 0.1, "rho": 0.3, "sigma2": 0.02})
        std_errors = pd.Series({"x": 0.1, "W_x": 0.2, "rho": 0.05, "sigma2": 0.002})
        pvalues = pd.Series({"x": 1e-6, "W_x": 0.6, "rho": 1e-8, "sigma2": 1e-9})
        table_info = {"dependent": "y", "nobs": 210, "entity_effects": True, "time_effects": True}

    impacts = pd.DataFrame({"direct": [0.5], "indirect": [0.2], "total": [0.7], "direct_se": [0.1],
                            "indirect_se": [0.5], "total_se": [0.2]}, index=["x"])
    table = regression_table([Sdm(), Sdm()], effects=[impacts, None], labels={"x": "Virtual agglomeration"})
    labels = table.body.index.tolist()
    headings = [labels[i] for i in table.headings]
    assert headings == ["Main", "W·x", "Spatial", "Variance", "Direct effects", "Indirect (spillover) effects",
                        "Total effects"]
    col = table.body.iloc[:, 0].tolist()
    positions = [i for i, label in enumerate(labels) if label == "Virtual agglomeration"]
    assert len(positions) == 5  # Main, W·x, Direct, Indirect, Total
    assert [col[i] for i in positions] == ["0.500***", "0.100", "0.500***", "0.200", "0.700***"]
    assert table.body.iloc[positions[2], 1] == ""  # no effects for the second model
    data = table.data
    assert data.loc[(data["model"] == "(1)") & (data["panel"] == "indirect"), "estimate"].item() == 0.2
    assert set(data["panel"]) == {"main", "wx", "spatial", "variance", "direct", "indirect", "total"}
    assert "Virtual agglomeration" in table.to_latex() and "\\textit{W$\\cdot$x}" in table.to_latex()


def test_vagg_and_linearmodels_results_tabulate_the_same_numbers():
    # Reference: linearmodels PanelOLS on the same two-way model (unadjusted covariance, same df convention).
    from linearmodels.datasets import wage_panel

    data = wage_panel.load().set_index(["nr", "year"])
    ours = vagg.models.PanelFE.from_formula("lwage ~ hours + union + married", data, effects="twoway").fit(
        cov="unadjusted")
    peer = lm.PanelOLS.from_formula("lwage ~ hours + union + married + EntityEffects + TimeEffects", data).fit()
    a = regression_table([ours], digits=6).body
    b = regression_table([peer], digits=6).body
    for name in ("hours", "union", "married"):
        row_a, row_b = a.index.get_loc(name), b.index.get_loc(name)
        assert a.iloc[row_a, 0] == b.iloc[row_b, 0]
        assert a.iloc[row_a + 1, 0] == b.iloc[row_b + 1, 0]
    assert a.loc["Observations"].iloc[0] == b.loc["Observations"].iloc[0]
    assert a.loc["Within R²"].iloc[0] == b.loc["Within R²"].iloc[0]


def test_missing_writer_library_is_a_clear_error(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_docx(name, *args, **kwargs):
        if name == "docx":
            raise ImportError("no docx", name="docx")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_docx)
    table = frame_table(pd.DataFrame({"a": [1.0]}))
    with pytest.raises(vagg.SpecificationError, match=r"'docx' needs docx: pip install 'vagg\[docx\]'"):
        table.write(tmp_path, "t", formats=["docx"])


def test_rescaled_regressor_matches_a_refit_on_the_rescaled_data(tmp_path):
    # Brute-force twin: precision="rescale" shows GDP ÷ 10^k; refitting with the regressor divided by 10^k must
    # give the same numbers (coefficients and se times 10^k, t and p unchanged).
    from linearmodels.datasets import wage_panel

    data = wage_panel.load().set_index(["nr", "year"])
    data["hours_tiny"] = data["hours"] * 1000.0  # coefficients of order 1e-7
    fit = lm.PanelOLS.from_formula("lwage ~ hours_tiny + union + EntityEffects", data).fit(cov_type="robust")
    table = regression_table([fit], precision="rescale", labels={"hours_tiny": "Hours"})
    k = -int(np.floor(np.log10(abs(fit.params["hours_tiny"])))) - 1
    label = f"Hours ÷ 10{str(k).translate(str.maketrans('0123456789', '⁰¹²³⁴⁵⁶⁷⁸⁹'))}"
    assert label in table.body.index
    data["hours_rescaled"] = data["hours_tiny"] / 10.0 ** k
    refit = lm.PanelOLS.from_formula("lwage ~ hours_rescaled + union + EntityEffects", data).fit(cov_type="robust")
    row = table.body.index.get_loc(label)
    est, se = refit.params["hours_rescaled"], refit.std_errors["hours_rescaled"]
    assert 0.1 <= abs(est) < 1
    stars = "*" * int((refit.pvalues["hours_rescaled"] < np.array([0.1, 0.05, 0.01])).sum())
    assert table.body.iloc[row, 0] == f"{est:.3f}{stars}" and table.body.iloc[row + 1, 0] == f"({se:.3f})"
    tidy = table.data.set_index("term")
    assert tidy.loc["hours_tiny", "estimate"] == pytest.approx(est, rel=1e-9)
    assert tidy.loc["hours_tiny", "scale"] == 10.0 ** k and tidy.loc["union", "scale"] == 1.0
    assert tidy.loc["hours_tiny", "p"] == pytest.approx(refit.pvalues["hours_rescaled"], rel=1e-9)
    assert any("Hours ÷ 10" in n for n in table.notes)
    assert "0.000" not in table.body.iloc[row, 0]
    _compile(tmp_path, vagg.report.latex_document(table))  # ÷ and superscripts are escaped for LaTeX


def test_a_long_statistic_shared_by_every_model_is_a_note_not_a_row():
    """A text such as the log-determinant method, the same in every column, would widen each column."""
    import pandas as pd

    def model(method: str) -> object:
        class Fit:
            params = pd.Series({"x": 0.5})
            std_errors = pd.Series({"x": 0.1})
            pvalues = pd.Series({"x": 1e-6})
            table_info = {"dependent": "y", "nobs": 210, "extra": {"log-determinant": method, "Lee-Yu": "yes"}}
        return Fit()

    long = "eigenvalues; information-matrix traces exact"
    same = vagg.report.regression_table([model(long), model(long)])
    assert "log-determinant" not in same.body.index and "Lee-Yu" in same.body.index
    assert f"log-determinant: {long}." in same.notes
    differ = vagg.report.regression_table([model(long), model("sparse LU; information-matrix traces exact")])
    assert differ.body.loc["log-determinant"].tolist() == [long, "sparse LU; information-matrix traces exact"]
    assert not any(n.startswith("log-determinant") for n in differ.notes)


def test_an_interaction_is_labelled_by_its_parts():
    import pandas as pd

    class Fit:
        params = pd.Series({"va:college": 0.5, "va": 0.1})
        std_errors = pd.Series({"va:college": 0.1, "va": 0.05})
        pvalues = pd.Series({"va:college": 1e-6, "va": 0.04})
        table_info = {"dependent": "y", "nobs": 210}

    table = vagg.report.regression_table([Fit()], labels={"va": "Virtual agglomeration", "college": "Students"})
    assert "Virtual agglomeration × Students" in table.body.index
    own = vagg.report.regression_table([Fit()], labels={"va:college": "VA x students"})
    assert "VA x students" in own.body.index
