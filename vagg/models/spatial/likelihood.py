r"""Concentrated maximum likelihood for spatial lag and spatial error panels.

Data are arrays in entity-major order: ``y`` is N x T, regressors N x T x k.

Fixed effects.  The direct approach (Elhorst 2014, *Spatial Econometrics*,
ch. 3) is the maximum likelihood with explicit entity and/or time dummies D;
every quantity below equals the one computed with the dummies.  The dummies
are removed by the within projection Q (entity, time or two-way demeaning),
and what is exact depends on the model:

* Lag models (SAR, SDM) and SLX: A y = X b + D d + e with A = I - rho W per
  period, so the dummies are partialled from A y = y - rho W y: the residuals
  of Q y and Q (W y) on Q X, the lag of the *raw* outcome then transformed.
  (Q W Q y, the lag of the demeaned outcome, equals Q W y only for entity
  effects or when W 1 = c 1.)
* Error models (SEM, SDEM): A y = A X b + A D d + e.  Entity dummies are
  unchanged by A (W acts within a period), time dummies become
  a(lambda) = A 1 = 1 - lambda W 1 in each period, which is a multiple of 1
  only when the rows of W have a common sum.  The exact concentrated
  likelihood partials [A Q y, A Q X] on a(lambda) period by period (Q y may
  replace y because A 1 = a(lambda) is partialled anyway), which stays
  cheap: one QR factor of [Q z, W Q z] and per-period sums, then O(k^3) per
  value of lambda (see :func:`fit_error`).

Lag model (SAR, and SDM with [X, WX] as regressors):

    L(rho) = -(n*/2) log(2 pi sigma^2(rho)) - n*/2 + T* (log|I - rho W| - c log(1 - rho)),
    sigma^2(rho) = ||e0 - rho e1||^2 / n*,

with e0, e1 the residuals of Q y and Q W y on Q X (Anselin 1988, ch. 12;
Elhorst 2014, ch. 3).  Error model: b(lambda) by GLS on the filtered
and partialled variables.

Without the Lee-Yu correction (the direct approach) n* = NT, T* = T,
c = 0.  With it (Lee and Yu 2010, J. Econometrics 154:165-185, the
transformation approach, which is the likelihood of the data transformed by
the orthonormal F_{T,T-1} and F_{N,N-1}, not the dummy likelihood): entity
effects give T* = T - 1 for any W; time effects need W 1 = 1 (then
F_N' W = W* F_N') and give N* = N - 1 and c = 1 (the unit eigenvalue of W is
removed); n* = N* T*.  With W 1 = 1, Q W Q y = Q W y, so the same data
serve both approaches.
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


def has_time(effects: str) -> bool:
    """Whether the effects include time dummies."""
    return effects in ("time", "twoway")


@dataclass
class Design:
    """Transformed data and the dimensions of the (Lee-Yu) likelihood.

    Attributes
    ----------
    y, wy
        N x T arrays Q y and Q W y (the lag of the raw outcome, transformed).
    x, wx
        NT x k matrices Q X and W Q X (entity-major rows); ``wx`` and
        ``wqy`` = W Q y are the lags the error models filter with.
    n_eff, t_eff
        n* and T* of the likelihood; ``unit_root`` is c above.
    """

    y: np.ndarray
    wy: np.ndarray
    x: np.ndarray
    wx: np.ndarray
    wqy: np.ndarray
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
    """Transform raw N x T ``y`` and N x T x k ``x`` for the likelihood.

    With ``lee_yu`` and time effects W must have unit row sums (the caller checks).
    """
    n, t = y.shape
    k = x.shape[2]
    n_star = n - 1 if (lee_yu and has_time(effects)) else n
    t_star = t - 1 if (lee_yu and effects in ("entity", "twoway")) else t
    qy = within(y, effects)
    qx = within(x, effects)
    return Design(
        y=qy,
        wy=within(lag(w, y), effects),
        x=qx.reshape(n * t, k),
        wx=lag(w, qx).reshape(n * t, k),
        wqy=lag(w, qy),
        n_eff=n_star * t_star,
        t_eff=t_star,
        unit_root=bool(lee_yu and has_time(effects)),
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
    return np.linalg.lstsq(x, y, rcond=None)[0]


def fit_lag(d: Design, op: SpatialOperator) -> dict[str, object]:
    """ML of the lag model; returns beta, rho, sigma2, loglik, resid, cov.

    ``cov`` is the inverse of the information matrix in the order
    (beta, rho, sigma2) (Anselin 1988, ch. 6; Elhorst 2014, ch. 3; with
    the Lee and Yu 2010 transformed dimensions):

        I_bb = X~'X~ / s2,  I_br = X~'(Q G eta) / s2,  I_rs = T* tr G* / s2,
        I_rr = ||Q G eta||^2 / s2 + T* (tr G*^2 + tr G*'G*),  I_ss = n*/(2 s4),

    the dummies' rows and columns partialled out (the inverse of this block
    is the (beta, rho, sigma2) block of the inverse of the full dummy
    information).  eta = A y - e = X b + D d is the mean of A y including
    the fitted dummies, so Q G eta = Q (W y - G e): G D d is not removed by Q
    when time effects meet a W without constant row sums.
    G = W (I - rho W)^{-1}; with the unit eigenvalue removed (c = 1),
    tr G* = tr G - 1/(1-rho), tr G*^2 = tr G^2 - 1/(1-rho)^2 and
    tr G*'G* = tr G'G - ||G'1||^2/N.
    """
    y, wy = d.y.ravel(), d.wy.ravel()
    b0, b1 = _ols(d.x, y), _ols(d.x, wy)
    e0, e1 = y - d.x @ b0, wy - d.x @ b1
    r = np.linalg.qr(np.column_stack([e0, e1]), mode="r")  # ||e0 - rho e1||^2 as a sum of squares

    def conc(rho: float) -> float:
        ssr = (r[0, 0] - rho * r[0, 1]) ** 2 + (rho * r[1, 1]) ** 2
        return -0.5 * d.n_eff * np.log(ssr / d.n_eff) + d.jacobian(op, rho)

    rho = _maximise(conc, op, "rho")
    beta = b0 - rho * b1
    resid = e0 - rho * e1
    sigma2 = float(resid @ resid) / d.n_eff
    return {
        "beta": beta, "spatial": rho, "sigma2": sigma2, "resid": resid,
        "loglik": _loglik(sigma2, d.n_eff, d.jacobian(op, rho)),
        "cov": np.linalg.inv(lag_information(d, op, rho, resid, sigma2)), "fitted": y - resid,
    }


def lag_information(d: Design, op: SpatialOperator, rho: float, resid: np.ndarray, sigma2: float) -> np.ndarray:
    """Information matrix of the lag model in the order (beta, rho, sigma2) (see :func:`fit_lag`).

    ``resid`` = Q y - rho Q W y - Q X b (length NT) at the point of evaluation.
    """
    tr = _star_traces(op, rho, d.unit_root)
    solve = op.factor(rho)
    gxb = (d.wy - within(lag(op.w, solve(resid.reshape(d.shape))), d.effects)).ravel()  # Q G eta = Q(W y - G e)
    k = d.x.shape[1]
    info = np.zeros((k + 2, k + 2))
    info[:k, :k] = d.x.T @ d.x / sigma2
    info[:k, k] = info[k, :k] = d.x.T @ gxb / sigma2
    info[k, k] = gxb @ gxb / sigma2 + d.t_eff * (tr["trG2"] + tr["trGtG"])
    info[k, k + 1] = info[k + 1, k] = d.t_eff * tr["trG"] / sigma2
    info[k + 1, k + 1] = d.n_eff / (2.0 * sigma2**2)
    return info


def _time_partial(d: Design, op: SpatialOperator) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Per-period sums that partial the filtered time dummies a(lambda) = 1 - lambda W 1.

    For time-demeaned z_t (1'z_t = 0), a'(I - lambda W) z_t = -lambda (p1_t - lambda p2_t)
    with p1_t = (r + c)'z_t, p2_t = r'W z_t, r = W 1, c = W'1.  Returns r and the
    T x (k + 1) arrays p1, p2 for z = [Q X, Q y]; None without time effects.
    """
    if not has_time(d.effects):
        return None
    n, t = d.shape
    k = d.x.shape[1]
    ones = np.ones(n)
    r, c = op.w @ ones, op.w.T @ ones
    z = np.concatenate([d.x.reshape(n, t, k), d.y[:, :, None]], axis=2)
    wz = np.concatenate([d.wx.reshape(n, t, k), d.wqy[:, :, None]], axis=2)
    p1 = np.einsum("i,itk->tk", r + c, z)
    p2 = np.einsum("i,itk->tk", r, wz)
    return r, p1, p2


def fit_error(d: Design, op: SpatialOperator) -> dict[str, object]:
    """ML of the error model; returns beta, lambda, sigma2, loglik, resid, cov.

    Data z = [Q X, Q y] are filtered, z* = z - lambda W z, and with time
    effects partialled on a = 1 - lambda W 1 in each period (the filtered time
    dummies; a = (1 - lambda) 1 when W 1 = 1, which is the time demeaning):

        z*'M z* = B'B - C'C,   B = R1 - lambda R2,
    C = lambda (P1 - lambda P2) / sqrt(a'a),

    [R1, R2] the triangular factor of [z, W z] (one QR), a'a = N - 2 lambda 1'r
    + lambda^2 r'r, and P1, P2 of :func:`_time_partial`.  Each likelihood
    evaluation costs O(k^3) plus the log-determinant, and
    b(lambda) = (X*'MX*)^{-1} X*'My*.  Without time effects the SSR is the
    last diagonal element of the QR factor of B, squared, so no cross
    products of the raw levels are formed (a pooled model's constant would
    otherwise cost digits of the SSR).  Information (Anselin 1988, ch. 6;
    Elhorst 2014, ch. 3): I_bb = X*'MX*/s2 (the filtered dummies partialled),
    I_ll = T* (tr H*^2 + tr H*'H*), I_ls = T* tr H*/s2, I_ss = n*/(2 s4),
    H = W (I - lambda W)^{-1}, (b, dummies) orthogonal to (lambda, s2).
    """
    n, t = d.shape
    y = d.y.ravel()
    z, wz = np.column_stack([d.x, y]), np.column_stack([d.wx, d.wqy.ravel()])
    k = d.x.shape[1]
    base = np.linalg.qr(np.column_stack([z, wz]), mode="r")  # z - lambda W z = Q (R1 - lambda R2)
    part = _time_partial(d, op)
    if part is not None:
        r, p1, p2 = part
        sum_r, sum_r2 = float(r.sum()), float(r @ r)

    def ssr(lam: float) -> float:
        b = base[:, : k + 1] - lam * base[:, k + 1 :]
        if part is None:  # no cross products formed: SSR from the triangular factor
            return float(np.linalg.qr(b, mode="r")[k, k] ** 2)
        c = lam * (p1 - lam * p2) / np.sqrt(n - 2.0 * lam * sum_r + lam * lam * sum_r2)
        m = b.T @ b - c.T @ c
        return float(m[k, k] - m[:k, k] @ np.linalg.solve(m[:k, :k], m[:k, k]))

    def conc(lam: float) -> float:
        return -0.5 * d.n_eff * np.log(ssr(lam) / d.n_eff) + d.jacobian(op, lam)

    lam = _maximise(conc, op, "lambda")
    zs = (z - lam * wz).reshape(n, t, k + 1)
    if part is not None:
        a = 1.0 - lam * r
        zs = zs - a[:, None, None] * (np.einsum("i,itk->tk", a, zs) / (a @ a))[None, :, :]
    zs = zs.reshape(n * t, k + 1)
    xs, ys = zs[:, :k], zs[:, k]
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

