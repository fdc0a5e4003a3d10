"""Files as yearbooks write them: each repair gives exact values, each fault an error naming it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import vagg
from vagg.cli import main
from vagg.data import read_panel

HEADER = "adcode,year,x,name\n"
TAIL = "440300,2011,3,Shenzhen\n440300,2012,4,Shenzhen\n"

# text of the file -> expected x of (440100, 2011), (440100, 2012), and a fragment of the notes (or None)
REPAIRS = {
    "thousands separators": (HEADER + '440100,2011,"7,596.2",Guangzhou\n440100,2012,"1,234,567",Guangzhou\n' + TAIL,
                             [7596.2, 1234567.0], "thousands separators"),
    "full-width digits": (HEADER + "440100,2011,７５９６．２,Guangzhou\n440100,2012,－３,Guangzhou\n" + TAIL,
                          [7596.2, -3.0], None),
    "percentages": ("adcode,year,x\n440100,2011,44.4%\n440100,2012,１００％\n440300,2011,3%\n440300,2012,4%\n",
                    [0.444, 1.0], "percentage(s) such as '44.4%' divided by 100"),
    "placeholders": (HEADER + "440100,2011,n.a.,Guangzhou\n440100,2012,—,Guangzhou\n440300,2011,…,Shenzhen\n"
                     "440300,2012,-,Shenzhen\n", [np.nan, np.nan], None),
    "more placeholders": (HEADER + "440100,2011,...,Guangzhou\n440100,2012,NA,Guangzhou\n440300,2011,,Shenzhen\n"
                          "440300,2012,2,Shenzhen\n", [np.nan, np.nan], None),
    "years with 年 and .0": (HEADER + "440100,2011年,1,Guangzhou\n440100,2012.0,2,Guangzhou\n"
                             "440300,２０１１,3,Shenzhen\n440300,2012,4,Shenzhen\n", [1.0, 2.0], None),
    "ids with .0": (HEADER + "440100.0,2011,1,Guangzhou\n440100,2012,2,Guangzhou\n" + TAIL, [1.0, 2.0], None),
    "mostly text column": (HEADER + "440100,2011,n.a.,Guangzhou\n440100,2012,—,Guangzhou\n440300,2011,—,Shenzhen\n"
                           "440300,2012,\"1,234\",Shenzhen\n", [np.nan, np.nan], None),
    "title and group rows": ("广东统计年鉴 2021,,,\n,,经济,\n" + HEADER + "440100,2011,1,Guangzhou\n"
                             "440100,2012,2,Guangzhou\n" + TAIL, [1.0, 2.0], "header found in row 3"),
    "units row": (HEADER + ",,亿元,\n440100,2011,1,Guangzhou\n440100,2012,2,Guangzhou\n" + TAIL, [1.0, 2.0],
                  "units"),
    "footnote": (HEADER + "440100,2011,1,Guangzhou\n440100,2012,2,Guangzhou\n" + TAIL
                 + "注：按当年价格计算,,,\n", [1.0, 2.0], "footnote"),
    "province total row": (HEADER + "440000,2011,9,广东省\n440100,2011,1,Guangzhou\n440100,2012,2,Guangzhou\n"
                           + TAIL, [1.0, 2.0], "total row(s) dropped: rows 2 (id '440000')"),
    "tab separated": ("adcode\tyear\tx\n440100\t2011\t1\n440100\t2012\t2\n440300\t2011\t3\n440300\t2012\t4\n",
                      [1.0, 2.0], None),
    "total by name": (HEADER + "440100,2011,1,Guangzhou\n440100,2012,2,Guangzhou\nsum1,2011,9,全省\n" + TAIL,
                      [1.0, 2.0], "name '全省'"),
}


@pytest.mark.parametrize("case", sorted(REPAIRS))
def test_yearbook_cells_are_repaired_exactly(tmp_path, case):
    text, expected, note = REPAIRS[case]
    path = tmp_path / "panel.csv"
    path.write_text(text, encoding="utf-8")
    df = read_panel(path, "adcode", "year")
    assert df.index.get_level_values(0).unique().tolist() == ["440100", "440300"]
    assert df.index.get_level_values(1).unique().tolist() == [2011, 2012]
    assert df["x"].dtype == float
    np.testing.assert_allclose(df.loc["440100", "x"].to_numpy(), expected)
    if note is not None:
        assert any(note in n for n in df.attrs["notes"]), df.attrs["notes"]
    result = CliRunner().invoke(main, ["validate", str(path), "--entity", "adcode", "--time", "year"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_chinese_encodings(tmp_path, encoding):
    path = tmp_path / "panel.csv"
    path.write_text("城市代码,年份,地区生产总值,城市\n440100,2011,1.5,广州\n440100,2012,2.5,广州\n", encoding=encoding)
    df = read_panel(path, "城市代码", "年份")
    assert df["地区生产总值"].tolist() == [1.5, 2.5]
    assert df["城市"].tolist() == ["广州", "广州"]
    assert df.attrs["text_columns"] == ["城市"]
    assert any("GB18030" in n for n in df.attrs["notes"]) == encoding.startswith("gb")


def test_legacy_xls_and_html_saved_as_xls(tmp_path):
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    sheet = book.add_sheet("panel")
    rows = [["广东统计年鉴", "", ""], ["adcode", "year", "x"], [440100, 2011, 1.5], [440100, 2012, "2,500"]]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    path = tmp_path / "legacy.xls"
    book.save(str(path))
    df = read_panel(path, "adcode", "year")
    assert df["x"].tolist() == [1.5, 2500.0] and df.index.get_level_values(0).tolist() == ["440100", "440100"]
    html = tmp_path / "export.xls"
    html.write_text("<html><body><table><tr><td>adcode</td><td>year</td><td>x</td></tr>"
                    "<tr><td>440100</td><td>2011</td><td>7,596.2</td></tr>"
                    "<tr><td>440100</td><td>2012</td><td>n.a.</td></tr></table></body></html>", encoding="gbk")
    df = read_panel(html, "adcode", "year")
    assert df["x"].iloc[0] == 7596.2 and np.isnan(df["x"].iloc[1])
    assert any("HTML table" in n for n in df.attrs["notes"])


def test_header_row_skip_rows_and_na_values(tmp_path):
    path = tmp_path / "panel.csv"
    path.write_text("Table 3-1,,\nadcode,year,x\n(code),(year),(bn yuan)\n440100,2011,#N/A\n440100,2012,2\n",
                    encoding="utf-8")
    df = read_panel(path, "adcode", "year", header_row=1, skip_rows=[2], na_values=["#N/A"])
    assert np.isnan(df["x"].iloc[0]) and df["x"].iloc[1] == 2.0
    with pytest.raises(vagg.DataError, match=r"'#N/A' at entity 440100, year 2011 \(row 4\)"):
        read_panel(path, "adcode", "year", header_row=1, skip_rows=[2])


FAULTS = {
    "header not found": ("Table 3-1,,\ncity code,yr,x\n440100,2011,1\n", {}, "entity column 'adcode' not found"),
    "misspelt id column": ("adcod,year,x\n440100,2011,1\n", {}, "columns are adcod, year, x; did you mean 'adcod'?"),
    "header row outside": (HEADER + TAIL, {"header_row": 40}, "header_row=40 is outside"),
    "mixed percent and plain": ("adcode,year,x\n440100,2011,44%\n440100,2012,0.5\n", {},
                                "'x' mixes percentages ('44%', row 2) and plain numbers ('0.5', row 3)"),
    "stray text in mostly-text column": ("adcode,year,x\n440100,2011,n.a.\n440100,2012,see note\n440300,2011,—\n"
                                         "440300,2012,5\n", {}, "'see note' at entity 440100, year 2012 (row 3)"),
    "totals refused": (HEADER + "440000,2011,9,广东省\n" + TAIL, {"totals": "refuse"},
                       "province or national total rows, not cities: rows 2 (id '440000')"),
    "swapped entity and time": ("adcode,year,x\n2011,440100,1\n2012,440100,2\n", {},
                                "indexed (time, entity); pass entity and time the other way round"),
    "time not years": ("adcode,year,x\n440100,20111,1\n", {}, "time column 'year' must hold integer years; found '20111' (row 2)"),
    "not text": (None, {}, "neither UTF-8 nor GB18030"),
}


@pytest.mark.parametrize("case", sorted(FAULTS))
def test_yearbook_faults_name_the_fault(tmp_path, case):
    text, kwargs, fragment = FAULTS[case]
    path = tmp_path / "panel.csv"
    if text is None:
        path.write_bytes(b"adcode,year,x\n\x81\xff\xfe,2011,1\n")
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(vagg.DataError) as info:
        read_panel(path, "adcode", "year", **kwargs)
    assert fragment in str(info.value)


def test_panel_indexed_time_entity_is_refused():
    from vagg.data import check_panel_index

    df = pd.DataFrame({"year": [2011, 2011, 2012, 2012], "adcode": ["440100", "440300"] * 2, "x": [1.0, 2, 3, 4]})
    with pytest.raises(vagg.DataError, match=r"looks indexed \(time, entity\).*swaplevel"):
        check_panel_index(df.set_index(["year", "adcode"]))
    with pytest.raises(vagg.DataError, match=r"indexed \(time, entity\)"):
        vagg.models.PanelFE.from_formula("x ~ w", df.set_index(["year", "adcode"]).assign(w=[1.0, 3, 2, 5])).fit()
    with pytest.raises(vagg.DataError, match=r"indexed \(time, entity\)"):  # pooled, clustered: never by year
        vagg.models.PanelFE.from_formula("x ~ w", df.set_index(["year", "adcode"]).assign(w=[1.0, 3, 2, 5]),
                                         effects="none").fit(cov="clustered")
    check_panel_index(df.set_index(["adcode", "year"]))


def test_province_level_cities_are_not_totals(tmp_path):
    path = tmp_path / "china.csv"
    path.write_text("adcode,year,x,province\n110000,2011,1,北京市\n310000,2011,2,上海市\n440100,2011,3,广东省\n"
                    "440300,2011,4,广东省\n440000,2011,9,广东省\n", encoding="utf-8")
    df = read_panel(path, "adcode", "year")
    assert df.index.get_level_values(0).tolist() == ["110000", "310000", "440100", "440300"]
    assert df.attrs["notes"] == ["1 province or national total row(s) dropped: rows 6 (id '440000')"]


def test_xlsx_with_merged_group_labels_units_row_and_footnote(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["表 3-1 各市主要经济指标", None, None, None])
    sheet.merge_cells("A1:D1")
    sheet.append([None, None, "经济", None])
    sheet.merge_cells("C2:D2")
    sheet.append(["adcode", "year", "gdp", "share"])
    sheet.append([None, None, "亿元", "%"])
    sheet.append([440100, "2011年", "7,596.2", "44.4%"])
    sheet.append([440100.0, 2012, 8000, "—"])
    sheet.append(["注：按当年价格计算", None, None, None])
    path = tmp_path / "yearbook.xlsx"
    book.save(path)
    df = read_panel(path, "adcode", "year")
    assert df.index.tolist() == [("440100", 2011), ("440100", 2012)]
    assert df["gdp"].tolist() == [7596.2, 8000.0]
    assert df["share"].iloc[0] == pytest.approx(0.444) and np.isnan(df["share"].iloc[1])
    notes = " | ".join(df.attrs["notes"])
    for fragment in ("header found in row 3", "row(s) 4 under the header", "footnote row(s) 7", "divided by 100"):
        assert fragment in notes, notes
