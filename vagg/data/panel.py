"""Reading and validating city-year panels.

A panel is a :class:`pandas.DataFrame` indexed by a two-level
``MultiIndex`` (entity, time), entity ids as text and years as integers, the
convention of linearmodels.  Every check here raises :class:`vagg.DataError`
with a message that names the column, entity, year or row at fault.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from vagg._errors import DataError, SpecificationError
from vagg.data.ids import normalise_ids
from vagg.data.readers import (
    SUPPORTED_EXTENSIONS,
    coerce_numeric,
    drop_layout_rows,
    listing,
    locate_header,
    parse_years,
    read_grid,
    total_rows,
)

_listing = listing

_PLAUSIBLE_YEARS = (1900, 2100)
#: what to tell a user whose panel has gaps where a method needs a balanced one
BALANCE_HINT = ('fill the gaps with the missing-data policy "interpolate" or drop the incomplete cities with '
                '"drop-cities" ([data] missing in the config, vagg.data.apply_missing_policy in Python)')


def _read_raw(path: Path, sheet: str | int | None, entity: str, time: str, header_row: int | None,
              skip_rows: Iterable[int], na_values: Iterable[str]) -> tuple[pd.DataFrame, pd.Index, list[str]]:
    """The file's data rows under its header, their row numbers in the file, and notes."""
    suffix = path.suffix.lower()
    if suffix in (".dta", ".parquet"):
        raw = pd.read_stata(path, convert_categoricals=False) if suffix == ".dta" else pd.read_parquet(path)
        return raw, pd.Index(np.arange(len(raw)) + 2), []
    grid, notes = read_grid(path, sheet)
    if grid.empty:
        raise DataError(f"data file is empty: {path}")
    body, rows, more = locate_header(grid, entity, time, str(path), header_row, skip_rows)
    body, rows, layout = drop_layout_rows(body, rows, entity, time, na_values)
    return body, rows, notes + more + layout


def read_panel(
    path: str | os.PathLike[str],
    entity: str,
    time: str,
    *,
    sheet: str | int | None = None,
    header_row: int | None = None,
    skip_rows: Iterable[int] = (),
    na_values: Iterable[str] = (),
    totals: str = "drop",
    strict: bool = True,
) -> pd.DataFrame:
    """Read a city-year panel from csv, xlsx, xls, Stata dta or parquet, as yearbooks write them.

    Parameters
    ----------
    path
        File to read; the format follows the extension (a ``.xls`` that is
        really HTML or xlsx is read as what it is).  Text is UTF-8 (BOM or
        not) or GBK/GB18030.
    entity, time
        Names of the entity-id column (kept as text, e.g. adcodes) and the
        year column (integers; ``"2011年"`` and ``2011.0`` are read as 2011).
    sheet
        Spreadsheet sheet name or position (first by default).
    header_row
        0-based row holding the column names; by default the first row that
        names both ``entity`` and ``time`` (title and group-label rows above it
        are skipped with a note).
    skip_rows
        0-based rows of the file to drop (e.g. a units row).
    na_values
        Placeholders read as missing, besides :data:`vagg.data.readers.NA_TOKENS`
        (``"n.a."``, ``"—"``, ``"-"``, ``"…"``, empty cells, ...).
    totals
        ``"drop"`` (default) drops rows that look like province or national
        totals with a note; ``"refuse"`` raises; ``"keep"`` keeps them.
    strict
        Refuse stray text in any numeric column (default).  With False such a
        column is kept as text and its fault is kept in ``df.attrs["faults"]``
        (column -> message): the pipeline refuses only the columns a run uses.

    Returns
    -------
    DataFrame indexed by (entity, time), sorted, with numeric columns as
    floats.  ``df.attrs["missing"]`` maps column -> count of missing values,
    ``df.attrs["notes"]`` lists what was repaired, ``df.attrs["text_columns"]``
    the columns left as text.

    Raises
    ------
    DataError
        For a missing or empty file, an unsupported extension, duplicate column
        names, an absent id column, missing entity ids, non-integer years,
        duplicate (entity, time) pairs, text in a numeric column, swapped
        entity and time columns or infinite values; the message names the fault.
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
        raw, rows, notes = _read_raw(path, sheet, entity, time, header_row, skip_rows, na_values)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"data file is empty: {path}") from exc
    except ImportError as exc:
        raise DataError(f"could not read {path}: {exc}") from exc
    except (ValueError, OSError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"could not read {path}: {exc}") from exc
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        names = list(pq.read_schema(path).names)
        duplicated = sorted({c for c in names if names.count(c) > 1})
        if duplicated:
            raise DataError(f"duplicate column names in {path}: {_listing(duplicated)}")
    if raw.empty:
        raise DataError(f"data file has no rows: {path}")
    return panel_from_frame(raw, entity, time, source=str(path), rows=rows, na_values=na_values, totals=totals,
                            notes=notes, strict=strict)


def _check_roles(ids: pd.Series, times: pd.Series, entity: str, time: str, source: str) -> None:
    """Refuse an entity and a time column given the wrong way round (ids all years, times not)."""
    as_years = pd.to_numeric(ids, errors="coerce")
    if not as_years.between(*_PLAUSIBLE_YEARS).all():
        return
    numeric = pd.to_numeric(times.map(lambda v: str(v).strip()), errors="coerce")
    if numeric.between(*_PLAUSIBLE_YEARS).all():
        return
    raise DataError(f"in {source} the entity column {entity!r} holds years ({ids.iloc[0]}, ...) and the time column "
                    f"{time!r} does not ({times.iloc[0]!r}, ...): the panel is indexed (time, entity); pass entity "
                    "and time the other way round")


def panel_from_frame(
    raw: pd.DataFrame,
    entity: str,
    time: str,
    source: str = "data",
    *,
    rows: pd.Index | None = None,
    na_values: Iterable[str] = (),
    totals: str = "drop",
    notes: list[str] | None = None,
    strict: bool = True,
) -> pd.DataFrame:
    """Index a flat DataFrame by (entity, time) with the checks and repairs of :func:`read_panel`."""
    if totals not in ("drop", "refuse", "keep"):
        raise SpecificationError(f"totals={totals!r} is not one of drop, refuse, keep")
    notes = list(notes or [])
    raw = raw.reset_index(drop=True)
    raw.columns = [str(c) for c in raw.columns]
    for role, column in (("entity", entity), ("time", time)):
        if column not in raw.columns:
            close = difflib.get_close_matches(column, list(raw.columns), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else "; if the header is not the first row pass header_row="
            raise DataError(f"{role} column {column!r} not found in {source}; columns are "
                            f"{_listing(list(raw.columns))}{hint}")
    # Rows are reported as the file's line numbers (header is line 1).
    rows = pd.Index(np.arange(len(raw)) + 2) if rows is None else pd.Index(rows)
    ids = normalise_ids(raw[entity], label=f"entity column {entity!r}", rows=rows)
    if ids.isna().any():
        raise DataError(f"entity column {entity!r} has missing ids in rows {_listing(rows[ids.isna().to_numpy()])}")
    if totals != "keep":
        mask, reasons = total_rows(ids, raw.drop(columns=[entity, time]))
        if mask.any():
            where = f"rows {_listing(rows[mask])} ({_listing(reasons)})"
            if totals == "refuse":
                raise DataError(f"{source} has province or national total rows, not cities: {where}")
            notes.append(f"{int(mask.sum())} province or national total row(s) dropped: {where}")
            raw, ids, rows = raw.loc[~mask].reset_index(drop=True), ids[~mask].reset_index(drop=True), rows[~mask]
    _check_roles(ids, raw[time], entity, time, source)
    years = parse_years(raw[time], rows, time)
    frame = raw.drop(columns=[entity, time])
    frame.index = pd.MultiIndex.from_arrays([ids.astype(str).to_numpy(), years.to_numpy()], names=[entity, time])
    dup = frame.index.duplicated(keep=False)
    if dup.any():
        pairs = sorted({f"({e}, {t})" for e, t in frame.index[dup]})
        raise DataError(f"duplicate (entity, time) pairs in {source}: {_listing(pairs)}")
    frame, more, faults = coerce_numeric(frame, rows, na_values, strict=strict)
    notes += more
    check_finite(frame)
    frame = frame.sort_index()
    missing = frame.isna().sum()
    frame.attrs["missing"] = {str(k): int(v) for k, v in missing[missing > 0].items()}
    frame.attrs["source"] = source
    frame.attrs["notes"] = notes
    frame.attrs["text_columns"] = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    frame.attrs["faults"] = faults
    return frame


def check_finite(df: pd.DataFrame, columns: Iterable[str] | None = None) -> None:
    """Refuse infinite values, naming the column, entity and year."""
    cols = list(df.columns if columns is None else columns)
    dtypes = df.dtypes
    numeric = [c for c in cols if pd.api.types.is_numeric_dtype(dtypes[c])]
    if not numeric:
        return
    _refuse_infinite(df, numeric, df[numeric].to_numpy(dtype=float))


def _refuse_infinite(df: pd.DataFrame, names: list[str], values: np.ndarray) -> None:
    """Raise on the first infinite entry of ``values`` (rows of ``df``, columns ``names``)."""
    bad = np.isinf(values)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(f"column {names[c]!r} has an infinite value at {df.index[r]} ({int(bad.sum())} in all)")


def check_panel_index(df: pd.DataFrame) -> None:
    """Require a two-level (entity, time) index without duplicates."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"a panel must be a pandas DataFrame, not {type(df).__name__}")
    if not isinstance(df.index, pd.MultiIndex) or df.index.nlevels != 2:
        raise DataError(
            "a panel must be indexed by (entity, time); use df.set_index([entity, time]) or vagg.data.read_panel"
        )
    if df.index.is_unique:
        _check_index_order(df.index)
        return
    dup = df.index.duplicated(keep=False)
    if dup.any():
        pairs = sorted({f"({e}, {t})" for e, t in df.index[dup]})
        raise DataError(f"duplicate (entity, time) pairs: {_listing(pairs)}")
    _check_index_order(df.index)


def _is_years(values: pd.Index) -> bool:
    lo, hi = _PLAUSIBLE_YEARS
    if pd.api.types.is_integer_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return bool(len(values) and values.min() >= lo and values.max() <= hi)
    numeric = pd.to_numeric(pd.Series(values), errors="coerce")
    return bool(numeric.notna().all() and (numeric == np.floor(numeric)).all() and numeric.between(lo, hi).all())


def _check_index_order(index: pd.MultiIndex) -> None:
    """Refuse a panel indexed (time, entity): its clusters would be years, its within-transform by year."""
    first, second = index.levels[0], index.levels[1]
    if not _is_years(second) and _is_years(first):
        raise DataError(f"the panel looks indexed (time, entity): level {index.names[0]!r} holds years "
                        f"({first[0]}, ...) and level {index.names[1]!r} does not ({second[0]!r}, ...); "
                        "use df.swaplevel().sort_index()")


def check_columns(df: pd.DataFrame, columns: Iterable[str], numeric: bool = True, complete: bool = True) -> None:
    """Require ``columns`` to exist, be numeric and (optionally) have no missing values."""
    columns = list(columns)
    absent = [c for c in columns if c not in df.columns]
    if absent:
        raise DataError(f"column(s) not in the data: {_listing(absent)}")
    dtypes = df.dtypes
    for column in columns:
        dtype = dtypes[column]
        if isinstance(dtype, pd.Series):  # a duplicated column name
            raise DataError(f"column {column!r} appears {len(dtype)} times in the data; rename or drop the copies")
        if numeric and not (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)):
            series = df[column]
            sample = series[pd.to_numeric(series, errors="coerce").isna() & series.notna()]
            where = f"; e.g. {sample.iloc[0]!r} at {sample.index[0]}" if len(sample) else ""
            raise DataError(f"column {column!r} is not numeric (dtype {dtype}){where}")
    if numeric:  # one pass over the values: missing (NaN or NA) and infinite
        values = np.column_stack([df[c].to_numpy(dtype=float, na_value=np.nan) for c in columns] or
                                 [np.empty((len(df), 0))])
        holes = np.isnan(values).any(axis=0)
    else:
        values, holes = None, np.array([bool(df[c].isna().any()) for c in columns])
    if complete and holes.any():
        column = columns[int(np.argmax(holes))]
        series = df[column]
        where = series.index[series.isna().to_numpy()]
        raise DataError(f"column {column!r} has {len(where)} missing value(s), at {_listing(list(where))}")
    if values is not None:
        _refuse_infinite(df, columns, values)


def missing_city_years(df: pd.DataFrame) -> list[tuple[str, int]]:
    """(entity, time) pairs absent from a panel relative to the full grid."""
    index = df.index
    codes = index.codes
    if index.is_unique and all((c >= 0).all() for c in codes):  # no NaN ids: a full grid has n_e x n_t rows
        if len(np.unique(codes[0])) * len(np.unique(codes[1])) == len(index):
            return []
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
            raise DataError(f"the panel is unbalanced; missing city-years: {_listing(shown)}; this method needs a "
                            f"balanced panel: {BALANCE_HINT}")
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
