"""Reading and validating city-year panels.

A panel is a :class:`pandas.DataFrame` indexed by a two-level
``MultiIndex`` (entity, time), entity ids as text and years as integers, the
convention of linearmodels.  Every check here raises :class:`vagg.DataError`
with a message that names the column, entity, year or row at fault.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from vagg._errors import DataError

SUPPORTED_EXTENSIONS = (".csv", ".xlsx", ".xls", ".dta", ".parquet")
_NA_TOKENS = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "."]
_MAX_LISTED = 10


def _listing(items: Sequence[object]) -> str:
    """Join up to ``_MAX_LISTED`` items for an error message."""
    items = list(items)
    shown = ", ".join(str(i) for i in items[:_MAX_LISTED])
    more = len(items) - _MAX_LISTED
    return shown + (f" (and {more} more)" if more > 0 else "")


def _raw_header(path: Path, suffix: str) -> list[str]:
    """Column names as written in the file, before pandas de-duplicates them."""
    if suffix == ".csv":
        header = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False)
        return [str(v) for v in header.iloc[0].tolist()]
    if suffix in (".xlsx", ".xls"):
        header = pd.read_excel(path, header=None, nrows=1, dtype=str)
        return [str(v) for v in header.iloc[0].tolist()]
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    return []  # Stata forbids duplicate variable names


def _read_raw(path: Path, suffix: str) -> pd.DataFrame:
    if suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=_NA_TOKENS)
    if suffix in (".xlsx", ".xls"):
        return pd.read_excel(path, dtype=object, na_values=_NA_TOKENS)
    if suffix == ".dta":
        return pd.read_stata(path, convert_categoricals=False)
    return pd.read_parquet(path)


def _normalise_ids(values: pd.Series) -> pd.Series:
    """Entity ids as text: 440100, 440100.0 and "440100" are the same city."""

    def one(v: object) -> object:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return np.nan
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        text = str(v).strip()
        return text if text else np.nan

    return values.map(one).astype(object)


def _parse_years(values: pd.Series, rows: pd.Index, time: str) -> pd.Series:
    numeric = pd.to_numeric(values, errors="coerce")
    missing = values.isna()
    if missing.any():
        raise DataError(f"time column {time!r} has missing years in rows {_listing(rows[missing.to_numpy()])}")
    bad = numeric.isna() | (np.floor(numeric) != numeric)
    if bad.any():
        shown = [f"{values.iloc[i]!r} (row {rows[i]})" for i in np.flatnonzero(bad.to_numpy())]
        raise DataError(f"time column {time!r} must hold integer years; found {_listing(shown)}")
    return numeric.astype(np.int64)


def _coerce_numeric(df: pd.DataFrame, rows: pd.Index) -> pd.DataFrame:
    """Turn text columns that hold numbers into floats, refusing stray text.

    A column is taken as numeric when at least half of its non-missing cells
    parse as numbers; any cell that does not (``"1,234.5"``, ``"n.a."``) is
    then an error naming the column, the value, the entity and the year.
    Columns that are mostly text (names, region labels) stay text.
    """
    out = df.copy()
    entities = df.index.get_level_values(0)
    years = df.index.get_level_values(1)
    for column in df.columns:
        series = df[column]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            continue
        present = series.notna().to_numpy()
        if not present.any():
            out[column] = pd.to_numeric(series, errors="coerce").astype(float)
            continue
        parsed = pd.to_numeric(series.astype(object).map(lambda v: v.strip() if isinstance(v, str) else v),
                               errors="coerce")
        ok = parsed.notna().to_numpy()
        if ok[present].mean() < 0.5:
            continue
        bad = present & ~ok
        if bad.any():
            first = np.flatnonzero(bad)
            shown = [f"{series.iloc[i]!r} at entity {entities[i]}, year {years[i]} (row {rows[i]})" for i in first]
            raise DataError(
                f"column {column!r} holds text where numbers are expected: {_listing(shown)}; "
                "fix the file (no thousands separators or 'n.a.' codes) or mark missing cells empty"
            )
        out[column] = parsed.astype(float)
    return out


def read_panel(path: str | os.PathLike[str], entity: str, time: str) -> pd.DataFrame:
    """Read a city-year panel from csv, xlsx, Stata dta or parquet.

    Parameters
    ----------
    path
        File to read; the format follows the extension.
    entity, time
        Names of the entity-id column (kept as text, e.g. adcodes) and the
        year column (integers).

    Returns
    -------
    DataFrame indexed by (entity, time), sorted, with numeric columns as
    floats.  Missing numeric values load as NaN and are listed in
    ``df.attrs["missing"]`` (column -> count).

    Raises
    ------
    DataError
        For a missing or empty file, an unsupported extension, duplicate column
        names, an absent id column, missing entity ids, non-integer years,
        duplicate (entity, time) pairs, text in a numeric column or infinite
        values; the message names the fault.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise DataError(f"unsupported file type {suffix or '(none)'!r} for {path}; use one of {SUPPORTED_EXTENSIONS}")
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    if path.stat().st_size == 0:
        raise DataError(f"data file is empty: {path}")
    try:
        header = _raw_header(path, suffix)
        raw = _read_raw(path, suffix)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"data file is empty: {path}") from exc
    except (ValueError, OSError) as exc:
        raise DataError(f"could not read {path}: {exc}") from exc
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        raise DataError(f"duplicate column names in {path}: {_listing(duplicated)}")
    if raw.empty:
        raise DataError(f"data file has no rows: {path}")
    return panel_from_frame(raw, entity, time, source=str(path))


def panel_from_frame(raw: pd.DataFrame, entity: str, time: str, source: str = "data") -> pd.DataFrame:
    """Index a flat DataFrame by (entity, time) with the checks of :func:`read_panel`."""
    for role, column in (("entity", entity), ("time", time)):
        if column not in raw.columns:
            raise DataError(f"{role} column {column!r} not found in {source}; columns are {_listing(list(raw.columns))}")
    # Rows are reported as the file's line numbers (header is line 1).
    rows = pd.Index(np.arange(len(raw)) + 2)
    ids = _normalise_ids(raw[entity])
    if ids.isna().any():
        raise DataError(f"entity column {entity!r} has missing ids in rows {_listing(rows[ids.isna().to_numpy()])}")
    years = _parse_years(raw[time], rows, time)
    frame = raw.drop(columns=[entity, time])
    frame.index = pd.MultiIndex.from_arrays([ids.astype(str).to_numpy(), years.to_numpy()], names=[entity, time])
    dup = frame.index.duplicated(keep=False)
    if dup.any():
        pairs = sorted({f"({e}, {t})" for e, t in frame.index[dup]})
        raise DataError(f"duplicate (entity, time) pairs in {source}: {_listing(pairs)}")
    frame = _coerce_numeric(frame, rows)
    check_finite(frame)
    frame = frame.sort_index()
    missing = frame.isna().sum()
    frame.attrs["missing"] = {str(k): int(v) for k, v in missing[missing > 0].items()}
    frame.attrs["source"] = source
    return frame


def check_finite(df: pd.DataFrame, columns: Iterable[str] | None = None) -> None:
    """Refuse infinite values, naming the column, entity and year."""
    cols = list(df.columns if columns is None else columns)
    numeric = [c for c in cols if pd.api.types.is_numeric_dtype(df[c])]
    if not numeric:
        return
    values = df[numeric].to_numpy(dtype=float)
    bad = np.isinf(values)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(f"column {numeric[c]!r} has an infinite value at {df.index[r]} ({int(bad.sum())} in all)")


def check_panel_index(df: pd.DataFrame) -> None:
    """Require a two-level (entity, time) index without duplicates."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"a panel must be a pandas DataFrame, not {type(df).__name__}")
    if not isinstance(df.index, pd.MultiIndex) or df.index.nlevels != 2:
        raise DataError(
            "a panel must be indexed by (entity, time); use df.set_index([entity, time]) or vagg.data.read_panel"
        )
    dup = df.index.duplicated(keep=False)
    if dup.any():
        pairs = sorted({f"({e}, {t})" for e, t in df.index[dup]})
        raise DataError(f"duplicate (entity, time) pairs: {_listing(pairs)}")


def check_columns(df: pd.DataFrame, columns: Iterable[str], numeric: bool = True, complete: bool = True) -> None:
    """Require ``columns`` to exist, be numeric and (optionally) have no missing values."""
    columns = list(columns)
    absent = [c for c in columns if c not in df.columns]
    if absent:
        raise DataError(f"column(s) not in the data: {_listing(absent)}")
    for column in columns:
        series = df[column]
        if numeric and not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)):
            sample = series[pd.to_numeric(series, errors="coerce").isna() & series.notna()]
            where = f"; e.g. {sample.iloc[0]!r} at {sample.index[0]}" if len(sample) else ""
            raise DataError(f"column {column!r} is not numeric (dtype {series.dtype}){where}")
        if complete and series.isna().any():
            where = series.index[series.isna().to_numpy()]
            raise DataError(f"column {column!r} has {len(where)} missing value(s), at {_listing(list(where))}")
    if numeric:
        check_finite(df, columns)


def missing_city_years(df: pd.DataFrame) -> list[tuple[str, int]]:
    """(entity, time) pairs absent from a panel relative to the full grid."""
    entities = df.index.get_level_values(0).unique()
    times = df.index.get_level_values(1).unique()
    grid = pd.MultiIndex.from_product([entities, sorted(times)])
    return list(grid.difference(df.index))


def validate_panel(
    df: pd.DataFrame,
    balanced: bool = True,
    required: Iterable[str] | None = None,
    complete: bool = True,
) -> pd.DataFrame:
    """Check a panel for the methods that need it, and return it sorted.

    Parameters
    ----------
    df
        DataFrame indexed by (entity, time).
    balanced
        Refuse gaps, naming the missing city-years.
    required
        Columns that must exist and be numeric (and complete when ``complete``).

    Raises
    ------
    DataError
    """
    check_panel_index(df)
    if required is not None:
        check_columns(df, required, numeric=True, complete=complete)
    if balanced:
        gaps = missing_city_years(df)
        if gaps:
            shown = [f"({e}, {t})" for e, t in gaps]
            raise DataError(f"the panel is unbalanced; missing city-years: {_listing(shown)}")
    return df.sort_index()


def panel_summary(df: pd.DataFrame) -> dict[str, object]:
    """Entities, years, balance and missing values by column of a panel."""
    check_panel_index(df)
    entities = df.index.get_level_values(0).unique()
    years = sorted(df.index.get_level_values(1).unique())
    gaps = missing_city_years(df)
    missing = df.isna().sum()
    return {
        "entities": len(entities),
        "years": f"{years[0]}-{years[-1]} ({len(years)})" if years else "none",
        "observations": len(df),
        "balanced": not gaps,
        "missing_city_years": [f"({e}, {t})" for e, t in gaps],
        "missing_by_column": {str(k): int(v) for k, v in missing[missing > 0].items()},
        "columns": len(df.columns),
    }
