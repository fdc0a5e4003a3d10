r"""Dynamic spatial lag and Durbin panels: lags, bias correction, stability, short- and long-run effects.

The model (Yu, de Jong and Lee 2008, *J. Econometrics* 146:118-134; Elhorst
2014, *Spatial Econometrics*, ch. 4; Elhorst 2012, *J. Geogr. Syst.* 14:5-28)

    y_t = tau y_{t-1} + eta W y_{t-1} + rho W y_t + X_t b + W X_t t + c + a_t + e_t,

``dynamic="time"`` (eta = 0) or ``"spacetime"``.  Conditional on the first
period it is the static SDM (SAR) over periods 2..T with [y_{t-1}, W y_{t-1}]
as extra regressors; :func:`augment` builds them and the static likelihood
(:mod:`vagg.models.spatial.likelihood`) estimates it.

Fixed effects as in Yu, de Jong and Lee (2008) and Lee and Yu (2010,
*Econometric Theory* 26:564-597): the entity effects are concentrated out
directly (within over the T' = T - 1 periods used, n* = N* T', Jacobian
T' log|I - rho W|), whose O(1/T) bias the correction below removes; time
effects by the Lee-Yu transformation F_{N,N-1} (``lee_yu=True``: N* = N - 1,
the unit eigenvalue of a row-standardised W dropped), or by explicit time
dummies (``lee_yu=False``, maximum likelihood without correction).

Bias correction (Yu, de Jong and Lee 2008, Theorem 3 and eq. (19); the same
formula in Jihai Yu's MATLAB ``sar_jihai`` / ``sar_jihai_time`` and R
``SDPDmod::SDPDm``).  With theta = (b_all, rho, sigma^2), b_all including
tau and eta, and I the information matrix of the concentrated likelihood
(:func:`~vagg.models.spatial.likelihood.lag_information`),

    theta^c = theta^ + I^{-1} a,
    a_tau   = tr M*,            a_eta = tr (W M)*,     a_b = 0,
    a_rho   = tau tr (G M)* + eta tr (G W M)* + tr G*,  a_sigma2 = N* / (2 sigma^2),

M = ((1 - tau) I - (rho + eta) W)^{-1} = (I - A)^{-1} S^{-1}, A = S^{-1}(tau I +
eta W), S = I - rho W, G = W S^{-1}, all at the estimates.  -a is the
expected score of the entity-demeaned likelihood (the Nickell-type
correlation of y_{t-1} with the demeaned errors, and the incidental
parameters in sigma^2 and the Jacobian), so theta^ - theta_0 = -I^{-1} a /
(1 + o(1)), an O(1/T) bias.  The traces are sums over the eigenvalues w of
W of 1/((1 - tau) - (rho + eta) w), w/(...), and so on; ``*`` (time effects
by Lee-Yu) drops the unit eigenvalue (W* = F_N' W F_N has W's other
eigenvalues).  The standard errors of the corrected estimator are the
inverse information evaluated at the corrected estimates.  The
near-unit-root ("spatial cointegration") correction of Yu, de Jong and Lee
(2012) is not applied: such fits are refused by the stability check.

Stability (Elhorst 2014, sec. 4.4; Debarsy, Ertur and LeSage 2012,
*Empirical Economics* 42:423-457): y_t = A y_{t-1} + ... is stable when the
spectral radius of A, max_i |(tau + eta w_i)/(1 - rho w_i)|, is below 1;
for a row-standardised W (largest eigenvalue 1) this contains
tau + rho + eta < 1.

Effects (Elhorst 2014, ch. 4; Debarsy et al. 2012): the short-run matrix of
derivatives of y_t with respect to x_{r,t} is S^{-1}(b_r I + t_r W), the
long-run one ((1 - tau) I - (rho + eta) W)^{-1}(b_r I + t_r W) =
(1 - tau)^{-1} (I - rho_L W)^{-1}(b_r I + t_r W) with rho_L = (rho + eta)/(1 - tau),
so both are the static LeSage-Pace summaries of
:mod:`~vagg.models.spatial.impacts` (at rho, and at rho_L divided by 1 - tau).
Standard errors are simulated from N(estimates, covariance) truncated to the
stable region (unstable draws rejected and redrawn).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from vagg._errors import SpecificationError
from vagg.models.spatial import likelihood as ml
from vagg.models.spatial.impacts import admissible_draws, effects, impact_frame, multipliers
from vagg.models.spatial.logdet import SpatialOperator, eigenvalues

DYNAMIC = ("time", "spacetime")


def lag_names(dependent: str, dynamic: str) -> list[str]:
    """Names of the dynamic regressors: ``L_y`` (tau) and, space-time, ``W_L_y`` (eta)."""
    return [f"L_{dependent}"] + ([f"W_L_{dependent}"] if dynamic == "spacetime" else [])


def augment(y: np.ndarray, raw: np.ndarray, w, dynamic: str) -> tuple[np.ndarray, np.ndarray]:
    """Periods 2..T of ``y`` (N x T) and of ``raw`` (N x T x k) with y_{t-1} (and W y_{t-1}) prepended."""
    lags = [y[:, :-1, None]]
    if dynamic == "spacetime":
        lags.append(ml.lag(w, y[:, :-1])[:, :, None])
    return y[:, 1:], np.concatenate(lags + [raw[:, 1:]], axis=2)


def entity_direct(d: ml.Design) -> ml.Design:
    """The design with the entity effects concentrated out directly (T* = T', n* = N* T')."""
    t = d.shape[1]
    return replace(d, t_eff=t, n_eff=(d.n_eff // d.t_eff) * t)


def eigenvalues_of(op: SpatialOperator) -> np.ndarray:
    """The eigenvalues of W (cached)."""
    return op.eigenvalues if op.eigenvalues is not None else eigenvalues(op.w)


def bias_traces(eig: np.ndarray, tau: float, rho: float, eta: float, unit_root: bool) -> np.ndarray:
    """(tr M*, tr (W M)*, tau tr (G M)* + eta tr (G W M)* + tr G*) of the module docstring."""
    def values(w: np.ndarray) -> np.ndarray:
        m = 1.0 / ((1.0 - tau) - (rho + eta) * w)
        g = w / (1.0 - rho * w)
        return np.stack([m, w * m, tau * g * m + eta * g * w * m + g])

    total = values(eig).sum(axis=1).real
    if unit_root:
        total = total - values(np.array([1.0 + 0j]))[:, 0].real
    return total


def correct(est: dict[str, object], d: ml.Design, op: SpatialOperator, dynamic: str) -> dict[str, object]:
    """Yu-de Jong-Lee bias-corrected estimates and their covariance; the ML values kept as ``uncorrected``."""
    beta, rho, sigma2 = np.asarray(est["beta"]), float(est["spatial"]), float(est["sigma2"])
    k = beta.size
    tau = float(beta[0])
    eta = float(beta[1]) if dynamic == "spacetime" else 0.0
    a = np.zeros(k + 2)
    t_tau, t_eta, t_rho = bias_traces(eigenvalues_of(op), tau, rho, eta, d.unit_root)
    a[0] = t_tau
    if dynamic == "spacetime":
        a[1] = t_eta
    a[k] = t_rho
    a[k + 1] = (d.n_eff // d.t_eff) / (2.0 * sigma2)
    shift = np.asarray(est["cov"]) @ a
    beta_c, rho_c, sigma2_c = beta + shift[:k], rho + shift[k], sigma2 + shift[k + 1]
    low, high = op.bounds
    if not low < rho_c < high:
        raise SpecificationError(f"the bias-corrected rho = {rho_c:.4f} (ML {rho:.4f}) is outside the admissible "
                                 f"interval ({low:.4f}, {high:.4f}); the dynamic model is misspecified for these data")
    resid = d.y.ravel() - rho_c * d.wy.ravel() - d.x @ beta_c
    out = dict(est)
    out.update(beta=beta_c, spatial=rho_c, sigma2=sigma2_c, resid=resid, fitted=d.y.ravel() - resid,
               cov=np.linalg.inv(ml.lag_information(d, op, rho_c, resid, sigma2_c)),
               uncorrected={"beta": beta, "spatial": rho, "sigma2": sigma2, "cov": est["cov"]}, bias=-shift)
    return out


def spectral_radius(eig: np.ndarray, tau: np.ndarray, rho: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """max_i |(tau + eta w_i) / (1 - rho w_i)| for parameter vectors (the radius of A)."""
    tau, rho, eta = (np.atleast_1d(np.asarray(v, dtype=float))[:, None] for v in (tau, rho, eta))
    return np.abs((tau + eta * eig[None, :]) / (1.0 - rho * eig[None, :])).max(axis=1)


def check_stability(op: SpatialOperator, tau: float, rho: float, eta: float, what: str, note: str = "") -> float:
    """The spectral radius of A at the estimates; SpecificationError (with ``note`` appended) when it is not below 1."""
    radius = float(spectral_radius(eigenvalues_of(op), tau, rho, eta)[0])
    if radius >= 1.0:
        raise SpecificationError(
            f"the {what} dynamic spatial panel is not stable: tau (L.y) = {tau:.4f}, rho (W y) = {rho:.4f}, "
            f"eta (W L.y) = {eta:.4f}, tau + rho + eta = {tau + rho + eta:.4f}, and the spectral radius of "
            f"(I - rho W)^(-1) (tau I + eta W) is {radius:.4f} >= 1 (stability needs it below 1, which for a "
            "row-standardised W contains tau + rho + eta < 1); the outcome is non-stationary or spatially "
            f"cointegrated: difference it, add time effects, or use a static model{note}"
        )
    return radius


def dynamic_impacts(
    names: list[str],
    centre: np.ndarray,
    cov: np.ndarray,
    op: SpatialOperator,
    draws: int,
    seed: int,
    method: str = "auto",
) -> dict[str, pd.DataFrame]:
    """Short- and long-run direct, indirect and total effects with simulated standard errors.

    Parameters
    ----------
    names
        The k regressors.
    centre, cov
        Estimates and covariance of (b (k), t (k), rho, tau, eta), zero rows
        and columns for terms not estimated.
    draws, seed
        Simulated parameter vectors (0: point estimates only), drawn from
        N(centre, cov) truncated to the stable region: draws with radius of
        A >= 1, or rho or rho_L = (rho + eta)/(1 - tau) outside the open
        admissible interval ``op.bounds``, are rejected and redrawn until
        ``draws`` remain (:func:`~vagg.models.spatial.impacts.admissible_draws`,
        the rule of R spatialreg ``intImpacts``).

    Returns
    -------
    ``{"short": DataFrame, "long": DataFrame}`` in the layout of
    :func:`~vagg.models.spatial.impacts.impact_table`, with
    ``attrs["rejected_share"]`` (the share of draws rejected as unstable) and
    ``attrs["admissible"]`` (the rule).
    """
    k = len(names)
    low, high = op.bounds

    def both(params: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
        beta, theta = params[:, :k], params[:, k : 2 * k]
        rho, tau, eta = params[:, 2 * k], params[:, 2 * k + 1], params[:, 2 * k + 2]
        long = effects(beta, theta, multipliers(op, (rho + eta) / (1.0 - tau), method))
        return {"short": effects(beta, theta, multipliers(op, rho, method)),
                "long": {key: value / (1.0 - tau)[:, None] for key, value in long.items()}}

    point = both(centre[None, :])
    if draws == 0:
        return {horizon: impact_frame(names, point[horizon], None) for horizon in ("short", "long")}
    eig = eigenvalues_of(op)

    def stable(params: np.ndarray) -> np.ndarray:
        rho, tau, eta = params[:, 2 * k], params[:, 2 * k + 1], params[:, 2 * k + 2]
        rho_long = (rho + eta) / np.where(tau < 1.0, 1.0 - tau, np.nan)
        return ((spectral_radius(eig, tau, rho, eta) < 1.0) & (rho > low) & (rho < high)
                & (rho_long > low) & (rho_long < high))

    rule = (f"a stable process (spectral radius of (I - rho W)^(-1) (tau I + eta W) below 1) with rho and "
            f"(rho + eta)/(1 - tau) inside the admissible interval ({low:.4f}, {high:.4f})")
    sample, rejected = admissible_draws(centre, cov, draws, seed, stable, rule)
    sim = both(sample)
    return {horizon: impact_frame(names, point[horizon], sim[horizon], rejected, rule)
            for horizon in ("short", "long")}
