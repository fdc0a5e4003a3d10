"""One id rule (vagg.data.ids.normalise_ids) for every entry point: a documented table, a brute-force
per-cell twin over a generated grid of cells, and panels and weights files that write the same ids in
different forms and must align."""

from __future__ import annotations

import math
import unicodedata
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
import pytest

from vagg import DataError
from vagg.data import normalise_id, normalise_ids, read_panel
from vagg.data.readers import NA_TOKENS
from vagg.weights import from_spec, read_edges, read_matrix, read_weights, to_sparse
from vagg.weights.files import read_boundaries

MISSING = "<missing>"
REFUSED = "<refused>"

#: (cell, documented output): the inputs of the two former functions and their edge cases
TABLE = [
    (440100, "440100"),
    (440100.0, "440100"),
    (np.int64(440100), "440100"),
    (np.int32(440100), "440100"),
    (np.float64(440100.0), "440100"),
    (" 440100 ", "440100"),
    ("\t440100\n", "440100"),
    ("４４０１００", "440100"),                 # full-width digits
    ("\u3000４４０１００\u3000", "440100"),    # ideographic blanks around them
    ("440100.0", "440100"),
    ("４４０１００．０", "440100"),
    ("440100.00", "440100"),
    ("440100.", "440100"),
    ("0101", "0101"),                          # leading zeros of a text code are kept
    ("０１０１", "0101"),
    ("0101.0", "0101"),
    (101, "101"),
    ("广州市", "广州市"),
    (" 广州市 ", "广州市"),
    ("延边朝鲜族自治州", "延边朝鲜族自治州"),
    ("Guangzhou", "Guangzhou"),
    (np.nan, MISSING),
    (None, MISSING),
    (pd.NA, MISSING),
    ("", MISSING),
    ("  ", MISSING),
    ("n.a.", MISSING),
    ("NA", MISSING),
    ("-", MISSING),
    ("－", MISSING),                           # a full-width hyphen folds to the placeholder "-"
    ("—", MISSING),
    (440100.5, REFUSED),
    ("440100.50", REFUSED),
    ("440100.5", REFUSED),
    ("４４０１００．５", REFUSED),
    (np.float64(0.25), REFUSED),
    ("4.401e5", REFUSED),                       # exponent form hides the digits
    (1e20, REFUSED),                            # written by pandas as "1e+20"
    (float("inf"), REFUSED),
    ("-inf", REFUSED),
]


def test_documented_table_vectorised_and_scalar():
    kept = [(cell, out) for cell, out in TABLE if out != REFUSED]
    got = normalise_ids([cell for cell, _ in kept])
    assert got.dtype == object and all(isinstance(v, float) and math.isnan(v) for v in got[got.isna()])
    assert [MISSING if pd.isna(g) else g for g in got] == [out for _, out in kept]
    for cell, out in TABLE:
        if out in (MISSING, REFUSED):  # the scalar wrapper requires an id
            with pytest.raises(DataError, match="whole number" if out == REFUSED else "missing id") as info:
                normalise_id(cell)
            assert repr(cell) in str(info.value)
        else:
            assert normalise_id(cell) == out
    for cell, out in TABLE:
        if out == REFUSED:  # refused among good ids too, naming the value and its position
            with pytest.raises(DataError, match="not whole numbers") as info:
                normalise_ids(["440100", cell, "440300"])
            assert f"{cell!r} (position 2)" in str(info.value)


def test_typed_columns_and_an_index_give_the_same_ids():
    floats = pd.Series([440100.0, np.nan, 440300.0], index=[7, 8, 9])
    assert floats.dtype == float
    out = normalise_ids(floats)
    assert list(out.index) == [7, 8, 9] and out[7] == "440100" and out[9] == "440300" and pd.isna(out[8])
    assert normalise_ids(pd.Series([440100, 440300], dtype="int64")).tolist() == ["440100", "440300"]
    assert normalise_ids(pd.Series(["４４０１００", None], dtype="string")).tolist()[0] == "440100"
    assert normalise_ids(pd.Index([440100.0, 440300.0])).tolist() == ["440100", "440300"]


def test_required_names_the_rows_and_the_label():
    cells = pd.Series(["440100", None, "n.a.", "440300"], dtype=object)
    assert normalise_ids(cells).isna().tolist() == [False, True, True, False]
    with pytest.raises(DataError, match=r"w\.csv column 1: missing id .*None \(row 3\), 'n\.a\.' \(row 4\)"):
        normalise_ids(cells, required=True, label="w.csv column 1", rows=[2, 3, 4, 5])


def reference_id(cell: object) -> str:
    """The documented rule written cell by cell, independently of the vectorised code."""
    if cell is None or cell is pd.NA or (isinstance(cell, float) and math.isnan(cell)):
        return MISSING
    if isinstance(cell, (int, np.integer)):
        return str(int(cell))
    if isinstance(cell, (float, np.floating)):
        return str(int(cell)) if math.isfinite(cell) and float(cell).is_integer() and abs(cell) < 1e16 else REFUSED
    text = unicodedata.normalize("NFKC", str(cell)).strip()
    if text in NA_TOKENS:
        return MISSING
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if "e" in text.lower() or not number.is_finite() or number != number.to_integral_value():
        return REFUSED
    return text.split(".")[0]


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def generated_cells() -> list[object]:
    """Every form a code can take in a yearbook, a Stata export or a weights file, and names and gaps."""
    cells: list[object] = []
    for code in ("440100", "0101", "500100", "7"):
        number = int(code)
        cells += [number, float(number), np.int64(number), np.float64(number), code, full_width(code),
                  code + ".0", code + ".00", code + ".", full_width(code + ".0"), f" {code} ", f"\u3000{code}\t",
                  code + ".5", float(number) + 0.25, code + "e0", "+" + code]
    cells += ["广州市", " 深圳市 ", "延边州", "Foshan", "A-1", "1.2.3", "4401-00", None, np.nan, pd.NA, "", " ",
              "n.a.", "N/A", "…", "－", "inf", "1E3"]
    return cells


def test_vectorised_rule_equals_the_cell_by_cell_twin():
    cells = generated_cells()
    order = np.random.default_rng(20).permutation(len(cells))
    cells = [cells[k] for k in order]
    expected = [reference_id(c) for c in cells]
    assert expected.count(REFUSED) >= 12 and expected.count(MISSING) >= 8  # the grid reaches every branch
    good = [k for k, e in enumerate(expected) if e != REFUSED]
    column = pd.Series([cells[k] for k in good], dtype=object)
    got = normalise_ids(column)
    assert [MISSING if pd.isna(g) else g for g in got] == [expected[k] for k in good]
    for k in (k for k, e in enumerate(expected) if e == REFUSED):
        with pytest.raises(DataError, match="not whole numbers") as info:
            normalise_ids(pd.Series([*column, cells[k]], dtype=object))
        assert repr(cells[k]) in str(info.value)


# --- end to end: a panel and a weights file that write the same ids differently must align -------------------

CODES = ["440100", "440300", "440600"]
#: a weights matrix in the file's order (440600, 440100, 440300), unstandardised
FILE_ORDER = [2, 0, 1]
MATRIX = np.array([[0.0, 2.0, 0.5], [2.0, 0.0, 1.0], [0.5, 1.0, 0.0]])


def write_panel(path, ids) -> None:
    frame = pd.DataFrame({"city": np.repeat(ids, 2), "year": [2011, 2012] * 3, "y": np.arange(6.0)})
    if path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False)


def expected_in_panel_order() -> np.ndarray:
    """MATRIX relabelled: entry (a, b) of the file is the weight between CODES[FILE_ORDER[a]] and [b]."""
    out = np.zeros((3, 3))
    out[np.ix_(FILE_ORDER, FILE_ORDER)] = MATRIX
    return out


@pytest.mark.parametrize("panel_form, file_form, suffix", [
    ("full-width", "float", ".csv"),
    ("full-width", "float", ".xlsx"),
    ("float", "full-width", ".csv"),
    ("text .0", "int", ".csv"),
])
def test_panel_and_matrix_file_align(tmp_path, panel_form, file_form, suffix):
    forms = {"full-width": [f"\u3000{full_width(c)} " for c in CODES], "float": [float(c) for c in CODES],
             "text .0": [c + ".0" for c in CODES], "int": [int(c) for c in CODES]}
    write_panel(tmp_path / "panel.csv", forms[panel_form])
    panel = read_panel(tmp_path / "panel.csv", "city", "year")
    ids = list(panel.index.get_level_values(0).unique())
    assert ids == CODES
    file_ids = [forms[file_form][k] for k in FILE_ORDER]
    frame = pd.DataFrame(MATRIX, index=pd.Index(file_ids, name="id"), columns=file_ids)
    path = tmp_path / f"w{suffix}"
    frame.to_excel(path) if suffix == ".xlsx" else frame.to_csv(path)
    expected = expected_in_panel_order()
    for w in (read_matrix(path, standardise="none"), read_weights(path, standardise="none")):
        np.testing.assert_array_equal(to_sparse(w, ids).toarray(), expected)
    through_spec = from_spec({"source": str(path), "standardise": "none"}, ids)
    assert list(through_spec.id_order) == CODES
    np.testing.assert_array_equal(to_sparse(through_spec, ids).toarray(), expected)


def test_panel_xlsx_with_float_ids_and_full_width_edge_list_align(tmp_path):
    write_panel(tmp_path / "panel.xlsx", [float(c) for c in CODES])
    panel = read_panel(tmp_path / "panel.xlsx", "city", "year")
    ids = list(panel.index.get_level_values(0).unique())
    assert ids == CODES
    file_codes = [CODES[k] for k in FILE_ORDER]
    edges = pd.DataFrame([(full_width(file_codes[a]), f" {file_codes[b]}.0", MATRIX[a, b])
                          for a in range(3) for b in range(a + 1, 3)], columns=["a", "b", "w"])
    path = tmp_path / "edges.csv"
    edges.to_csv(path, index=False)
    expected = expected_in_panel_order()
    for w in (read_edges(path, standardise="none"), read_weights(path, standardise="none"),
              read_edges(path, ids=[float(c) for c in CODES], standardise="none")):
        np.testing.assert_array_equal(to_sparse(w, ids).toarray(), expected)


def test_boundary_file_with_full_width_ids_aligns_with_a_float_id_panel(tmp_path):
    geopandas = pytest.importorskip("geopandas")
    from shapely.geometry import box

    write_panel(tmp_path / "panel.csv", [c + ".0" for c in CODES])
    ids = list(read_panel(tmp_path / "panel.csv", "city", "year").index.get_level_values(0).unique())
    squares = [box(k, 0, k + 1, 1) for k in range(3)]  # in a row: 440100 - 440300 - 440600
    gdf = geopandas.GeoDataFrame({"code": [full_width(c) for c in CODES]}, geometry=squares, crs="EPSG:4326")
    path = tmp_path / "cities.geojson"
    gdf.to_file(path, driver="GeoJSON")
    w = from_spec({"source": str(path), "id": "code", "kind": "rook", "standardise": "none"}, ids)
    np.testing.assert_array_equal(to_sparse(w, ids).toarray(), [[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    assert list(read_boundaries(path, "code").index) == CODES


def test_bad_ids_are_refused_by_every_reader_naming_the_value_and_row(tmp_path):
    write_panel(tmp_path / "panel.csv", ["440100", "440300.5", "440600"])
    with pytest.raises(DataError, match=r"entity column 'city'.*'440300\.5' \(row 4\)"):
        read_panel(tmp_path / "panel.csv", "city", "year")
    write_panel(tmp_path / "gap.csv", ["440100", "n.a.", "440600"])
    with pytest.raises(DataError, match=r"entity column 'city' has missing ids in rows 4, 5"):
        read_panel(tmp_path / "gap.csv", "city", "year")
    pd.DataFrame({"a": ["440100", "n.a."], "b": ["440300", "440600"]}).to_csv(tmp_path / "e.csv", index=False)
    with pytest.raises(DataError, match=r"e\.csv column 1: missing id .*\(row 3\)"):
        read_edges(tmp_path / "e.csv")
