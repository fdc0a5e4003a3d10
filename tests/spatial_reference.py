r"""A dense, slow maximum-likelihood reference for the spatial panel models (test helper).

Nothing here is shared with :mod:`vagg.models.spatial`: the reference stacks
the panel into one NT vector (entity-major), builds the NT x NT operator
kron(W, I_T), the explicit entity / time dummy columns D, and maximises the
likelihood concentrated over (b, d, sigma^2) with numpy's ``slogdet`` and
``lstsq`` and scipy's bounded scalar optimiser:

* lag (SAR, SDM):   A y = Z g + e,          A = I - rho kron(W, I_T);
* error (SEM, SDEM): B y = B Z g + e,       B = I - lambda kron(W, I_T);
* SLX:               y = Z g + e;

Z = [X, D] (X = [x, W x] for the Durbin models, a constant with no effects).
The covariance is the inverse of the Fisher information of the Gaussian
model y ~ N(mu(psi), Sigma(psi)) over every parameter psi = (b, d, spatial,
sigma^2), the general formula

    I_ij = (d mu/d psi_i)' Sigma^{-1} (d mu/d psi_j)
           + tr(Sigma^{-1} dSigma/dpsi_i Sigma^{-1} dSigma/dpsi_j) / 2,

evaluated with dense matrices, then the (b, spatial, sigma^2) block of its
inverse.  LM tests are score tests in the SAC model A y = Z g + B^{-1} e at
rho = lambda = 0: the scores are central differences of the full
log-likelihood at the OLS estimates, the information is the same Gaussian
formula, and the robust forms are Bera and Yoon's (1993) adjusted scores.

Lee and Yu (2010): their likelihood is not the dummy likelihood but the
likelihood of data transformed by the orthonormal F_{T,T-1} (entity effects:
y* = y F_T) and F_{N,N-1} (time effects: y* = F_N' y, W* = F_N' W F_N, which
needs W 1 = 1), with no dummies: n* = N* T* observations.  For Lee-Yu the
reference transforms the data with dense F matrices and runs the same
generic ML on (y*, X*, W*).  Impacts are the dense LeSage-Pace summaries
(1/N) tr S_r and (1/N) 1'S_r 1 of S_r = (I - rho W)^{-1} (b_r I + t_r W).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

LAG, ERROR = ("sar", "sdm"), ("sem", "sdem")
DURBIN = ("sdm", "sdem", "slx")


# ----------------------------------------------------------------- weights and data
def base_graph(n: int = 10) -> np.ndarray:
    """A symmetric binary graph: a ring with chords, so the degrees (row sums) differ."""
    a = np.zeros((n, n))
    for i in range(n):
        a[i, (i + 1) % n] = a[(i + 1) % n, i] = 1.0
    for i, j in [(0, 5), (0, 3), (2, 7), (4, 8), (1, 6), (0, 7)]:
        a[i, j] = a[j, i] = 1.0
    return a


def weights(kind: str, n: int = 10) -> np.ndarray:
    """W of one kind: row-standardised, spectrally normalised, binary, economic (asymmetric, unstandardised),
    or row-standardised with an island kept."""
    a = base_graph(n)
    if kind == "rowstd":
        return a / a.sum(axis=1, keepdims=True)
    if kind == "spectral":
        return a / np.abs(np.linalg.eigvals(a)).max()
    if kind == "binary":
        return a
    if kind == "economic":  # asymmetric, unstandardised: neighbours weighted by their size (row sums != column sums)
        size = np.linspace(0.5, 3.0, n)
        return a * size[None, :] / 4.0
    if kind == "island":
        a[n - 1, :] = a[:, n - 1] = 0.0
        sums = a.sum(axis=1, keepdims=True)
        return np.divide(a, sums, out=np.zeros_like(a), where=sums > 0)
    raise ValueError(kind)


def simulate(w: np.ndarray, model: str, periods: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """y (N x T) and x (N x T x 2) from the model with strong entity and time effects.

    The spatial parameter is 0.4 / (largest eigenvalue of W), so the data are well inside the
    admissible interval whatever the scale of W.
    """
    rng = np.random.default_rng(seed)
    n = w.shape[0]
    spatial = 0.4 / np.linalg.eigvals(w).real.max()
    alpha = 2.0 * rng.standard_normal(n)
    mu = 3.0 * rng.standard_normal(periods)
    x = rng.standard_normal((n, periods, 2)) + 0.5 * alpha[:, None, None]
    mean = x @ np.array([1.0, -0.5]) + alpha[:, None] + mu[None, :]
    if model in DURBIN:
        mean = mean + np.einsum("ij,jtk->itk", w, x) @ np.array([0.4, 0.3])
    e = rng.standard_normal((n, periods))
    a_inv = np.linalg.inv(np.eye(n) - spatial * w)
    if model in LAG:
        return a_inv @ (mean + e), x
    if model in ERROR:
        return mean + a_inv @ e, x
    return mean + e, x


# ----------------------------------------------------------------- transformations
def complement_basis(m: int) -> np.ndarray:
    """Orthonormal m x (m - 1) eigenvectors of I - 11'/m (Lee and Yu's F_{m,m-1})."""
    vals, vecs = np.linalg.eigh(np.eye(m) - np.ones((m, m)) / m)
    return vecs[:, vals > 0.5]


def regressors(x: np.ndarray, w: np.ndarray, model: str, effects: str, lagged: list[int]) -> np.ndarray:
    """N x T x k regressors: [const] + x + W x[:, :, lagged] (Durbin models)."""
    parts = [np.ones(x.shape[:2] + (1,))] if effects == "none" else []
    parts.append(x)
    if model in DURBIN:
        parts.append(np.einsum("ij,jtk->itk", w, x[:, :, lagged]))
    return np.concatenate(parts, axis=2)


def dummies(n: int, t: int, effects: str) -> np.ndarray:
    """Explicit NT x q dummy columns, entity-major rows (entity dummies kron(I_N, 1_T), time kron(1_N, I_T))."""
    ent = np.kron(np.eye(n), np.ones((t, 1)))
    tim = np.kron(np.ones((n, 1)), np.eye(t))
    return {"none": np.zeros((n * t, 0)), "entity": ent, "time": tim,
            "twoway": np.column_stack([ent, tim[:, 1:]])}[effects]


# ----------------------------------------------------------------- generic dense ML
def _bounds(wb: np.ndarray) -> tuple[float, float]:
    eig = np.linalg.eigvals(wb)
    real = eig[np.abs(eig.imag) < 1e-9].real
    return 1.0 / real.min() + 1e-7, 1.0 / real.max() - 1e-7


def _fisher(dmu: list[np.ndarray], dsigma: list[np.ndarray | None], sigma: np.ndarray) -> np.ndarray:
    """The Gaussian Fisher information from the derivatives of the mean and the covariance."""
    inv = np.linalg.inv(sigma)
    p = len(dmu)
    info = np.zeros((p, p))
    for i in range(p):
        for j in range(i, p):
            value = dmu[i] @ inv @ dmu[j]
            if dsigma[i] is not None and dsigma[j] is not None:
                value += 0.5 * np.trace(inv @ dsigma[i] @ inv @ dsigma[j])
            info[i, j] = info[j, i] = value
    return info


def dense_ml(y: np.ndarray, z: np.ndarray, wb: np.ndarray, kind: str) -> dict[str, object]:
    """ML of the lag / error / SLX model on a stacked y (n), Z (n x p) and W (n x n).

    Returns the coefficients g on Z, the spatial parameter, sigma^2, the log-likelihood and the
    covariance of (g, spatial, sigma^2) as the inverse of the full Fisher information.
    """
    n = y.size
    eye = np.eye(n)

    def ssr_coef(s: float) -> tuple[float, np.ndarray]:
        a = eye - s * wb
        lhs, rhs = (a @ y, z) if kind == "lag" else (a @ y, a @ z) if kind == "error" else (y, z)
        coef = np.linalg.lstsq(rhs, lhs, rcond=None)[0]
        e = lhs - rhs @ coef
        return float(e @ e), coef

    def negll(s: float) -> float:
        return 0.5 * n * np.log(ssr_coef(s)[0] / n) - np.linalg.slogdet(eye - s * wb)[1]

    if kind == "slx":
        s = 0.0
    else:
        low, high = _bounds(wb)
        s = minimize_scalar(negll, bounds=(low, high), method="bounded", options={"xatol": 1e-13, "maxiter": 5000}).x
    ssr, coef = ssr_coef(s)
    s2 = ssr / n
    logdet = np.linalg.slogdet(eye - s * wb)[1]
    loglik = -0.5 * n * (np.log(2 * np.pi * s2) + 1.0) + logdet
    if kind == "lag":
        return {"coef": coef, "spatial": s, "sigma2": s2, "loglik": loglik, "cov": lag_covariance(z, wb, coef, s, s2)}
    a = eye - s * wb
    a_inv = np.linalg.inv(a)
    p = z.shape[1]
    if kind == "error":
        sigma = s2 * a_inv @ a_inv.T
        dmu = [z[:, j] for j in range(p)] + [np.zeros(n), np.zeros(n)]
        d_spatial = s2 * (a_inv @ wb @ a_inv @ a_inv.T + a_inv @ a_inv.T @ wb.T @ a_inv.T)
        dsigma = [None] * p + [d_spatial, a_inv @ a_inv.T]
    else:
        sigma = s2 * eye
        dmu = [z[:, j] for j in range(p)] + [np.zeros(n)]
        dsigma = [None] * p + [eye]
    cov = np.linalg.inv(_fisher(dmu, dsigma, sigma))
    return {"coef": coef, "spatial": s, "sigma2": s2, "loglik": loglik, "cov": cov}


def lag_covariance(z: np.ndarray, wb: np.ndarray, coef: np.ndarray, rho: float, s2: float) -> np.ndarray:
    """Inverse Gaussian Fisher information of the lag model A y = Z g + e at (g, rho, sigma^2)."""
    n, p = z.shape
    a_inv = np.linalg.inv(np.eye(n) - rho * wb)
    sigma = s2 * a_inv @ a_inv.T
    dmu = [a_inv @ z[:, j] for j in range(p)] + [a_inv @ wb @ a_inv @ z @ coef, np.zeros(n)]
    d_spatial = s2 * (a_inv @ wb @ a_inv @ a_inv.T + a_inv @ a_inv.T @ wb.T @ a_inv.T)
    dsigma = [None] * p + [d_spatial, a_inv @ a_inv.T]
    return np.linalg.inv(_fisher(dmu, dsigma, sigma))


def dense_lm(y: np.ndarray, z: np.ndarray, wb: np.ndarray) -> np.ndarray:
    """LM lag, LM error, robust LM lag, robust LM error: score tests of rho = 0 / lambda = 0 in the SAC model."""
    n = y.size
    eye = np.eye(n)
    coef = np.linalg.lstsq(z, y, rcond=None)[0]
    e = y - z @ coef
    s2 = e @ e / n

    def loglik(rho: float, lam: float) -> float:
        a, b = eye - rho * wb, eye - lam * wb
        u = b @ (a @ y - z @ coef)
        return (-0.5 * n * np.log(2 * np.pi * s2) + np.linalg.slogdet(a)[1] + np.linalg.slogdet(b)[1]
                - u @ u / (2 * s2))

    h = 1e-6
    score = np.array([(loglik(h, 0) - loglik(-h, 0)) / (2 * h), (loglik(0, h) - loglik(0, -h)) / (2 * h)])
    p = z.shape[1]
    sym = wb + wb.T
    dmu = [z[:, j] for j in range(p)] + [wb @ z @ coef, np.zeros(n), np.zeros(n)]
    dsigma = [None] * p + [s2 * sym, s2 * sym, eye]
    cov = np.linalg.inv(_fisher(dmu, dsigma, s2 * eye))
    j = np.linalg.inv(cov[p : p + 2, p : p + 2])  # information of (rho, lambda), nuisance partialled
    d_r, d_l = score
    return np.array([
        d_r**2 / j[0, 0],
        d_l**2 / j[1, 1],
        (d_r - j[0, 1] / j[1, 1] * d_l) ** 2 / (j[0, 0] - j[0, 1] ** 2 / j[1, 1]),
        (d_l - j[0, 1] / j[0, 0] * d_r) ** 2 / (j[1, 1] - j[0, 1] ** 2 / j[0, 0]),
    ])


# ----------------------------------------------------------------- the panel reference
def reference(y: np.ndarray, x: np.ndarray, w: np.ndarray, model: str, effects: str, lee_yu: bool,
              lagged: list[int] | None = None) -> dict:
    """Dense reference fit of a spatial panel.

    Parameters
    ----------
    y, x
        Raw N x T outcome and N x T x k regressors (no lags, no constant).
    w
        Dense N x N weights.
    model, effects, lee_yu
        As in :class:`vagg.models.SpatialPanel`.
    lagged
        Positions of the regressors whose W lag enters a Durbin model (default all).

    Returns
    -------
    dict with ``params`` (regressors, spatial parameter if any, sigma^2, in vagg's order),
    ``se`` (the same order), ``loglik``, ``lm`` (4 statistics), ``impacts``
    (k x 3 direct, indirect, total, for the regressors in x) and ``effects``
    (N x T, the fitted fixed effects of :func:`fitted_effects`).
    """
    n, t = y.shape
    lagged = list(range(x.shape[2])) if lagged is None else list(lagged)
    xr = regressors(x, w, model, effects, lagged)
    k = xr.shape[2]
    raw_y, raw_x = y, xr
    ws = w
    if lee_yu:
        fn = complement_basis(n) if effects in ("time", "twoway") else np.eye(n)
        ft = complement_basis(t) if effects in ("entity", "twoway") else np.eye(t)
        y = fn.T @ y @ ft
        xr = np.einsum("ni,ntk,ts->isk", fn, xr, ft)
        ws = fn.T @ w @ fn
        d = np.zeros((y.size, 0))
    else:
        d = dummies(n, t, effects)
    m, periods = y.shape
    yv = y.ravel()
    xv = xr.reshape(m * periods, k)
    z = np.column_stack([xv, d])
    wb = np.kron(ws, np.eye(periods))
    kind = "lag" if model in LAG else "error" if model in ERROR else "slx"
    fit = dense_ml(yv, z, wb, kind)
    q = z.shape[1]
    keep = list(range(k)) + list(range(q, q + (2 if kind != "slx" else 1)))
    params = np.r_[fit["coef"][:k], [fit["spatial"]] if kind != "slx" else [], fit["sigma2"]]
    se = np.sqrt(np.diag(fit["cov"]))[keep]
    lm = dense_lm(yv, z, wb)
    # impacts on the original W
    kx = x.shape[2]
    start = 1 if effects == "none" else 0
    beta = fit["coef"][start : start + kx]
    theta = np.zeros(kx)
    if model in DURBIN:
        theta[lagged] = fit["coef"][start + kx : start + kx + len(lagged)]
    rho = fit["spatial"] if kind == "lag" else 0.0
    inv = np.linalg.inv(np.eye(n) - rho * w)
    impacts = np.zeros((kx, 3))
    for r in range(kx):
        s = inv @ (beta[r] * np.eye(n) + theta[r] * w)
        impacts[r] = [np.trace(s) / n, (s.sum() - np.trace(s)) / n, s.sum() / n]
    effects_fit = fitted_effects(raw_y, raw_x, w, kind, fit["coef"][:k], fit["spatial"], effects)
    return {"params": params, "se": se, "loglik": fit["loglik"], "lm": lm, "impacts": impacts,
            "effects": effects_fit}


def fitted_effects(y: np.ndarray, xr: np.ndarray, w: np.ndarray, kind: str, coef: np.ndarray, spatial: float,
                   effects: str) -> np.ndarray:
    """D d (N x T): the maximum likelihood dummy coefficients given the other estimates.

    Lag / SLX: OLS of A y - X b on D; error: OLS of B (y - X b) on B D (GLS), with the
    explicit dummy columns and the NT x NT operator.
    """
    n, t = y.shape
    d = dummies(n, t, effects)
    r = y.ravel() - xr.reshape(n * t, -1) @ coef
    wb = np.kron(w, np.eye(t))
    a = np.eye(n * t) - spatial * wb
    if kind == "lag":
        r = r - spatial * wb @ y.ravel()
    lhs, rhs = (a @ r, a @ d) if kind == "error" else (r, d)
    return (d @ np.linalg.lstsq(rhs, lhs, rcond=None)[0]).reshape(n, t)


# ----------------------------------------------------------------- random effects SAR
def dense_random_effects(y: np.ndarray, x: np.ndarray, w: np.ndarray) -> dict[str, object]:
    """Joint ML of the random effects SAR y = rho W y + c + X b + mu_i + e, by nested scalar searches.

    With P = kron(I_N, J_T/T), Q = I - P and phi^2 = s^2/(T s_mu^2 + s^2), Var(u) = s^2 (Q + P/phi^2);
    S = Q + phi P whitens it (|S| = phi^N), so for given (rho, phi) the likelihood is that of S A y on S X.
    The outer search is over phi in (0, 1], the inner over rho; the covariance is the inverse of the
    Gaussian Fisher information over (c, b, rho, phi, s^2).
    """
    n, t = y.shape
    nt = n * t
    yv = y.ravel()
    z = np.column_stack([np.ones(nt), x.reshape(nt, -1)])
    wb = np.kron(w, np.eye(t))
    p_mat = np.kron(np.eye(n), np.ones((t, t)) / t)
    q_mat = np.eye(nt) - p_mat
    low, high = _bounds(wb)

    def profile(rho: float, phi: float) -> tuple[float, np.ndarray, float]:
        a = np.eye(nt) - rho * wb
        s = q_mat + phi * p_mat
        ys, zs = s @ a @ yv, s @ z
        coef = np.linalg.lstsq(zs, ys, rcond=None)[0]
        e = ys - zs @ coef
        s2 = e @ e / nt
        ll = -0.5 * nt * (np.log(2 * np.pi * s2) + 1.0) + np.linalg.slogdet(a)[1] + n * np.log(phi)
        return ll, coef, s2

    def best_rho(phi: float) -> float:
        return minimize_scalar(lambda r: -profile(r, phi)[0], bounds=(low, high), method="bounded",
                               options={"xatol": 1e-12, "maxiter": 5000}).x

    phi = minimize_scalar(lambda f: -profile(best_rho(f), f)[0], bounds=(1e-6, 1.0), method="bounded",
                          options={"xatol": 1e-12, "maxiter": 5000}).x
    rho = best_rho(phi)
    loglik, coef, s2 = profile(rho, phi)
    a_inv = np.linalg.inv(np.eye(nt) - rho * wb)
    omega = q_mat + p_mat / phi**2
    sigma = s2 * a_inv @ omega @ a_inv.T
    p = z.shape[1]
    dmu = [a_inv @ z[:, j] for j in range(p)] + [a_inv @ wb @ a_inv @ z @ coef, np.zeros(nt), np.zeros(nt)]
    d_rho = a_inv @ wb @ sigma + sigma @ wb.T @ a_inv.T
    dsigma = [None] * p + [d_rho, a_inv @ (-2.0 * s2 * p_mat / phi**3) @ a_inv.T, a_inv @ omega @ a_inv.T]
    cov = np.linalg.inv(_fisher(dmu, dsigma, sigma))
    return {"params": np.r_[coef, rho, phi, s2], "se": np.sqrt(np.diag(cov)), "loglik": loglik}


# ----------------------------------------------------------------- dynamic spatial Durbin
def simulate_dynamic(w: np.ndarray, tau: float, rho: float, eta: float, periods: int, seed: int,
                     beta=(1.0, -0.5), theta=(0.3, 0.2), burn: int = 20, sigma: float = 1.0,
                     time_sd: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """y (N x T) and x (N x T x 2) of y_t = tau y_{t-1} + eta W y_{t-1} + rho W y_t + x_t b + W x_t t + c + a_t + e_t.

    Entity effects correlated with x, time effects N(0, time_sd^2), errors N(0, sigma^2); ``burn`` periods discarded
    (one loop over time).
    """
    rng = np.random.default_rng(seed)
    n = w.shape[0]
    total = periods + burn
    alpha = rng.standard_normal(n)
    mu = time_sd * rng.standard_normal(total)
    x = rng.standard_normal((n, total, 2)) + 0.5 * alpha[:, None, None]
    mean = x @ np.asarray(beta) + np.einsum("ij,jtk->itk", w, x) @ np.asarray(theta) + alpha[:, None] + mu[None, :]
    mean = mean + sigma * rng.standard_normal((n, total))
    s_inv = np.linalg.inv(np.eye(n) - rho * w)
    y = np.zeros((n, total))
    prev = np.zeros(n)
    for t in range(total):
        prev = s_inv @ (tau * prev + eta * w @ prev + mean[:, t])
        y[:, t] = prev
    return y[:, burn:], x[:, burn:]


def dense_dynamic(y: np.ndarray, x: np.ndarray, w: np.ndarray, dynamic: str, effects: str, lee_yu: bool,
                  model: str = "sdm", correct: bool = True, lagged: list[int] | None = None) -> dict:
    """Dense reference of the dynamic SAR / SDM (Yu, de Jong and Lee 2008), independent of vagg.

    Periods 2..T on Z = [y_{t-1}, (W y_{t-1}), x_t, (W x_t[:, lagged], all by default)], explicit entity dummies (the direct approach);
    time effects by the dense F_{N,N-1} transformation (``lee_yu``, W* = F_N' W F_N) or explicit time dummies.
    The bias correction is computed with dense matrices (no eigenvalues):
    theta^c = theta^ + C a, C the (g, rho, sigma^2) block of the inverse Fisher information,
    a = (tr M, tr W*M, 0..., tau tr GM + eta tr GW*M + tr G, N*/(2 s2)), M = (I - A)^{-1} S^{-1},
    A = S^{-1}(tau I + eta W*), S = I - rho W*, G = W* S^{-1}; the corrected standard errors from the
    Fisher information at the corrected values (dummy coefficients refitted by OLS).

    Returns ``params``, ``se`` (corrected if ``correct``), ``ml`` and ``ml_se`` (uncorrected), ``loglik``,
    ``radius`` (spectral radius of A on the original W) and ``short`` / ``long`` (k x 3 direct, indirect,
    total effects of the regressors in x from the dense matrices).
    """
    n, t = y.shape
    ylag, y1, x1 = y[:, :-1], y[:, 1:], x[:, 1:]
    parts = [ylag[:, :, None]]
    if dynamic == "spacetime":
        parts.append(np.einsum("ij,jt->it", w, ylag)[:, :, None])
    parts.append(x1)
    lagged = list(range(x.shape[2])) if lagged is None else list(lagged)
    if model == "sdm":
        parts.append(np.einsum("ij,jtk->itk", w, x1[:, :, lagged]))
    z = np.concatenate(parts, axis=2)
    k = z.shape[2]
    if lee_yu and effects == "twoway":
        fn = complement_basis(n)
        y1, z, ws = fn.T @ y1, np.einsum("ni,ntk->itk", fn, z), fn.T @ w @ fn
        d = dummies(n - 1, t - 1, "entity")
    else:
        ws, d = w, dummies(n, t - 1, effects)
    m = ws.shape[0]
    yv, zv = y1.ravel(), z.reshape(m * (t - 1), k)
    zd = np.column_stack([zv, d])
    wb = np.kron(ws, np.eye(t - 1))
    fit = dense_ml(yv, zd, wb, "lag")
    q = zd.shape[1]
    keep = list(range(k)) + [q, q + 1]
    theta = np.r_[fit["coef"][:k], fit["spatial"], fit["sigma2"]]
    out = {"ml": theta, "ml_se": np.sqrt(np.diag(fit["cov"]))[keep], "loglik": fit["loglik"]}
    params, se = theta, out["ml_se"]
    tau = theta[0]
    eta = theta[1] if dynamic == "spacetime" else 0.0
    if correct:
        rho, s2 = theta[k], theta[k + 1]
        eye = np.eye(m)
        s_inv = np.linalg.inv(eye - rho * ws)
        a_mat = s_inv @ (tau * eye + eta * ws)
        mm = np.linalg.inv(eye - a_mat) @ s_inv
        g = ws @ s_inv
        a = np.zeros(k + 2)
        a[0] = np.trace(mm)
        if dynamic == "spacetime":
            a[1] = np.trace(ws @ mm)
        a[k] = tau * np.trace(g @ mm) + eta * np.trace(g @ ws @ mm) + np.trace(g)
        a[k + 1] = m / (2.0 * s2)
        params = theta + fit["cov"][np.ix_(keep, keep)] @ a
        coef_x, rho_c, s2_c = params[:k], params[k], params[k + 1]
        resid = yv - rho_c * wb @ yv - zv @ coef_x
        coef_d = np.linalg.lstsq(d, resid, rcond=None)[0]
        cov = lag_covariance(zd, wb, np.r_[coef_x, coef_d], rho_c, s2_c)
        se = np.sqrt(np.diag(cov))[keep]
        tau = params[0]
        eta = params[1] if dynamic == "spacetime" else 0.0
    out.update(params=params, se=se)
    rho = params[k]
    eye = np.eye(n)
    out["radius"] = np.abs(np.linalg.eigvals(np.linalg.inv(eye - rho * w) @ (tau * eye + eta * w))).max()
    kx = x.shape[2]
    start = 2 if dynamic == "spacetime" else 1
    beta = params[start : start + kx]
    dur = np.zeros(kx)
    if model == "sdm":
        dur[lagged] = params[start + kx : start + kx + len(lagged)]
    short, long = np.zeros((kx, 3)), np.zeros((kx, 3))
    for r in range(kx):
        for table, inv in ((short, np.linalg.inv(eye - rho * w)),
                           (long, np.linalg.inv((1 - tau) * eye - (rho + eta) * w))):
            sr = inv @ (beta[r] * eye + dur[r] * w)
            table[r] = [np.trace(sr) / n, (sr.sum() - np.trace(sr)) / n, sr.sum() / n]
    out.update(short=short, long=long)
    return out
