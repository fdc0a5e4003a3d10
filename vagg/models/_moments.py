"""Cluster (block) bootstrap of fixed-effects regressions by cross-product algebra.

Resampling whole clusters with replacement is the same as weighting each
cluster by the number of times it is drawn, :math:`w_g`.  When the clusters
contain whole entities, the entity demeaning does not depend on the weights
(likewise for periods and time effects); effects that cut across the
clusters are carried as dummy columns (:func:`cluster_design`).  So every
least-squares fit on a resample needs only

.. math::  S(w) = \\sum_g w_g A_g'A_g,

the weighted sum of per-cluster cross-product matrices of
:math:`A = [\\tilde Z, \\tilde D]`: the variables net of the nested effects and
the remaining effect dummies (e.g. entity-demeaned time dummies for two-way
effects with city clusters, time dummies for time effects, a constant for none).  The dummies are
partialled out by the Schur complement
:math:`S_{ZZ} - S_{ZD} S_{DD}^{+} S_{DZ}` (Frisch-Waugh-Lovell), and each
regression is one small solve.  For B draws this is one (B x G) by
(G x q^2) product and B small solves, instead of B refits (the "pairs cluster
bootstrap" of Cameron, Gelbach and Miller 2008, computed from cluster-level
sums as advocated by MacKinnon 2023, "Fast cluster bootstrap methods for
linear regression models", Econometrics and Statistics 26: 52-71).
"""

from __future__ import annotations

import numpy as np

from vagg.models._within import Groups, collinear_columns, group_means


def nested_in(codes: np.ndarray, clusters: np.ndarray) -> bool:
    """Whether every group of ``codes`` lies inside one cluster."""
    pairs = np.unique(np.column_stack([codes, clusters]), axis=0)
    return len(pairs) == len(np.unique(codes))


def _dummies(codes: np.ndarray, n_groups: int) -> np.ndarray:
    d = np.zeros((len(codes), n_groups))
    d[np.arange(len(codes)), codes] = 1.0
    return d


def cluster_design(z: np.ndarray, groups: Groups, effects: str, clusters: np.ndarray) -> tuple[np.ndarray,
                                                                                               np.ndarray]:
    """Variables net of the effects nested in the clusters, and dummies of the other effects.

    An effect whose groups (entities or periods) each lie in one cluster is
    partialled out by demeaning: a per-cluster reweighting (bootstrap counts)
    or sign flip (wild weights) leaves such a projection unchanged.  An effect
    that cuts across clusters is not: a regression on a resampled or
    re-signed outcome must re-absorb it, so it is carried as explicit dummy
    columns (demeaned by the partialled effect; for two-way effects one
    dummy is dropped, and any dummy collinear with the earlier ones in an
    unbalanced panel).  Regressing on ``[z, d]`` gives the fixed-effects
    coefficients of ``z`` (Frisch-Waugh-Lovell).

    Parameters
    ----------
    z
        (n x p) variables.
    groups
        Entity and time codes.
    effects
        "none", "entity", "time" or "twoway".
    clusters
        (n,) integer cluster codes.

    Returns
    -------
    (n x p) partialled variables and (n x r) effect dummies (r may be 0).
    """
    z = np.asarray(z, dtype=float)
    entity = effects in ("entity", "twoway")
    time = effects in ("time", "twoway")
    if entity and nested_in(groups.entity, clusters):
        partial, carried = "entity", ["time"] * time
    elif time and nested_in(groups.time, clusters):
        partial, carried = "time", ["entity"] * entity
    else:
        partial, carried = "none", ["entity"] * entity + ["time"] * time
    codes = {"entity": (groups.entity, groups.n_entities), "time": (groups.time, groups.n_periods)}
    d = np.column_stack([np.zeros((len(z), 0))] + [_dummies(*codes[c]) for c in carried])
    if effects == "twoway":  # the dummies of the two effects span the constant twice: drop one
        d = d[:, 1:]
    if partial != "none":
        labels, n_groups = codes[partial]
        z = z - group_means(z, labels, n_groups)[labels]
        d = d - group_means(d, labels, n_groups)[labels]
    if effects == "twoway" and not groups.balanced:  # a gap in the panel can make some dummies redundant
        d = d[:, ~collinear_columns(d)]
    return z, d


class ClusterMoments:
    """Per-cluster cross products of a set of variables under fixed effects.

    Parameters
    ----------
    z
        (n x p) variables (outcomes and regressors of all equations).
    groups
        Entity and time codes.
    effects
        "none", "entity", "time" or "twoway".
    clusters
        (n,) integer cluster codes 0..G-1.  Effects nested in the clusters are
        partialled out, the others carried as dummies (:func:`cluster_design`).
    """

    def __init__(self, z: np.ndarray, groups: Groups, effects: str, clusters: np.ndarray) -> None:
        z, d = cluster_design(z, groups, effects, clusters)
        if effects == "none":
            d = np.ones((len(z), 1))
        a = np.column_stack([z, d])
        self.p = z.shape[1]
        self.n_clusters = int(clusters.max()) + 1
        q = a.shape[1]
        rows, cols = np.triu_indices(q)
        upper = np.column_stack([np.bincount(clusters, weights=a[:, i] * a[:, j], minlength=self.n_clusters)
                                 for i, j in zip(rows, cols)])  # one pass per pair of columns, no n x q^2 array
        full = np.zeros((self.n_clusters, q, q))
        full[:, rows, cols] = upper
        full[:, cols, rows] = upper
        self.per_cluster = full.reshape(self.n_clusters, q * q)
        self.q = q

    def moments(self, weights: np.ndarray) -> np.ndarray:
        """(B x p x p) cross products of the variables net of the effect dummies.

        ``weights`` is (B x G): how often each cluster is drawn.
        """
        s = (weights @ self.per_cluster).reshape(-1, self.q, self.q)
        p = self.p
        if self.q == p:
            return s
        szz, szd, sdd = s[:, :p, :p], s[:, :p, p:], s[:, p:, p:]
        return szz - szd @ _solve_or_pinv(sdd, np.swapaxes(szd, 1, 2))


def _solve_or_pinv(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched :math:`A^{-1}B`; the pseudo-inverse when some A is singular
    (a resample that misses a period of an unbalanced panel)."""
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(a, hermitian=True) @ b


def solve_equation(s: np.ndarray, dependent: int, regressors: list[int]) -> np.ndarray:
    """(B x r) OLS coefficients of column ``dependent`` on ``regressors`` from moments ``s``.

    A draw whose resampled design is singular (reciprocal condition number
    below 1e-12) gets NaN coefficients.
    """
    sxx = s[:, regressors][:, :, regressors]
    sxy = s[:, regressors, dependent][:, :, None]
    try:
        out = np.linalg.solve(sxx, sxy)[:, :, 0]
        diag = np.sqrt(np.abs(np.diagonal(sxx, axis1=1, axis2=2)))
        scaled = sxx / (diag[:, :, None] * diag[:, None, :])
        bad = np.abs(np.linalg.det(scaled)) < 1e-12
    except np.linalg.LinAlgError:
        out = np.full((s.shape[0], len(regressors)), np.nan)
        cond = np.linalg.cond(sxx)
        ok = np.isfinite(cond) & (cond < 1e12)
        out[ok] = np.linalg.solve(sxx[ok], sxy[ok])[:, :, 0]
        return out
    out[bad] = np.nan
    return out


def cluster_counts(rng: np.random.Generator, n_draws: int, n_clusters: int) -> np.ndarray:
    """(B x G) counts of each cluster in B resamples of G clusters with replacement."""
    return rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters), size=n_draws).astype(float)
