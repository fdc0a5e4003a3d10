"""read_panel / validate_panel / `vagg validate`: every bad input names its fault."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import vagg
from vagg.cli import main
from vagg.data import read_panel, validate_panel


def _good_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "adcode": ["440100", "440100", "440300", "440300"],
            "year": [2011, 2012, 2011, 2012],
            "x": [1.5, 2.5, 3.5, 4.5],
            "name": ["Guangzhou", "Guangzhou", "Shenzhen", "Shenzhen"],
        }
    )


def _write_csv(tmp_path, text: str, name: str = "panel.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD_CSV = "adcode,year,x\n440100,2011,1.5\n440100,2012,2.5\n440300,2011,3.5\n440300,2012,4.5\n"

BAD_CSV_CASES = {
    "duplicate pairs": ("adcode,year,x\n440100,2011,1\n440100,2011,2\n440300,2011,3\n", ["duplicate", "(440100, 2011)"]),
    "text in numeric": ("adcode,year,x\n440100,2011,1\n440100,2012,\"1.234,5\"\n440300,2011,3\n440300,2012,4\n",
                        ["'x'", "'1.234,5'", "440100", "2012"]),
    "unknown code": ("adcode,year,x\n440100,2011,1\n440100,2012,tbd\n440300,2011,3\n440300,2012,4\n",
                     ["'x'", "'tbd'", "440100", "2012", "na_values"]),
    "non-integer year": ("adcode,year,x\n440100,2011.5,1\n440300,2011,3\n", ["integer years", "'2011.5'"]),
    "text year": ("adcode,year,x\n440100,y2011,1\n440300,2011,3\n", ["integer years", "'y2011'"]),
    "missing entity": ("adcode,year,x\n,2011,1\n440300,2011,3\n", ["missing ids", "row"]),
    "infinite": ("adcode,year,x\n440100,2011,inf\n440300,2011,3\n", ["infinite", "'x'", "440100"]),
    "duplicate columns": ("adcode,year,x,x\n440100,2011,1,2\n", ["duplicate column", "x"]),
    "no entity column": ("city,year,x\n440100,2011,1\n", ["entity column 'adcode'"]),
    "no time column": ("adcode,yr,x\n440100,2011,1\n", ["time column 'year'"]),
    "empty": ("", ["empty"]),
    "header only": ("adcode,year,x\n", ["no rows"]),
}


@pytest.mark.parametrize("case", sorted(BAD_CSV_CASES))
def test_bad_csv_is_refused_by_name(tmp_path, case):
    text, fragments = BAD_CSV_CASES[case]
    path = _write_csv(tmp_path, text)
    with pytest.raises(vagg.DataError) as info:
        read_panel(path, "adcode", "year")
    for fragment in fragments:
        assert fragment in str(info.value), (case, str(info.value))
    # the same fault through the command line: message, exit 2, no traceback
    result = CliRunner().invoke(main, ["validate", str(path), "--entity", "adcode", "--time", "year"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output


def test_missing_file_and_extension(tmp_path):
    with pytest.raises(vagg.DataError, match="not found"):
        read_panel(tmp_path / "nope.csv", "adcode", "year")
    bad = _write_csv(tmp_path, GOOD_CSV, "panel.txt")
    with pytest.raises(vagg.DataError, match="unsupported file type '.txt'"):
        read_panel(bad, "adcode", "year")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "nope.csv"), "--entity", "a", "--time", "t"])
    assert result.exit_code == 2 and "not found" in result.output


def test_good_csv_loads_with_types_and_missing_report(tmp_path):
    path = _write_csv(tmp_path, "adcode,year,x,y\n440300,2012,4.5,\n440100,2011,1.5,2\n440100,2012,2.5,3\n440300,2011,3.5,4\n")
    df = read_panel(path, "adcode", "year")
    assert list(df.index.names) == ["adcode", "year"]
    assert df.index.get_level_values(0).tolist() == ["440100", "440100", "440300", "440300"]  # sorted
    assert df.index.get_level_values(1).dtype == np.int64
    assert df.loc[("440100", 2012), "x"] == 2.5
    assert df.attrs["missing"] == {"y": 1}
    assert np.isnan(df.loc[("440300", 2012), "y"])


@pytest.mark.parametrize("suffix", [".xlsx", ".dta", ".parquet"])
def test_other_formats_round_trip(tmp_path, suffix):
    frame = _good_frame()
    path = tmp_path / f"panel{suffix}"
    if suffix == ".xlsx":
        frame.to_excel(path, index=False)
    elif suffix == ".dta":
        frame.to_stata(path, write_index=False)
    else:
        frame.to_parquet(path, index=False)
    df = read_panel(path, "adcode", "year")
    assert df["x"].tolist() == [1.5, 2.5, 3.5, 4.5]
    assert df.index.get_level_values(0).tolist() == ["440100", "440100", "440300", "440300"]
    assert df["name"].tolist()[0] == "Guangzhou"


def test_numeric_adcodes_become_text(tmp_path):
    frame = _good_frame()
    frame["adcode"] = frame["adcode"].astype(int)
    path = tmp_path / "panel.xlsx"
    frame.to_excel(path, index=False)
    df = read_panel(path, "adcode", "year")
    assert set(df.index.get_level_values(0)) == {"440100", "440300"}


def test_text_in_numeric_excel_cell_names_row(tmp_path):
    frame = _good_frame().astype({"x": object})
    frame.loc[3, "x"] = "see note"
    path = tmp_path / "panel.xlsx"
    frame.to_excel(path, index=False)
    with pytest.raises(vagg.DataError, match=r"'x'.*'see note' at entity 440300, year 2012 \(row 5\)"):
        read_panel(path, "adcode", "year")


def test_validate_panel_names_missing_city_years(tmp_path):
    path = _write_csv(tmp_path, "adcode,year,x\n440100,2011,1\n440100,2012,2\n440300,2011,3\n")
    df = read_panel(path, "adcode", "year")
    with pytest.raises(vagg.DataError, match=r"unbalanced.*\(440300, 2012\)"):
        validate_panel(df, balanced=True)
    validate_panel(df, balanced=False)
    result = CliRunner().invoke(main, ["validate", str(path), "--entity", "adcode", "--time", "year"])
    assert result.exit_code == 0
    assert "balanced: no (1 missing city-years: (440300, 2012))" in result.output
    result = CliRunner().invoke(main, ["validate", str(path), "--entity", "adcode", "--time", "year", "--balanced"])
    assert result.exit_code == 2 and "(440300, 2012)" in result.output


def test_validate_panel_required_columns():
    df = _good_frame().set_index(["adcode", "year"])
    with pytest.raises(vagg.DataError, match="not in the data: z"):
        validate_panel(df, required=["z"])
    with pytest.raises(vagg.DataError, match="'name' is not numeric"):
        validate_panel(df, required=["name"])
    df.loc[("440100", 2011), "x"] = np.nan
    with pytest.raises(vagg.DataError, match=r"'x' has 1 missing value\(s\), at \('440100', 2011\)"):
        validate_panel(df, required=["x"])
    with pytest.raises(vagg.DataError, match="indexed by \\(entity, time\\)"):
        validate_panel(_good_frame())


def test_validate_command_summary(tmp_path):
    path = _write_csv(tmp_path, "adcode,year,x,y\n440100,2011,1,\n440100,2012,2,1\n440300,2011,3,2\n440300,2012,4,3\n")
    result = CliRunner().invoke(main, ["validate", str(path), "--entity", "adcode", "--time", "year"])
    assert result.exit_code == 0, result.output
    assert "entities: 2" in result.output
    assert "years: 2011-2012 (2)" in result.output
    assert "balanced: yes" in result.output
    assert "y: 1" in result.output


def test_errors_are_value_errors():
    assert issubclass(vagg.DataError, ValueError)
    assert issubclass(vagg.SpecificationError, ValueError)


def test_duplicate_columns_in_excel(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["adcode", "year", "gdp", "gdp"])
    sheet.append(["440100", 2011, 1.0, 2.0])
    path = tmp_path / "dup.xlsx"
    book.save(path)
    with pytest.raises(vagg.DataError, match="duplicate column names.*gdp"):
        read_panel(path, "adcode", "year")
