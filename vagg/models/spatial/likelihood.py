r"""Concentrated maximum likelihood for spatial lag and spatial error panels.

Data are arrays in entity-major order: ``y`` is N x T, regressors N x T x k.

Fixed effects by the within transformation Q (entity, time or two-way
demeaning).  Convention: spatial lags are formed from the data and then
transformed, Q W z; for entity effects W commutes with Q, so this is W applied
to the demeaned variables, and with time effects and a row-standardised W it
equals Q W Q z, the transformed lag of Lee and Yu (2010).

Lag model (SAR, and SDM with [X, WX] as regressors), y~ = rho W y~ + X~ b + e:

    L(rho) = -(n*/2) log(2 pi sigma^2(rho)) - n*/2 + T* (log|I - rho W| - c log(1 - rho)),
    sigma^2(rho) = ||e0 - rho e1||^2 / n*,

with e0, e1 the residuals of y~ and W y~ on X~ (Anselin 1988, ch. 12;
Elhorst 2014, *Spatial Econometrics*, ch. 3).  Error model (SEM, SDEM),
y~ = X~ b + u, u = lambda W u + e, concentrates b(lambda) by GLS on the
filtered variables (I - lambda W) z.

Without the Lee-Yu correction (Elhorst's direct approach) n* = NT, T* = T,
c = 0.  With it (Lee and Yu 2010, J. Econometrics 154:165-185, the
transformation approach; W row-standardised when time effects are present):
entity effects give T* = T - 1; time effects give N* = N - 1 and c = 1 (the
unit eigenvalue of W is removed); n* = N* T*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize_scalar

from vagg._errors import SpecificationError
from vagg.models.spatial.logdet import SpatialOperator

_XATOL = 1e-10
_EDGE = 1e-5


def within(z: np.ndarray, effects: str) -> np.ndarray:
    """Q z for an N x T (x k) array: entity, time or two-way demeaning."""
    out = z
    if effects in ("entity", "twoway"):
        out = out - out.mean(axis=1, keepdims=True)
    if effects in ("time", "twoway"):
        out = out - out.mean(axis=0, keepdims=True)
    return out


def lag(w: sp.spmatrix, z: np.ndarray) -> np.ndarray:
    """W z period by period for an N x T (x k) array."""
    return (w @ z.reshape(z.shape[0], -1)).reshape(z.shape)


@dataclass
class Design:
    """Transformed data and the dimensions of the (Lee-Yu) likelihood.

    Attributes
    ----------
    y, wy
        N x T arrays Q y and Q W y.
    x, wx
        NT x k matrices Q X and Q W X (entity-major rows).
    n_eff, t_eff
        n* and T* of the likelihood; ``unit_root`` is c above.
    """

    y: np.ndarray
    wy: np.ndarray
    x: np.ndarray
    wx: np.ndarray
    n_eff: int
    t_eff: int
    unit_root: bool
    effects: str

    @property
    def shape(self) -> tuple[int, int]:
        return self.y.shape

    def jacobian(self, op: SpatialOperator, rho: float) -> float:
        """T* (log|I - rho W| - c log(1 - rho))."""
        value = op.logdet(rho)
        if self.unit_root:
            value -= np.log1p(-rho)
        return self.t_eff * value


def make_design(y: np.ndarray, x: np.ndarray, w: sp.spmatrix, effects: str, lee_yu: bool) -> Design:
    """Transform raw N x T ``y`` and N x T x k ``x`` for the likelihood."""
    n, t = y.shape
    k = x.shape[2]
    n_star = n - 1 if (lee_yu and effects in ("time", "twoway")) else n
    t_star = t - 1 if (lee_yu and effects in ("entity", "twoway")) else t
    qy = within(y, effects)
    qx = within(x, effects)
    return Design(
        y=qy,
        wy=within(lag(w, qy), effects),
        x=qx.reshape(n * t, k),
        wx=within(lag(w, qx), effects).reshape(n * t, k),
        n_eff=n_star * t_star,
        t_eff=t_star,
        unit_root=bool(lee_yu and effects in ("time", "twoway")),
        effects=effects,
    )


def _maximise(objective, op: SpatialOperator, name: str) -> float:
    """Maximise a concentrated log-likelihood over the admissible interval."""
    low, high = op.bounds
    span = high - low
    res = minimize_scalar(lambda r: -objective(r), bounds=(low + 1e-9 * span, high - 1e-9 * span),
                          method="bounded", options={"xatol": _XATOL, "maxiter": 1000})
    value = float(res.x)
    if min(value - low, high - value) < _EDGE * span:
        raise SpecificationError(
            f"the likelihood is maximised at the boundary {name} = {value:.6f} of the admissible interval "
            f"({low:.4f}, {high:.4f}) where I - {name} W is singular; the model is misspecified for these data "
            "(check the weights matrix, the fixed effects and whether the outcome is spatially trending)"
        )
    return value


def _loglik(sigma2: float, n_eff: int, jac: float) -> float:
    return float(-0.5 * n_eff * (np.log(2.0 * np.pi * sigma2) + 1.0) + jac)


def _ols(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.solve(x.T @ x, x.T @ y)


def fit_lag(d: Design, op: SpatialOperator) -> dict[str, object]:
    """ML of the lag model; returns beta, rho, sigma2, loglik, resid, cov.

    ``cov`` is the inverse of the information matrix in the order
    (beta, rho, sigma2) (Anselin 1988, ch. 6; Elhorst 2014, ch. 3; with
    the Lee and Yu 2010 transformed dimensions):

        I_bb = X~'X~ / s2,  I_br = X~'(Q G X~b) / s2,  I_rs = T* tr G* / s2,
        I_rr = ||Q G X~b||^2 / s2 + T* (tr G*^2 + tr G*'G*),  I_ss = n*/(2 s4),

    G = W (I - rho W)^{-1}; with the unit eigenvalue removed (c = 1),
    tr G* = tr G - 1/(1-rho), tr G*^2 = tr G^2 - 1/(1-rho)^2 and
    tr G*'G* = tr G'G - ||G'1||^2/N.
    """
    y, wy = d.y.ravel(), d.wy.ravel()
    b0, b1 = _ols(d.x, y), _ols(d.x, wy)
    e0, e1 = y - d.x @ b0, wy - d.x @ b1
    a, b, c = e0 @ e0, e0 @ e1, e1 @ e1

    def conc(rho: float) -> float:
        return -0.5 * d.n_eff * np.log((a - 2 * rho * b + rho * rho * c) / d.n_eff) + d.jacobian(op, rho)

    rho = _maximise(conc, op, "rho")
    beta = b0 - rho * b1
    resid = e0 - rho * e1
    sigma2 = float(resid @ resid) / d.n_eff
    tr = _star_traces(op, rho, d.unit_root)
    xb = (d.x @ beta).reshape(d.shape)
    solve = op.factor(rho)
    gxb = within(lag(op.w, solve(xb)), d.effects).ravel()
    k = d.x.shape[1]
    info = np.zeros((k + 2, k + 2))
    info[:k, :k] = d.x.T @ d.x / sigma2
    info[:k, k] = info[k, :k] = d.x.T @ gxb / sigma2
    info[k, k] = gxb @ gxb / sigma2 + d.t_eff * (tr["trG2"] + tr["trGtG"])
    info[k, k + 1] = info[k + 1, k] = d.t_eff * tr["trG"] / sigma2
    info[k + 1, k + 1] = d.n_eff / (2.0 * sigma2**2)
    return {
        "beta": beta, "spatial": rho, "sigma2": sigma2, "resid": resid,
        "loglik": _loglik(sigma2, d.n_eff, d.jacobian(op, rho)),
        "cov": np.linalg.inv(info), "fitted": y - resid,
    }


def fit_error(d: Design, op: SpatialOperator) -> dict[str, object]:
    """ML of the error model; returns beta, lambda, sigma2, loglik, resid, cov.

    b(lambda) = (X*'X*)^{-1} X*'y* with z* = z~ - lambda W z~; the cross
    products are quadratic in lambda, so each likelihood evaluation costs
    O(k^3) plus the log-determinant.  Information (Anselin 1988, ch. 6; Elhorst 2014, ch. 3):
    I_bb = X*'X*/s2, I_ll = T* (tr H*^2 + tr H*'H*), I_ls = T* tr H*/s2,
    I_ss = n*/(2 s4), H = W (I - lambda W)^{-1}, b orthogonal to (lambda, s2).
    """
    y, wy = d.y.ravel(), d.wy.ravel()
    z, wz = np.column_stack([d.x, y]), np.column_stack([d.wx, wy])
    m0, m1, m2 = z.T @ z, z.T @ wz, wz.T @ wz
    m1 = m1 + m1.T
    k = d.x.shape[1]

    def moments(lam: float) -> tuple[np.ndarray, np.ndarray, float]:
        m = m0 - lam * m1 + lam * lam * m2
        return m[:k, :k], m[:k, k], m[k, k]

    def conc(lam: float) -> float:
        xx, xy, yy = moments(lam)
        ssr = yy - xy @ np.linalg.solve(xx, xy)
        return -0.5 * d.n_eff * np.log(ssr / d.n_eff) + d.jacobian(op, lam)

    lam = _maximise(conc, op, "lambda")
    xs, ys = d.x - lam * d.wx, y - lam * wy
    beta = _ols(xs, ys)
    resid = ys - xs @ beta
    sigma2 = float(resid @ resid) / d.n_eff
    tr = _star_traces(op, lam, d.unit_root)
    info = np.zeros((k + 2, k + 2))
    info[:k, :k] = xs.T @ xs / sigma2
    info[k, k] = d.t_eff * (tr["trG2"] + tr["trGtG"])
    info[k, k + 1] = info[k + 1, k] = d.t_eff * tr["trG"] / sigma2
    info[k + 1, k + 1] = d.n_eff / (2.0 * sigma2**2)
    return {
        "beta": beta, "spatial": lam, "sigma2": sigma2, "resid": resid,
        "loglik": _loglik(sigma2, d.n_eff, d.jacobian(op, lam)),
        "cov": np.linalg.inv(info), "fitted": d.x @ beta,
    }


def fit_ols(d: Design) -> dict[str, object]:
    """ML of the SLX model (no spatial parameter): OLS with sigma^2 = SSR/n*."""
    y = d.y.ravel()
    beta = _ols(d.x, y)
    resid = y - d.x @ beta
    sigma2 = float(resid @ resid) / d.n_eff
    k = d.x.shape[1]
    info = np.zeros((k + 1, k + 1))
    info[:k, :k] = d.x.T @ d.x / sigma2
    info[k, k] = d.n_eff / (2.0 * sigma2**2)
    return {
        "beta": beta, "spatial": None, "sigma2": sigma2, "resid": resid,
        "loglik": _loglik(sigma2, d.n_eff, 0.0), "cov": np.linalg.inv(info), "fitted": y - resid,
    }


def _star_traces(op: SpatialOperator, rho: float, unit_root: bool) -> dict[str, float]:
    tr = op.traces(rho)
    if unit_root:
        tr["trG"] -= 1.0 / (1.0 - rho)
        tr["trG2"] -= 1.0 / (1.0 - rho) ** 2
        tr["trGtG"] -= tr["Gt1"]
    return tr

