"""Indicator matrices: checking the input and directional min-max normalisation.

Every index method works on an ``n x m`` matrix of observations (city-years)
by indicators.  This module turns a DataFrame (or array) into that matrix,
refusing missing, infinite or text values by column, and resolves the
direction of each indicator (+1 benefit, -1 cost).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from vagg._errors import DataError, SpecificationError
from vagg.data.panel import check_columns

Directions = Mapping[str, int] | Sequence[int] | None

_DIRECTION_WORDS = {"+": 1, "-": -1, "positive": 1, "negative": -1, "benefit": 1, "cost": -1}


def parse_direction(value: object, name: str) -> int:
    """+1 or -1 from ``1``, ``-1``, ``"+"``, ``"-"``, ``"positive"``, ``"negative"``, ``"benefit"``, ``"cost"``."""
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _DIRECTION_WORDS:
            return _DIRECTION_WORDS[key]
    elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and value in (1, -1):
        return int(value)
    raise SpecificationError(
        f"indicator {name!r} has an unknown direction {value!r}; use +1 (benefit, higher is better) "
        "or -1 (cost, lower is better)"
    )


def as_frame(X: pd.DataFrame | np.ndarray) -> pd.DataFrame:
    """A numeric DataFrame without missing or infinite values (columns named x0.. for arrays)."""
    if isinstance(X, np.ndarray):
        if X.ndim != 2:
            raise DataError(f"an indicator matrix must be two-dimensional, got shape {X.shape}")
        X = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    if not isinstance(X, pd.DataFrame):
        raise DataError(f"indicators must be a DataFrame or a 2-d array, not {type(X).__name__}")
    if X.shape[1] == 0:
        raise SpecificationError("no indicators given")
    if X.shape[0] < 2:
        raise DataError(f"an index needs at least two observations, got {X.shape[0]}")
    check_columns(X, list(X.columns))
    return X


def direction_vector(columns: Sequence[object], directions: Directions) -> np.ndarray:
    """Directions as a +1/-1 array in column order; all +1 when ``directions`` is None."""
    if directions is None:
        return np.ones(len(columns))
    if isinstance(directions, Mapping):
        unknown = [c for c in directions if c not in columns]
        if unknown:
            raise SpecificationError(f"directions given for columns not in the data: {unknown}")
        return np.array([parse_direction(directions.get(c, 1), str(c)) for c in columns], dtype=float)
    values = list(directions)
    if len(values) != len(columns):
        raise SpecificationError(f"{len(values)} directions given for {len(columns)} indicators")
    return np.array([parse_direction(v, str(c)) for v, c in zip(values, columns)], dtype=float)


def constant_columns(values: np.ndarray) -> np.ndarray:
    """Boolean mask of columns whose range is zero."""
    return np.ptp(values, axis=0) == 0


def warn_constant(columns: Sequence[object], mask: np.ndarray, where: str = "") -> None:
    """Warn that constant indicators get weight 0; refuse when every indicator is constant."""
    if not mask.any():
        return
    names = [str(c) for c, m in zip(columns, mask) if m]
    if mask.all():
        raise DataError(f"every indicator is constant{where}: {names}; no index can be built")
    warnings.warn(f"constant indicator(s) {names}{where} carry no information and get weight 0", stacklevel=3)


def minmax(values: np.ndarray, signs: np.ndarray) -> np.ndarray:
    r"""Directional min-max normalisation to [0, 1].

    z_ij = (x_ij - min_j) / (max_j - min_j) for a benefit indicator (+1) and
    z_ij = (max_j - x_ij) / (max_j - min_j) for a cost indicator (-1); a
    constant column normalises to 0.
    """
    lo, hi = values.min(axis=0), values.max(axis=0)
    span = hi - lo
    safe = np.where(span > 0, span, 1.0)
    up = (values - lo) / safe
    z = np.where(signs > 0, up, 1.0 - up)
    return np.where(span > 0, z, 0.0)



def weight_vector(weights: Mapping[str, float] | Sequence[float], columns: Sequence[object], what: str) -> np.ndarray:
    """Weights in column order from a mapping (Series) by column or a sequence.

    Refuses a missing, negative or non-finite weight naming the ``what``
    (indicator, sub-system) at fault, and weights that sum to zero.
    """
    if isinstance(weights, (Mapping, pd.Series)):
        missing = [c for c in columns if c not in weights]
        if missing:
            raise SpecificationError(f"no weight given for {what}(s) {missing}")
        w = np.array([float(weights[c]) for c in columns])
    else:
        w = np.asarray(weights, dtype=float).ravel()
        if len(w) != len(columns):
            raise SpecificationError(f"{len(w)} weights given for {len(columns)} {what}s")
    bad = [c for c, x in zip(columns, w) if not np.isfinite(x) or x < 0]
    if bad:
        raise SpecificationError(f"weights must be finite and non-negative; check {what}(s) {bad}")
    if w.sum() <= 0:
        raise SpecificationError("weights sum to zero")
    return w
