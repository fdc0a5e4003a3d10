"""Obstacle-degree model: which indicators hold a city's composite index back.

After a weighted composite index (entropy, CRITIC, ...), the obstacle-degree
model (障碍度模型) that Chinese regional studies report beside an entropy
index splits each city-year's shortfall from the best value among the
indicators:

* factor contribution :math:`F_j = w_j`, the indicator's weight in the
  index (its dimension's weight times its weight inside the dimension);
* deviation degree :math:`I_{ij} = 1 - z_{ij}`, with :math:`z_{ij}` the
  directional min-max normalised value used by the index (pooled over all
  city-years, or year by year for a yearly index);
* obstacle degree :math:`O_{ij} = 100\\,F_j I_{ij} / \\sum_j F_j I_{ij}` (per
  cent; it sums to 100 over the indicators of a city-year), and of a
  dimension :math:`U_{ik} = \\sum_{j \\in k} O_{ij}`.

A city-year at the best value of every weighted indicator has no shortfall;
its obstacle degrees are undefined (NaN).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vagg._errors import SpecificationError
from vagg.data.panel import check_columns, check_panel_index
from vagg.mechanisms._matrix import minmax
from vagg.mechanisms.composite import IndexResult, composite_index
from vagg.mechanisms.indicators import IndicatorSystem

__all__ = ["ObstacleResult", "obstacle_degree", "top_obstacles"]


@dataclass(frozen=True)
class ObstacleResult:
    """Obstacle degrees of a panel.

    Attributes
    ----------
    indicators
        (entity, time) x indicator obstacle degrees, per cent (rows sum to 100).
    dimensions
        (entity, time) x dimension obstacle degrees, per cent.
    deviation
        (entity, time) x indicator deviation degrees :math:`1 - z`.
    contribution
        Indicator -> factor contribution (the index weight).
    system
        The indicator system.
    """

    indicators: pd.DataFrame
    dimensions: pd.DataFrame
    deviation: pd.DataFrame
    contribution: pd.Series
    system: IndicatorSystem


def obstacle_degree(
    panel: pd.DataFrame,
    index: IndexResult | None = None,
    system: IndicatorSystem | str | os.PathLike[str] = "default",
    method: str = "entropy",
    base: str = "pooled",
) -> ObstacleResult:
    """Obstacle degrees of every indicator and dimension, per city-year.

    Parameters
    ----------
    panel
        DataFrame indexed by (entity, time) with the indicator columns.
    index
        A composite index of ``panel`` (:func:`vagg.mechanisms.composite_index`)
        whose system, weights and base are used; when None it is built from
        ``system``, ``method`` and ``base``.
    system, method, base
        Passed to :func:`vagg.mechanisms.composite_index` when ``index`` is None.

    Raises
    ------
    SpecificationError
        A PCA index, or a system column absent from the data.
    """
    check_panel_index(panel)
    if index is None:
        index = composite_index(panel, system, method=method, base=base)
    if index.method == "pca":
        raise SpecificationError("the obstacle-degree model needs an index that weighs min-max normalised "
                                 "indicators (entropy, CRITIC, TOPSIS or equal), not the PCA index")
    system = index.system
    system.check(panel)
    columns = system.columns
    check_columns(panel, columns)
    signs = np.array([system.directions[c] for c in columns], dtype=float)
    values = panel[columns].to_numpy(dtype=float)
    if index.base == "yearly":
        assert index.weights_by_year is not None
        time = panel.index.get_level_values(1)
        weights = index.weights_by_year.reindex(time).to_numpy(dtype=float)
        z = np.empty_like(values)
        for year in time.unique():
            rows = np.asarray(time == year)
            z[rows] = minmax(values[rows], signs)
    else:
        weights = np.broadcast_to(index.weights["weight"].to_numpy(dtype=float), values.shape)
        z = minmax(values, signs)
    deviation = 1.0 - z
    weighted = weights * deviation
    total = weighted.sum(axis=1, keepdims=True)
    obstacle = 100 * weighted / np.where(total > 0, total, np.nan)
    indicators = pd.DataFrame(obstacle, index=panel.index, columns=columns)
    dim_of = pd.Series([i.dimension for i in system.indicators], index=columns)
    dimensions = indicators.T.groupby(dim_of, sort=False).sum(min_count=1).T[system.dimensions]
    return ObstacleResult(indicators=indicators, dimensions=dimensions,
                          deviation=pd.DataFrame(deviation, index=panel.index, columns=columns),
                          contribution=index.weights["weight"].rename("contribution"), system=system)


def top_obstacles(result: ObstacleResult, n: int = 3, level: str = "indicator",
                  years: int | list[int] | None = None) -> pd.DataFrame:
    """The ``n`` largest obstacles of every city, in a long table.

    Parameters
    ----------
    result
        From :func:`obstacle_degree`.
    n
        How many obstacles per city (and year).
    level
        "indicator" or "dimension".
    years
        None ranks each city's mean obstacle degree over all years; a year or
        list of years ranks within each of them.

    Returns
    -------
    DataFrame indexed by (entity, rank) or (entity, year, rank) with columns
    ``indicator`` (or ``dimension``), ``dimension`` for indicators, and ``obstacle`` (per cent).
    """
    if level not in ("indicator", "dimension"):
        raise SpecificationError(f"level must be 'indicator' or 'dimension', got {level!r}")
    frame = result.indicators if level == "indicator" else result.dimensions
    if n < 1 or n > frame.shape[1]:
        raise SpecificationError(f"n must be between 1 and {frame.shape[1]} {level}s, got {n}")
    entity, time = frame.index.names[0] or "entity", frame.index.names[1] or "time"
    if years is None:
        table = frame.groupby(level=0, sort=False).mean()
        keys = [entity]
    else:
        wanted = [years] if np.isscalar(years) else list(years)
        present = set(frame.index.get_level_values(1))
        absent = [y for y in wanted if y not in present]
        if absent:
            raise SpecificationError(f"year(s) {absent} not in the panel")
        table = frame[frame.index.get_level_values(1).isin(wanted)]
        keys = [entity, time]
    long = table.rename_axis(index=keys).stack().rename("obstacle").rename_axis([*keys, level]).reset_index()
    long = long.sort_values([*keys, "obstacle"], ascending=[True] * len(keys) + [False], kind="stable")
    long["rank"] = long.groupby(keys, sort=False).cumcount() + 1
    long = long[long["rank"] <= n]
    if level == "indicator":
        dims = {i.column: i.dimension for i in result.system.indicators}
        long.insert(len(keys) + 1, "dimension", long["indicator"].map(dims))
    return long.set_index([*keys, "rank"])
