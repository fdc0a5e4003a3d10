"""Numeric guards shared by the estimators: values too large to estimate with, an outcome with nothing to explain.

Each refusal names the column and the row (or the effects) at fault, so that a
degenerate input never reaches the linear algebra, where it would surface as a
misleading message (an overflowing regressor read as "absorbed by the fixed
effects", a constant outcome as a likelihood maximised at the boundary).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vagg._errors import DataError, SpecificationError

#: values above this overflow float64 when squared (sums of squares, cross-products): 1e154 ** 2 > 1.8e308
MAX_ABS = 1e150


def check_scale(values: np.ndarray, names: list[str], index: pd.Index) -> None:
    """Refuse values so large that the normal equations overflow, naming the column and the row."""
    big = np.abs(values) > MAX_ABS
    if big.any():
        r, c = np.argwhere(big)[0]
        where = ", ".join(str(v) for v in index[r]) if isinstance(index[r], tuple) else str(index[r])
        raise DataError(f"column {names[c]!r} holds {values[r, c]:.3g} at ({where}): too large to estimate with "
                        "(its square overflows); rescale the column (e.g. to thousands or logs)")


def check_balanced_outcome_varies(y: np.ndarray, name: str, effects: str) -> None:
    """Refuse an (entities x periods) outcome that the fixed effects leave without variation.

    The within transformation of a balanced panel: entity effects remove row
    means, time effects column means, two-way both (adding back the grand mean).
    """
    centred = y - y.mean()
    if effects in ("entity", "twoway"):
        centred = centred - centred.mean(axis=1, keepdims=True)
    if effects in ("time", "twoway"):
        centred = centred - centred.mean(axis=0, keepdims=True)
    if np.linalg.norm(centred) <= 1e-9 * max(np.linalg.norm(y), 1.0):
        words = {"entity": "entity", "time": "time", "twoway": "entity and time"}
        where = f"constant within the {words[effects]} fixed effects" if effects in words else "constant"
        raise SpecificationError(f"outcome {name!r} is {where}: nothing to explain")
