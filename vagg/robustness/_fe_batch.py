"""Many fixed-effects specifications on the same rows at once (the fast path of the specification curve).

Specifications that share their rows, fixed effects and clustering form a
*block*.  The union of the block's columns is demeaned once
(:func:`vagg.models._within.demean`, which is linear and column by column),
the k x k systems of its specifications are solved as one stacked batch, and
the clustered (CRV1) covariance follows :func:`vagg.models._covariance.sandwich`
with stacked products.  The numbers equal those of one
:class:`~vagg.models.PanelFE` fit per specification (to rounding; the
specification curve's tests hold the two to 1e-12).

The null bootstrap of :func:`vagg.robustness.speccurve.null_bootstrap` is
linear in the Rademacher signs :math:`V` (N entities x B draws).  With
:math:`P` the (n x N) map of rows to entities, the signed residuals of all
draws are :math:`\\mathrm{diag}(\\hat e)PV`, so

.. math::  \\hat b^{**} = (c \\odot \\hat e)'P\\,V, \\qquad
           s^{**} = C\\,M\\,\\mathrm{diag}(\\hat e)P\\,V = K V,

with :math:`c'` the treatment row of :math:`(\\ddot X'\\ddot X)^{-1}\\ddot X'`,
:math:`M` the annihilator of the fixed effects and :math:`\\ddot X`, and
:math:`C_{gi} = c_i 1\\{i \\in g\\}`.  :math:`K` (G x N) costs one demeaning of N
columns per specification; the B draws then cost one (G x N)(N x B) product
instead of B demeanings of an n-vector (the idea of boottest: Roodman,
Nielsen, MacKinnon and Webb 2019, *Stata Journal* 19(1):4-60).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from vagg.models._within import Groups, absorbed_columns, absorbed_df, demean
from vagg.models.panel_fe import nested_df

#: relative size of R's diagonal below which a column counts as collinear (as PanelFE)
COLLINEAR_TOL = 1e-9
#: elements of the (n x specifications x entities) bootstrap array demeaned at once
CHUNK = 2_000_000


def _indicator(codes: np.ndarray, n_groups: int) -> np.ndarray:
    """(n_groups x n) 0/1 matrix of group membership."""
    out = np.zeros((n_groups, len(codes)))
    out[codes, np.arange(len(codes))] = 1.0
    return out


def fit_block(
    values: np.ndarray,
    members: Sequence[tuple[int, Sequence[int]]],
    groups: Groups,
    effects: str,
    clusters: np.ndarray,
    signs: np.ndarray | None = None,
) -> list[dict[str, object] | None]:
    """Clustered FE estimates (and null-bootstrap draws) of specifications sharing rows.

    Parameters
    ----------
    values
        (n x p) raw columns: every outcome and regressor of the block, complete rows.
    members
        Per specification, the column of its outcome and the columns of its
        regressors, the treatment first.
    groups, effects
        Entity and time codes of the rows; "entity", "time" or "twoway".
    clusters
        (n,) cluster codes 0..G-1 (every code present).
    signs
        (N x B) Rademacher signs of the entities of ``groups`` (in the order
        of ``groups.entity_labels``), or None for no bootstrap.

    Returns
    -------
    Per specification a dict with ``estimate``, ``se`` (of the treatment),
    ``nobs``, ``n_clusters``, ``df_t`` and, with signs, ``boot_b`` and
    ``boot_t`` (B,); None where the specification needs the one-by-one path
    (an absorbed or collinear regressor, no residual degrees of freedom,
    fewer than two clusters, a singular design), which words the reason.
    """
    out: list[dict[str, object] | None] = [None] * len(members)
    n = len(values)
    n_clusters = int(clusters.max()) + 1
    dm = demean(values, groups, effects)
    absorbed = absorbed_columns(values, dm)
    d = nested_df(groups, effects, absorbed_df(groups, effects), clusters[:, None])
    if n_clusters < 2:
        return out
    by_k: dict[int, list[int]] = defaultdict(list)
    for m, (_, cols) in enumerate(members):
        if not absorbed[list(cols)].any() and n - len(cols) - d > 0:
            by_k[len(cols)].append(m)
    ind = _indicator(clusters, n_clusters)
    for k, which in by_k.items():
        y_cols = np.array([members[m][0] for m in which])
        x_cols = np.array([list(members[m][1]) for m in which])
        try:
            fits = _fit_stack(dm[:, y_cols].T, dm[:, x_cols].transpose(1, 0, 2), ind, n - k - d, groups, effects,
                              signs)
        except np.linalg.LinAlgError:
            continue
        for m, fit in zip(which, fits):
            if fit is not None:
                out[m] = {**fit, "nobs": n, "n_clusters": n_clusters, "df_t": n_clusters - 1}
    return out


def _fit_stack(y: np.ndarray, x: np.ndarray, ind: np.ndarray, df_resid: int, groups: Groups, effects: str,
               signs: np.ndarray | None) -> list[dict[str, object] | None]:
    """Estimates of S stacked specifications: y (S x n), x (S x n x k) demeaned, ind (G x n)."""
    q, r = np.linalg.qr(x)
    diag = np.abs(np.diagonal(r, axis1=1, axis2=2))
    ok = ~(diag <= COLLINEAR_TOL * np.maximum(np.linalg.norm(x, axis=1), 1e-300)).any(axis=1)
    if not ok.any():
        return [None] * len(y)
    xt = x.transpose(0, 2, 1)
    xtx = xt @ x
    params = np.linalg.solve(xtx[ok], (xt[ok] @ y[ok][:, :, None]))[:, :, 0]
    e = y[ok] - (x[ok] @ params[:, :, None])[:, :, 0]
    g = ind.shape[0]
    sums = ind @ (x[ok] * e[:, :, None])                               # (S, G, k) cluster score sums
    meat = sums.transpose(0, 2, 1) @ sums * (g / (g - 1)) * ((x.shape[1] - 1) / df_resid)
    bread = np.linalg.inv(xtx[ok])
    cov = bread @ meat @ bread
    se = np.sqrt(((cov + cov.transpose(0, 2, 1)) / 2)[:, 0, 0])
    boot = _null_draws(x[ok], xtx[ok], q[ok], e, se, ind, groups, effects, signs) if signs is not None else None
    fits: list[dict[str, object] | None] = [None] * len(y)
    for j, s in enumerate(np.flatnonzero(ok)):
        fits[s] = {"estimate": float(params[j, 0]), "se": float(se[j]),
                   "boot_b": None if boot is None else boot[0][j], "boot_t": None if boot is None else boot[1][j]}
    return fits


def _null_draws(x: np.ndarray, xtx: np.ndarray, q: np.ndarray, e: np.ndarray, se: np.ndarray, ind: np.ndarray,
                groups: Groups, effects: str, signs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(S x B) null-bootstrap estimates and t statistics of the treatment (module docstring)."""
    s, n, _ = x.shape
    c = np.linalg.solve(xtx, x.transpose(0, 2, 1))[:, 0, :]           # (S, n) treatment rows
    ce = c * e
    entity = _indicator(groups.entity, groups.n_entities)             # (N, n)
    b = (ce @ entity.T) @ signs                                        # (S, B)
    base = ce @ ind.T                                                  # (S, G)
    kmat = np.empty((s, ind.shape[0], groups.n_entities))
    step = max(1, CHUNK // (n * groups.n_entities))
    for lo in range(0, s, step):
        sl = slice(lo, lo + step)
        signed = e[sl][:, :, None] * entity.T[None]                    # (s, n, N): diag(e) P
        flat = signed.transpose(1, 0, 2).reshape(n, -1)
        resid = demean(flat, groups, effects).reshape(n, -1, groups.n_entities).transpose(1, 0, 2)
        resid -= q[sl] @ (q[sl].transpose(0, 2, 1) @ resid)
        kmat[sl] = ind @ (c[sl][:, :, None] * resid)
    scores = (kmat.reshape(-1, groups.n_entities) @ signs).reshape(s, ind.shape[0], -1)   # (S, G, B), one GEMM
    factor = se**2 / np.einsum("sg,sg->s", base, base)
    return b, b / np.sqrt(factor[:, None] * np.einsum("sgb,sgb->sb", scores, scores))
