"""Covariance estimators of least-squares coefficients, on arrays.

All share the sandwich :math:`V = (X'X)^{-1}\\,\\hat S\\,(X'X)^{-1}` on the
(within-transformed) regressors ``x`` and residuals ``e``; they differ in the
meat :math:`\\hat S` and the small-sample factor.  ``df_resid`` is
:math:`n - k - D`, with :math:`D` the fixed-effect parameters counted (see
:func:`vagg.models.panel_fe.PanelFE.fit` for which are counted).

* unadjusted: :math:`\\hat S = s^2 X'X`, :math:`s^2 = e'e/(n-k-D)`;
* robust (HC1): :math:`\\hat S = \\frac{n}{n-k-D}\\sum_i e_i^2 x_i x_i'`
  (White 1980; with entity effects this is not consistent for fixed T,
  Stock and Watson 2008, so prefer clustering);
* clustered (CRV1): :math:`\\hat S = \\frac{G}{G-1}\\frac{n-1}{n-k-D}
  \\sum_g s_g s_g'`, :math:`s_g = X_g'e_g` (Liang and Zeger 1986; the
  Stata/reghdfe convention, Correia 2017); two-way clustering adds the two
  one-way meats and subtracts the meat of their intersection, each with its
  own :math:`G/(G-1)` (Cameron, Gelbach and Miller 2011);
* Driscoll-Kraay: the Newey-West (Bartlett kernel) long-run variance of the
  per-period score sums :math:`\\xi_t = \\sum_i x_{it} e_{it}`,
  :math:`\\hat S = \\frac{n}{n-k-D}\\sum_{j=-L}^{L}(1-\\frac{|j|}{L+1})
  \\hat\\Gamma_j` (Driscoll and Kraay 1998; Hoechle 2007), robust to
  cross-sectional and serial dependence; default bandwidth
  :math:`L=\\lfloor 4 (T/100)^{2/9}\\rfloor` (the Newey-West rule used by
  linearmodels), which is 2 for T=10.
"""

from __future__ import annotations

import numpy as np


def cluster_meat(scores: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, int]:
    """Sum over clusters of the outer products of the summed scores, times G/(G-1)."""
    n_groups = int(codes.max()) + 1
    sums = np.zeros((n_groups, scores.shape[1]))
    np.add.at(sums, codes, scores)
    present = np.bincount(codes, minlength=n_groups) > 0
    g = int(present.sum())
    sums = sums[present]
    return sums.T @ sums * (g / (g - 1)), g


def intersect_codes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Codes of the pairs (a, b): the intersection clusters of two-way clustering."""
    return np.unique(a * (int(b.max()) + 1) + b, return_inverse=True)[1].ravel()


def default_bandwidth(n_periods: int) -> int:
    """The Newey-West rule :math:`\\lfloor 4 (T/100)^{2/9}\\rfloor`."""
    return int(np.floor(4 * (n_periods / 100) ** (2 / 9)))


def bartlett_long_run(xi: np.ndarray, bandwidth: int) -> np.ndarray:
    """Bartlett-kernel long-run covariance (not divided by T) of the rows of ``xi``."""
    s = xi.T @ xi
    for lag in range(1, bandwidth + 1):
        gamma = xi[lag:].T @ xi[:-lag]
        s += (1 - lag / (bandwidth + 1)) * (gamma + gamma.T)
    return s


def sandwich(
    x: np.ndarray,
    e: np.ndarray,
    kind: str,
    df_resid: int,
    clusters: np.ndarray | None = None,
    time: np.ndarray | None = None,
    bandwidth: int | None = None,
) -> tuple[np.ndarray, dict[str, object]]:
    """Covariance of OLS coefficients and a description of it.

    Parameters
    ----------
    x, e
        (n x k) regressors and (n,) residuals.
    kind
        "unadjusted", "robust", "clustered" or "driscoll-kraay".
    df_resid
        :math:`n - k - D`.
    clusters
        (n x 1) or (n x 2) integer cluster codes for "clustered".
    time
        (n,) integer period codes (0..T-1, in time order) for "driscoll-kraay".
    bandwidth
        Bartlett bandwidth for "driscoll-kraay"; the rule above when None.

    Returns
    -------
    (k x k) covariance and a dict with ``n_clusters`` and ``bandwidth``.
    """
    n = x.shape[0]
    xtx_inv = np.linalg.inv(x.T @ x)
    info: dict[str, object] = {"n_clusters": None, "bandwidth": None}
    if kind == "unadjusted":
        return xtx_inv * float(e @ e) / df_resid, info
    scores = x * e[:, None]
    if kind == "robust":
        meat = scores.T @ scores * (n / df_resid)
    elif kind == "clustered":
        assert clusters is not None
        meat, g = cluster_meat(scores, clusters[:, 0])
        info["n_clusters"] = g
        if clusters.shape[1] == 2:
            meat1, g1 = cluster_meat(scores, clusters[:, 1])
            meat12, _ = cluster_meat(scores, intersect_codes(clusters[:, 0], clusters[:, 1]))
            meat = meat + meat1 - meat12
            info["n_clusters"] = (g, g1)
        meat = meat * ((n - 1) / df_resid)
    elif kind == "driscoll-kraay":
        assert time is not None
        n_periods = int(time.max()) + 1
        bw = default_bandwidth(n_periods) if bandwidth is None else int(bandwidth)
        xi = np.zeros((n_periods, x.shape[1]))
        np.add.at(xi, time, scores)
        meat = bartlett_long_run(xi, bw) * (n / df_resid)
        info["bandwidth"] = bw
    else:  # pragma: no cover - callers validate ``kind``
        raise ValueError(kind)
    cov = xtx_inv @ meat @ xtx_inv
    return (cov + cov.T) / 2, info


def stacked_sandwich(
    xs: list[np.ndarray],
    resids: list[np.ndarray],
    kind: str,
    dfs: list[int],
    clusters: np.ndarray | None = None,
) -> np.ndarray:
    """Joint covariance of the coefficients of several OLS equations on the same rows.

    The seemingly-unrelated sandwich (Zellner 1962; Stata's ``suest``,
    Weesie 1999): block :math:`(e,f)` is
    :math:`(X_e'X_e)^{-1}\\,\\sum s_e s_f'\\,(X_f'X_f)^{-1}` with per-observation
    (robust) or per-cluster (clustered) scores :math:`s_e = X_e'u_e`, or
    :math:`\\hat\\sigma_{ef}(X_e'X_e)^{-1}X_e'X_f(X_f'X_f)^{-1}` when
    unadjusted.  Block :math:`(e,f)` carries the geometric mean of the two
    equations' small-sample factors, so the diagonal blocks equal
    :func:`sandwich` of each equation.
    """
    n = len(resids[0])
    breads = [np.linalg.inv(x.T @ x) for x in xs]
    sizes = [x.shape[1] for x in xs]
    edges = np.cumsum([0, *sizes])
    out = np.zeros((edges[-1], edges[-1]))
    if kind == "unadjusted":
        for e, (xe, re, be) in enumerate(zip(xs, resids, breads)):
            for f, (xf, rf, bf) in enumerate(zip(xs, resids, breads)):
                sigma = float(re @ rf) / np.sqrt(dfs[e] * dfs[f])
                out[edges[e]:edges[e + 1], edges[f]:edges[f + 1]] = sigma * be @ (xe.T @ xf) @ bf
        return out
    scores = np.column_stack([x * r[:, None] for x, r in zip(xs, resids)])
    dfs_arr = np.repeat(np.asarray(dfs, dtype=float), sizes)
    if kind == "clustered":
        assert clusters is not None
        meat, g = cluster_meat(scores, clusters)
        factor = (n - 1) / dfs_arr
    else:
        meat, factor = scores.T @ scores, n / dfs_arr
    meat = meat * np.sqrt(np.outer(factor, factor))
    bread = np.zeros_like(out)
    for e, be in enumerate(breads):
        bread[edges[e]:edges[e + 1], edges[e]:edges[e + 1]] = be
    return bread @ meat @ bread
