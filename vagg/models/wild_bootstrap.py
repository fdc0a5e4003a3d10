"""Wild cluster bootstrap for few clusters (restricted, WCR).

For a coefficient :math:`\\beta_j` of a fixed-effects regression and the null
:math:`\\beta_j=\\beta_0`: estimate the restricted model, with residuals
:math:`\\tilde u`; for each draw build
:math:`y^*_g = X_g\\tilde\\beta + \\tilde u_g v_g^*` with one weight
:math:`v^*_g` per cluster, refit, and compute the CRV1 t statistic
:math:`t^*`.  The p-value is the share of :math:`|t^*| \\ge |t|`
(Cameron, Gelbach and Miller 2008).  Weights: Webb's six-point distribution
:math:`\\pm\\sqrt{1/2}, \\pm 1, \\pm\\sqrt{3/2}` with probability 1/6 each
(Webb 2014/2023, the default, better with few clusters) or Rademacher
:math:`\\pm 1`.

Fixed effects.  The refit of every draw must absorb the fixed effects of
:math:`y^*` again.  Effects nested in the clusters (entity effects with city
or coarser clusters) need not be: :math:`\\tilde u_g v_g` still sums to zero
within each entity, so they are partialled out once by demeaning.  Effects
that cut across the clusters (time effects with city clusters) are not
re-absorbed by demeaning the data once -- :math:`\\tilde u_g v_g` no longer
sums to zero within a year -- so they are carried as (demeaned) dummy
columns of :math:`X` (:func:`vagg.models._moments.cluster_design`), and every
draw is then exactly a refit with explicit dummies (as the ``fe`` option of
fwildclusterboot and Stata's boottest, which project out one fixed effect and
keep the others as regressors; Roodman et al. 2019).

All draws are computed at once with the cluster-sum algebra of Roodman,
MacKinnon, Nielsen and Webb (2019, "Fast and wild", *Stata Journal* 19(1)):
with :math:`q = (X'X)^{-1}e_j`, :math:`s_g = X_g'\\tilde u_g`,
:math:`a_g = q's_g` and :math:`C_{gh} = q'X_g'X_g(X'X)^{-1}s_h`,

.. math::  t^*_b = \\frac{\\sum_g a_g v_{gb}}
           {\\sqrt{c\\sum_g (a_g v_{gb} - \\sum_h C_{gh} v_{hb})^2}},

an O(G^2 B) computation.  The confidence interval inverts the test: the set
of :math:`\\beta_0` not rejected, found by bisection with the same draws
(restricted residuals are linear in :math:`\\beta_0`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from vagg._errors import SpecificationError
from vagg.models._moments import cluster_design
from vagg.models._resampling import run_chunks

if TYPE_CHECKING:  # the results object calls this module, never the other way round
    from vagg.models.panel_fe import PanelFEResults

WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
WEIGHTS = ("webb", "rademacher")


def draw_weights(kind: str, n_clusters: int) -> Callable[[np.random.Generator, int], np.ndarray]:
    """A ``fn(rng, size)`` returning (size x G) wild weights, for :func:`run_chunks`."""
    values = WEBB if kind == "webb" else np.array([-1.0, 1.0])

    def draw(rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(values, size=(size, n_clusters))

    return draw


def full_enumeration(n_clusters: int) -> np.ndarray:
    """All :math:`2^G` Rademacher sign patterns, (G x 2^G): the exact bootstrap
    distribution, used when it is no larger than the draws asked for."""
    patterns = (np.arange(2**n_clusters)[None, :] >> np.arange(n_clusters)[:, None]) & 1
    return 2.0 * patterns - 1.0


class _WCR:
    """Pieces of the restricted wild cluster bootstrap that do not change with the draws."""

    def __init__(self, x: np.ndarray, y: np.ndarray, clusters: np.ndarray, j: int, factor: float) -> None:
        self.factor = factor
        self.n_clusters = int(clusters.max()) + 1
        xtx_inv = np.linalg.inv(x.T @ x)
        self.q = xtx_inv[:, j]
        self.beta_hat = xtx_inv @ (x.T @ y)
        resid_full = y - x @ self.beta_hat
        # by the partitioned inverse, x q = x~_j / (x~_j'x~_j) with x~_j the residual of x_j on the other
        # columns, and the residual of y on them is e + beta_j x~_j: no second regression
        xq = x @ self.q
        resid_x = xq / self.q[j]
        # restricted residuals: u(beta0) = resid_y - beta0 * resid_x
        self.s_y = self._cluster_sums(x * (resid_full + self.beta_hat[j] * resid_x)[:, None], clusters)
        self.s_x = self._cluster_sums(x * resid_x[:, None], clusters)
        # X_g'X_g q as cluster sums of x_i (x_i'q): no (n x k^2) array, however many dummy columns
        self.p = self._cluster_sums(x * xq[:, None], clusters) @ xtx_inv  # (G x k)
        # clustered se of beta_hat (CRV1, same factor)
        scores = self._cluster_sums(x * resid_full[:, None], clusters) @ self.q
        self.se = float(np.sqrt(factor * scores @ scores))
        self.j = j

    def _cluster_sums(self, a: np.ndarray, clusters: np.ndarray) -> np.ndarray:
        out = np.zeros((self.n_clusters, a.shape[1]))
        np.add.at(out, clusters, a)
        return out

    def t_stats(self, beta0: float, v: np.ndarray) -> tuple[float, np.ndarray]:
        """Original t and the (B,) bootstrap t for the null beta_j = beta0; ``v`` is (G x B)."""
        s = self.s_y - beta0 * self.s_x
        a = s @ self.q
        c = self.p @ s.T
        numer = a @ v
        u = a[:, None] * v - c @ v
        t_boot = numer / np.sqrt(self.factor * np.einsum("gb,gb->b", u, u))
        return (self.beta_hat[self.j] - beta0) / self.se, t_boot

    def pvalue(self, beta0: float, v: np.ndarray) -> float:
        return symmetric_pvalue(*self.t_stats(beta0, v))


def symmetric_pvalue(t: float, t_boot: np.ndarray) -> float:
    """Share of draws with :math:`|t^*| \\ge |t|`.

    Ties count as exceedances up to a relative 1e-9: the draw whose weights
    are all equal rebuilds the original sample, so its :math:`t^*` equals
    :math:`t` but for rounding.
    """
    return float(np.mean(np.abs(t_boot) >= abs(t) * (1 - 1e-9)))


@dataclass(frozen=True)
class WildBootstrapResult:
    """A wild cluster bootstrap test of one coefficient."""

    param: str
    estimate: float
    null: float
    tstat: float
    pvalue: float
    conf_int: tuple[float, float]
    level: float
    weights: str
    n_boot: int
    n_clusters: int
    clustered_pvalue: float
    t_boot: np.ndarray

    @property
    def summary(self) -> str:
        lo, hi = self.conf_int
        return (f"wild cluster bootstrap (WCR, {self.weights} weights, {self.n_boot} draws, "
                f"{self.n_clusters} clusters) for {self.param} = {self.null:g}: estimate {self.estimate:.4f}, "
                f"t = {self.tstat:.3f}, bootstrap p = {self.pvalue:.4f} (clustered p = {self.clustered_pvalue:.4f}), "
                f"{self.level:.0%} CI [{lo:.4f}, {hi:.4f}]")

    def as_series(self) -> pd.Series:
        lo, hi = self.conf_int
        return pd.Series({"estimate": self.estimate, "tstat": self.tstat, "pvalue": self.pvalue, "ci_low": lo,
                          "ci_high": hi, "clustered_pvalue": self.clustered_pvalue, "n_clusters": self.n_clusters},
                         name=self.param)


def _invert(wcr: _WCR, v: np.ndarray, alpha: float, side: int, width: float) -> float:
    """Bound of the set {beta0 : p(beta0) > alpha} on one side of the estimate, by bisection.

    Infinite when no null within :math:`2^{20}` widths on that side is rejected
    (possible with very few clusters).
    """
    inside = wcr.beta_hat[wcr.j]
    outside = inside + side * width
    for _ in range(20):
        if wcr.pvalue(outside, v) <= alpha:
            break
        outside = inside + 2 * (outside - inside)
    else:
        return side * np.inf
    for _ in range(60):
        mid = (inside + outside) / 2
        if wcr.pvalue(mid, v) > alpha:
            inside = mid
        else:
            outside = mid
        if abs(outside - inside) <= 1e-8 * max(1.0, abs(mid)):
            break
    return (inside + outside) / 2


def wild_cluster_bootstrap(
    result: PanelFEResults,
    param: str,
    null: float = 0.0,
    n_boot: int = 9999,
    weights: str = "webb",
    level: float = 0.95,
    seed: int | None = None,
    draws: np.ndarray | None = None,
) -> WildBootstrapResult:
    """Restricted wild cluster bootstrap p-value and interval for one coefficient.

    Parameters
    ----------
    result
        A clustered :class:`PanelFEResults` (one-way clustering); its
        clusters, fixed effects and CRV1 factor are used.
    param
        Name of the coefficient.
    null
        :math:`\\beta_0` of the test.
    n_boot
        Number of draws.  With Rademacher weights and :math:`2^G \\le`
        ``n_boot`` all :math:`2^G` sign patterns are enumerated instead
        (deterministic; ``n_boot`` of the result is :math:`2^G`).
    weights
        "webb" (default) or "rademacher".
    level
        Level of the interval obtained by inverting the test.
    seed
        Seed (chunked ``SeedSequence``, see :mod:`vagg.models._resampling`).
    draws
        Optional (G x B) weight matrix to use instead of drawing (to reproduce
        another program's draws); clusters in sorted order.

    Returns
    -------
    WildBootstrapResult
    """
    if not all(hasattr(result, a) for a in ("cov_kind", "clusters", "model", "df_resid")):  # a PanelFE result
        raise SpecificationError("wild_cluster_bootstrap needs a PanelFE result")
    if param not in result.params.index:
        raise SpecificationError(f"coefficient {param!r} not in the model; it has {list(result.params.index)}")
    if result.cov_kind != "clustered" or result.clusters.shape[1] != 1:
        raise SpecificationError("the wild cluster bootstrap needs a result fitted with one-way cov='clustered'")
    if weights not in WEIGHTS:
        raise SpecificationError(f"weights must be one of {WEIGHTS}, got {weights!r}")
    model = result.model
    clusters = result.clusters[:, 0]
    g = int(clusters.max()) + 1
    factor = g / (g - 1) * (result.nobs - 1) / result.df_resid
    z, dummies = cluster_design(np.column_stack([model.y, model.x]), model.groups, model.effects, clusters)
    wcr = _WCR(np.column_stack([z[:, 1:], dummies]), z[:, 0], clusters, model.exog_names.index(param), factor)
    if draws is None and weights == "rademacher" and 2**g <= n_boot:
        v = full_enumeration(g)
    elif draws is None:
        v = run_chunks(draw_weights(weights, g), n_boot, seed, progress=False).T
    else:
        v = np.asarray(draws, dtype=float)
        if v.shape[0] != g:
            raise SpecificationError(f"draws must have one row per cluster ({g}), got {v.shape[0]}")
    t, t_boot = wcr.t_stats(null, v)
    alpha = 1 - level
    width = 2 * wcr.se
    ci = (_invert(wcr, v, alpha, -1, width), _invert(wcr, v, alpha, +1, width))
    return WildBootstrapResult(param=param, estimate=float(wcr.beta_hat[wcr.j]), null=null, tstat=float(t),
                               pvalue=symmetric_pvalue(t, t_boot), conf_int=ci, level=level,
                               weights=weights, n_boot=v.shape[1], n_clusters=g,
                               clustered_pvalue=float(result.pvalues[param]), t_boot=t_boot)
