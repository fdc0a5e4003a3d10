"""How much each dimension contributes: the Shapley-Owen decomposition of the within R^2.

The dimension sub-indices enter one two-way FE model together.  The share of
the within :math:`R^2` of a group of regressors :math:`j` among :math:`K`
groups is its Shapley value (Shapley 1953) in the game whose worth of a
coalition :math:`S` is the within :math:`R^2` gained by adding its regressors
to the controls,

.. math::  \\phi_j = \\sum_{S \\subseteq N \\setminus \\{j\\}}
   \\frac{|S|!\\,(K-|S|-1)!}{K!}\\,[v(S \\cup \\{j\\}) - v(S)],
   \\qquad v(S) = R^2_w(C \\cup S) - R^2_w(C),

computed exactly over all :math:`2^K` coalitions (Huettner and Sunder 2012,
*Electronic Journal of Statistics* 6:1239, call the decomposition among
groups of regressors the Owen / Shapley-Owen value; Israeli 2007 for
R^2).  The shares add up to :math:`R^2_w` of the full model minus that of the
controls alone (efficiency).  Each :math:`R^2_w(S)` comes from the
within-transformed Gram matrix: :math:`R^2_w(S) = g_S' G_{SS}^{-1} g_S /
\\ddot y'\\ddot y` with :math:`G = \\ddot X'\\ddot X`, :math:`g = \\ddot X'\\ddot y`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import factorial
from typing import Any

import numpy as np
import pandas as pd

from vagg._errors import SpecificationError
from vagg.data.panel import check_columns, check_panel_index
from vagg.models._within import Groups, demean

#: more groups than this make 2^K coalitions too many for an exact decomposition
MAX_GROUPS = 16


def _explained(gram: np.ndarray, cross: np.ndarray, cols: np.ndarray) -> float:
    """g_S' G_SS^+ g_S: the sum of squares the columns ``cols`` explain."""
    if not cols.any():
        return 0.0
    g = cross[cols]
    return float(g @ np.linalg.lstsq(gram[np.ix_(cols, cols)], g, rcond=None)[0])


def shapley_owen(y: np.ndarray, x: np.ndarray, members: Sequence[Sequence[int]],
                 always: np.ndarray | None = None) -> tuple[np.ndarray, float, float]:
    """Exact Shapley values of groups of columns of ``x`` in the R^2 of ``y`` (all arrays already within-transformed).

    Parameters
    ----------
    y
        (n,) outcome.
    x
        (n x p) regressors.
    members
        For each of the K groups, the column indices of ``x`` it holds.
    always
        (n x c) columns in every coalition (controls), or None.

    Returns
    -------
    values, r2_full, r2_always
        (K,) Shapley values summing to r2_full - r2_always, the R^2 of all
        columns and of ``always`` alone.
    """
    k = len(members)
    if not 1 <= k <= MAX_GROUPS:
        raise SpecificationError(f"the decomposition takes 1 to {MAX_GROUPS} groups, got {k}")
    tss = float(y @ y)
    if always is not None and always.shape[1]:
        q = np.linalg.qr(always)[0]
        r2_always = float((q.T @ y) @ (q.T @ y)) / tss
        y, x = y - q @ (q.T @ y), x - q @ (q.T @ x)
    else:
        r2_always = 0.0
    gram, cross = x.T @ x, x.T @ y
    masks = np.arange(2**k)
    bits = (masks[:, None] >> np.arange(k)) & 1  # coalition x group
    column_of = np.zeros((k, x.shape[1]), dtype=bool)
    for j, cols in enumerate(members):
        column_of[j, list(cols)] = True
    worth = np.array([_explained(gram, cross, (bits[m] @ column_of) > 0) for m in masks]) / tss
    size = bits.sum(axis=1)
    weight = np.array([factorial(s) * factorial(k - s - 1) / factorial(k) if s < k else 0.0 for s in range(k + 1)])
    values = np.empty(k)
    for j in range(k):  # K groups, each summing over all coalitions without it at once
        without = bits[:, j] == 0
        values[j] = np.sum(weight[size[without]] * (worth[masks[without] | (1 << j)] - worth[masks[without]]))
    return values, float(worth[-1]) + r2_always, r2_always


@dataclass
class Contributions:
    """Dimension contributions.

    Attributes
    ----------
    fit
        :class:`~vagg.models.PanelFEResults` of the joint FE model.
    table
        One row per dimension: ``shapley_r2`` (its Shapley value in the within
        R^2), ``share`` (of the R^2 the dimensions explain beyond the controls),
        ``r2_alone`` (within R^2 of the controls and this dimension only) and
        the joint-model ``coef``, ``se`` and ``pvalue`` of single-column
        dimensions.
    rsquared_within, rsquared_controls
        Within R^2 of the full model and of the controls alone.
    """

    fit: Any
    table: pd.DataFrame
    rsquared_within: float
    rsquared_controls: float


def dimension_contributions(
    data: pd.DataFrame,
    outcome: str,
    dimensions: Sequence[str] | Mapping[str, Sequence[str]],
    controls: Sequence[str] = (),
    effects: str = "twoway",
    cluster: str | None = None,
) -> Contributions:
    """Enter the dimension sub-indices jointly in the FE model and decompose its within R^2.

    Parameters
    ----------
    data
        Panel indexed by (entity, time) with complete columns.
    outcome
        The outcome column.
    dimensions
        Columns of the sub-indices (each its own group), or name -> columns
        for groups of several regressors (the Owen decomposition), e.g.
        ``composite_index(panel, system).dimensions`` joined to the data.
    controls
        Columns in every coalition; their R^2 is reported, not shared.
    effects
        Fixed effects removed before the R^2 ("entity", "time", "twoway").
    cluster
        Cluster of the joint model's standard errors (None: entity).

    Returns
    -------
    :class:`Contributions`.
    """
    from vagg.models.panel_fe import PanelFE

    check_panel_index(data)
    groups = {str(d): [d] for d in dimensions} if not isinstance(dimensions, Mapping) else \
        {str(k): list(v) for k, v in dimensions.items()}
    columns = [c for cols in groups.values() for c in cols]
    if len(set(columns)) != len(columns) or set(columns) & set(controls):
        raise SpecificationError("a column may belong to one dimension only, and not be a control")
    check_columns(data, [outcome, *columns, *controls], numeric=True, complete=True)
    with warnings.catch_warnings(record=True):  # a dropped column is refused below, with the same message
        warnings.simplefilter("always")
        fit = PanelFE(data[outcome], data[[*columns, *controls]], effects=effects, data=data).fit(cluster=cluster)
    if len(fit.params) < len(columns) + len(controls):
        raise SpecificationError("the dimensions and controls are collinear after the fixed effects: "
                                 + "; ".join(fit.notes))
    index = Groups.from_index(data.index)
    both = demean(data[[outcome, *columns, *controls]].to_numpy(dtype=float), index, effects)
    y, x, c = both[:, 0], both[:, 1:1 + len(columns)], both[:, 1 + len(columns):]
    position = {name: i for i, name in enumerate(columns)}
    members = [[position[c_] for c_ in cols] for cols in groups.values()]
    values, r2_full, r2_controls = shapley_owen(y, x, members, c)
    alone = [shapley_owen(y, x[:, m], [list(range(len(m)))], c)[1] for m in members]
    table = pd.DataFrame({"shapley_r2": values, "share": values / values.sum(), "r2_alone": alone},
                         index=pd.Index(list(groups), name="dimension"))
    single = {name: cols[0] for name, cols in groups.items() if len(cols) == 1}
    for stat, series in (("coef", fit.params), ("se", fit.std_errors), ("pvalue", fit.pvalues)):
        table[stat] = [series[single[g]] if g in single else np.nan for g in table.index]
    return Contributions(fit, table, r2_full, r2_controls)
