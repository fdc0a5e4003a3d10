"""Economic weights: economic distance, the economic-geographic nested matrix, an asymmetric version.

With :math:`\\bar y_i` unit i's mean GDP per capita over the period and
:math:`\\bar y` the mean over units:

* economic distance (Case, Rosen and Hines 1993, J. Public Economics 52;
  Lin, Long and Wu 2005): :math:`w_{ij} = 1 / |\\bar y_i - \\bar y_j|`, symmetric;
* economic-geographic nested (Lin, Long and Wu 2005, "Spatial econometric
  analysis of regional economic convergence in China", China Economic Quarterly
  4(S)): :math:`W = W_d\\,\\mathrm{diag}(\\bar y_1/\\bar y, \\dots, \\bar y_n/\\bar y)`,
  :math:`w_{ij} = d_{ij}^{-p}\\,\\bar y_j / \\bar y`, so a richer neighbour weighs
  more; asymmetric;
* asymmetric economic: the same column scaling applied to the economic-distance
  matrix, :math:`w_{ij} = \\bar y_j / (\\bar y\\,|\\bar y_i - \\bar y_j|)` (the
  construction of Shao, Li, Cao and Yang 2016, Economic Research Journal 51(9),
  with economic in place of geographic distance).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from libpysal.weights import W

from vagg._errors import DataError
from vagg.weights._core import _listing, from_matrix
from vagg.weights.distance import (_island_rule, coordinates, distance_matrix, join_islands, pairs_within,
                                   refuse_duplicates)


def unit_means(values: pd.Series, ids: list[str], name: str = "gdp_per_capita") -> np.ndarray:
    """Per-unit means of a Series indexed by id or by (id, time), ordered like ``ids``; positive and finite."""
    series = values.groupby(level=0).mean() if isinstance(values.index, pd.MultiIndex) else values
    series = series.copy()
    series.index = series.index.map(str)
    absent = [i for i in ids if i not in series.index]
    if absent:
        raise DataError(f"{name} has no value for ids: {_listing(absent)}")
    y = series.loc[ids].to_numpy(dtype=float)
    bad = ~(np.isfinite(y) & (y > 0))
    if bad.any():
        wrong = [ids[i] for i in np.flatnonzero(bad)]
        raise DataError(f"{name} must be positive and finite; not so for ids: {_listing(wrong)}")
    return y


def _ids_of(values: pd.Series) -> list[str]:
    level = values.index.get_level_values(0) if isinstance(values.index, pd.MultiIndex) else values.index
    return list(dict.fromkeys(map(str, level)))


def _economic_matrix(y: np.ndarray, ids: list[str]) -> np.ndarray:
    gap = np.abs(y[:, None] - y[None, :])
    np.fill_diagonal(gap, np.inf)
    tie = np.argwhere(gap == 0)
    if len(tie):
        i, j = tie[0]
        raise DataError(f"units {ids[i]} and {ids[j]} have the same mean GDP per capita; 1/|y_i - y_j| is undefined")
    return 1.0 / gap


def economic(values: pd.Series, standardise: str | bool = "row") -> W:
    """Economic-distance weights :math:`w_{ij} = 1/|\\bar y_i - \\bar y_j|` (ids from ``values``).

    ``values``: GDP per capita indexed by id, or a panel column indexed by
    (id, time), averaged over time.
    """
    ids = _ids_of(values)
    y = unit_means(values, ids)
    return from_matrix(_economic_matrix(y, ids), ids, standardise=standardise, kind="economic distance")


def economic_asymmetric(values: pd.Series, standardise: str | bool = "row") -> W:
    """Asymmetric economic weights :math:`w_{ij} = \\bar y_j / (\\bar y\\,|\\bar y_i - \\bar y_j|)`."""
    ids = _ids_of(values)
    y = unit_means(values, ids)
    mat = _economic_matrix(y, ids) * (y / y.mean())[None, :]
    return from_matrix(mat, ids, standardise=standardise, kind="asymmetric economic distance")


def economic_geographic(
    gdf_or_coords: pd.DataFrame,
    gdp_per_capita: pd.Series,
    power: float = 1.0,
    cutoff: float | None = None,
    standardise: str | bool = "row",
    metric: str = "great-circle",
    islands: str = "raise",
) -> W:
    """Economic-geographic nested weights :math:`w_{ij} = d_{ij}^{-p}\\,\\bar y_j/\\bar y`.

    Parameters
    ----------
    gdf_or_coords
        Points as in :func:`vagg.weights.inverse_distance`, indexed by id.
    gdp_per_capita
        Series indexed by id, or by (id, time) for a panel column (averaged over
        time); every unit needs a positive value.
    power, cutoff, metric, islands
        As in :func:`vagg.weights.inverse_distance`; an island joined to its
        nearest unit j gets :math:`w_{ij} = d_{ij}^{-p}\\,\\bar y_j/\\bar y` and
        :math:`w_{ji} = d_{ij}^{-p}\\,\\bar y_i/\\bar y`.
    """
    rule = _island_rule(islands, False)
    coords, ids = coordinates(gdf_or_coords)
    refuse_duplicates(coords, ids)
    y = unit_means(gdp_per_capita, ids)
    scale = y / y.mean()
    n = len(ids)
    if cutoff is None:
        d = distance_matrix(coords, metric)
        np.fill_diagonal(d, np.inf)
        mat = sp.csr_matrix(d ** (-float(power)) * scale[None, :])
    else:
        rows, cols, dist = pairs_within(coords, cutoff, metric)
        mat = sp.csr_matrix((dist ** (-float(power)) * scale[cols], (rows, cols)), shape=(n, n))
        if rule == "nearest":
            mat = join_islands(mat, coords, lambda dd, r, c: dd ** (-float(power)) * scale[c], metric)
    return from_matrix(mat, ids, standardise=standardise, allow_islands=rule == "keep",
                       kind=f"economic-geographic nested (distance power {power:g})")


def economic_distance(gdf_or_coords: pd.DataFrame, gdp_per_capita: pd.Series, power: float = 1.0,
                      standardise: str | bool = "row") -> W:
    """The economic-geographic nested matrix (kept under its first name); see :func:`economic_geographic`."""
    return economic_geographic(gdf_or_coords, gdp_per_capita, power=power, standardise=standardise)
