"""The Lee-Yu correction against its definition, written out by hand in the test.

Lee and Yu (2010, J. Econometrics 154:165-185) transform a two-way fixed
effects panel with the orthonormal eigenvector matrices F_T (T x T-1) and
F_N (N x N-1) of the demeaning projections: Y* = F_N' Y F_T, W* = F_N' W F_N,
and maximise the ordinary SAR / SEM likelihood of the (N-1)(T-1)
transformed observations.  Here that is done with dense matrices, numpy's
slogdet and scipy's scalar optimiser; the information matrix is the textbook
one (Anselin 1988, ch. 6) of the transformed model.  SpatialPanel must agree
with it although it never forms F_N or F_T.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

import vagg
from vagg.simulate.spatial import simulate_spatial_panel
from vagg.models import SpatialPanel


def _complement_basis(m: int) -> np.ndarray:
    vals, vecs = np.linalg.eigh(np.eye(m) - np.ones((m, m)) / m)
    return vecs[:, vals > 0.5]


def _transformed(df, w_dense, n, t):
    fn, ft = _complement_basis(n), _complement_basis(t)
    y = fn.T @ df["y"].to_numpy().reshape(n, t) @ ft
    x = np.stack([fn.T @ df[c].to_numpy().reshape(n, t) @ ft for c in ("x1", "x2")], axis=-1)
    return y, x.reshape(-1, 2), fn.T @ w_dense @ fn


def _hand_sar(y, x, ws):
    m, periods = y.shape
    wy = (ws @ y).ravel()
    yv = y.ravel()
    b0, b1 = (np.linalg.lstsq(x, v, rcond=None)[0] for v in (yv, wy))
    e0, e1 = yv - x @ b0, wy - x @ b1
    n_star = yv.size

    def negll(rho):
        e = e0 - rho * e1
        return 0.5 * n_star * np.log(e @ e / n_star) - periods * np.linalg.slogdet(np.eye(m) - rho * ws)[1]

    rho = minimize_scalar(negll, bounds=(-0.99, 0.99), method="bounded", options={"xatol": 1e-12}).x
    beta = b0 - rho * b1
    e = e0 - rho * e1
    s2 = e @ e / n_star
    g = ws @ np.linalg.inv(np.eye(m) - rho * ws)
    gxb = (g @ (x @ beta).reshape(m, periods)).ravel()
    k = x.shape[1]
    info = np.zeros((k + 2, k + 2))
    info[:k, :k] = x.T @ x / s2
    info[:k, k] = info[k, :k] = x.T @ gxb / s2
    info[k, k] = gxb @ gxb / s2 + periods * (np.trace(g @ g) + np.trace(g.T @ g))
    info[k, k + 1] = info[k + 1, k] = periods * np.trace(g) / s2
    info[k + 1, k + 1] = n_star / (2 * s2**2)
    return np.r_[beta, rho, s2], np.sqrt(np.diag(np.linalg.inv(info)))


def _hand_sem(y, x, ws):
    m, periods = y.shape
    n_star = y.size

    def filtered(lam):
        a = np.eye(m) - lam * ws
        ys = (a @ y).ravel()
        xs = np.column_stack([(a @ x[:, j].reshape(m, periods)).ravel() for j in range(x.shape[1])])
        return ys, xs

    def negll(lam):
        ys, xs = filtered(lam)
        e = ys - xs @ np.linalg.lstsq(xs, ys, rcond=None)[0]
        return 0.5 * n_star * np.log(e @ e / n_star) - periods * np.linalg.slogdet(np.eye(m) - lam * ws)[1]

    lam = minimize_scalar(negll, bounds=(-0.99, 0.99), method="bounded", options={"xatol": 1e-12}).x
    ys, xs = filtered(lam)
    beta = np.linalg.lstsq(xs, ys, rcond=None)[0]
    e = ys - xs @ beta
    s2 = e @ e / n_star
    h = ws @ np.linalg.inv(np.eye(m) - lam * ws)
    lam_block = np.array([[periods * (np.trace(h @ h) + np.trace(h.T @ h)), periods * np.trace(h) / s2],
                          [periods * np.trace(h) / s2, n_star / (2 * s2**2)]])
    se_beta = np.sqrt(np.diag(np.linalg.inv(xs.T @ xs / s2)))
    se_lam = np.sqrt(np.linalg.inv(lam_block)[0, 0])
    return np.r_[beta, lam, s2], np.r_[se_beta, se_lam]


@pytest.mark.parametrize("model", ["sar", "sem"])
def test_two_way_lee_yu_equals_explicit_transformation(guangdong_queen, model):
    df = simulate_spatial_panel(guangdong_queen, 8, beta=[1.0, -0.5], rho=0.35, model=model, effects="twoway", seed=8)
    ids = [str(i) for i in guangdong_queen.id_order]
    w = vagg.weights.to_sparse(guangdong_queen, ids).toarray()
    res = SpatialPanel.from_formula("y ~ x1 + x2", df, guangdong_queen, model=model, effects="twoway").fit()
    assert res.spec.lee_yu  # the default for two-way effects
    y, x, ws = _transformed(df.loc[ids], w, len(ids), 8)
    params, se = (_hand_sar if model == "sar" else _hand_sem)(y, x, ws)
    np.testing.assert_allclose(res.params.to_numpy(), params, atol=1e-7)
    spatial = "rho" if model == "sar" else "lambda"
    np.testing.assert_allclose(res.std_errors[["x1", "x2", spatial]].to_numpy(), se[:3], rtol=1e-6)
    # and it differs from the direct approach, which the correction is there to fix
    direct = SpatialPanel.from_formula("y ~ x1 + x2", df, guangdong_queen, model=model, effects="twoway",
                                       lee_yu=False).fit()
    assert abs(direct.params[spatial] - res.params[spatial]) > 1e-4
