"""Conley spatial HAC covariance for (panel) least squares.

The meat sums the score outer products of observation pairs that are close in
space within a period, and, optionally, of the same unit across nearby periods:

.. math::

    \\hat S = c \\Big[ \\sum_t \\sum_{i,j} K\\!\\left(\\frac{d_{ij}}{\\bar d}\\right) s_{it} s_{jt}'
          + \\sum_i \\sum_{t \\ne s,\\, |t-s| \\le L} \\Big(1 - \\frac{|t-s|}{L+1}\\Big) s_{it} s_{is}' \\Big],

with :math:`s_{it} = \\ddot x_{it} \\hat e_{it}` the within-transformed scores,
:math:`d_{ij}` the great-circle distance between units (km), :math:`\\bar d` the
cut-off, :math:`K(u) = 1-u` (Bartlett) or :math:`1` (uniform) for :math:`u \\le 1`
and 0 beyond (:math:`K(0) = 1`, so the pair :math:`i=j` is the White term), and
:math:`L` the serial lag (Newey-West within unit; 0 for none).  The covariance
is :math:`(\\ddot X'\\ddot X)^{-1}\\hat S(\\ddot X'\\ddot X)^{-1}`, with
:math:`c = n/(n-k-D)` as for the robust and Driscoll-Kraay covariances.

Conley (1999), "GMM estimation with cross sectional dependence", J.
Econometrics 92; Hsiang (2010), PNAS 107(35), whose ``ols_spatial_HAC`` (Stata)
and Fetzer's R port combine the two sums as above; Colella, Lalive, Sakalli
and Thoenig (2019) ``acreg``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from vagg._errors import DataError, SpecificationError
from vagg.weights._core import id_positions
from vagg.weights.distance import coordinates, pairs_within

KERNELS = ("bartlett", "uniform")


def kernel_matrix(coords: np.ndarray, cutoff_km: float, kernel: str = "bartlett") -> sp.csr_matrix:
    """Sparse (N x N) kernel weights :math:`K(d_{ij}/\\bar d)` of units, diagonal 1."""
    if kernel not in KERNELS:
        raise SpecificationError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    if cutoff_km is None or not cutoff_km > 0:
        raise SpecificationError(f"Conley standard errors need a positive cutoff_km, got {cutoff_km}")
    n = len(coords)
    rows, cols, dist = pairs_within(coords, cutoff_km)
    values = 1.0 - dist / cutoff_km if kernel == "bartlett" else np.ones(len(dist))
    return (sp.csr_matrix((values, (rows, cols)), shape=(n, n)) + sp.identity(n, format="csr")).tocsr()


def conley_meat(scores: np.ndarray, entity: np.ndarray, time: np.ndarray, kernel: sp.spmatrix,
                lag: int = 0) -> np.ndarray:
    """The bracket of the module formula (without :math:`c`), vectorised over units and periods.

    Scores are placed in an (N x T x k) array (zeros for missing unit-periods),
    so the spatial sum is :math:`\\sum_t A_t' K A_t` and the serial sum
    :math:`\\sum_l w_l (A_{\\cdot,l:}' A_{\\cdot,:-l} + \\text{transpose})`.
    """
    n_units, n_periods, k = kernel.shape[0], int(time.max()) + 1, scores.shape[1]
    if len(np.unique(entity * n_periods + time)) != len(entity):
        raise DataError("Conley standard errors need one observation per unit and period")
    a = np.zeros((n_units, n_periods, k))
    a[entity, time] = scores
    ka = (kernel @ a.reshape(n_units, n_periods * k)).reshape(n_units, n_periods, k)
    meat = np.einsum("itk,itl->kl", a, ka)
    for j in range(1, lag + 1):
        gamma = np.einsum("itk,itl->kl", a[:, j:], a[:, :-j])
        meat += (1 - j / (lag + 1)) * (gamma + gamma.T)
    return meat


def conley_covariance(x: np.ndarray, resid: np.ndarray, entity: np.ndarray, time: np.ndarray, points: np.ndarray,
                      cutoff_km: float | None, kernel: str, lag: int, df_resid: int
                      ) -> tuple[np.ndarray, dict[str, object]]:
    """:math:`(\\ddot X'\\ddot X)^{-1}\\,c\\,\\hat S\\,(\\ddot X'\\ddot X)^{-1}` and a description.

    ``entity``/``time`` are integer codes of the rows, ``points`` the (N x 2)
    lon/lat of the entities in code order, :math:`c = n / \\text{df\\_resid}`.
    """
    n_periods = int(time.max()) + 1
    if not 0 <= int(lag) < n_periods:
        raise SpecificationError(f"Conley lag must be in [0, {n_periods - 1}], got {lag}")
    kern = kernel_matrix(points, cutoff_km, kernel)
    meat = conley_meat(x * resid[:, None], entity, time, kern, int(lag)) * (len(resid) / df_resid)
    bread = np.linalg.inv(x.T @ x)
    vcov = bread @ meat @ bread
    info = {"n_clusters": None, "bandwidth": None, "cutoff_km": float(cutoff_km), "kernel": kernel,
            "lag": int(lag)}
    return (vcov + vcov.T) / 2, info


def unit_coordinates(coords, entity_labels: np.ndarray, data: pd.DataFrame | None = None,
                     index: pd.MultiIndex | None = None) -> np.ndarray:
    """(N x 2) lon/lat of the panel's units, in the order of ``entity_labels``.

    ``coords`` is a GeoDataFrame or DataFrame indexed by unit id (its
    ``lon``/``lat`` or polygon centroids), or a pair of column names of
    ``data`` (constant within each unit).  Units are matched to the frame's
    index as written or by the one id rule (:func:`vagg.weights._core.id_positions`).
    """
    if isinstance(coords, (tuple, list)) and len(coords) == 2 and all(isinstance(c, str) for c in coords):
        if data is None or not set(coords) <= set(data.columns):
            raise SpecificationError(f"coordinate columns {list(coords)} are not columns of the data")
        frame = data[list(coords)].set_axis(["lon", "lat"], axis=1)
        frame = frame.loc[index] if index is not None else frame
        per_unit = frame.groupby(level=0)
        varying = per_unit.nunique().max(axis=1) > 1
        if varying.any():
            raise DataError(f"coordinates vary within unit(s): {list(varying.index[varying])[:10]}")
        coords = per_unit.first()
    if not isinstance(coords, pd.DataFrame):
        raise SpecificationError("coords must be a (Geo)DataFrame indexed by unit or two column names (lon, lat)")
    points, _ = coordinates(coords)
    return points[id_positions(entity_labels, list(coords.index), "coordinates", every=False)]
