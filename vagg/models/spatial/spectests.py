r"""Tests of specification for spatial panels.

LM tests of rho = 0 and lambda = 0 at the non-spatial panel (Anselin 1988,
*Spatial Econometrics*, ch. 12; Anselin, Bera, Florax and Yoon 1996, Reg.
Sci. Urban Econ. 26:77-104 for the robust forms; panel versions as in
Elhorst 2014, *Spatial Econometrics*, sec. 3.6, and Debarsy and Ertur 2010,
Reg. Sci. Urban Econ. 40:453-470).  They are the score tests of the
likelihood the model is estimated by: the explicit-dummy likelihood (direct
approach, n = NT, T periods) or the Lee-Yu transformed one (n = n*, T = T*,
and with time effects W* = F_N' W F_N, whose traces are those of W less the
unit eigenvalue: tr W* = tr W - 1, tr W*^2 = tr W^2 - 1,
tr W*'W* = tr W'W - ||W'1||^2/N).  With e the residuals of Q y on Q X,
s2 = e'e/n, M = I - Q X (X'Q X)^{-1} X'Q:

    d_rho = e'(Q W y)/s2 - T tr W,     d_lam = e'W e/s2 - T tr W,
    J_rr  = ||M Q W eta||^2/s2 + T T_W - 2 (T tr W)^2/n,
    J_ll  = J_rl = T T_W - 2 (T tr W)^2/n,      T_W = tr(W'W + W W),

eta = y - e the fitted mean including the fixed effects (Q W eta keeps the
part of W D d that the effects do not absorb when the rows of W do not sum
to one); J is the information of (rho, lambda) with beta, the dummies and
s2 partialled out.  Then

    LM_lag  = d_rho^2 / J_rr,      LM_err  = d_lam^2 / J_ll,
    RLM_lag = (d_rho - J_rl/J_ll d_lam)^2 / (J_rr - J_rl^2/J_ll),
    RLM_err = (d_lam - J_rl/J_rr d_rho)^2 / (J_ll - J_rl^2/J_rr),

each chi^2(1) under its null (Bera and Yoon 1993, Econometric Theory
9:649-658).  With tr W = 0 these are Anselin's formulas.  Wald and
likelihood-ratio tests of the SDM against the SAR (theta = 0) and the SEM
(the common-factor restriction theta + rho beta = 0; Burridge 1981, JRSS B
43:374-379) are in :func:`nested_tests`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.stats as st

from vagg.models.spatial.likelihood import Design, lag, within


def _w_traces(w: sp.spmatrix, unit_root: bool) -> tuple[float, float]:
    """tr W and tr(W'W + W W), of W* = F_N' W F_N when the unit eigenvalue is removed."""
    tr1 = float(w.diagonal().sum())
    tw = float(w.multiply(w).sum() + w.multiply(w.T).sum())
    if unit_root:
        col = np.asarray(w.sum(axis=0)).ravel()
        tr1 -= 1.0
        tw -= 1.0 + float(col @ col) / w.shape[0]
    return tr1, tw


def lm_tests(d: Design, w: sp.spmatrix) -> pd.DataFrame:
    """LM lag, LM error and their robust forms for a transformed design."""
    x, y = d.x, d.y.ravel()
    xtx_inv_xt = np.linalg.solve(x.T @ x, x.T)
    b = xtx_inv_xt @ y
    e = y - x @ b
    n, periods = d.n_eff, d.t_eff
    s2 = float(e @ e) / n
    we = lag(w, e.reshape(d.shape))
    w_eta = (d.wy - within(we, d.effects)).ravel()  # Q W (y - e)
    m_w_eta = w_eta - x @ (xtx_inv_xt @ w_eta)
    tr1, tw = _w_traces(w, d.unit_root)
    ttw = periods * tw - 2.0 * (periods * tr1) ** 2 / n
    j_rr = float(w_eta @ m_w_eta) / s2 + ttw
    score_lag = float(e @ d.wy.ravel()) / s2 - periods * tr1
    score_err = float(e @ we.ravel()) / s2 - periods * tr1
    stats = {
        "LM lag": score_lag**2 / j_rr,
        "LM error": score_err**2 / ttw,
        "robust LM lag": (score_lag - score_err) ** 2 / (j_rr - ttw),
        "robust LM error": (score_err - ttw / j_rr * score_lag) ** 2 / (ttw - ttw**2 / j_rr),
    }
    table = pd.DataFrame({"statistic": pd.Series(stats)})
    table["df"] = 1
    table["pvalue"] = st.chi2.sf(table["statistic"], 1)
    return table


def wald(g: np.ndarray, jac: np.ndarray, cov: np.ndarray) -> tuple[float, int]:
    """Wald statistic g'(R V R')^{-1} g and its degrees of freedom."""
    middle = jac @ cov @ jac.T
    return float(g @ np.linalg.solve(middle, g)), int(g.size)


def nested_tests(
    beta: np.ndarray,
    theta: np.ndarray,
    rho: float,
    cov: np.ndarray,
    lagged: np.ndarray,
    loglik: float,
    loglik_sar: float,
    loglik_sem: float | None,
) -> pd.DataFrame:
    """Wald and LR tests of an SDM against the SAR and (all regressors lagged) the SEM.

    Parameters
    ----------
    beta, theta
        SDM estimates; ``theta`` holds only the lagged regressors, whose
        positions in ``beta`` are ``lagged``.
    cov
        Covariance of (beta, theta, rho).
    loglik_sar, loglik_sem
        Maximised log-likelihoods of the restricted models on the same data
        (``loglik_sem`` None when only some regressors are lagged, where the
        SEM is not nested).
    """
    k, q = beta.size, theta.size
    rows = {}
    jac = np.zeros((q, k + q + 1))
    jac[:, k : k + q] = np.eye(q)
    stat, df = wald(theta, jac, cov)
    rows["SDM vs SAR (theta = 0): Wald"] = (stat, df)
    rows["SDM vs SAR (theta = 0): LR"] = (2.0 * (loglik - loglik_sar), q)
    if loglik_sem is not None:
        g = theta + rho * beta[lagged]
        jac = np.zeros((q, k + q + 1))
        jac[np.arange(q), lagged] = rho
        jac[:, k : k + q] = np.eye(q)
        jac[:, -1] = beta[lagged]
        stat, df = wald(g, jac, cov)
        rows["SDM vs SEM (theta = -rho beta): Wald"] = (stat, df)
        rows["SDM vs SEM (theta = -rho beta): LR"] = (2.0 * (loglik - loglik_sem), q)
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["statistic", "df"])
    table["pvalue"] = st.chi2.sf(table["statistic"], table["df"])
    return table
