"""Dynamic spatial Durbin panels with fixed effects, bias-corrected QML.

The model (Yu, de Jong and Lee 2008, *J. Econometrics* 146:118-134;
Elhorst 2014, *Spatial Econometrics*, ch. 4) for periods t = 1..T given the
first observed period,

.. math::

    Y_t = \\tau Y_{t-1} + \\eta W Y_{t-1} + \\rho W Y_t + X_t\\beta + W X_t\\theta
          + \\mu + \\alpha_t\\,\\iota + V_t,

with ``dynamic="time"`` (:math:`\\eta = 0`) or ``"spacetime"``, entity
effects :math:`\\mu` and, with ``effects="twoway"``, period effects
:math:`\\alpha_t`.

Estimation: the effects are removed by demeaning (over time; and over
entities for two-way effects: the direct approach), the lagged outcomes
enter as regressors :math:`Z`, and :math:`\\rho` maximises the concentrated
log-likelihood

.. math::

    \\ell(\\rho) = -\\tfrac{nT}{2}\\{\\log 2\\pi\\hat\\sigma^2(\\rho) + 1\\}
                 + T\\log|I - \\rho W|,\\quad
    \\hat\\sigma^2(\\rho) = \\lVert (I-\\rho W)\\ddot y - \\ddot Z\\hat\\delta(\\rho)\\rVert^2/(nT).

With :math:`S = I - \\rho W`, :math:`G = W S^{-1}`,
:math:`A = S^{-1}(\\tau I + \\eta W)` and :math:`\\Sigma` the information
matrix divided by nT, the QML estimate has bias of order 1/T (and 1/n with
period effects removed by demeaning); the corrected estimate is
(Yu, de Jong and Lee 2008, Theorem 3; Lee and Yu 2010, *Econometric
Theory* 26:564-597, for the direct approach with period effects)

.. math::

    \\hat\\vartheta^c = \\hat\\vartheta + \\tfrac1T\\hat\\Sigma^{-1}a
                     \\;[+\\;\\tfrac1n\\hat\\Sigma^{-1}b],

:math:`a_\\tau = \\tfrac1n\\mathrm{tr}\\{(I-A)^{-1}S^{-1}\\}`,
:math:`a_\\eta = \\tfrac1n\\mathrm{tr}\\{W(I-A)^{-1}S^{-1}\\}`,
:math:`a_\\rho = \\tfrac{\\tau}{n}\\mathrm{tr}\\{G(I-A)^{-1}S^{-1}\\}
+ \\tfrac{\\eta}{n}\\mathrm{tr}\\{GW(I-A)^{-1}S^{-1}\\} + \\tfrac1n\\mathrm{tr}G`,
:math:`a_{\\sigma^2} = 1/(2\\sigma^2)`, zero for :math:`\\beta,\\theta`;
:math:`b_\\rho = 1/(1-\\rho)`, :math:`b_{\\sigma^2} = 1/(2\\sigma^2)`.  The
covariance is :math:`(\\Sigma^{-1} + \\Sigma^{-1}\\Omega\\Sigma^{-1})/(nT)` at
the corrected estimate, :math:`\\Omega` the correction for non-normal
errors through their fourth moment (as in the R package SDPDmod and
Elhorst's MATLAB routines).

Effects (Elhorst 2014, sec. 4.6; Debarsy, Ertur and LeSage 2012): short run
:math:`(I-\\rho W)^{-1}(\\beta_k I + \\theta_k W)`, long run
:math:`((1-\\tau)I - (\\rho+\\eta)W)^{-1}(\\beta_k I + \\theta_k W)`, each
summarised as direct (mean diagonal), total (mean row sum) and indirect,
with standard errors from draws of the parameters (LeSage and Pace 2009).

Stability: the model is stationary when every eigenvalue of A,
:math:`(\\tau + \\eta\\omega)/(1-\\rho\\omega)` for the eigenvalues
:math:`\\omega` of W, lies inside the unit circle; for a row-standardised W
this includes :math:`\\tau + \\rho + \\eta < 1`.  An explosive (or unit-root)
fit is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from vagg._errors import DataError, SpecificationError
from vagg.data.panel import check_panel_index, validate_panel
from vagg.models._results import table_info
from vagg.models.panel_fe import parse_formula
from vagg.models.spatial.impacts import effects as spatial_effects
from vagg.models.spatial.impacts import multipliers
from vagg.models.spatial.logdet import SpatialOperator
from vagg.weights import to_sparse

DYNAMIC = ("time", "spacetime")
DYNAMIC_EFFECTS = ("entity", "twoway")
#: dense N x N algebra (G, (I - A)^{-1}) is used; larger N is refused
MAX_ENTITIES = 3000


def demean_panel(a: np.ndarray, effects: str) -> np.ndarray:
    """Remove entity (and period) means from an (N, T, ...) array."""
    out = a - a.mean(axis=1, keepdims=True)
    if effects == "twoway":
        out = out - out.mean(axis=0, keepdims=True)
    return out


class DynamicSpatialPanel:
    """Dynamic spatial Durbin (or lag) panel with fixed effects, bias-corrected QML.

    Parameters
    ----------
    dependent
        Series indexed by (entity, time), a balanced panel.
    exog
        Regressors (no constant).
    w
        libpysal W or (sparse matrix, ids), aligned to the entities by id.
    dynamic
        "time" (:math:`Y_{t-1}`) or "spacetime" (:math:`Y_{t-1}` and :math:`WY_{t-1}`).
    effects
        "entity" or "twoway".
    durbin
        Regressors whose spatial lag enters; default all (SDM); ``[]`` gives
        the dynamic spatial lag model.
    """

    def __init__(self, dependent: pd.Series, exog: pd.DataFrame, w, dynamic: str = "spacetime",
                 effects: str = "twoway", durbin: Sequence[str] | None = None) -> None:
        if dynamic not in DYNAMIC:
            raise SpecificationError(f"dynamic must be one of {DYNAMIC}, got {dynamic!r}")
        if effects not in DYNAMIC_EFFECTS:
            raise SpecificationError(f"effects must be one of {DYNAMIC_EFFECTS}, got {effects!r}")
        self.dynamic, self.effects = dynamic, effects
        self.dependent_name = str(dependent.name or "y")
        exog = pd.DataFrame(exog)
        exog.columns = [str(c) for c in exog.columns]
        frame = exog.assign(**{self.dependent_name: dependent})
        check_panel_index(frame)
        frame = validate_panel(frame, balanced=True, required=list(frame.columns))
        self.exog_names = list(exog.columns)
        self.durbin = list(self.exog_names if durbin is None else durbin)
        unknown = [d for d in self.durbin if d not in self.exog_names]
        if unknown:
            raise SpecificationError(f"durbin names regressor(s) not in the model: {unknown}")
        self.entities = list(frame.index.get_level_values(0).unique())
        self.periods = list(frame.index.get_level_values(1).unique())
        n, t0 = len(self.entities), len(self.periods)
        if t0 < 3:
            raise DataError(f"a dynamic panel needs at least three periods (one is lost to the lag); "
                            f"the panel has {self.periods}")
        if n > MAX_ENTITIES:
            raise SpecificationError(f"the dynamic model uses dense N x N algebra; N = {n} exceeds {MAX_ENTITIES}")
        self.w = to_sparse(w, self.entities)
        self.operator = SpatialOperator(self.w, "eigen")
        if effects == "twoway" and not self.operator.row_standardised:
            raise SpecificationError("two-way effects in the dynamic model need a row-standardised W (the "
                                     "correction for demeaning over entities assumes rows summing to 1)")
        self.wd = self.w.toarray()
        y = frame[self.dependent_name].to_numpy(float).reshape(n, t0)
        x = frame[self.exog_names].to_numpy(float).reshape(n, t0, len(self.exog_names))
        self.y = y[:, 1:]
        lags = [y[:, :-1]] + ([self.wd @ y[:, :-1]] if dynamic == "spacetime" else [])
        wx = np.einsum("ij,jtk->itk", self.wd, x[:, 1:, [self.exog_names.index(d) for d in self.durbin]])
        self.z = np.concatenate([np.stack(lags, axis=2), x[:, 1:], wx], axis=2)
        self.z_names = (["tau"] + (["eta"] if dynamic == "spacetime" else []) + self.exog_names
                        + [f"W_{d}" for d in self.durbin])
        self.n, self.t = n, t0 - 1
        self.y_dm = demean_panel(self.y, effects)
        self.z_dm = demean_panel(self.z, effects)
        self.wy_dm = np.einsum("ij,jt->it", self.wd, self.y_dm)
        flat = self.z_dm.reshape(-1, self.z.shape[2])
        if np.linalg.matrix_rank(flat) < flat.shape[1]:
            raise SpecificationError(f"the regressors {self.z_names} are collinear or absorbed by the effects")

    @classmethod
    def from_formula(cls, formula: str, data: pd.DataFrame, w, **kwargs: object) -> DynamicSpatialPanel:
        """``DynamicSpatialPanel.from_formula("y ~ x1 + x2", data, w, dynamic="spacetime")``."""
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"data must be a pandas DataFrame, not {type(data).__name__}")
        dependent, exog = parse_formula(formula, data)
        return cls(dependent, exog, w, **kwargs)

    # -- likelihood ------------------------------------------------------------------
    def _flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Demeaned y, W y and Z stacked (entity-major rows)."""
        k = self.z.shape[2]
        return self.y_dm.reshape(-1), self.wy_dm.reshape(-1), self.z_dm.reshape(-1, k)

    def concentrated_loglik(self, rho: float) -> float:
        """:math:`\\ell(\\rho)` of the module docstring."""
        y, wy, z = self._flat()
        resid = self._resid(rho, y, wy, z)[0]
        nt = self.n * self.t
        sigma2 = float(resid @ resid) / nt
        return -0.5 * nt * (np.log(2 * np.pi * sigma2) + 1) + self.t * self.operator.logdet(rho)

    @staticmethod
    def _resid(rho: float, y: np.ndarray, wy: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        delta = np.linalg.lstsq(z, y - rho * wy, rcond=None)[0]
        return y - rho * wy - z @ delta, delta

    def fit(self, bias_correction: bool = True) -> DynamicSpatialPanelResults:
        """Maximise the likelihood, correct the bias, check stability, compute the covariance."""
        y, wy, z = self._flat()
        low, high = self.operator.bounds
        found = optimize.minimize_scalar(lambda r: -self.concentrated_loglik(r), bounds=(low + 1e-7, high - 1e-7),
                                         method="bounded", options={"xatol": 1e-10})
        rho = float(found.x)
        resid, delta = self._resid(rho, y, wy, z)
        sigma2 = float(resid @ resid) / (self.n * self.t)
        theta = np.concatenate([delta, [rho, sigma2]])
        self._check_stable(theta, "QML")
        corrected = theta + self._bias(theta) if bias_correction else theta
        if bias_correction:
            self._check_stable(corrected, "bias-corrected")
        cov = self._covariance(corrected)
        loglik = self.concentrated_loglik(rho)
        return DynamicSpatialPanelResults(self, corrected, theta, cov, loglik, bias_correction)

    def _parts(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        k = self.z.shape[2]
        tau = theta[0]
        eta = theta[1] if self.dynamic == "spacetime" else 0.0
        rho = theta[k]
        s_inv = np.linalg.inv(np.eye(self.n) - rho * self.wd)
        a = s_inv @ (tau * np.eye(self.n) + eta * self.wd)
        return {"tau": tau, "eta": eta, "rho": rho, "s_inv": s_inv, "g": self.wd @ s_inv, "a": a}

    def stability(self, theta: np.ndarray) -> dict[str, float]:
        """:math:`\\tau+\\rho+\\eta` and the spectral radius of A."""
        p = self._parts(theta)
        omega = self.operator.eigenvalues
        radius = float(np.max(np.abs((p["tau"] + p["eta"] * omega) / (1 - p["rho"] * omega))))
        return {"tau+rho+eta": float(p["tau"] + p["rho"] + p["eta"]), "spectral_radius": radius}

    def _check_stable(self, theta: np.ndarray, which: str) -> None:
        s = self.stability(theta)
        if s["spectral_radius"] >= 1 or (self.operator.row_standardised and s["tau+rho+eta"] >= 1):
            raise SpecificationError(
                f"the {which} estimates are not stationary: tau + rho + eta = {s['tau+rho+eta']:.4f}, spectral "
                f"radius of (I - rho W)^-1 (tau I + eta W) = {s['spectral_radius']:.4f} (both must be < 1); "
                "the dynamic model does not apply (consider differencing or a static model)")

    def information(self, theta: np.ndarray) -> np.ndarray:
        """The information matrix divided by nT, order (delta, rho, sigma2)."""
        y, wy, z = self._flat()
        k = z.shape[1]
        p = self._parts(theta)
        delta, sigma2 = theta[:k], theta[k + 1]
        g = p["g"]
        gzd = (g @ (z @ delta).reshape(self.n, self.t)).reshape(-1)  # (I_T x G) Z delta, entity-major
        info = np.zeros((k + 2, k + 2))
        info[:k, :k] = z.T @ z / sigma2
        info[:k, k] = info[k, :k] = z.T @ gzd / sigma2
        info[k, k] = gzd @ gzd / sigma2 + self.t * (np.sum(g * g.T) + np.sum(g * g))
        info[k, k + 1] = info[k + 1, k] = self.t * np.trace(g) / sigma2
        info[k + 1, k + 1] = self.n * self.t / (2 * sigma2 ** 2)
        return info / (self.n * self.t)

    def _bias(self, theta: np.ndarray) -> np.ndarray:
        """:math:`\\hat\\Sigma^{-1}a/T\\,[+\\hat\\Sigma^{-1}b/n]`."""
        k = self.z.shape[2]
        p = self._parts(theta)
        sigma2 = theta[k + 1]
        m = np.linalg.solve(np.eye(self.n) - p["a"], p["s_inv"])  # (I - A)^{-1} S^{-1}
        a = np.zeros(k + 2)
        a[0] = np.trace(m) / self.n
        a[k] = p["tau"] * np.trace(p["g"] @ m) / self.n + np.trace(p["g"]) / self.n
        if self.dynamic == "spacetime":
            a[1] = np.trace(self.wd @ m) / self.n
            a[k] += p["eta"] * np.trace(p["g"] @ self.wd @ m) / self.n
        a[k + 1] = 1 / (2 * sigma2)
        info_inv = np.linalg.inv(self.information(theta))
        shift = info_inv @ a / self.t
        if self.effects == "twoway":
            b = np.zeros(k + 2)
            b[k], b[k + 1] = 1 / (1 - p["rho"]), 1 / (2 * sigma2)
            shift = shift + info_inv @ b / self.n
        return shift

    def _covariance(self, theta: np.ndarray) -> np.ndarray:
        """:math:`(\\Sigma^{-1} + \\Sigma^{-1}\\Omega\\Sigma^{-1})/(nT)`."""
        y, wy, z = self._flat()
        k = z.shape[1]
        sigma2, rho = theta[k + 1], theta[k]
        resid = y - rho * wy - z @ theta[:k]
        mu4 = float(np.mean(resid ** 4))
        g = self._parts(theta)["g"]
        omega = np.zeros((k + 2, k + 2))
        diag_g = np.diag(g)
        omega[k, k] = diag_g @ diag_g / self.n
        omega[k, k + 1] = omega[k + 1, k] = np.trace(g) / (2 * sigma2 * self.n)
        omega[k + 1, k + 1] = 1 / (4 * sigma2 ** 2)
        omega *= (mu4 - 3 * sigma2 ** 2) / sigma2 ** 2
        info_inv = np.linalg.inv(self.information(theta))
        cov = (info_inv + info_inv @ omega @ info_inv) / (self.n * self.t)
        return (cov + cov.T) / 2


class DynamicSpatialPanelResults:
    """Estimates of a :class:`DynamicSpatialPanel`.

    ``params`` (bias-corrected unless ``fit(bias_correction=False)``) holds
    ``tau``, ``eta`` (space-time lag), the regressors, ``W_{x}`` and ``rho``;
    ``sigma2`` the error variance; ``params_qml`` the uncorrected estimates;
    ``stability`` the stationarity check.  Inference is normal (z).
    """

    def __init__(self, model: DynamicSpatialPanel, theta: np.ndarray, theta_qml: np.ndarray, cov: np.ndarray,
                 loglik: float, corrected: bool) -> None:
        names = [*model.z_names, "rho"]
        k = len(names)
        self.model = model
        self.bias_corrected = corrected
        self.params = pd.Series(theta[:k], index=names, name="parameter")
        self.params_qml = pd.Series(theta_qml[:k], index=names, name="qml")
        self.sigma2 = float(theta[k])
        self.cov = pd.DataFrame(cov[:k, :k], index=names, columns=names)
        self.std_errors = pd.Series(np.sqrt(np.diag(cov)[:k]), index=names, name="std_error")
        self.tstats = (self.params / self.std_errors).rename("zstat")
        self.pvalues = pd.Series(2 * stats.norm.sf(np.abs(self.tstats)), index=names, name="pvalue")
        self.nobs = model.n * model.t
        self.loglik = loglik
        self.stability = model.stability(theta)
        self._theta = theta

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        z = stats.norm.ppf(0.5 + level / 2)
        return pd.DataFrame({"lower": self.params - z * self.std_errors, "upper": self.params + z * self.std_errors})

    def impacts(self, draws: int = 1000, seed: int = 0, horizon: str | None = None) -> pd.DataFrame:
        """Short- and long-run direct, indirect and total effects with simulated standard errors.

        Returns a DataFrame indexed by regressor with columns
        ``{short,long}_{direct,indirect,total}`` and ``..._se``, or with
        ``horizon="short"`` / ``"long"`` only that horizon's ``direct``,
        ``indirect``, ``total`` and ``..._se`` (the layout
        :func:`vagg.report.regression_table` takes as ``effects``).  Draws
        whose parameters are not stationary are discarded (their share is in
        ``attrs["unstable_share"]``).
        """
        if horizon not in (None, "short", "long"):
            raise SpecificationError(f"horizon must be None, 'short' or 'long', got {horizon!r}")
        model = self.model
        names = model.exog_names
        point = self._effects(self.params.to_numpy()[None, :])
        out = {key: value[0] for key, value in point.items()}
        unstable = 0.0
        if draws > 0:
            rng = np.random.default_rng(seed)
            vals, vecs = np.linalg.eigh(self.cov.to_numpy())
            root = vecs * np.sqrt(np.clip(vals, 0, None))[None, :]
            sample = self.params.to_numpy()[None, :] + rng.standard_normal((draws, len(self.params))) @ root.T
            ok = self._stable_draws(sample)
            unstable = 1 - ok.mean()
            sim = self._effects(sample[ok])
            for key, value in sim.items():
                out[f"{key}_se"] = value.std(axis=0, ddof=1)
        table = pd.DataFrame(out, index=pd.Index(names, name="regressor"))
        if horizon is not None:
            table = table[[c for c in table.columns if c.startswith(horizon)]]
            table.columns = [c[len(horizon) + 1:] for c in table.columns]
        table.attrs["unstable_share"] = float(unstable)
        return table

    def _split(self, p: np.ndarray) -> tuple[np.ndarray, ...]:
        model = self.model
        names = model.z_names
        tau = p[:, 0]
        eta = p[:, 1] if model.dynamic == "spacetime" else np.zeros(len(p))
        rho = p[:, -1]
        beta = p[:, [names.index(x) for x in model.exog_names]]
        theta = np.zeros_like(beta)
        for j, x in enumerate(model.exog_names):
            if x in model.durbin:
                theta[:, j] = p[:, names.index(f"W_{x}")]
        return tau, eta, rho, beta, theta

    def _stable_draws(self, p: np.ndarray) -> np.ndarray:
        tau, eta, rho, _, _ = self._split(p)
        omega = self.model.operator.eigenvalues[None, :]
        radius = np.max(np.abs((tau[:, None] + eta[:, None] * omega) / (1 - rho[:, None] * omega)), axis=1)
        low, high = self.model.operator.bounds
        return (radius < 1) & (rho > low) & (rho < high)

    def _effects(self, p: np.ndarray) -> dict[str, np.ndarray]:
        """Short run: (I - rho W)^{-1}(beta I + theta W); long run: the same with
        rho_L = (rho + eta)/(1 - tau) and (beta, theta)/(1 - tau)."""
        tau, eta, rho, beta, theta = self._split(p)
        op = self.model.operator
        short = spatial_effects(beta, theta, multipliers(op, rho, "exact"))
        scale = (1 - tau)[:, None]
        long = spatial_effects(beta / scale, theta / scale, multipliers(op, (rho + eta) / (1 - tau), "exact"))
        out = {f"short_{k}": v for k, v in short.items()}
        out.update({f"long_{k}": v for k, v in long.items()})
        return out

    @property
    def table_info(self) -> dict[str, object]:
        model = self.model
        return table_info(dependent=model.dependent_name,
                          model="dynamic SDM" if model.durbin else "dynamic SAR",
                          entity_effects=True, time_effects=model.effects == "twoway",
                          cov_type="QML (information matrix, fourth-moment corrected)", nobs=self.nobs,
                          loglik=self.loglik,
                          extra={"bias correction": "yes" if self.bias_corrected else "no",
                                 "tau + rho + eta": f"{self.stability['tau+rho+eta']:.3f}"})

    @property
    def summary(self) -> str:
        table = pd.DataFrame({"coef": self.params, "QML": self.params_qml, "std err": self.std_errors,
                              "z": self.tstats, "P>|z|": self.pvalues}).join(self.conf_int())
        model = self.model
        head = [f"Dynamic spatial panel ({model.dynamic} lag), effects: {model.effects}, N = {model.n}, "
                f"T = {model.t} (after the lag), bias correction: {self.bias_corrected}",
                f"log-likelihood (QML) = {self.loglik:.4f}   sigma2 = {self.sigma2:.6g}   "
                f"tau + rho + eta = {self.stability['tau+rho+eta']:.4f}   "
                f"spectral radius = {self.stability['spectral_radius']:.4f}"]
        return "\n".join(head) + "\n" + table.to_string(float_format=lambda v: f"{v:.6g}")

    def __repr__(self) -> str:
        return self.summary
