"""Results of a spatial panel fit, in the linearmodels shape."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd
import scipy.stats as st

from vagg._errors import SpecificationError
from vagg.models._results import table_info
from vagg.models.spatial import likelihood as ml
from vagg.models.spatial.dynamic import dynamic_impacts
from vagg.models.spatial.impacts import impact_table
from vagg.models.spatial.spectests import nested_tests

_LABELS = {"sar": "SAR", "sem": "SEM", "sdm": "SDM", "sdem": "SDEM", "slx": "SLX"}


class SpatialPanelResults:
    """Estimates, inference and effects of a :class:`~vagg.models.SpatialPanel`.

    Attributes
    ----------
    params, std_errors, tstats, pvalues
        Series indexed by regressor: the regressors, ``W_x`` lags, ``rho``
        (lag models) or ``lambda`` (error models), and ``sigma2``.  Standard
        errors from the inverse of the analytic information matrix.
    cov
        DataFrame, that inverse.
    loglik, aic, bic
        Maximised log-likelihood; AIC = -2 logL + 2p, BIC = -2 logL + p log(NT),
        p counting every entry of ``params``.
    rsquared
        Pseudo R^2: squared correlation of the transformed outcome and the
        fitted values (rho W y + X b for lag models, X b otherwise).
    entity_effects, time_effects, intercept
        Fixed effects recovered after estimation from the untransformed data,
        r_it = y_it - rho (W y)_it - x_it b: the maximum likelihood dummy
        coefficients.  mu_i = mean_t r_it (entity effects); time effects
        a_t = w'r_t with w = 1/N, or for error models w = A'a/a'a (GLS on the
        filtered dummies, a = A 1, A = I - lambda W); with two-way effects
        r = c + mu_i + a_t with sum mu = sum a = 0 (c the plain mean of r);
        random effects are predicted as (1 - phi^2) mean_t (r_it - c).
    logdet_method
        How log|I - rho W| was computed.
    """

    def __init__(self, spec, est: dict[str, object]) -> None:
        self.spec = spec
        self.model = spec.model
        self._design: ml.Design = est["design"]
        names = spec.regressor_names()
        spatial = {"sar": "rho", "sdm": "rho", "sem": "lambda", "sdem": "lambda"}.get(spec.model)
        extra = ["phi"] if "phi" in est else []
        values = list(est["beta"]) + ([est["spatial"]] if spatial else []) + [est.get("phi")] * len(extra)
        values.append(est["sigma2"])
        index = names + ([spatial] if spatial else []) + extra + ["sigma2"]
        index = pd.Index(index)
        values = np.asarray(values, dtype=float)
        se = np.sqrt(np.diag(est["cov"]))
        self.params = pd.Series(values, index=index, name="parameter")
        self.cov = pd.DataFrame(est["cov"], index=index, columns=index)
        self.std_errors = pd.Series(se, index=index, name="std_error")
        with np.errstate(divide="ignore", invalid="ignore"):
            t = values / se
        self.tstats = pd.Series(t, index=index, name="tstat")
        self.pvalues = pd.Series(2.0 * st.norm.sf(np.abs(t)), index=index, name="pvalue")
        self.spatial_name = spatial
        self.sigma2 = float(est["sigma2"])
        self.loglik = float(est["loglik"])
        self.nobs = int(self._design.y.size)
        n_params = len(index)
        self.aic = -2.0 * self.loglik + 2.0 * n_params
        self.bic = -2.0 * self.loglik + n_params * np.log(self.nobs)
        fitted = np.asarray(est["fitted"])
        self.rsquared = float(np.corrcoef(fitted, self._design.y.ravel())[0, 1] ** 2)
        self._resid = np.asarray(est["resid"])
        self.logdet_method = spec.operator.describe()

    # ---------------------------------------------------------------- pieces
    @property
    def rho(self) -> float:
        """The spatial parameter (rho or lambda); 0 for SLX."""
        return float(self.params[self.spatial_name]) if self.spatial_name else 0.0

    def _beta_theta(self) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """Regressor names, beta, theta (zero where not lagged) and the selector into params."""
        spec = self.spec
        names = spec.exog_names
        beta = self.params[names].to_numpy()
        theta = np.array([self.params.get(f"W_{c}", 0.0) for c in names])
        return names, beta, theta, np.array([f"W_{c}" in self.params.index for c in names])

    @cached_property
    def resid(self) -> pd.Series:
        """Residuals of the transformed model, indexed by the estimation (entity, time) pairs."""
        return pd.Series(self._resid, index=self.spec.estimation_index, name="resid")

    @property
    def intercept(self) -> float:
        """The constant (no or random effects) or the grand mean c of the two-way decomposition."""
        return self._effects["intercept"]

    @property
    def entity_effects(self) -> pd.Series | None:
        """Recovered entity effects mu_i (None without entity or random effects)."""
        return self._effects["entity"]

    @property
    def time_effects(self) -> pd.Series | None:
        """Recovered time effects a_t (None without time effects)."""
        return self._effects["time"]

    @cached_property
    def _effects(self) -> dict[str, object]:
        """Fixed effects recovered from the untransformed data (computed on first use)."""
        spec = self.spec
        y, raw = spec.estimation_data()
        r = y - raw @ self.params[spec.regressor_names()].to_numpy()  # y - X b - W X t (- tau y_{t-1} ...)
        if spec.has_constant:
            r = r + float(self.params["const"])
        if spec.model in ("sar", "sdm"):
            r = r - self.rho * ml.lag(spec.w, y)
        grand = float(r.mean())
        intercept = float(self.params["const"]) if spec.has_constant else grand
        period_means = self._period_weights() @ r
        ent = pd.Index(spec.entities, name=spec.index.names[0])
        per = pd.Index(spec.estimation_periods, name=spec.index.names[1])
        entity = time = None
        if spec.effects == "entity":
            entity = pd.Series(r.mean(axis=1), index=ent, name="entity_effect")
        elif spec.effects == "time":
            time = pd.Series(period_means, index=per, name="time_effect")
        elif spec.effects == "twoway":
            entity = pd.Series(r.mean(axis=1) - grand, index=ent, name="entity_effect")
            time = pd.Series(period_means - period_means.mean(), index=per, name="time_effect")
        elif spec.effects == "random":  # predicted effects E[mu_i | data] = (1 - phi^2) mean_t e_it
            shrink = 1.0 - float(self.params["phi"]) ** 2
            entity = pd.Series(shrink * (r - intercept).mean(axis=1), index=ent, name="entity_effect")
        return {"intercept": intercept, "entity": entity, "time": time}

    def _period_weights(self) -> np.ndarray:
        """Weights w with a_t = w'r_t, the maximum likelihood time effect of period t.

        OLS of r on the dummies (lag models, SLX): w = 1/N.  Error models regress
        A r_t on the filtered dummy a = A 1, A = I - lambda W, so
        w = A'a / a'a (which sums to one; 1/N when W 1 = c 1 and W'1 = c 1).
        """
        n = self.spec.w.shape[0]
        if self.model not in ("sem", "sdem"):
            return np.full(n, 1.0 / n)
        w = self.spec.w
        a = 1.0 - self.rho * (w @ np.ones(n))
        ata = a - self.rho * (w.T @ a)
        return ata / (a @ a)

    # ---------------------------------------------------------------- output
    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Wald confidence intervals, estimate +/- z * std_error."""
        z = st.norm.ppf(0.5 + level / 2.0)
        return pd.DataFrame({"lower": self.params - z * self.std_errors, "upper": self.params + z * self.std_errors})

    def impacts(self, draws: int = 1000, seed: int = 0, method: str = "auto") -> pd.DataFrame:
        """LeSage-Pace average direct, indirect and total effects of each regressor.

        Parameters
        ----------
        draws
            Parameter vectors drawn from N(estimates, covariance) for the
            simulated standard errors (0: point estimates only); draws with
            rho outside the admissible interval are rejected and redrawn.
        seed
            Seed of the draws.
        method
            ``"exact"`` (eigenvalues of W), ``"traces"`` (power series with
            Monte Carlo traces of W^k, for large N) or ``"auto"`` (exact when
            the eigenvalues are at hand).

        Returns
        -------
        DataFrame indexed by regressor: direct, indirect, total and their
        ``_se``, ``_z``, ``_p``, ``_lo``, ``_hi`` (simulated 95% interval) and
        ``_p_sim`` (the simulation p-value, 2 min(share of draws <= 0, >= 0));
        ``attrs["rejected_share"]`` is the share of draws rejected.
        See :mod:`vagg.models.spatial.impacts` for the formulas.
        """
        names, beta, theta, lagged = self._beta_theta()
        k = len(names)
        keys = names + [f"W_{c}" for c in names] + [self.spatial_name or "sigma2"]
        cov = np.zeros((2 * k + 1, 2 * k + 1))
        present = np.array([key in self.params.index for key in keys])
        present[-1] = self.model in ("sar", "sdm")
        sub = [key for key, ok in zip(keys, present) if ok]
        cov[np.ix_(present, present)] = self.cov.loc[sub, sub].to_numpy()
        rho = self.rho if self.model in ("sar", "sdm") else 0.0
        if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 0 or draws == 1:
            raise SpecificationError(f"impacts(draws=...) must be 0 (point estimates only) or an integer >= 2, "
                                     f"got {draws!r}")
        return impact_table(names, beta, theta, rho, cov, self.spec.operator, draws, seed, method)

    def hausman(self, other: SpatialPanelResults) -> pd.Series:
        """Hausman test of this fit against ``other`` (fixed vs random effects SAR).

        Uses the regressors and rho that both report; see
        :func:`vagg.models.spatial.random_effects.hausman`.
        """
        from vagg.models.spatial.random_effects import hausman

        fe, re = (self, other) if self.spec.effects != "random" else (other, self)
        keep = [n for n in fe.params.index if n not in ("const", "phi", "sigma2")]
        return hausman(fe.params[keep], fe.cov, re.params, re.cov)

    def specification_tests(self) -> pd.DataFrame:
        """Wald and LR tests of this SDM against the SAR and (all lagged) the SEM."""
        if self.model != "sdm":
            raise SpecificationError("specification_tests compares an SDM with its SAR and SEM restrictions; "
                                     f"this is an {_LABELS[self.model]}")
        names, beta, theta, lagged = self._beta_theta()
        keys = names + [f"W_{c}" for c in self.spec.durbin] + ["rho"]
        cov = self.cov.loc[keys, keys].to_numpy()
        full = list(self.spec.durbin) == list(names)
        return nested_tests(
            beta, theta[lagged], self.rho, cov, np.flatnonzero(lagged), self.loglik,
            self.spec.loglik_of("sar", []),
            self.spec.loglik_of("sem", []) if full else None,
        )

    @property
    def table_info(self) -> dict[str, object]:
        spec = self.spec
        return table_info(
            dependent=spec.dependent_name,
            model=_LABELS[self.model],
            entity_effects=spec.effects in ("entity", "twoway"),
            time_effects=spec.effects in ("time", "twoway"),
            cov_type="ML (information matrix)",
            nobs=self.nobs,
            rsquared=self.rsquared,
            loglik=self.loglik,
            extra={"Lee-Yu correction": "yes" if spec.lee_yu else "no", "log-determinant": self.logdet_method,
                   "random effects": "yes" if spec.effects == "random" else "no",
                   "AIC": self.aic, "BIC": self.bic},
        )

    @property
    def summary(self) -> str:
        spec = self.spec
        table = pd.DataFrame({"coef": self.params, "std err": self.std_errors, "z": self.tstats,
                              "P>|z|": self.pvalues}).join(self.conf_int())
        head = [
            f"{_LABELS[self.model]} spatial panel, ML   dependent: {spec.dependent_name}",
            f"effects: {spec.effects}   Lee-Yu: {spec.lee_yu}   N = {len(spec.entities)}, T = {len(spec.periods)}, "
            f"obs = {self.nobs}",
            f"log-likelihood = {self.loglik:.4f}   AIC = {self.aic:.4f}   BIC = {self.bic:.4f}   "
            f"pseudo R2 = {self.rsquared:.4f}",
            f"log-determinant: {self.logdet_method}",
        ]
        return "\n".join(head) + "\n" + table.to_string(float_format=lambda v: f"{v:.6g}")

    def __repr__(self) -> str:
        return self.summary


class DynamicSpatialPanelResults(SpatialPanelResults):
    """A dynamic spatial lag or Durbin panel (``SpatialPanel(..., dynamic=...)``).

    ``params`` hold the bias-corrected estimates when the model was built
    with ``bias_correction=True`` (the default), with standard errors from
    the information matrix at those estimates; ``L_y`` is tau (y_{t-1}),
    ``W_L_y`` eta (W y_{t-1}), ``rho`` the contemporaneous spatial lag.
    ``loglik`` is the maximised log-likelihood of the uncorrected fit.

    Attributes
    ----------
    uncorrected, uncorrected_std_errors
        The maximum likelihood estimates before the correction and their
        standard errors (equal to ``params`` without correction).
    bias
        The estimated bias removed, ``uncorrected - params`` (zeros without correction).
    spectral_radius
        Radius of (I - rho W)^{-1}(tau I + eta W) at ``params`` (below 1: stable).
    tau, eta
        The time and space-time lag coefficients (eta = 0 for ``dynamic="time"``).
    """

    def __init__(self, spec, est: dict[str, object]) -> None:
        super().__init__(spec, est)
        base = est.get("uncorrected", est)
        index = self.params.index
        self.uncorrected = pd.Series(list(base["beta"]) + [base["spatial"], base["sigma2"]], index=index,
                                     name="parameter")
        self.uncorrected_std_errors = pd.Series(np.sqrt(np.diag(base["cov"])), index=index, name="std_error")
        self.bias = (self.uncorrected - self.params).rename("bias")
        self.spectral_radius = float(est["radius"])
        lags = spec.regressor_names()
        self.tau = float(self.params[lags[0]])
        self.eta = float(self.params[lags[1]]) if spec.dynamic == "spacetime" else 0.0

    def effects_tables(self, draws: int = 1000, seed: int = 0, method: str = "auto") -> dict[str, pd.DataFrame]:
        """Short- and long-run direct, indirect and total effects, ``{"short": ..., "long": ...}``.

        Short run: S^{-1}(b_r I + t_r W); long run ((1 - tau) I - (rho + eta) W)^{-1}(b_r I + t_r W);
        LeSage-Pace summaries with standard errors from ``draws`` parameter vectors drawn from
        N(params, cov), unstable draws rejected and redrawn (their share in ``attrs["rejected_share"]``).
        Each table has the layout of :meth:`SpatialPanelResults.impacts` (see
        :func:`vagg.models.spatial.dynamic.dynamic_impacts`).
        """
        names = self.spec.exog_names
        lags = self.spec.regressor_names()[: 2 if self.spec.dynamic == "spacetime" else 1]
        keys = names + [f"W_{c}" for c in names] + ["rho"] + lags + ([] if len(lags) == 2 else ["eta"])
        present = np.array([key in self.params.index for key in keys])
        centre = np.array([float(self.params[key]) if ok else 0.0 for key, ok in zip(keys, present)])
        cov = np.zeros((len(keys), len(keys)))
        sub = [key for key, ok in zip(keys, present) if ok]
        cov[np.ix_(present, present)] = self.cov.loc[sub, sub].to_numpy()
        return dynamic_impacts(names, centre, cov, self.spec.operator, draws, seed, method)

    def impacts(self, draws: int = 1000, seed: int = 0, method: str = "auto", horizon: str = "short") -> pd.DataFrame:
        """Short-run (default) or long-run (``horizon="long"``) effects; see :meth:`effects_tables`."""
        if horizon not in ("short", "long"):
            raise SpecificationError(f"horizon must be 'short' or 'long', got {horizon!r}")
        return self.effects_tables(draws, seed, method)[horizon]

    @property
    def table_info(self) -> dict[str, object]:
        info = super().table_info
        spec = self.spec
        info["model"] = f"Dynamic {_LABELS[self.model]}"
        info["extra"].update({
            "dynamic": "y(t-1), W y(t-1)" if spec.dynamic == "spacetime" else "y(t-1)",
            "bias correction": "Yu-de Jong-Lee" if spec.bias_correction else "no",
            "stability (spectral radius)": self.spectral_radius,
        })
        return info

    @property
    def summary(self) -> str:
        spec = self.spec
        head = (f"dynamic ({spec.dynamic}): tau = {self.tau:.4f}, eta = {self.eta:.4f}, rho = {self.rho:.4f}, "
                f"spectral radius of A = {self.spectral_radius:.4f}; bias correction: "
                f"{'Yu-de Jong-Lee' if spec.bias_correction else 'none'}; periods used {len(spec.estimation_periods)} "
                f"(first period conditioned on)")
        return head + "\n" + super().summary
