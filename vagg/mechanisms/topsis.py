"""TOPSIS closeness to the ideal solution (Hwang and Yoon 1981)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from vagg._errors import SpecificationError
from vagg.mechanisms._matrix import Directions, as_frame, direction_vector, minmax, weight_vector

__all__ = ["topsis", "topsis_closeness"]

_NORMALISATIONS = ("minmax", "vector")


def topsis_closeness(r: np.ndarray, weights: np.ndarray, signs: np.ndarray) -> np.ndarray:
    r"""Closeness of each row of a normalised matrix ``r`` to the ideal solution.

    v_ij = w_j r_ij; the positive ideal v+_j is max_i v_ij for a benefit and
    min_i v_ij for a cost column (``signs``), the negative ideal the opposite;
    D+_i = ||v_i - v+||, D-_i = ||v_i - v-||, closeness = D-_i / (D+_i + D-_i)
    (0.5 when both are zero, i.e. all rows are equal).
    """
    v = r * weights
    hi, lo = v.max(axis=0), v.min(axis=0)
    best = np.where(signs > 0, hi, lo)
    worst = np.where(signs > 0, lo, hi)
    d_best = np.sqrt(((v - best) ** 2).sum(axis=1))
    d_worst = np.sqrt(((v - worst) ** 2).sum(axis=1))
    total = d_best + d_worst
    return np.where(total > 0, d_worst / np.where(total > 0, total, 1.0), 0.5)


def topsis(
    X: pd.DataFrame | np.ndarray,
    weights: Mapping[str, float] | Sequence[float] | pd.Series,
    directions: Directions = None,
    normalisation: str = "minmax",
) -> pd.Series:
    r"""TOPSIS closeness scores with given weights.

    The matrix is normalised per column, by directional min-max (the default,
    r_ij in [0, 1], higher always better, so every column is then a benefit)
    or by vector norm r_ij = x_ij / sqrt(sum_i x_ij^2) (the original method,
    where cost columns keep their direction).  Then, with v_ij = w_j r_ij,

    .. math::

        D^+_i = \lVert v_i - v^+ \rVert_2,\quad D^-_i = \lVert v_i - v^- \rVert_2,
        \quad C_i = \frac{D^-_i}{D^+_i + D^-_i} \in [0, 1],

    v^+ (v^-) holding the best (worst) value of every column.

    Parameters
    ----------
    X
        Observations by indicators.
    weights
        Weight per indicator (mapping by column or sequence); rescaled to sum to 1.
    directions
        +1 / -1 per indicator; all +1 if None.
    normalisation
        ``"minmax"`` or ``"vector"``.

    Returns
    -------
    Series of closeness in [0, 1], indexed as ``X``.

    References
    ----------
    Hwang, C. L. and Yoon, K. (1981). *Multiple Attribute Decision Making:
    Methods and Applications*. Springer, pp. 128-140.
    """
    frame = as_frame(X)
    columns = list(frame.columns)
    signs = direction_vector(columns, directions)
    w = weight_vector(weights, columns, "indicator")
    w = w / w.sum()
    values = frame.to_numpy(dtype=float)
    if normalisation == "minmax":
        r, signs = minmax(values, signs), np.ones_like(signs)
    elif normalisation == "vector":
        norm = np.sqrt((values**2).sum(axis=0))
        r = values / np.where(norm > 0, norm, 1.0)
    else:
        raise SpecificationError(f"unknown normalisation {normalisation!r}; use one of {_NORMALISATIONS}")
    return pd.Series(topsis_closeness(r, w, signs), index=frame.index, name="closeness")
