"""Coupling coordination of n sub-systems (the industrial-synergy outcome)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from vagg._errors import DataError, SpecificationError
from vagg.data.panel import check_columns
from vagg.mechanisms._matrix import weight_vector

__all__ = ["coupling_coordination", "coordination_level", "COORDINATION_LEVELS"]

#: The usual ten-level classification of the coordination degree D, by tenths.
COORDINATION_LEVELS = (
    "extreme disorder",
    "serious disorder",
    "moderate disorder",
    "mild disorder",
    "on the verge of disorder",
    "barely coordinated",
    "primary coordination",
    "intermediate coordination",
    "good coordination",
    "quality coordination",
)


def coordination_level(D: np.ndarray | pd.Series) -> pd.Categorical:
    """Ten-level class of the coordination degree: [0, 0.1) extreme disorder ... [0.9, 1] quality coordination."""
    d = np.asarray(D, dtype=float)
    codes = np.clip(np.floor(d * 10).astype(int), 0, 9)
    return pd.Categorical.from_codes(codes, categories=list(COORDINATION_LEVELS), ordered=True)


def _coupling_classic(U: np.ndarray) -> np.ndarray:
    n = U.shape[1]
    total = U.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = n * np.exp((np.log(U).sum(axis=1) - n * np.log(total)) / n)
    return np.where(total > 0, np.nan_to_num(c), 0.0)


def _coupling_corrected(U: np.ndarray) -> np.ndarray:
    n = U.shape[1]
    i, j = np.triu_indices(n, k=1)
    spread = np.abs(U[:, i] - U[:, j]).sum(axis=1) / (n * (n - 1) / 2)
    top = U.max(axis=1)
    ratio = np.prod(U / np.where(top > 0, top, 1.0)[:, None], axis=1) ** (1.0 / (n - 1))
    return np.where(top > 0, np.sqrt(np.clip(1.0 - spread, 0.0, None) * ratio), 0.0)


def coupling_coordination(
    U: pd.DataFrame | np.ndarray,
    weights: Mapping[str, float] | Sequence[float] | None = None,
    corrected: bool = True,
) -> pd.DataFrame:
    r"""Coupling degree C, comprehensive development T and coordination degree D.

    For n sub-systems with development levels U_1..U_n in [0, 1]:

    - classic coupling:
      :math:`C = n \left[\prod_i U_i / (\sum_i U_i)^n\right]^{1/n}`, which for
      two systems is 2 sqrt(U_1 U_2) / (U_1 + U_2);
    - corrected coupling (default; Wang, Kong, Ren, Zhi and Dai 2021):

      .. math::

          C = \sqrt{\left[1 - \frac{\sum_{i<j} |U_i - U_j|}{\sum_{m=1}^{n-1} m}\right]
              \left[\prod_i \frac{U_i}{\max_k U_k}\right]^{1/(n-1)}},

      which for two systems is sqrt((1 - |U_1 - U_2|) min(U_1, U_2) / max(U_1, U_2))
      and, unlike the classic C, spreads over [0, 1] instead of bunching near 1;
    - T = sum_i a_i U_i with weights a_i summing to 1 (equal by default);
    - D = sqrt(C T), classified in ten levels by :func:`coordination_level`.

    C is 0 when every U_i is 0.

    Parameters
    ----------
    U
        One column per sub-system (two or more), values in [0, 1]; divide
        0-100 indices by 100 first.
    weights
        Contribution a_i of each sub-system to T (mapping by column or sequence).
    corrected
        Use the corrected C (default) or the classic one.

    Returns
    -------
    DataFrame with columns ``C``, ``T``, ``D`` and ``level``, indexed as U.

    References
    ----------
    Wang, S., Kong, W., Ren, L., Zhi, D. and Dai, B. (2021). Research on misuses
    and modification of coupling coordination degree model in China. *Journal
    of Natural Resources* 36(3), 793-810 (doi:10.31497/zrzyxb.20210319).
    """
    frame = pd.DataFrame(U) if isinstance(U, np.ndarray) else U
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"U must be a DataFrame or 2-d array of sub-system levels, not {type(U).__name__}")
    if frame.shape[1] < 2:
        raise SpecificationError(f"coupling needs at least two sub-systems, got {frame.shape[1]}")
    check_columns(frame, list(frame.columns))
    values = frame.to_numpy(dtype=float)
    outside = (values < 0) | (values > 1)
    if outside.any():
        r, c = np.argwhere(outside)[0]
        raise DataError(
            f"sub-system {frame.columns[c]!r} has value {values[r, c]:g} at {frame.index[r]} outside [0, 1]; "
            "coupling needs levels in [0, 1] (divide a 0-100 index by 100)"
        )
    a = (np.full(frame.shape[1], 1.0 / frame.shape[1]) if weights is None
         else weight_vector(weights, list(frame.columns), "sub-system"))
    if not np.isclose(a.sum(), 1.0):
        raise SpecificationError(f"sub-system weights must sum to 1, got {a.tolist()}")
    C = _coupling_corrected(values) if corrected else _coupling_classic(values)
    T = values @ a
    D = np.sqrt(C * T)
    return pd.DataFrame({"C": C, "T": T, "D": D, "level": coordination_level(D)}, index=frame.index)
