r"""Dagum's (1997) decomposition of the Gini coefficient by subgroups.

For n values y with mean mu split into k groups (group j: n_j values, mean
mu_j, population share p_j = n_j / n, value share s_j = n_j mu_j / (n mu)):

.. math::

    G = \frac{\sum_j \sum_h \sum_i \sum_r |y_{ji} - y_{hr}|}{2 n^2 \mu},\qquad
    G_{jj} = \frac{\sum_i \sum_r |y_{ji} - y_{jr}|}{2 n_j^2 \mu_j},\qquad
    G_{jh} = \frac{\sum_i \sum_r |y_{ji} - y_{hr}|}{n_j n_h (\mu_j + \mu_h)}

    G_w = \sum_j G_{jj} p_j s_j,\quad
    G_{nb} = \sum_{j<h} G_{jh} (p_j s_h + p_h s_j) D_{jh},\quad
    G_t = \sum_{j<h} G_{jh} (p_j s_h + p_h s_j) (1 - D_{jh})

and G = G_w + G_nb + G_t exactly.  The relative economic affluence
D_jh = (d_jh - p_jh) / (d_jh + p_jh) compares, for the richer group j
(mu_j >= mu_h), the gross economic affluence d_jh = E[(y_j - y_h)^+] with the
first-order moment of transvariation p_jh = E[(y_h - y_j)^+] over all pairs;
D_jh = 1 when the groups do not overlap, so the transvariation term, the part of
the gap between groups that comes from their overlap, is then zero.

Reference: Dagum, C. (1997), "A new approach to the decomposition of the Gini
income inequality ratio", Empirical Economics 22: 515-531.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vagg.evolution._inputs import group_labels, panel_series, require_positive, require_positive_mean, time_name
from vagg.evolution._result import Decomposition


def _one_year(values: np.ndarray, labels: np.ndarray, names: list[str]) -> tuple[dict, dict, dict]:
    """Dagum terms of one cross-section; ``labels`` are codes into ``names``."""
    n = len(values)
    k = len(names)
    onehot = np.zeros((n, k))
    onehot[np.arange(n), labels] = 1.0
    diff = values[:, None] - values[None, :]
    S = onehot.T @ np.abs(diff) @ onehot           # sum |y_ji - y_hr| over pairs of groups j, h
    A = onehot.T @ np.maximum(diff, 0.0) @ onehot  # sum (y_ji - y_hr)^+
    nj = onehot.sum(axis=0)
    mu = values.mean()
    muj = (onehot.T @ values) / nj
    pj, sj = nj / n, nj * muj / (n * mu)
    scale = np.outer(nj, nj) * (muj[:, None] + muj[None, :])
    gross = A + A.T
    with np.errstate(invalid="ignore", divide="ignore"):  # all-zero groups: no difference, term 0
        G_pair = np.where(scale > 0, S / scale, 0.0)
        D = np.where(gross > 0, np.abs(A - A.T) / gross, 0.0)
    weight = np.outer(pj, sj) + np.outer(sj, pj)
    upper = np.triu(np.ones((k, k), dtype=bool), 1)
    between = G_pair * weight * D
    trans = G_pair * weight * (1.0 - D)
    total = S.sum() / (2.0 * n * n * mu)
    g_jj = np.diag(G_pair)
    summary = {
        "total": total,
        "within": float(np.sum(g_jj * pj * sj)),
        "between": float(between[upper].sum()),
        "transvariation": float(trans[upper].sum()),
        "n": n,
    }
    groups = {"n": nj.astype(int), "mean": muj, "population_share": pj, "value_share": sj, "gini": g_jj}
    a, b = np.nonzero(upper)
    pairs = {
        "group_a": [names[i] for i in a], "group_b": [names[i] for i in b],
        "gini": G_pair[a, b], "D": D[a, b], "between": between[a, b], "transvariation": trans[a, b],
    }
    return summary, groups, pairs


def dagum_gini(values: pd.DataFrame | pd.Series | Sequence[float] | np.ndarray,
               groups: str | pd.Series | Sequence[object] | np.ndarray,
               column: str | None = None) -> Decomposition:
    r"""Dagum (1997) Gini decomposition, year by year.

    Parameters
    ----------
    values
        A panel DataFrame indexed (entity, time) (then give ``column``), a
        Series indexed (entity, time), or one cross-section (1-D array or
        Series).  Values must be non-negative with a positive mean each year.
    groups
        Group of each value: a column name of the panel (e.g. ``"region"``), a
        Series indexed by entity or by (entity, time), or an array aligned
        with ``values``.  Groups may differ between years.
    column
        The variable when ``values`` is a DataFrame.

    Returns
    -------
    Decomposition
        ``summary`` (per year): ``total`` G, ``within`` G_w, ``between``
        G_nb, ``transvariation`` G_t, ``within_share``, ``between_share``,
        ``transvariation_share``, ``n``.  ``groups`` (per year x group): ``n``,
        ``mean``, ``population_share`` p_j, ``value_share`` s_j, ``gini``
        G_jj.  ``pairs`` (per year x pair, ``group_a`` < ``group_b``):
        ``gini`` G_jh, ``D`` D_jh, ``between`` and ``transvariation``
        contributions of the pair.  ``.total``, ``.within``, ``.between`` and
        ``.transvariation`` are Series by year (floats for a cross-section).

    Notes
    -----
    The formulas are in the module docstring (Dagum 1997, Empirical Economics
    22: 515-531).  G uses the n^2 denominator, so it equals the Gini of
    ``inequality.gini.Gini`` (PySAL) and the identity G = G_w + G_nb + G_t
    holds to rounding.

    Raises
    ------
    DataError
        Missing values or labels, negative values, a year with zero mean.
    """
    series, cross_section = panel_series(values, column)
    require_positive(series, "the Gini coefficient", allow_zero=True)
    require_positive_mean(series)
    labels = group_labels(groups, values, series)
    time = time_name(series)
    names = sorted(labels.unique())
    codes = pd.Series(pd.Categorical(labels, categories=names).codes, index=series.index)
    rows, group_rows, pair_rows = [], [], []
    for year, year_values in series.groupby(level=1, sort=True):
        present = sorted(set(codes.loc[year_values.index]))
        local = np.searchsorted(present, codes.loc[year_values.index].to_numpy())
        summary, by_group, by_pair = _one_year(year_values.to_numpy(), local, [names[c] for c in present])
        rows.append({time: year, **summary})
        group_rows.append(pd.DataFrame({time: year, "group": [names[c] for c in present], **by_group}))
        pair_rows.append(pd.DataFrame({time: year, **by_pair}))
    table = pd.DataFrame(rows).set_index(time)
    for part in ("within", "between", "transvariation"):
        table[f"{part}_share"] = table[part] / table["total"]
    return Decomposition(
        summary=table,
        groups=pd.concat(group_rows, ignore_index=True).set_index([time, "group"]),
        pairs=pd.concat(pair_rows, ignore_index=True).set_index([time, "group_a", "group_b"]),
        cross_section=cross_section,
        measure="dagum_gini",
    )
