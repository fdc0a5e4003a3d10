"""Input handling shared by the evolution functions.

Every evolution function takes a panel indexed (entity, time) and a column,
or a Series with that index, or (for the disparity measures) a single
cross-section.  These helpers turn that into checked arrays and refuse bad
input with a :class:`vagg.DataError` naming the column, entity, year or id.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from libpysal.weights import WSP, W

from vagg._errors import DataError, SpecificationError
from vagg.data.panel import BALANCE_HINT, _listing, check_columns, check_panel_index, missing_city_years
from vagg.weights._core import id_positions, to_sparse

#: time label given to a single cross-section
CROSS_SECTION = 0


def panel_series(data: pd.DataFrame | pd.Series | Sequence[float] | np.ndarray,
                 column: str | None = None) -> tuple[pd.Series, bool]:
    """The values to analyse as a Series indexed (entity, time), sorted.

    Parameters
    ----------
    data
        A panel DataFrame indexed (entity, time) with ``column``; a Series
        indexed (entity, time); or a one-dimensional cross-section (array or
        Series), which becomes a single period labelled :data:`CROSS_SECTION`.
    column
        Column of ``data`` when it is a DataFrame.

    Returns
    -------
    (series, cross_section)
        ``cross_section`` is True when the input had no time dimension.

    Raises
    ------
    DataError
        Absent or non-numeric column, duplicate (entity, time) pairs, missing
        or infinite values (named by entity and year).
    """
    if isinstance(data, pd.DataFrame):
        if column is None:
            raise SpecificationError("a panel DataFrame needs column=: the variable to analyse")
        check_panel_index(data)
        check_columns(data, [column])
        series = data[column]
    elif isinstance(data, pd.Series):
        name = data.name if data.name is not None else "values"
        if isinstance(data.index, pd.MultiIndex):
            frame = data.to_frame(name)
            check_panel_index(frame)
            check_columns(frame, [name])
            series = frame[name]
        else:
            frame = data.to_frame(name)
            frame.index = pd.MultiIndex.from_arrays(
                [data.index.astype(str), np.full(len(data), CROSS_SECTION)], names=[data.index.name or "entity", "time"]
            )
            check_panel_index(frame)
            check_columns(frame, [name])
            return frame[name].astype(float), True
    else:
        try:
            values = np.asarray(data, dtype=float)
        except (TypeError, ValueError) as exc:
            raise DataError(f"values must be numbers: {exc}") from exc
        if values.ndim != 1:
            raise DataError(f"values must be one-dimensional, got shape {values.shape}")
        return panel_series(pd.Series(values, index=pd.RangeIndex(len(values), name="entity"), name="values"))
    return series.astype(float).sort_index(), False


def group_labels(groups: str | pd.Series | Sequence[object] | np.ndarray,
                 data: object, series: pd.Series) -> pd.Series:
    """Group labels aligned to ``series`` (indexed (entity, time)).

    ``groups`` is a column name of the panel ``data``; a Series indexed by
    entity (time-invariant groups; entities matched as written or by the one id
    rule, so ``440100.0`` finds the label of ``"440100"``) or by (entity, time);
    or an array in the order of the original values.  Missing labels are refused by entity and year.
    """
    if isinstance(groups, str):
        if not isinstance(data, pd.DataFrame) or groups not in data.columns:
            raise DataError(f"group column {groups!r} not in the data")
        labels = data[groups].reindex(series.index)
    elif isinstance(groups, pd.Series):
        if isinstance(groups.index, pd.MultiIndex):
            labels = groups.reindex(series.index)
        else:
            entities = series.index.get_level_values(0)
            units = entities.unique()
            found = id_positions(units, list(groups.index), "group labels", every=False,
                                 absent="groups have no label for entities")
            per_unit = groups.to_numpy()[found]
            labels = pd.Series(per_unit[units.get_indexer(entities)], index=series.index)
    else:
        array = np.asarray(groups, dtype=object)
        if array.shape != (len(series),):
            raise DataError(f"groups must have one label per value ({len(series)}), got shape {array.shape}")
        in_order = isinstance(data, (pd.DataFrame, pd.Series)) and isinstance(data.index, pd.MultiIndex)
        labels = pd.Series(array, index=data.index if in_order else series.index).reindex(series.index)
    missing = labels.isna().to_numpy()
    if missing.any():
        raise DataError(f"groups have missing labels at (entity, time): {_listing(list(series.index[missing]))}")
    return labels.astype(str)


def require_positive(series: pd.Series, why: str, allow_zero: bool = False) -> None:
    """Refuse negative (or zero) values, naming the entity and year."""
    values = series.to_numpy()
    bad = values < 0 if allow_zero else values <= 0
    if bad.any():
        where = _listing([f"{i} = {v:g}" for i, v in zip(series.index[bad], values[bad], strict=True)])
        sign = "non-negative" if allow_zero else "positive"
        raise DataError(f"{why} needs {sign} values of {series.name!r}; found {where}")


def require_positive_mean(series: pd.Series) -> None:
    """Refuse a year in which every value is zero (relative indices are undefined)."""
    totals = series.groupby(level=1).sum()
    if (totals <= 0).any():
        year = totals.index[np.flatnonzero(totals.to_numpy() <= 0)[0]]
        raise DataError(f"{series.name!r} is zero for every entity in {time_name(series)} {year}; "
                        "the index is undefined")


def wide(series: pd.Series) -> pd.DataFrame:
    """Entities x years table of a balanced panel; gaps are refused by city-year."""
    gaps = missing_city_years(series.to_frame())
    if gaps:
        raise DataError(
            f"this method needs a balanced panel; missing city-years of {series.name!r}: "
            + _listing([f"({e}, {t})" for e, t in gaps]) + f"; {BALANCE_HINT}"
        )
    return series.unstack(level=1).sort_index(axis=1)


def consecutive_years(years: pd.Index) -> None:
    """Refuse a time axis with holes (1-year steps are needed for transitions and growth)."""
    steps = np.diff(np.asarray(years, dtype=np.int64))
    if (steps != 1).any():
        k = int(np.flatnonzero(steps != 1)[0])
        raise DataError(f"years must be consecutive; {years[k]} is followed by {years[k + 1]}")


def aligned_weights(w: W | tuple[sp.spmatrix, Sequence[object]], entities: Sequence[object]) -> sp.csr_matrix:
    """The weights ordered like ``entities``, matched as written or by the one id rule
    (:func:`vagg.weights.to_sparse`); ids on one side only are refused by name."""
    return to_sparse(w, list(entities))


def aligned_libpysal(w: W | tuple[sp.spmatrix, Sequence[object]], entities: Sequence[object]) -> W:
    """A libpysal W whose ``id_order`` is ``entities`` as text (for esda and giddy)."""
    return WSP(aligned_weights(w, entities), id_order=[str(e) for e in entities]).to_W(silence_warnings=True)


def time_name(series: pd.Series) -> str:
    """The name of the time level ("time" when unnamed)."""
    return series.index.names[1] or "time"
