"""Objective indicator weights: entropy, CRITIC and equal weights.

All three take an observations-by-indicators matrix, normalise each indicator
by directional min-max (:func:`vagg.mechanisms._matrix.minmax`) and return a
weight per indicator that sums to one.  Pooling over all city-years (the
default) keeps years comparable (the "time-fixed base"); ``by=`` computes one
set of weights per group (usually per year) instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy.special import xlogy

from vagg._errors import SpecificationError
from vagg.mechanisms._matrix import (
    Directions,
    as_frame,
    constant_columns,
    direction_vector,
    minmax,
    warn_constant,
)

__all__ = [
    "normalise",
    "entropy_weights",
    "critic_weights",
    "equal_weights",
    "entropy_from_normalised",
    "critic_from_normalised",
]


def normalise(X: pd.DataFrame | np.ndarray, directions: Directions = None) -> pd.DataFrame:
    r"""Directional min-max normalisation of every indicator to [0, 1].

    z_ij = (x_ij - min_j) / (max_j - min_j) for a benefit indicator (+1),
    z_ij = (max_j - x_ij) / (max_j - min_j) for a cost indicator (-1), so
    that reversing a direction mirrors z to 1 - z; a constant column is 0.
    """
    frame = as_frame(X)
    signs = direction_vector(list(frame.columns), directions)
    return pd.DataFrame(minmax(frame.to_numpy(dtype=float), signs), index=frame.index, columns=frame.columns)


def entropy_from_normalised(z: np.ndarray, shift: float = 1e-4) -> np.ndarray:
    r"""Entropy weights of an already normalised matrix ``z`` (n x m, values in [0, 1]).

    p_ij = (z_ij + shift) / sum_i (z_ij + shift), e_j = -k sum_i p_ij ln p_ij
    with k = 1 / ln n, d_j = 1 - e_j, w_j = d_j / sum_j d_j (0 ln 0 = 0).
    """
    shifted = z + shift
    totals = shifted.sum(axis=0)
    p = shifted / np.where(totals > 0, totals, 1.0)
    e = -xlogy(p, p).sum(axis=0) / np.log(z.shape[0])
    d = np.where(constant_columns(z), 0.0, 1.0 - e)  # exactly 0, not 1 - (1 - eps)
    return d / d.sum()


def critic_from_normalised(z: np.ndarray) -> np.ndarray:
    r"""CRITIC weights of an already normalised matrix ``z`` (n x m).

    C_j = sigma_j sum_k (1 - r_jk), w_j = C_j / sum_j C_j, with sigma_j the
    standard deviation of column j and r_jk Pearson's correlation; a constant
    column has sigma_j = 0 and so weight 0.
    """
    sigma = z.std(axis=0, ddof=1)
    live = sigma > 0
    r = np.zeros((z.shape[1], z.shape[1]))
    r[np.ix_(live, live)] = np.atleast_2d(np.corrcoef(z[:, live], rowvar=False))
    conflict = (1.0 - r).sum(axis=0)
    info = sigma * np.where(conflict > 1e-12, conflict, 0.0)  # r = 1 - eps from rounding counts as 1
    if info.sum() <= 0:  # every varying indicator is a positive affine copy of the others: no conflict to weigh
        warnings.warn("CRITIC is undefined when all indicators are perfectly correlated; equal weights used",
                      stacklevel=3)
        return live / live.sum()
    return info / info.sum()


def _weights(
    X: pd.DataFrame | np.ndarray,
    directions: Directions,
    by: str | int | Sequence[object] | None,
    method: Callable[[np.ndarray], np.ndarray],
) -> pd.Series | pd.DataFrame:
    """Weights by ``method`` on the directional min-max matrix, pooled or per group."""
    frame = as_frame(X)
    columns = list(frame.columns)
    signs = direction_vector(columns, directions)
    values = frame.to_numpy(dtype=float)
    if by is None:
        warn_constant(columns, constant_columns(values))
        return pd.Series(method(minmax(values, signs)), index=columns, name="weight")
    groups = _group_labels(frame, by)
    rows = {}
    for g in pd.unique(groups):  # one cross-section a group (year), vectorised within
        part = values[groups == g]
        if part.shape[0] < 2:
            raise SpecificationError(
                f"group {g!r} has {part.shape[0]} observation; year-by-year weights need two or more"
            )
        warn_constant(columns, constant_columns(part), where=f" in {g}")
        rows[g] = method(minmax(part, signs))
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).sort_index()


def _group_labels(frame: pd.DataFrame, by: str | int | Sequence[object]) -> np.ndarray:
    """Group labels from an index level name/number or an array as long as the data."""
    if isinstance(by, (str, int)) and not isinstance(by, bool):
        if isinstance(by, str) and by not in (frame.index.names or []):
            raise SpecificationError(f"by={by!r} is not an index level; levels are {list(frame.index.names)}")
        return frame.index.get_level_values(by).to_numpy()
    labels = np.asarray(by)
    if labels.shape != (len(frame),):
        raise SpecificationError(f"by= must name an index level or give one label per row ({len(frame)})")
    return labels


def entropy_weights(
    X: pd.DataFrame | np.ndarray,
    directions: Directions = None,
    shift: float = 1e-4,
    by: str | int | Sequence[object] | None = None,
) -> pd.Series | pd.DataFrame:
    r"""Entropy weights of indicators.

    Each indicator is min-max normalised with its direction,
    z_ij = (x_ij - min_j) / (max_j - min_j) (benefit) or
    (max_j - x_ij) / (max_j - min_j) (cost), shifted by ``shift`` so that the
    logarithm exists, and

    .. math::

        p_{ij} = \frac{z_{ij} + s}{\sum_i (z_{ij} + s)},\quad
        e_j = -\frac{1}{\ln n} \sum_i p_{ij} \ln p_{ij},\quad
        w_j = \frac{1 - e_j}{\sum_k (1 - e_k)}.

    Pooled over all rows (the time-fixed base that keeps years comparable)
    unless ``by`` names groups (e.g. ``by="year"``), in which case every group
    is normalised and weighted on its own.

    Parameters
    ----------
    X
        Observations by indicators (DataFrame, or 2-d array).
    directions
        +1 / -1 per indicator (mapping by column or a sequence); all +1 if None.
    shift
        The translation s added after normalisation (0.0001 in most applied work).
    by
        An index level (name or number) or one label per row; None pools.

    Returns
    -------
    Series of weights indexed by column (sums to 1), or with ``by`` a
    DataFrame with one row of weights per group.  A constant indicator gets
    weight 0 with a warning naming it.

    References
    ----------
    Shannon, C. E. (1948). A mathematical theory of communication. *Bell System
    Technical Journal* 27, 379-423; Zeleny, M. (1982). *Multiple Criteria
    Decision Making*, McGraw-Hill (entropy weighting of attributes).
    """
    if not np.isfinite(shift) or shift < 0:
        raise SpecificationError(f"shift must be a non-negative number, got {shift!r}")
    return _weights(X, directions, by, lambda z: entropy_from_normalised(z, shift))


def critic_weights(
    X: pd.DataFrame | np.ndarray,
    directions: Directions = None,
    by: str | int | Sequence[object] | None = None,
) -> pd.Series | pd.DataFrame:
    r"""CRITIC weights (CRiteria Importance Through Intercriteria Correlation).

    On the directional min-max normalised matrix,

    .. math::

        C_j = \sigma_j \sum_{k=1}^{m} (1 - r_{jk}),\qquad w_j = C_j / \sum_k C_k,

    where sigma_j is the standard deviation of indicator j (contrast) and
    r_jk the Pearson correlation between indicators j and k (conflict).
    When every indicator is perfectly correlated with every other, all C_j
    are 0; equal weights are returned with a warning.

    Parameters and return value as in :func:`entropy_weights`.

    References
    ----------
    Diakoulaki, D., Mavrotas, G. and Papayannakis, L. (1995). Determining
    objective weights in multiple criteria problems: the CRITIC method.
    *Computers & Operations Research* 22(7), 763-770.
    """
    return _weights(X, directions, by, critic_from_normalised)


def equal_weights(X: pd.DataFrame | np.ndarray) -> pd.Series:
    """w_j = 1 / m for each of the m indicators."""
    columns = list(as_frame(X).columns)
    return pd.Series(np.full(len(columns), 1.0 / len(columns)), index=columns, name="weight")
