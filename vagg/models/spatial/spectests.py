r"""Tests of specification for spatial panels.

LM tests on the (within-transformed) non-spatial panel, e = residuals of
y~ on X~, s2 = e'e/NT, T_W = tr(W'W + W W), and WXb = Q W X~b
(Anselin 1988, *Spatial Econometrics*, ch. 12; Anselin, Bera, Florax and
Yoon 1996, Reg. Sci. Urban Econ. 26:77-104 for the robust forms; the panel
versions with T T_W in place of T_W as in Elhorst 2014, *Spatial
Econometrics*, sec. 3.6, and Debarsy and Ertur 2010, Reg. Sci. Urban Econ.
40:453-470):

    J        = [ (WXb)' M (WXb) + T T_W s2 ] / s2,      M = I - X~(X~'X~)^{-1}X~'
    LM_lag   = (e'(I_T (x) W) y~ / s2)^2 / J
    LM_err   = (e'(I_T (x) W) e / s2)^2 / (T T_W)
    RLM_lag  = (e'Wy~/s2 - e'We/s2)^2 / (J - T T_W)
    RLM_err  = (e'We/s2 - T T_W / J * e'Wy~/s2)^2 / (T T_W (1 - T T_W / J))

each chi^2(1) under its null.  Wald and likelihood-ratio tests of the SDM
against the SAR (theta = 0) and the SEM (the common-factor restriction
theta + rho beta = 0; Burridge 1981, JRSS B 43:374-379) are in
:func:`nested_tests`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.stats as st

from vagg.models.spatial.likelihood import Design, lag, within


def lm_tests(d: Design, w: sp.spmatrix, n_periods: int) -> pd.DataFrame:
    """LM lag, LM error and their robust forms for a transformed design."""
    x, y = d.x, d.y.ravel()
    xtx_inv_xt = np.linalg.solve(x.T @ x, x.T)
    b = xtx_inv_xt @ y
    e = y - x @ b
    n_obs = y.size
    s2 = float(e @ e) / n_obs
    we = lag(w, e.reshape(d.shape)).ravel()
    wxb = within(lag(w, (x @ b).reshape(d.shape)), d.effects).ravel()
    m_wxb = wxb - x @ (xtx_inv_xt @ wxb)
    tw = float(w.multiply(w).sum() + w.multiply(w.T).sum())
    ttw = n_periods * tw
    j = (float(wxb @ m_wxb) + ttw * s2) / s2
    score_lag = float(e @ d.wy.ravel()) / s2
    score_err = float(e @ we) / s2
    stats = {
        "LM lag": score_lag**2 / j,
        "LM error": score_err**2 / ttw,
        "robust LM lag": (score_lag - score_err) ** 2 / (j - ttw),
        "robust LM error": (score_err - ttw / j * score_lag) ** 2 / (ttw * (1.0 - ttw / j)),
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
