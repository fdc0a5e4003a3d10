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


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no TeX engine on this machine")
def test_latex_compiles(tmp_path, wage_results):
    fe, one = wage_results
    tex = regression_table([fe, one], title="lwage_it").to_latex()
    doc = "\\documentclass{article}\\usepackage{booktabs}\\begin{document}" + tex + "\\end{document}"
    (tmp_path / "t.tex").write_text(doc)
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "t.tex"], cwd=tmp_path, capture_output=True)
    assert run.returncode == 0, run.stdout[-2000:]


def test_word_excel_csv_hold_the_same_cells(tmp_path, wage_results):
    fe, one = wage_results
    table = regression_table([fe, one], title="Baseline")
    paths = table.write(tmp_path, "baseline")
    assert sorted(p.suffix for p in paths) == sorted(f".{f}" for f in vagg.report.FORMATS)
    csv = pd.read_csv(tmp_path / "baseline.csv", dtype=str, keep_default_na=False)
    expected = csv.to_numpy().tolist()
    document = Document(tmp_path / "baseline.docx")
    grid = document.tables[0]
    docx_rows = [[c.text for c in row.cells] for row in grid.rows][1:]
    assert docx_rows == expected
    sheet = load_workbook(tmp_path / "baseline.xlsx").active
    values = [[("" if v is None else str(v)) for v in row] for row in sheet.iter_rows(values_only=True)]
    start = values.index([""] + ["(1)", "(2)"]) + 1
    assert [row[:3] for row in values[start:start + len(expected)]] == expected
    md = (tmp_path / "baseline.md").read_text()
    assert _numbers(md)[:6] == _numbers(",".join(",".join(r) for r in expected))[:6]
    html = (tmp_path / "baseline.html").read_text()
    assert "<table" in html and csv.iloc[3, 1] in html


def test_frame_table_formats_numbers():
    frame = pd.DataFrame({"n": [21, 21], "mean": [1.23456, np.nan], "flag": [True, False]}, index=["x", "y"])
    table = frame_table(frame, title="Summary", digits=2)
    assert table.body.loc["x"].tolist() == ["21", "1.23", "Yes"]
    assert table.body.loc["y"].tolist() == ["21", "", "No"]
    with pytest.raises(vagg.SpecificationError, match="unknown table format 'pdf'"):
        table.write("unused", "t", formats=["pdf"])


def test_effects_blocks_from_impacts(wage_results):
    fe, _ = wage_results
    impacts = pd.DataFrame({"direct": [0.5], "indirect": [0.2], "total": [0.7], "direct_se": [0.1],
                            "indirect_se": [0.5], "total_se": [0.2]}, index=["hours"])
    table = regression_table([fe], effects=[impacts])
    assert table.body.loc["Direct effects: hours"].iloc[0] == "0.500***"
    assert table.body.loc["Indirect (spillover) effects: hours"].iloc[0] == "0.200"
    assert table.body.loc["Total effects: hours"].iloc[0] == "0.700***"


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
