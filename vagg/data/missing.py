"""The missing-data policy of a run: refuse, drop rows, drop cities or interpolate.

Applied once, before any analysis, to the columns a run uses, so that every
stage analyses the same sample; the returned :class:`MissingReport` lists
exactly which city-years were dropped and which cells were filled.

Policies
--------
``"refuse"``
    Any gap (a city-year absent from the entity x year grid) or missing cell
    is an error listing them.
``"drop-rows"``
    City-years with a missing cell are dropped; the panel may be unbalanced.
``"drop-cities"``
    Every city with a gap or a missing cell is dropped; the panel stays balanced.
``"interpolate"``
    The panel is put on the full entity x year grid and each gap is filled
    linearly in the year within its city,

    .. math:: x_{it} = x_{i,a} + (t - a)\\,\\frac{x_{i,b} - x_{i,a}}{b - a},

    with :math:`a < t < b` the nearest observed years.  Cells before the first
    or after the last observed year are extrapolated from the two nearest
    observed years only when ``extrapolate=True``; otherwise they are refused.
    Text columns (names, groups) of an added city-year take the city's value.
    Linear interpolation within a city is the common practice for yearbook
    gaps in Chinese city panels (e.g. Lu and Lian 2012, Stata ``ipolate``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vagg._errors import DataError, SpecificationError
from vagg.data.readers import listing

POLICIES = ("refuse", "drop-rows", "drop-cities", "interpolate")


@dataclass
class MissingReport:
    """What a missing-data policy did.

    Attributes
    ----------
    policy
        The policy applied.
    dropped_city_years
        (entity, time) pairs removed from the panel.
    dropped_cities
        Entities removed entirely (``"drop-cities"``).
    filled
        One row per filled cell: entity, time, column, value.
    added_city_years
        (entity, time) pairs absent from the file and added by interpolation.
    share_filled
        Column -> share of the column's cells that were filled.
    """

    policy: str
    dropped_city_years: list[tuple[str, int]] = field(default_factory=list)
    dropped_cities: list[str] = field(default_factory=list)
    filled: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["entity", "time", "column", "value"]))
    added_city_years: list[tuple[str, int]] = field(default_factory=list)
    share_filled: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """Plain types for a manifest."""
        return {
            "policy": self.policy,
            "dropped_city_years": [[str(e), int(t)] for e, t in self.dropped_city_years],
            "dropped_cities": [str(c) for c in self.dropped_cities],
            "added_city_years": [[str(e), int(t)] for e, t in self.added_city_years],
            "filled_cells": [[str(r.entity), int(r.time), str(r.column), float(r.value)]
                             for r in self.filled.itertuples(index=False)],
            "share_filled": {k: float(v) for k, v in self.share_filled.items()},
        }

    def lines(self, names: dict[str, str] | None = None) -> list[str]:
        """One sentence per action, for the report; ``names`` maps ids to display names."""
        names = names or {}
        out = [f"missing-data policy: {self.policy}"]
        if self.dropped_cities:
            shown = [f"{c} ({names[c]})" if c in names else c for c in self.dropped_cities]
            out.append(f"dropped {len(self.dropped_cities)} cities: {', '.join(shown)}")
        if self.dropped_city_years:
            out.append(f"dropped {len(self.dropped_city_years)} city-years: "
                       + ", ".join(f"({e}, {t})" for e, t in self.dropped_city_years))
        if self.added_city_years:
            out.append(f"added {len(self.added_city_years)} absent city-years: "
                       + ", ".join(f"({e}, {t})" for e, t in self.added_city_years))
        if len(self.filled):
            out.append(f"filled {len(self.filled)} cells by linear interpolation within the city: "
                       + ", ".join(f"{r.column} ({r.entity}, {r.time})" for r in self.filled.itertuples()))
            out.append("share filled: " + ", ".join(f"{k} {v:.1%}" for k, v in self.share_filled.items() if v > 0))
        if len(out) == 1:
            out.append("no gaps and no missing values in the columns used")
        return out


def _grid(panel: pd.DataFrame) -> pd.MultiIndex:
    entities = panel.index.get_level_values(0).unique()
    years = np.sort(panel.index.get_level_values(1).unique())
    return pd.MultiIndex.from_product([entities, years], names=panel.index.names)


def _gaps(panel: pd.DataFrame) -> list[tuple[str, int]]:
    return list(_grid(panel).difference(panel.index))


def interpolate_matrix(values: np.ndarray, years: np.ndarray, extrapolate: bool = False) -> np.ndarray:
    """Fill NaNs of each row of an (entities x years) matrix linearly in ``years``.

    Vectorised: for every cell the nearest observed year before (a) and after
    (b) come from running maxima / minima of observed positions.  Edge cells use
    the two nearest observed years when ``extrapolate``, else stay NaN.
    """
    n, T = values.shape
    observed = ~np.isnan(values)
    pos = np.broadcast_to(np.arange(T), (n, T))
    prev = np.maximum.accumulate(np.where(observed, pos, -1), axis=1)
    nxt = np.minimum.accumulate(np.where(observed, pos, T)[:, ::-1], axis=1)[:, ::-1]
    if extrapolate:
        # second observed position after / before, for the two-point lines at the edges
        after = np.concatenate([nxt[:, 1:], np.full((n, 1), T)], axis=1)
        nxt2 = np.take_along_axis(after, np.minimum(nxt, T - 1), axis=1)
        before = np.concatenate([np.full((n, 1), -1), prev[:, :-1]], axis=1)
        prev2 = np.take_along_axis(before, np.maximum(prev, 0), axis=1)
        lead = prev < 0
        trail = nxt >= T
        a = np.where(lead, nxt, np.where(trail, prev2, prev))
        b = np.where(lead, nxt2, np.where(trail, prev, nxt))
    else:
        a, b = prev, nxt
    usable = (a >= 0) & (b < T) & (a != b)
    a_, b_ = np.clip(a, 0, T - 1), np.clip(b, 0, T - 1)
    ya, yb = np.take_along_axis(values, a_, axis=1), np.take_along_axis(values, b_, axis=1)
    ta, tb, t = years[a_], years[b_], np.broadcast_to(years, (n, T))
    with np.errstate(invalid="ignore", divide="ignore"):
        line = ya + (t - ta) * (yb - ya) / (tb - ta)
    return np.where(observed, values, np.where(usable, line, np.nan))


def apply_missing_policy(
    panel: pd.DataFrame,
    columns: Iterable[str],
    policy: str = "refuse",
    extrapolate: bool = False,
) -> tuple[pd.DataFrame, MissingReport]:
    """Apply a missing-data policy to the ``columns`` a run uses (see the module docstring).

    Parameters
    ----------
    panel
        Indexed by (entity, time).
    columns
        Numeric columns that must be complete after the policy.
    policy
        One of :data:`POLICIES`.
    extrapolate
        With ``"interpolate"``, extend lines beyond a city's first and last observed years.

    Returns
    -------
    The panel to analyse and a :class:`MissingReport`.

    Raises
    ------
    DataError
        ``"refuse"`` with gaps or missing cells (listing them and the policies
        that would help); ``"interpolate"`` with cells it may not fill (edges
        without ``extrapolate``, a city with fewer than two observed years).
    """
    from vagg.data.panel import check_columns, check_panel_index

    if policy not in POLICIES:
        raise SpecificationError(f"missing-data policy {policy!r} is not one of {', '.join(POLICIES)}")
    check_panel_index(panel)
    columns = list(dict.fromkeys(columns))
    check_columns(panel, columns, numeric=True, complete=False)
    panel = panel.sort_index()
    report = MissingReport(policy)
    gaps = _gaps(panel)
    holes = panel[columns].isna()
    row_missing = holes.any(axis=1).to_numpy()
    if policy == "refuse":
        if gaps or row_missing.any():
            cells = [f"{c} {idx}" for c in columns for idx in panel.index[holes[c].to_numpy()]]
            parts = ([f"absent city-years {listing(f'({e}, {t})' for e, t in gaps)}"] if gaps else []) + (
                [f"missing cells {listing(cells)}"] if cells else [])
            raise DataError("the panel has " + " and ".join(parts) + '; choose a missing-data policy: missing = '
                            '"drop-rows", "drop-cities" or "interpolate" ([data] missing in the config, '
                            "vagg.data.apply_missing_policy in Python)")
        return panel, report
    if policy == "drop-rows":
        report.dropped_city_years = [(str(e), int(t)) for e, t in panel.index[row_missing]]
        return panel.loc[~row_missing], report
    if policy == "drop-cities":
        bad = set(panel.index.get_level_values(0)[row_missing]) | {e for e, _ in gaps}
        keep = ~panel.index.get_level_values(0).isin(bad)
        report.dropped_cities = sorted(str(c) for c in bad)
        report.dropped_city_years = [(str(e), int(t)) for e, t in panel.index[~keep]]
        if not keep.any():
            raise DataError("drop-cities would drop every city; every city has a gap or a missing value in "
                            f"{listing(columns)}")
        return panel.loc[keep], report
    return _interpolate(panel, columns, gaps, extrapolate, report)


def _interpolate(panel: pd.DataFrame, columns: list[str], gaps: list[tuple[str, int]], extrapolate: bool,
                 report: MissingReport) -> tuple[pd.DataFrame, MissingReport]:
    grid = _grid(panel)
    full = panel.reindex(grid)
    added = ~grid.isin(panel.index)
    report.added_city_years = [(str(e), int(t)) for e, t in gaps]
    text = [c for c in full.columns if not pd.api.types.is_numeric_dtype(full[c])]
    if text and added.any():
        city_values = full[text].groupby(level=0).transform(lambda s: s.ffill().bfill())
        full.loc[added, text] = city_values.loc[added]
    years = grid.levels[1][grid.codes[1]].to_numpy()
    year_values = np.sort(np.unique(years)).astype(float)
    entities = grid.get_level_values(0).unique()
    filled_rows = []
    for column in columns:
        matrix = full[column].to_numpy(dtype=float).reshape(len(entities), len(year_values))
        done = interpolate_matrix(matrix, year_values, extrapolate)
        left = np.isnan(done)
        if left.any():
            cells = [f"({entities[i]}, {int(year_values[j])})" for i, j in np.argwhere(left)]
            hint = ("" if extrapolate else "; pass extrapolate=True ([data] extrapolate = true) to extend the "
                    "city's line beyond its observed years, or use missing = \"drop-cities\"")
            raise DataError(f"column {column!r} cannot be interpolated at {listing(cells)}: no observed year on "
                            f"both sides within the city (or fewer than two observed years){hint}")
        new = np.isnan(matrix)
        at = np.argwhere(new)
        filled_rows.append(pd.DataFrame({"entity": entities[at[:, 0]].astype(str),
                                         "time": year_values[at[:, 1]].astype(np.int64), "column": column,
                                         "value": done[new]}))
        report.share_filled[column] = float(new.mean())
        full[column] = done.ravel()
    report.filled = pd.concat(filled_rows, ignore_index=True).sort_values(["entity", "time", "column"],
                                                                          ignore_index=True)
    full.attrs = dict(panel.attrs)
    return full, report
