"""Reading tables as they come out of statistical yearbooks and databases.

A yearbook export is rarely a clean rectangle.  This module turns a file into
a flat :class:`pandas.DataFrame` of cells plus a list of *notes* (what was
repaired), and refuses what it cannot repair with a :class:`vagg.DataError`
naming the cell:

- encodings: UTF-8 (with or without BOM), else GB18030 (a superset of GBK and
  GB2312), for data files and for TOML configs (:func:`read_text`);
- formats: csv (comma, tab or semicolon), xlsx and legacy xls (``python-calamine``), an HTML table
  (``lxml``) or an xlsx saved as ``.xls``,
  Stata dta, parquet;
- layout: title rows and merged group-label rows above the header are found
  by locating the row that names the entity and time columns (or given by
  ``header_row``); a units row under the header (no year, no id) is dropped
  with a note; ``skip_rows`` drops rows by position; footnote rows at the
  bottom (one filled cell) are dropped with a note;
- cells: placeholders (:data:`NA_TOKENS` plus ``na_values``) are missing,
  full-width characters are folded (Unicode NFKC), thousands separators
  (``"7,596.2"``) are removed, percentages (``"44.4%"``) are divided by 100
  with a note, and years such as ``"2011年"`` or ``2011.0`` become integers
  (ids: :func:`vagg.data.ids.normalise_ids`, built on :func:`cell_texts`).

Rows are reported by their line (csv) or row (spreadsheet) number in the file.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from vagg._errors import DataError

SUPPORTED_EXTENSIONS = (".csv", ".xlsx", ".xls", ".dta", ".parquet")
#: cells read as missing values (after stripping blanks); ``na_values`` adds to them
NA_TOKENS = ("", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", ".", "n.a.", "N.A.", "na", "-", "--",
             "—", "——", "–", "…", "……", "...", "－", "/")
#: encodings tried in order for text files: UTF-8 (a BOM is dropped), then GB18030 (covers GBK and GB2312)
ENCODINGS = ("utf-8-sig", "gb18030")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_YEAR_SUFFIX = re.compile(r"^\s*(\d{4})(\.0+)?\s*(年|年度)?\s*$")
_INT_FLOAT = re.compile(r"^([+-]?\d+)\.0+$")
_HEADER_SEARCH_ROWS = 30
_MAX_LISTED = 10


def listing(items: Iterable[object]) -> str:
    """Join up to ten items for an error message, saying how many more there are."""
    items = list(items)
    shown = ", ".join(str(i) for i in items[:_MAX_LISTED])
    more = len(items) - _MAX_LISTED
    return shown + (f" (and {more} more)" if more > 0 else "")


def decode(data: bytes, source: str) -> tuple[str, str]:
    """Text of a file's bytes and the encoding that read it (UTF-8 with or without BOM, else GB18030)."""
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise DataError(f"{source} is neither UTF-8 nor GB18030/GBK text; save it as UTF-8")


def read_text(path: str | os.PathLike[str]) -> str:
    """A text file (a TOML config, an indicator system) in UTF-8, UTF-8 with BOM, GBK or GB18030."""
    return decode(Path(path).read_bytes(), str(path))[0]


def _fold(text: str) -> str:
    """Full-width digits, signs and separators folded to ASCII; a Unicode minus becomes '-'."""
    return unicodedata.normalize("NFKC", text).replace("\u2212", "-").strip()


def _xls_kind(path: Path) -> str:
    """How a ``.xls`` file is really stored: 'xls' (BIFF), 'xlsx' (zip) or 'html'."""
    head = path.read_bytes()[:512]
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"PK"):
        return "xlsx"
    if b"<" in head.lstrip()[:1] or b"<table" in head.lower() or b"<html" in head.lower():
        return "html"
    return "text"


def read_grid(path: Path, sheet: str | int | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Every cell of the file's first (or named) sheet, no header assumed, and notes on how it was read."""
    suffix = path.suffix.lower()
    notes: list[str] = []
    if suffix == ".xls":
        kind = _xls_kind(path)
        if kind in ("html", "text"):
            text, encoding = decode(path.read_bytes(), str(path))
            if kind == "text":
                notes.append(f"{path.name} is delimited text saved as .xls; read as text")
                return _read_delimited(text), notes
            notes.append(f"{path.name} is an HTML table saved as .xls; read its first table")
            tables = pd.read_html(io.StringIO(text), header=None)
            grid = tables[0]
            if isinstance(grid.columns, pd.MultiIndex) or not isinstance(grid.columns, pd.RangeIndex):
                grid = pd.concat([grid.columns.to_frame().T.reset_index(drop=True), grid], ignore_index=True)
                grid.columns = range(grid.shape[1])
            return grid.astype(object), notes
        if kind == "xlsx":
            notes.append(f"{path.name} is an xlsx workbook saved as .xls; read as xlsx")
    if suffix in (".xls", ".xlsx"):
        return pd.read_excel(path, header=None, dtype=object, sheet_name=sheet or 0, engine="calamine"), notes
    text, encoding = decode(path.read_bytes(), str(path))
    if encoding != "utf-8-sig":
        notes.append(f"{path.name} read as {encoding.upper()} (Chinese GBK/GB18030 encoding)")
    return _read_delimited(text), notes


def _read_delimited(text: str) -> pd.DataFrame:
    """Cells of delimited text: comma-separated, or tab / semicolon when the first line has no comma."""
    first = text.lstrip().split("\n", 1)[0]
    sep = "," if "," in first or not ("\t" in first or ";" in first) else ("\t" if "\t" in first else ";")
    return pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False, sep=sep)


def cell_texts(values: pd.Series) -> pd.Series:
    """Cells as folded text, vectorised: '' for a missing cell, NFKC-folded (full-width digits and
    signs become ASCII), a Unicode minus as '-', no surrounding blanks, ``440100.0`` as ``440100``."""
    text = values.astype("string").fillna("")
    text = text.str.normalize("NFKC").str.replace("\u2212", "-", regex=False).str.strip()
    return text.str.replace(_INT_FLOAT, r"\1", regex=True).astype(object)


def locate_header(
    grid: pd.DataFrame,
    entity: str,
    time: str,
    source: str,
    header_row: int | None = None,
    skip_rows: Iterable[int] = (),
) -> tuple[pd.DataFrame, pd.Index, list[str]]:
    """Cut a grid of cells into a header and data rows.

    Parameters
    ----------
    grid
        Cells without a header (:func:`read_grid`).
    header_row
        0-based row of the column names; when ``None`` it is the first row
        among the first 30 that names both ``entity`` and ``time`` (rows above
        it are titles or merged group labels, dropped with a note).
    skip_rows
        0-based rows to drop (a units row, a subtotal).

    Returns
    -------
    The data rows with string column names, their row numbers in the file
    (1-based), and notes.
    """
    notes: list[str] = []
    texts = grid.apply(cell_texts)
    skip = {int(r) for r in skip_rows}
    if header_row is None:
        header_row = 0
        for r in range(min(len(texts), _HEADER_SEARCH_ROWS)):
            cells = set(texts.iloc[r])
            if entity in cells and time in cells:
                header_row = r
                break
        if header_row > 0:
            above = ["; ".join(c for c in texts.iloc[r] if c) for r in range(header_row)]
            notes.append(f"header found in row {header_row + 1}; {header_row} row(s) above it skipped "
                         f"(titles or group labels: {listing(repr(a) for a in above)})")
    elif not 0 <= header_row < len(texts):
        raise DataError(f"header_row={header_row} is outside {source}, which has {len(texts)} rows")
    header = [c if c else f"Unnamed: {k}" for k, c in enumerate(texts.iloc[header_row])]
    positions = np.arange(len(texts))
    keep = (positions > header_row) & ~np.isin(positions, sorted(skip))
    body = grid.loc[keep].copy()
    body.columns = header
    rows = pd.Index(np.flatnonzero(keep) + 1)
    # drop wholly empty rows and columns (spreadsheet padding)
    filled = texts.loc[keep].to_numpy() != ""
    nonempty_rows = filled.any(axis=1)
    body, rows, filled = body.loc[nonempty_rows], rows[nonempty_rows], filled[nonempty_rows]
    empty_cols = [k for k, name in enumerate(header) if name.startswith("Unnamed: ") and not filled[:, k].any()]
    body = body.drop(columns=[header[k] for k in empty_cols])
    header = [h for k, h in enumerate(header) if k not in empty_cols]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        raise DataError(f"duplicate column names in {source}: {listing(duplicated)}")
    return body.reset_index(drop=True), rows, notes


def drop_layout_rows(body: pd.DataFrame, rows: pd.Index, entity: str, time: str,
                     na_values: Iterable[str] = ()) -> tuple[pd.DataFrame, pd.Index, list[str]]:
    """Drop a units row under the header and footnote rows at the bottom, with notes.

    A units row is a leading row with no parseable year and no entity id (``"亿元"``, ``"%"``
    under the column names).  A footnote row is a trailing row with no year (``"注：..."``,
    ``"资料来源：..."``).
    """
    notes: list[str] = []
    if body.empty or entity not in body.columns or time not in body.columns:
        return body, rows, notes
    missing = [*NA_TOKENS, *(str(v) for v in na_values)]
    texts = body.apply(cell_texts)
    has_year = texts[time].str.match(_YEAR_SUFFIX).to_numpy(dtype=bool)
    ids = texts[entity]
    filled = (texts != "").sum(axis=1).to_numpy()
    no_id = ids.isin(missing).to_numpy()
    drop = np.zeros(len(body), dtype=bool)
    k = 0
    while k < len(body) and not has_year[k] and (no_id[k] or ids.iloc[k] in ("单位", "unit", "units")):
        drop[k] = True
        k += 1
    if k:
        shown = ["; ".join(t for t in texts.iloc[i] if t) for i in range(k)]
        notes.append(f"row(s) {listing(rows[:k])} under the header hold no id and no year (units: "
                     f"{listing(repr(s) for s in shown)}); skipped")
    j = len(body)
    while j > k and not has_year[j - 1] and filled[j - 1] <= 1:
        j -= 1
        drop[j] = True
    if j < len(body):
        notes.append(f"footnote row(s) {listing(rows[j:])} at the bottom skipped")
    return body.loc[~drop].reset_index(drop=True), rows[~drop], notes


def parse_years(values: pd.Series, rows: pd.Index, time: str) -> pd.Series:
    """Integer years from ``2011``, ``2011.0``, ``"2011"``, ``"2011年"``, ``"２０１１"``; others refused by row."""
    texts = cell_texts(values)
    missing = texts.isin(NA_TOKENS).to_numpy()
    if missing.any():
        raise DataError(f"time column {time!r} has missing years in rows {listing(rows[missing])}")
    matched = texts.str.extract(_YEAR_SUFFIX)[0]
    bad = matched.isna().to_numpy()
    if bad.any():
        shown = [f"{values.iloc[i]!r} (row {rows[i]})" for i in np.flatnonzero(bad)]
        raise DataError(f"time column {time!r} must hold integer years; found {listing(shown)}")
    return matched.astype(np.int64)


def coerce_numeric(df: pd.DataFrame, rows: pd.Index, na_values: Iterable[str] = (),
                   strict: bool = True) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """Turn text columns that hold numbers into floats, refusing stray text.

    Each cell is folded (NFKC), placeholders become missing, thousands
    separators are removed and ``"44.4%"`` becomes 0.444.  A column with at
    least one number is numeric, and then every other cell must parse: one
    that does not is an error naming the column, value, entity, year and row.
    Columns without any number (names, region labels) stay text.  A column
    that mixes percentages and plain numbers is refused (its scale is unclear).
    With ``strict=False`` such faulty columns are kept as text instead, and
    the third return value maps each to the error it would have raised (so a
    caller can refuse only the columns it uses).
    """
    out = df.copy()
    notes: list[str] = []
    faults: dict[str, str] = {}
    missing = [*NA_TOKENS, *(_fold(str(v)) for v in na_values)]
    entities = df.index.get_level_values(0)
    years = df.index.get_level_values(1)
    for column in df.columns:
        series = df[column]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            out[column] = series.astype(float)
            continue
        texts = cell_texts(series)
        absent = texts.isin(missing).to_numpy()
        percent = texts.str.endswith("%").to_numpy() & ~absent
        core = texts.str.rstrip("%").str.strip()
        thousands = core.str.match(_THOUSANDS).to_numpy() & ~absent
        core = core.where(~thousands, core.str.replace(",", "", regex=False))
        parsed = pd.to_numeric(core.where(~absent), errors="coerce").to_numpy(dtype=float)
        ok = ~np.isnan(parsed) | absent
        if (~absent & ~np.isnan(parsed)).sum() == 0:
            if absent.all():
                out[column] = np.full(len(series), np.nan)
            continue
        fault = None
        plain = ~absent & ~percent
        if not ok.all():
            shown = [f"{series.iloc[i]!r} at entity {entities[i]}, year {years[i]} (row {rows[i]})"
                     for i in np.flatnonzero(~ok)]
            fault = (f"column {column!r} holds text where numbers are expected: {listing(shown)}; "
                     "fix these cells or name the placeholder in na_values")
        elif percent.any() and plain.any():
            i, j = np.flatnonzero(percent)[0], np.flatnonzero(plain)[0]
            fault = (f"column {column!r} mixes percentages ({series.iloc[i]!r}, row {rows[i]}) and plain "
                     f"numbers ({series.iloc[j]!r}, row {rows[j]}); write it on one scale")
        if fault is not None:
            if strict:
                raise DataError(fault)
            faults[str(column)] = fault
            notes.append(f"left as text: {fault}")
            continue
        if percent.any():
            parsed = np.where(percent, parsed / 100.0, parsed)
            notes.append(f"column {column!r}: {int(percent.sum())} percentage(s) such as {series[percent].iloc[0]!r} "
                         "divided by 100")
        if thousands.any():
            notes.append(f"column {column!r}: thousands separators removed from {int(thousands.sum())} cell(s)")
        out[column] = parsed
    return out, notes, faults


#: names of aggregate rows (province, nation, totals) in a yearbook table
_TOTAL_WORDS = (r"全省|全国|全市|全区|合计|总计|共计|小计|总体|全省合计|全国合计|地区合计|"
                r"total|totals|grand total|sum|national|nationwide|all cities|.{0,8}(合计|总计|小计)")
_TOTAL_NAME = re.compile(rf"^({_TOTAL_WORDS})$", re.IGNORECASE)
#: an id that is a province name, or an adcode ending in 0000 (a province; 100000 the nation), except the
#: province-level cities Beijing, Tianjin, Shanghai, Chongqing (110000, 120000, 310000, 500000) and Taiwan,
#: Hong Kong, Macao (710000, 810000, 820000), which city panels hold as cities
_TOTAL_ID = re.compile(rf"^((?!11|12|31|50|71|81|82)\d{{2}}0000|.{{1,8}}省|{_TOTAL_WORDS})$", re.IGNORECASE)


def total_rows(ids: pd.Series, frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Rows that look like province or national totals, and why.

    An id that is an adcode ending in 0000 (a province, 100000 the nation; not
    the province-level cities such as Beijing, 110000) or a province name (广东省), or an id or text cell that reads 全省, 全国, 合计,
    总计, "Total" and the like.  A text column in which most rows match (a
    province column of an all-China panel) is not read as totals.
    """
    id_text = ids.astype(str)
    mask = np.array(id_text.str.match(_TOTAL_ID), dtype=bool)
    reasons = [f"id {v!r}" for v in id_text[mask].unique()]
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series):
            continue
        texts = cell_texts(series)
        hit = np.array(texts.str.match(_TOTAL_NAME), dtype=bool)
        if hit.mean() > 0.5:
            continue
        hit = hit & ~mask
        if hit.any():
            reasons += [f"{column} {v!r}" for v in texts[hit].unique()]
            mask = mask | hit
    return mask, reasons
