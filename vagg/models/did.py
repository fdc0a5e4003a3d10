"""Policy timing: treatment, cohort and event-time columns from a table of adoption years.

A staggered policy (the "Broadband China" pilot waves of 2014, 2015 and 2016,
the smart-city pilots) is described by one adoption year :math:`G_i` per
treated city; cities that never adopt have :math:`G_i = \\infty`.  For city
:math:`i` in year :math:`t`

.. math::

    D_{it} = 1[t \\ge G_i], \\qquad e_{it} = t - G_i ,

the treatment dummy of a staggered (absorbing) difference-in-differences and
the event time of an event study (Callaway and Sant'Anna 2021, *J.
Econometrics* 225: 200-230; Borusyak, Jaravel and Spiess 2024, *Rev. Econ.
Stud.* 91: 3253-3285).  The cohort column holds :math:`G_i`, with 0 for
never-treated cities (the ``gvar`` convention of Stata's ``csdid``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from vagg._errors import DataError
from vagg.data.ids import normalise_ids
from vagg.data.panel import check_panel_index

#: cohort value of never-treated cities (csdid's gvar convention)
NEVER = 0


def _adoption_series(adoption: pd.Series | pd.DataFrame | Mapping[object, object], entity: str | None,
                     year: str | None) -> pd.Series:
    if isinstance(adoption, pd.DataFrame):
        if entity is None or year is None:
            if adoption.shape[1] != 2:
                raise DataError("an adoption table needs two columns (city, adoption year); name them with "
                                f"entity= and year=, got columns {list(adoption.columns)}")
            entity, year = (str(c) for c in adoption.columns)
        for col in (entity, year):
            if col not in adoption.columns:
                raise DataError(f"adoption table has no column {col!r}; columns are {list(adoption.columns)}")
        ids = adoption[entity]
        dup = ids[ids.duplicated()].unique()
        if len(dup):
            raise DataError(f"adoption table lists city {dup[0]!r} more than once; give one adoption year a city")
        return pd.Series(adoption[year].to_numpy(), index=pd.Index(ids.to_numpy()), name="adoption")
    if isinstance(adoption, Mapping):
        return pd.Series(dict(adoption), dtype=object, name="adoption")
    if isinstance(adoption, pd.Series):
        dup = adoption.index[adoption.index.duplicated()].unique()
        if len(dup):
            raise DataError(f"adoption table lists city {dup[0]!r} more than once; give one adoption year a city")
        return adoption.rename("adoption")
    raise DataError(f"adoption must be a Series, a DataFrame or a mapping city -> year, not {type(adoption).__name__}")


def _as_years(adoption: pd.Series) -> pd.Series:
    values = pd.to_numeric(adoption, errors="coerce")
    bad = adoption.notna() & values.isna()
    if bad.any():
        city = adoption.index[bad.to_numpy()][0]
        raise DataError(f"adoption year of city {city!r} is {adoption[city]!r}, not a year")
    frac = values.notna() & (values % 1 != 0)
    if frac.any():
        city = values.index[frac.to_numpy()][0]
        raise DataError(f"adoption year of city {city!r} is {values[city]}, not a whole year")
    return values.astype(float)


def policy_timing(
    panel: pd.DataFrame,
    adoption: pd.Series | pd.DataFrame | Mapping[object, object],
    entity: str | None = None,
    year: str | None = None,
    names: tuple[str, str, str] = ("treated", "cohort", "event_time"),
) -> pd.DataFrame:
    """Add treatment, cohort and event-time columns to a city-year panel.

    Parameters
    ----------
    panel
        DataFrame indexed by (entity, time), time in years.
    adoption
        City -> adoption year: a Series indexed by city, a mapping, or a
        two-column DataFrame (name the columns with ``entity`` and ``year``).
        Several waves are several years; a missing year (NaN, None) or a city
        absent from the table is never treated.
    entity, year
        Column names of a DataFrame ``adoption`` table.
    names
        Names of the three new columns.

    Returns
    -------
    A copy of ``panel`` with ``treated`` (:math:`1[t \\ge G_i]`, 0/1),
    ``cohort`` (:math:`G_i`, 0 for never treated) and ``event_time``
    (:math:`t - G_i`, NaN for never treated).

    Raises
    ------
    DataError
        A city of the table that is not in the panel, a city listed twice, an
        adoption year that is not a whole number, a panel without an
        (entity, time) index.
    """
    check_panel_index(panel)
    years = _as_years(_adoption_series(adoption, entity, year))
    cities = panel.index.get_level_values(0)
    ids = pd.Index(cities.unique())
    if len(ids) and isinstance(ids[0], str):  # adcodes as text: 440100, 440100.0 and "440100" are one city
        years.index = pd.Index(normalise_ids(years.index, required=True, label="adoption table ids").to_numpy())
        dup = years.index[years.index.duplicated()].unique()
        if len(dup):
            raise DataError(f"adoption table lists city {dup[0]!r} more than once; give one adoption year a city")
    table_ids = years.index
    unknown = [c for c in table_ids if c not in ids]
    if unknown:
        raise DataError(f"adoption table names city {unknown[0]!r}, which is not in the panel "
                        f"({len(unknown)} such)" + (f"; panel cities look like {ids[0]!r}" if len(ids) else ""))
    g = years.reindex(cities).to_numpy()
    t = panel.index.get_level_values(1).to_numpy(dtype=float)
    treated_name, cohort_name, event_name = names
    out = panel.copy()
    ever = ~np.isnan(g)
    out[treated_name] = (ever & (t >= np.where(ever, g, np.inf))).astype(int)
    out[cohort_name] = np.where(ever, g, NEVER).astype(int)
    out[event_name] = np.where(ever, t - g, np.nan)
    return out


def cohorts_of(data: pd.DataFrame, cohort: str) -> pd.Series:
    """Adoption year per city (0 for never treated) from a cohort column; refuses a cohort varying within city."""
    if cohort not in data.columns:
        raise DataError(f"cohort column {cohort!r} is not in the data; build it with vagg.models.policy_timing")
    check_panel_index(data)
    per_city = data.groupby(level=0, sort=True)[cohort]
    varying = per_city.nunique(dropna=False) > 1
    if varying.any():
        raise DataError(f"cohort column {cohort!r} varies within city {varying.index[varying.to_numpy()][0]!r}; "
                        "a cohort is one adoption year per city")
    return per_city.first().fillna(NEVER).astype(int)
