"""Panel quantile regression with fixed effects by the method of moments (MM-QR).

Machado and Santos Silva (2019, "Quantiles via moments", *J. Econometrics*
213:145-173) assume the location-scale model

.. math::

    y_{it} = \\alpha_i + x_{it}'\\beta + (\\delta_i + x_{it}'\\gamma)\\,U_{it},
    \\qquad Q_y(\\tau \\mid x_{it}) = (\\alpha_i + \\delta_i q(\\tau))
    + x_{it}'(\\beta + \\gamma\\,q(\\tau)),

with :math:`U` independent of x, :math:`E U = 0`, :math:`E|U| = 1` and
:math:`q(\\tau)` its quantile.  Every step is a moment condition:

1. location: the within (fixed-effects) regression of y on x gives
   :math:`\\hat\\beta` and residuals :math:`R_{it}`;
2. scale: the within regression of
   :math:`A_{it} = 2R_{it}\\{I(R_{it}\\ge 0) - \\bar P\\}`
   (:math:`\\bar P` the share of non-negative residuals; :math:`A=|R|` up to a
   term of mean zero) on x gives :math:`\\hat\\gamma` and the fitted scale
   :math:`\\hat\\sigma_{it}` (fixed effects included);
3. :math:`\\hat q(\\tau)` is the :math:`\\tau` sample quantile of
   :math:`\\hat U = R/\\hat\\sigma`, and
   :math:`\\hat\\beta(\\tau) = \\hat\\beta + \\hat\\gamma\\,\\hat q(\\tau)`.

Covariance (their Theorem 3) from the influence functions of the three
steps, as in Stata's ``mmqreg`` (Rios-Avila 2020), which notes a typo in
the paper's variance of the scale step (:math:`E V^2` for
:math:`E(V-1)^2`, V the standardised absolute residual); ``xtqreg`` 1.4
follows the printed form, and in the simulation of
``tests/test_quantile.py`` that form overstates the standard errors away
from the median by 15-40 %, this one is within 7 % of the Monte Carlo
spread.  With
demeaned :math:`\\tilde x`, :math:`Q = \\sum\\tilde x\\tilde x'`,
:math:`\\bar\\sigma` the mean fitted scale and n observations,

.. math::

    \\psi^\\beta_{it} = n Q^{-1}\\tilde x_{it} R_{it},\\quad
    \\psi^\\gamma_{it} = n Q^{-1}\\tilde x_{it}(A_{it} - \\hat\\sigma_{it}),\\quad
    \\psi^q_{it} = \\frac{\\tau - I(\\hat U_{it} \\le \\hat q)}{\\hat f}
      - \\frac{R_{it}}{\\bar\\sigma} - \\hat q\\,\\frac{A_{it}-\\hat\\sigma_{it}}{\\bar\\sigma},

:math:`\\hat\\beta(\\tau) - \\beta(\\tau) \\approx \\frac1n\\sum\\Xi\\psi_{it}` with
:math:`\\Xi = [I,\\ \\hat q I,\\ \\hat\\gamma]`, so
:math:`\\widehat{\\mathrm{Var}} = \\Xi\\,\\frac{1}{n^2}\\sum_{it}\\psi\\psi'\\,\\Xi'`
("robust") or, summing :math:`\\psi` within entities first and multiplying
by :math:`G/(G-1)`, clustered by entity (the default),
where :math:`\\hat f` is the density of :math:`\\hat U` at :math:`\\hat q`,
:math:`2h/\\{\\hat Q(\\tau+h) - \\hat Q(\\tau-h)\\}` with the Hall-Sheather
bandwidth (Koenker 2005, *Quantile Regression*, eq. 3.18; the default of
Stata's ``qreg``, which ``xtqreg`` and ``mmqreg`` call).  The estimator needs large T
(the fixed effects enter the scale step); it refuses T < 3 as ``xtqreg``
does.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from vagg._errors import DataError, SpecificationError
from vagg.data.panel import check_columns, check_panel_index
from vagg.models._covariance import cluster_meat, sandwich
from vagg.models._results import table_info
from vagg.models._within import Groups, demean
from vagg.models.panel_fe import parse_formula

QUANTILE_EFFECTS = ("entity", "twoway")
DEFAULT_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
QUANTILE_COVS = ("clustered", "robust")


def hall_sheather(n: int, tau: float, alpha: float = 0.05) -> float:
    """Hall and Sheather (1988) bandwidth (Koenker 2005, eq. 3.18).

    :math:`h = n^{-1/3} z_{1-\\alpha/2}^{2/3}
    [1.5\\,\\phi(z_\\tau)^2/(2 z_\\tau^2 + 1)]^{1/3}`, :math:`z_\\tau = \\Phi^{-1}(\\tau)`.
    """
    z = stats.norm.ppf(tau)
    return float(n ** (-1 / 3) * stats.norm.ppf(1 - alpha / 2) ** (2 / 3)
                 * (1.5 * stats.norm.pdf(z) ** 2 / (2 * z ** 2 + 1)) ** (1 / 3))


def sample_quantile(u: np.ndarray, tau: float | np.ndarray) -> np.ndarray:
    """The smallest minimiser of the check function: order statistic :math:`\\lceil n\\tau\\rceil`."""
    return np.quantile(u, tau, method="inverted_cdf")


def quantile_density(u: np.ndarray, tau: float) -> float:
    """Density of ``u`` at its ``tau`` quantile by the difference quotient of quantiles.

    :math:`\\hat f = 2h / \\{\\hat Q(\\tau + h) - \\hat Q(\\tau - h)\\}`, h Hall-Sheather,
    the arguments clipped to (1/n, 1 - 1/n).
    """
    n = len(u)
    h = hall_sheather(n, tau)
    lo, hi = max(tau - h, 1 / n), min(tau + h, 1 - 1 / n)
    spread = float(np.diff(sample_quantile(u, np.array([lo, hi])))[0])
    if spread <= 0:
        raise SpecificationError(f"the standardised residuals have no spread around the {tau} quantile")
    return (hi - lo) / spread


def centred_abs(r: np.ndarray) -> np.ndarray:
    """:math:`2r\\{I(r \\ge 0) - \\overline{I(r\\ge 0)}\\}`, equal to |r| up to a term of mean zero."""
    pos = (r >= 0).astype(float)
    return 2 * r * (pos - pos.mean())


class PanelQuantile:
    """MM-QR fixed-effects panel quantile regression (Machado and Santos Silva 2019).

    Parameters
    ----------
    dependent
        Outcome Series indexed by (entity, time).
    exog
        Regressors (also the scale regressors, as in ``xtqreg``).
    effects
        "entity" (as in the paper) or "twoway" (entity and period effects in
        both the location and the scale step, as ``mmqreg``'s absorb does).
    """

    def __init__(self, dependent: pd.Series, exog: pd.DataFrame, effects: str = "entity") -> None:
        if effects not in QUANTILE_EFFECTS:
            raise SpecificationError(f"effects must be one of {QUANTILE_EFFECTS}, got {effects!r}")
        check_panel_index(exog)
        self.dependent_name = str(dependent.name)
        frame = pd.concat([dependent.rename(self.dependent_name), exog], axis=1)
        check_columns(frame, frame.columns, numeric=True, complete=True)
        self.effects = effects
        self.index = frame.index
        self.exog_names = [str(c) for c in exog.columns]
        self.groups = Groups.from_index(frame.index)
        periods = np.bincount(self.groups.entity)
        if periods.max() < 3:
            raise SpecificationError("MM-QR needs at least 3 periods per entity (the scale step uses the fixed "
                                     "effects; the estimator is valid for large T)")
        self.y = frame[self.dependent_name].to_numpy(float)
        self.x = frame[self.exog_names].to_numpy(float)
        both = demean(np.column_stack([self.y, self.x]), self.groups, effects)
        self.y_dm, self.x_dm = both[:, 0], both[:, 1:]
        if np.linalg.matrix_rank(self.x_dm) < self.x.shape[1]:
            raise SpecificationError("the regressors are collinear or absorbed by the fixed effects: "
                                     f"{', '.join(self.exog_names)}")

    def _outer(self, psi: np.ndarray, cov_type: str) -> np.ndarray:
        """:math:`\\sum\\psi\\psi'` over observations, or over entity sums times G/(G-1)."""
        if cov_type == "robust":
            return psi.T @ psi
        return cluster_meat(psi, self.groups.entity)[0]

    @classmethod
    def from_formula(cls, formula: str, data: pd.DataFrame, effects: str = "entity") -> PanelQuantile:
        """``PanelQuantile.from_formula("y ~ x1 + x2", data)``."""
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"data must be a pandas DataFrame, not {type(data).__name__}")
        dependent, exog = parse_formula(formula, data)
        return cls(dependent, exog, effects=effects)

    def fit(self, quantiles: Sequence[float] = DEFAULT_QUANTILES, cov: str = "clustered",
            level: float = 0.95) -> PanelQuantileResults:
        """Location, scale and the quantile coefficients at each of ``quantiles``.

        Parameters
        ----------
        quantiles
            Quantiles in (0, 1).
        cov
            "clustered" (by entity, default) or "robust" (independent observations).
        level
            Confidence level of ``process``'s intervals.
        """
        if cov not in QUANTILE_COVS:
            raise SpecificationError(f"cov must be one of {QUANTILE_COVS}, got {cov!r}")
        cov_type = cov
        taus = np.asarray(sorted(set(float(t) for t in quantiles)))
        if len(taus) == 0 or (taus <= 0).any() or (taus >= 1).any():
            raise SpecificationError(f"quantiles must lie strictly between 0 and 1, got {list(quantiles)}")
        n, k = self.x_dm.shape
        xtx = self.x_dm.T @ self.x_dm
        q_inv = np.linalg.inv(xtx)
        beta = q_inv @ (self.x_dm.T @ self.y_dm)
        resid = self.y_dm - self.x_dm @ beta
        a = centred_abs(resid)
        a_dm = demean(a[:, None], self.groups, self.effects)[:, 0]
        gamma = q_inv @ (self.x_dm.T @ a_dm)
        sigma = a - (a_dm - self.x_dm @ gamma)
        if (sigma <= 0).any():
            warnings.warn(f"{int((sigma <= 0).sum())} fitted value(s) of the scale function are not positive; "
                          "the location-scale model may not fit", stacklevel=2)
        u = resid / sigma
        clusters = self.groups.entity[:, None]
        v_loc = sandwich(self.x_dm, resid, "clustered", n - k, clusters=clusters)[0]
        v_scale = sandwich(self.x_dm, a_dm - self.x_dm @ gamma, "clustered", n - k, clusters=clusters)[0]
        rows, covs = [], {}
        psi_beta = n * (self.x_dm * resid[:, None]) @ q_inv
        psi_gamma = n * (self.x_dm * (a - sigma)[:, None]) @ q_inv
        for tau in taus:
            q = float(sample_quantile(u, tau))
            f = quantile_density(u, tau)
            psi_q = (tau - (u <= q)) / f - resid / sigma.mean() - q * (a - sigma) / sigma.mean()
            psi = psi_beta + q * psi_gamma + psi_q[:, None] * gamma[None, :]
            cov = self._outer(psi, cov_type) / n ** 2
            covs[tau] = pd.DataFrame((cov + cov.T) / 2, index=self.exog_names, columns=self.exog_names)
            rows.append({"quantile": tau, "q": q, "density": f, "params": beta + gamma * q})
        return PanelQuantileResults(self, taus, beta, gamma, v_loc, v_scale, sigma, u, rows, covs, level, cov_type)


class QuantileFit:
    """One quantile of a :class:`PanelQuantileResults`, in the linearmodels shape (z-based inference)."""

    def __init__(self, parent: PanelQuantileResults, tau: float, params: np.ndarray, cov: pd.DataFrame,
                 q: float, density: float) -> None:
        names = parent.model.exog_names
        self.parent, self.quantile, self.q, self.density = parent, tau, q, density
        self.params = pd.Series(params, index=names, name="parameter")
        self.cov = cov
        self.std_errors = pd.Series(np.sqrt(np.diag(cov.to_numpy())), index=names, name="std_error")
        self.tstats = (self.params / self.std_errors).rename("zstat")
        self.pvalues = pd.Series(2 * stats.norm.sf(np.abs(self.tstats.to_numpy())), index=names, name="pvalue")
        self.nobs = parent.nobs

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        z = stats.norm.ppf(0.5 + level / 2)
        return pd.DataFrame({"lower": self.params - z * self.std_errors, "upper": self.params + z * self.std_errors})

    @property
    def table_info(self) -> dict[str, object]:
        model = self.parent.model
        return table_info(dependent=model.dependent_name, model=f"MM-QR q{self.quantile:g}",
                          entity_effects=True, time_effects=model.effects == "twoway",
                          cov_type=self.parent.cov_type if self.parent.cov_type == "robust" else "clustered (entity)",
                          n_clusters=model.groups.n_entities if self.parent.cov_type == "clustered" else None,
                          nobs=self.nobs,
                          extra={"quantile": f"{self.quantile:g}"})

    @property
    def summary(self) -> str:
        ci = self.conf_int()
        table = pd.DataFrame({"coef": self.params, "std err": self.std_errors, "z": self.tstats,
                              "P>|z|": self.pvalues, "[0.025": ci["lower"], "0.975]": ci["upper"]})
        return (f"MM-QR quantile {self.quantile:g} of {self.parent.model.dependent_name} "
                f"(q = {self.q:.4f}), observations: {self.nobs}\n"
                + table.to_string(float_format=lambda v: f"{v:.4f}"))

    def __repr__(self) -> str:
        return self.summary


class PanelQuantileResults:
    """Estimates of a :class:`PanelQuantile` model over a grid of quantiles.

    Attributes
    ----------
    location, scale
        DataFrames indexed by regressor with ``estimate`` and ``std_error``
        (entity-clustered) of :math:`\\beta` and :math:`\\gamma`.
    process
        Long frame: quantile, regressor, estimate, std_error, zstat, pvalue,
        lower, upper (for :func:`vagg.report.figures_models.quantile_process_plot`).
    fits
        Quantile -> :class:`QuantileFit` (``results[0.5]`` too), each with
        ``params``, ``std_errors``, ``pvalues``, ``conf_int()``, ``table_info``.
    sigma, u
        Fitted scale :math:`\\hat\\sigma_{it}` and standardised residuals :math:`\\hat U_{it}`.
    """

    def __init__(self, model: PanelQuantile, taus: np.ndarray, beta: np.ndarray, gamma: np.ndarray,
                 v_loc: np.ndarray, v_scale: np.ndarray, sigma: np.ndarray, u: np.ndarray,
                 rows: list[dict[str, object]], covs: dict[float, pd.DataFrame], level: float,
                 cov_type: str) -> None:
        names = model.exog_names
        self.model = model
        self.cov_type = cov_type
        self.quantiles = taus
        self.nobs = len(u)
        self.level = level
        self.location = pd.DataFrame({"estimate": beta, "std_error": np.sqrt(np.diag(v_loc))}, index=names)
        self.scale = pd.DataFrame({"estimate": gamma, "std_error": np.sqrt(np.diag(v_scale))}, index=names)
        self.sigma = pd.Series(sigma, index=model.index, name="scale")
        self.u = pd.Series(u, index=model.index, name="standardised_residual")
        self.fits = {float(r["quantile"]): QuantileFit(self, float(r["quantile"]), r["params"],
                                                        covs[float(r["quantile"])], float(r["q"]),
                                                        float(r["density"])) for r in rows}
        frames = []
        for tau, fit in self.fits.items():
            ci = fit.conf_int(level)
            frames.append(pd.DataFrame({"quantile": tau, "regressor": names, "estimate": fit.params.to_numpy(),
                                        "std_error": fit.std_errors.to_numpy(), "zstat": fit.tstats.to_numpy(),
                                        "pvalue": fit.pvalues.to_numpy(), "lower": ci["lower"].to_numpy(),
                                        "upper": ci["upper"].to_numpy()}))
        self.process = pd.concat(frames, ignore_index=True)

    def __getitem__(self, tau: float) -> QuantileFit:
        key = float(tau)
        if key not in self.fits:
            raise KeyError(f"quantile {tau} was not estimated; estimated: {sorted(self.fits)}")
        return self.fits[key]

    @property
    def summary(self) -> str:
        table = self.process.pivot(index="regressor", columns="quantile", values="estimate")
        return "\n".join([f"MM-QR panel quantile regression (Machado-Santos Silva 2019): {self.model.dependent_name},"
                          f" effects: {self.model.effects}, observations: {self.nobs}",
                          "Location:", self.location.to_string(), "Scale:", self.scale.to_string(),
                          "Quantile coefficients:", table.to_string(float_format=lambda v: f"{v:.4f}")])

    def __repr__(self) -> str:
        return self.summary
