r"""Classical and spatial Markov chains of a panel variable (giddy).

Values are put into k quantile classes Q1 (lowest) .. Qk, either within each
year (``classes="yearly"``, relative position) or over all years together
(``classes="pooled"``, absolute levels).  The maximum-likelihood transition
probability is p_ij = n_ij / n_i, n_ij the number of one-year moves from
class i to class j; the steady state pi solves pi P = pi.  The spatial Markov
chain conditions P on the class of the spatial lag (the neighbours' weighted
mean, W y) at the start of the step: one k x k matrix per neighbour class.
Its Q and LR statistics test that the conditional matrices are equal
(Bickenbach and Bode 2003).

References: Quah, D. (1993), "Empirical cross-section dynamics in economic
growth", European Economic Review 37: 426-434; Rey, S. J. (2001),
"Spatial empirics for economic growth and convergence", Geographical Analysis
33: 195-214; Bickenbach, F. and Bode, E. (2003), International Regional
Science Review 26: 363-392.  The chains are estimated by giddy (PySAL).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from libpysal.weights import W

from vagg._errors import DataError, SpecificationError
from vagg.evolution._inputs import aligned_libpysal, consecutive_years, panel_series, wide

Classes = Literal["yearly", "pooled"]


@dataclass(frozen=True)
class MarkovResult:
    """A classical Markov chain on quantile classes.

    Attributes
    ----------
    transitions, probabilities
        k x k DataFrames (index ``from_class``, columns ``to_class``,
        labels Q1..Qk): counts n_ij and probabilities p_ij.
    steady_state
        Series by class (the ergodic distribution); for a reducible chain
        a DataFrame with one row per recurrent class; NaN when a class is
        never observed at the start of a step.
    classes
        Entities x years DataFrame of class labels.
    cutoffs
        Upper bounds of the classes (pooled classes) or None (yearly).
    """

    transitions: pd.DataFrame
    probabilities: pd.DataFrame
    steady_state: pd.Series | pd.DataFrame
    classes: pd.DataFrame
    cutoffs: np.ndarray | None


@dataclass(frozen=True)
class SpatialMarkovResult:
    """A spatial Markov chain conditioned on the neighbours' class.

    Attributes
    ----------
    transitions, probabilities
        DataFrames indexed (``neighbour_class``, ``from_class``) with columns
        ``to_class``: one k x k block per neighbour class.
    steady_state
        DataFrame, one row per neighbour class, columns the classes (NaN in a
        row whose conditional chain has no unique steady state).
    global_probabilities
        The unconditional k x k matrix.
    tests
        Series: ``Q``, ``Q_p_value``, ``LR``, ``LR_p_value``, ``dof`` for the
        homogeneity of the conditional matrices.
    cutoffs, lag_cutoffs
        Class bounds of the values and of the spatial lags (pooled) or None.
    """

    transitions: pd.DataFrame
    probabilities: pd.DataFrame
    steady_state: pd.DataFrame
    global_probabilities: pd.DataFrame
    tests: pd.Series
    cutoffs: np.ndarray | None
    lag_cutoffs: np.ndarray | None


def _labels(k: int) -> list[str]:
    return [f"Q{i + 1}" for i in range(k)]


def _matrix(values: np.ndarray, k: int) -> pd.DataFrame:
    labels = _labels(k)
    return pd.DataFrame(np.asarray(values, float), index=pd.Index(labels, name="from_class"),
                        columns=pd.Index(labels, name="to_class"))


def _steady(values: np.ndarray, k: int) -> pd.Series | pd.DataFrame:
    values = np.asarray(values, float)
    if values.ndim == 1:
        return pd.Series(values, index=pd.Index(_labels(k), name="class"), name="steady_state")
    return pd.DataFrame(values, columns=pd.Index(_labels(k), name="class"))


def _prepare(panel: pd.DataFrame | pd.Series, column: str | None, k: int, classes: str,
             relative: bool) -> pd.DataFrame:
    """Entities x years values, checked for the chains."""
    if classes not in ("yearly", "pooled"):
        raise SpecificationError(f"classes must be 'yearly' or 'pooled', got {classes!r}")
    if not isinstance(k, (int, np.integer)) or k < 2:
        raise SpecificationError(f"k (the number of classes) must be an integer >= 2, got {k!r}")
    series, cross_section = panel_series(panel, column)
    if cross_section:
        raise DataError("a Markov chain needs a panel indexed (entity, time), not one cross-section")
    table = wide(series)
    consecutive_years(table.columns)
    if table.shape[1] < 2:
        raise DataError("a Markov chain needs at least two years")
    if table.shape[0] < k:
        raise DataError(f"{table.shape[0]} entities cannot fill k = {k} classes")
    if relative:
        means = table.mean(axis=0)
        if (means <= 0).any():
            raise DataError(f"relative values need a positive yearly mean; not so in {means.index[means <= 0][0]}")
        table = table / means
    _warn_ties(table, k, classes, str(series.name))
    return table


def _warn_ties(table: pd.DataFrame, k: int, classes: str, name: str) -> None:
    """Warn, naming the column and years, when ties make quantile cut points coincide (classes collapse)."""
    cuts = np.linspace(0, 1, k + 1)[1:-1]
    if classes == "pooled":
        points = np.quantile(table.to_numpy().ravel(), cuts)[None, :]
        where = "pooled over the years"
    else:
        points = np.quantile(table.to_numpy(), cuts, axis=0).T
        where = None
    tied = (np.diff(points, axis=1) == 0).any(axis=1)
    if tied.any():
        if where is None:
            where = "in " + ", ".join(str(y) for y in table.columns[tied][:10])
        warnings.warn(f"ties in {name!r} make quantile cut points coincide {where}: fewer than k = {k} classes "
                      "are distinct; use fewer classes, ranks (e.g. panel[column].groupby(year).rank()) or "
                      "break the ties", UserWarning, stacklevel=3)


def _classify(table: pd.DataFrame, k: int, classes: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Quantile class ids (0..k-1), entities x years, and the pooled cutoffs."""
    import mapclassify  # slow to import (numba): loaded on first use

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mapclassify warns about ties in small samples
        if classes == "pooled":
            q = mapclassify.Quantiles(table.to_numpy().ravel(), k=k)
            return q.yb.reshape(table.shape), np.asarray(q.bins[:-1])
        return np.column_stack([mapclassify.Quantiles(table[c].to_numpy(), k=k).yb for c in table.columns]), None


def markov(panel: pd.DataFrame | pd.Series, column: str | None = None, k: int = 5,
           classes: Classes = "yearly", relative: bool = False) -> MarkovResult:
    """Classical Markov transition matrix of ``column`` on k quantile classes.

    Parameters
    ----------
    panel
        Balanced panel indexed (entity, time) with consecutive years.
    k
        Number of quantile classes (Q1 lowest).
    classes
        ``"yearly"``: quantiles within each year (the giddy documentation's
        example); ``"pooled"``: quantiles of all city-years together.
    relative
        Divide each year's values by that year's cross-sectional mean first.

    Returns
    -------
    MarkovResult
        ``transitions``, ``probabilities`` (k x k), ``steady_state``,
        ``classes`` (entities x years labels), ``cutoffs``.  Formulas and
        references in the module docstring.
    """
    from giddy.markov import Markov

    table = _prepare(panel, column, k, classes, relative)
    ids, cutoffs = _classify(table, k, classes)
    chain = Markov(ids, classes=np.arange(k), summary=False)
    labels = np.array(_labels(k), dtype=object)
    visited = (chain.transitions.sum(axis=1) > 0).all()  # else a class is never left: no steady state
    return MarkovResult(
        transitions=_matrix(chain.transitions, k),
        probabilities=_matrix(chain.p, k),
        steady_state=_steady(chain.steady_state if visited else np.full(k, np.nan), k),
        classes=pd.DataFrame(labels[ids], index=table.index, columns=table.columns),
        cutoffs=cutoffs,
    )


def spatial_markov(panel: pd.DataFrame | pd.Series, column: str | None, w: W | tuple[sp.spmatrix, list],
                   k: int = 5, m: int | None = None, classes: Classes = "pooled",
                   relative: bool = False) -> SpatialMarkovResult:
    """Spatial Markov chain: transitions conditioned on the neighbours' class.

    Parameters
    ----------
    panel, column
        Balanced panel indexed (entity, time) with consecutive years, and the
        variable (``None`` when ``panel`` is a Series).
    w
        libpysal W (or (sparse, ids)) over the panel's entities, used as given
        (vagg's builders row-standardise, so W y is the neighbours' mean);
        ids that do not match the panel are refused by name.
    k, m
        Number of classes of the values and of the spatial lags (m = k by
        default).
    classes
        ``"pooled"`` (quantiles over all years, giddy's ``fixed=True``) or
        ``"yearly"``.
    relative
        Divide each year's values by that year's mean first.

    Returns
    -------
    SpatialMarkovResult
        Conditional ``transitions`` / ``probabilities`` (indexed (neighbour
        class, from class)), ``steady_state`` by neighbour class, the
        ``global_probabilities`` and the homogeneity ``tests`` (module
        docstring).
    """
    from giddy.ergodic import steady_state
    from giddy.markov import Spatial_Markov

    table = _prepare(panel, column, k, classes, relative)
    m = k if m is None else m
    weights = aligned_libpysal(w, table.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chain = Spatial_Markov(table.to_numpy(), weights, k=k, m=m, fixed=(classes == "pooled"),
                               fill_empty_classes=False)
        steady = np.full((chain.m, chain.k), np.nan)
        for lag, p in enumerate(chain.P):
            if (p.sum(axis=1) > 0).all():
                s = np.asarray(steady_state(p), float)
                steady[lag] = s if s.ndim == 1 else np.nan
        tests = pd.Series({"Q": chain.Q, "Q_p_value": chain.Q_p_value, "LR": chain.LR,
                           "LR_p_value": chain.LR_p_value, "dof": chain.dof_hom})
    k, m = int(chain.k), int(chain.m)  # tied quantiles can merge classes
    index = pd.MultiIndex.from_product([_labels(m), _labels(k)], names=["neighbour_class", "from_class"])
    columns = pd.Index(_labels(k), name="to_class")
    return SpatialMarkovResult(
        transitions=pd.DataFrame(np.asarray(chain.T, float).reshape(m * k, k), index=index, columns=columns),
        probabilities=pd.DataFrame(np.asarray(chain.P, float).reshape(m * k, k), index=index, columns=columns),
        steady_state=pd.DataFrame(steady, index=pd.Index(_labels(m), name="neighbour_class"),
                                  columns=pd.Index(_labels(k), name="class")),
        global_probabilities=_matrix(chain.p, k),
        tests=tests,
        cutoffs=None if chain.cutoffs is None else np.asarray(chain.cutoffs),
        lag_cutoffs=None if chain.lag_cutoffs is None else np.asarray(chain.lag_cutoffs),
    )
