r"""Theil's T and L indices with their exact between/within decomposition.

For n values y with mean mu in groups j (n_j values, mean mu_j, population
share p_j = n_j / n, value share s_j = n_j mu_j / (n mu)):

.. math::

    T = \frac{1}{n} \sum_i \frac{y_i}{\mu} \ln\frac{y_i}{\mu}
      = \underbrace{\sum_j s_j T_j}_{\text{within}}
      + \underbrace{\sum_j s_j \ln\frac{\mu_j}{\mu}}_{\text{between}}

    L = \frac{1}{n} \sum_i \ln\frac{\mu}{y_i}
      = \sum_j p_j L_j + \sum_j p_j \ln\frac{\mu}{\mu_j}

T (GE(1), Theil's first measure) weights groups by their value share, L (GE(0),
the mean log deviation) by their population share.  References: Theil, H.
(1967), *Economics and Information Theory*, North-Holland; Shorrocks, A. F.
(1980), "The class of additively decomposable inequality measures",
Econometrica 48: 613-625.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from vagg._errors import SpecificationError
from vagg.evolution._inputs import group_labels, panel_series, require_positive, require_positive_mean, time_name
from vagg.evolution._result import Decomposition


def _xlogx(ratio: np.ndarray) -> np.ndarray:
    """r ln r with 0 ln 0 = 0."""
    safe = np.where(ratio > 0, ratio, 1.0)
    return ratio * np.log(safe)


def _index(y: np.ndarray, mean: np.ndarray, kind: str) -> np.ndarray:
    """Per-value terms whose group average is the index (T or L)."""
    return _xlogx(y / mean) if kind == "T" else np.log(mean / y)


def theil(values: pd.DataFrame | pd.Series | Sequence[float] | np.ndarray,
          groups: str | pd.Series | Sequence[object] | np.ndarray | None = None,
          column: str | None = None,
          kind: Literal["T", "L"] = "T") -> Decomposition:
    r"""Theil T or L index with between/within decomposition, year by year.

    Parameters
    ----------
    values
        A panel DataFrame indexed (entity, time) (then give ``column``), a
        Series indexed (entity, time), or one cross-section.  T needs
        non-negative values (0 ln 0 = 0), L positive values.
    groups
        A column name of the panel, a Series indexed by entity or (entity,
        time), or an array aligned with ``values``; ``None`` puts every value
        in one group (between = 0).
    column
        The variable when ``values`` is a DataFrame.
    kind
        ``"T"`` (GE(1)) or ``"L"`` (GE(0), mean log deviation).

    Returns
    -------
    Decomposition
        ``summary`` per year: ``total``, ``within``, ``between``,
        ``within_share``, ``between_share``, ``n``.  ``groups`` per year x
        group: ``n``, ``mean``, ``population_share``, ``value_share``,
        ``theil`` (the group's own index) and ``contribution`` (its share-
        weighted part of the within term).  Formulas in the module docstring
        (Theil 1967; Shorrocks 1980).

    Raises
    ------
    DataError
        Missing values or labels; zero or negative values where the index is
        undefined, named by entity and year.
    """
    if kind not in ("T", "L"):
        raise SpecificationError(f"kind must be 'T' or 'L', got {kind!r}")
    series, cross_section = panel_series(values, column)
    require_positive(series, f"Theil's {kind}", allow_zero=(kind == "T"))
    require_positive_mean(series)
    labels = (pd.Series("all", index=series.index) if groups is None
              else group_labels(groups, values, series))
    time = time_name(series)
    years = series.index.get_level_values(1)
    frame = pd.DataFrame({time: years, "group": labels.to_numpy(), "y": series.to_numpy()})
    by_year = frame.groupby(time)["y"]
    by_group = frame.groupby([time, "group"])["y"]
    mu = by_year.transform("mean").to_numpy()
    mu_j = by_group.transform("mean").to_numpy()
    frame["overall"] = _index(frame["y"].to_numpy(), mu, kind)
    frame["own"] = _index(frame["y"].to_numpy(), mu_j, kind)

    groups_table = by_group.agg(n="size", mean="mean")
    groups_table["theil"] = frame.groupby([time, "group"])["own"].mean()
    year_n = groups_table.groupby(level=0)["n"].transform("sum")
    year_mean = frame.groupby(time)["y"].mean().reindex(groups_table.index.get_level_values(0)).to_numpy()
    groups_table["population_share"] = groups_table["n"] / year_n
    groups_table["value_share"] = groups_table["population_share"] * groups_table["mean"] / year_mean
    weight = groups_table["value_share"] if kind == "T" else groups_table["population_share"]
    groups_table["contribution"] = weight * groups_table["theil"]
    # between = sum_j p_j f(mu_j / mu): T has f = r ln r, L has f = -ln r
    gap = groups_table["population_share"] * _index(groups_table["mean"].to_numpy(), year_mean, kind)

    summary = pd.DataFrame({
        "total": frame.groupby(time)["overall"].mean(),
        "within": groups_table["contribution"].groupby(level=0).sum(),
        "between": gap.groupby(level=0).sum(),
        "n": frame.groupby(time).size(),
    })
    summary["within_share"] = summary["within"] / summary["total"]
    summary["between_share"] = summary["between"] / summary["total"]
    return Decomposition(
        summary=summary,
        groups=groups_table[["n", "mean", "population_share", "value_share", "theil", "contribution"]],
        cross_section=cross_section,
        measure=f"theil_{kind}",
    )
