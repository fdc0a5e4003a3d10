"""Location quotients, co-agglomeration and industrial structure similarity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vagg._errors import DataError
from vagg.data.panel import check_columns, check_panel_index

__all__ = ["location_quotient", "coagglomeration", "structure_similarity"]


def _non_negative(panel: pd.DataFrame, columns: list[str]) -> None:
    check_columns(panel, columns)
    values = panel[columns].to_numpy(dtype=float)
    if (values < 0).any():
        r, c = np.argwhere(values < 0)[0]
        raise DataError(f"column {columns[c]!r} is negative at {panel.index[r]}; employment cannot be negative")


def location_quotient(panel: pd.DataFrame, industry: str, total: str) -> pd.Series:
    r"""Location quotient of an industry in each city-year.

    LQ_it = (e_it / E_it) / (sum_j e_jt / sum_j E_jt), with e the industry's
    employment (or output) and E the city's total, the reference being the sum
    over all cities of the panel in the same year.

    Reference: Isard, W. (1960). *Methods of Regional Analysis*. MIT Press, ch. 7.
    """
    check_panel_index(panel)
    _non_negative(panel, [industry, total])
    zero = panel[total] <= 0
    if zero.any():
        raise DataError(f"column {total!r} is zero at {list(panel.index[zero.to_numpy()])[:5]}; no share can be formed")
    over = panel[industry] > panel[total]
    if over.any():
        raise DataError(f"column {industry!r} exceeds {total!r} at {list(panel.index[over.to_numpy()])[:5]}")
    time = panel.index.get_level_values(1)
    share = panel[industry] / panel[total]
    reference = panel.groupby(time)[industry].transform("sum") / panel.groupby(time)[total].transform("sum")
    return (share / reference).rename(f"lq_{industry}")


def coagglomeration(panel: pd.DataFrame, manufacturing: str, services: str, total: str) -> pd.Series:
    r"""Co-agglomeration index of manufacturing and producer services.

    With the location quotients LQ_m and LQ_s (:func:`location_quotient`),

    .. math:: CA = \left(1 - \frac{|LQ_m - LQ_s|}{LQ_m + LQ_s}\right) + (LQ_m + LQ_s),

    the first term measuring the quality (balance) and the second the depth
    (level) of joint agglomeration.

    Reference: Chen, J., Liu, Y. and Zou, M. (2016). Urban productivity under
    industrial co-agglomeration [in Chinese]. *Journal of Zhejiang University
    (Humanities and Social Sciences)*.
    """
    lq_m = location_quotient(panel, manufacturing, total)
    lq_s = location_quotient(panel, services, total)
    both = lq_m + lq_s
    quality = 1.0 - (lq_m - lq_s).abs() / both.where(both > 0, 1.0)
    return (quality.where(both > 0, 0.0) + both).rename("coagglomeration")


def structure_similarity(shares: pd.DataFrame) -> pd.DataFrame:
    r"""Industrial structure similarity coefficient between every pair of cities.

    For the industry compositions x_i (shares or levels of k industries),

    .. math:: S_{ij} = \frac{\sum_k x_{ik} x_{jk}}{\sqrt{\sum_k x_{ik}^2 \sum_k x_{jk}^2}} \in [0, 1],

    1 for identical structures (the UNIDO similarity coefficient, a cosine).

    Parameters
    ----------
    shares
        One row per city (or city-year), one non-negative column per industry.

    Returns
    -------
    Square DataFrame indexed and columned by the rows of ``shares``.

    Reference: UNIDO (1979). *World Industry since 1960: Progress and Prospects*.
    United Nations, New York.
    """
    check_columns(shares, list(shares.columns))
    x = shares.to_numpy(dtype=float)
    if (x < 0).any():
        r, c = np.argwhere(x < 0)[0]
        raise DataError(f"industry {shares.columns[c]!r} is negative for {shares.index[r]}")
    norm = np.sqrt((x**2).sum(axis=1))
    empty = norm == 0
    if empty.any():
        raise DataError(f"no industry activity for {list(shares.index[empty])}; similarity is undefined")
    unit = x / norm[:, None]
    return pd.DataFrame(unit @ unit.T, index=shares.index, columns=shares.index)
