"""Random effects and the fixed-versus-random specification tests.

* :class:`RandomEffects`: feasible GLS with the Swamy-Arora (1972) variance
  components, as in linearmodels: :math:`\\hat\\sigma_e^2` from the within
  residuals over :math:`n-N-k_w`, :math:`\\hat\\sigma_u^2 =
  \\max(0, SSR_b/(N-k_b) - \\hat\\sigma_e^2/\\bar T)` from the between
  regression (:math:`\\bar T` the harmonic mean of the :math:`T_i`), and OLS
  on the quasi-demeaned data :math:`y_{it} - \\theta_i\\bar y_i` with
  :math:`\\theta_i = 1 - \\sqrt{\\sigma_e^2/(T_i\\sigma_u^2+\\sigma_e^2)}`
  (Baltagi 2021, section 2.3; Wooldridge 2010, section 10.7).
* :func:`hausman`: the classic Hausman (1978) statistic
  :math:`(b_{FE}-b_{RE})'[V_{FE}-V_{RE}]^{+}(b_{FE}-b_{RE})`, chi-squared
  with the rank of the variance difference, always with unadjusted
  covariances (fits with others are refit, with a warning); valid only
  under the homoskedastic, serially uncorrelated errors of RE's assumptions.
* :func:`mundlak`: the cluster-robust version (Mundlak 1978; Wooldridge 2010,
  eq. 10.88): regress y on X, the entity means :math:`\\bar X_i` of the
  time-varying regressors and (for two-way designs) year effects by pooled
  OLS, and test :math:`\\gamma = 0` on the means with the cluster-robust
  covariance.  The coefficients on X equal the fixed-effects ones in a
  balanced panel.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from vagg._errors import SpecificationError
from vagg.models._covariance import sandwich
from vagg.models._results import table_info
from vagg.models._within import group_means
from vagg.models.panel_fe import COV_TYPES, CoefficientTable, PanelFE, PanelFEResults, _cov_label, parse_formula


class RandomEffects:
    """Random-effects (Swamy-Arora FGLS) panel regression with a constant.

    Parameters
    ----------
    dependent, exog
        Outcome Series and regressor DataFrame indexed by (entity, time).
    data
        Optional frame with cluster columns.
    """

    def __init__(self, dependent: pd.Series, exog: pd.DataFrame, data: pd.DataFrame | None = None) -> None:
        if not isinstance(exog.index, pd.MultiIndex):
            raise SpecificationError("random effects need a panel indexed by (entity, time)")
        self.base = PanelFE(dependent, exog, effects="none", data=data)

    @classmethod
    def from_formula(cls, formula: str, data: pd.DataFrame) -> RandomEffects:
        dependent, exog = parse_formula(formula, data)
        return cls(dependent, exog, data=data)

    def fit(self, cov: str = "unadjusted", cluster: str | None = None) -> RandomEffectsResults:
        """Estimate; ``cov`` as in :meth:`PanelFE.fit` (default unadjusted, the classic RE)."""
        if cov not in COV_TYPES:
            raise SpecificationError(f"cov must be one of {COV_TYPES}, got {cov!r}")
        base = self.base
        x, y, groups = base.x, base.y, base.groups
        ent, n_ent = groups.entity, groups.n_entities
        xm = group_means(x, ent, n_ent)
        ym = group_means(y[:, None], ent, n_ent)[:, 0]
        x_w, y_w = x - xm[ent], y - ym[ent]
        rank_w = np.linalg.matrix_rank(x_w)
        e_w = y_w - x_w @ np.linalg.lstsq(x_w, y_w, rcond=None)[0]
        df_within = len(y) - n_ent - rank_w
        coef_b, _, rank_b, _ = np.linalg.lstsq(xm, ym, rcond=None)
        df_between = n_ent - rank_b
        if df_within <= 0 or df_between <= 0:
            raise SpecificationError(f"random effects need more data: within df {df_within}, between df "
                                     f"{df_between} ({n_ent} entities, {len(y)} observations)")
        sigma2_e = float(e_w @ e_w) / df_within
        u = ym - xm @ coef_b
        counts = np.bincount(ent, minlength=n_ent)
        t_bar = n_ent / (1.0 / counts).sum()
        sigma2_u = max(0.0, float(u @ u) / df_between - sigma2_e / t_bar)
        theta = 1 - np.sqrt(sigma2_e / (counts * sigma2_u + sigma2_e))
        x_q, y_q = x - theta[ent, None] * xm[ent], y - theta[ent] * ym[ent]
        params = np.linalg.lstsq(x_q, y_q, rcond=None)[0]
        resid = y_q - x_q @ params
        clusters = base._cluster_codes(cluster) if cov == "clustered" else None
        df_resid = len(y) - x.shape[1]
        vcov, info = sandwich(x_q, resid, cov, df_resid, clusters=clusters, time=groups.time)
        return RandomEffectsResults(self, params, vcov, info, cov, _cov_label(cov, cluster, info), df_resid,
                                    sigma2_e, sigma2_u, pd.Series(theta, index=groups.entity_labels, name="theta"),
                                    float(resid @ resid) / df_resid)


class RandomEffectsResults(CoefficientTable):
    """Random-effects estimates; ``theta``, ``sigma2_eps``, ``sigma2_effects``, ``rho``.

    ``cov_kind`` is the covariance asked for ("unadjusted", "clustered", ...)
    and ``sigma2_resid`` the residual variance of the quasi-demeaned
    regression, :math:`e'e/(n-k)`.
    """

    def __init__(self, model: RandomEffects, params: np.ndarray, vcov: np.ndarray, info: dict[str, object],
                 cov_kind: str, cov_type: str, df_resid: int, sigma2_e: float, sigma2_u: float, theta: pd.Series,
                 sigma2_resid: float) -> None:
        names = model.base.exog_names
        self.model, self.cov_type, self.n_clusters = model, cov_type, info["n_clusters"]
        self.cov_kind, self.sigma2_resid = cov_kind, sigma2_resid
        self.params = pd.Series(params, index=names, name="parameter")
        self.cov = pd.DataFrame(vcov, index=names, columns=names)
        self.std_errors = pd.Series(np.sqrt(np.diag(vcov)), index=names, name="std_error")
        self.tstats = (self.params / self.std_errors).rename("tstat")
        self.df_resid = df_resid
        self.df_t = self.n_clusters - 1 if self.n_clusters else df_resid
        self.pvalues = pd.Series(2 * stats.t.sf(np.abs(self.tstats.to_numpy()), self.df_t), index=names,
                                 name="pvalue")
        self.nobs = len(model.base.y)
        self.sigma2_eps, self.sigma2_effects, self.theta = sigma2_e, sigma2_u, theta
        self.rho = sigma2_u / (sigma2_u + sigma2_e)

    @property
    def table_info(self) -> dict[str, object]:
        return table_info(dependent=self.model.base.dependent_name, model="RE", entity_effects=False,
                          time_effects=False, cov_type=self.cov_type, n_clusters=self.n_clusters, nobs=self.nobs,
                          extra={"rho": self.rho})

    @property
    def summary(self) -> str:
        return "\n".join([f"Random effects: {self.model.base.dependent_name}   observations: {self.nobs}   "
                          f"covariance: {self.cov_type}",
                          f"sigma2_eps {self.sigma2_eps:.4g}  sigma2_effects {self.sigma2_effects:.4g}  "
                          f"rho {self.rho:.4f}",
                          self.coefficient_table()])


def _wald(b: np.ndarray, v: np.ndarray) -> tuple[float, int]:
    """b' V^+ b and the rank of V (pseudo-inverse, as Stata's hausman)."""
    return float(b @ np.linalg.pinv(v) @ b), int(np.linalg.matrix_rank(v))


HAUSMAN_SIGMA = ("own", "re")

_ROBUST_ALTERNATIVE = ("for a test robust to heteroskedasticity and serial correlation use the cluster-robust "
                       "Mundlak test, vagg.models.mundlak (Wooldridge's auxiliary regression)")


def _unadjusted(fe: PanelFEResults, re: RandomEffectsResults) -> tuple[PanelFEResults, RandomEffectsResults, str]:
    """Both fits with unadjusted covariances (refit where needed) and a note naming what was refit."""
    if fe.cov_kind == "unadjusted" and re.cov_kind == "unadjusted":
        return fe, re, ""
    note = (f"the classical Hausman test needs unadjusted covariances for both fits (it is valid only under the "
            f"random-effects assumptions); the fits had FE {fe.cov_type} and RE {re.cov_type}, so both were refit "
            f"with unadjusted covariances; {_ROBUST_ALTERNATIVE}")
    warnings.warn(note, stacklevel=3)
    fe = fe if fe.cov_kind == "unadjusted" else fe.model.fit(cov="unadjusted")
    re = re if re.cov_kind == "unadjusted" else re.model.fit(cov="unadjusted")
    return fe, re, note


def hausman(fe: PanelFEResults, re: RandomEffectsResults, sigma: str = "own") -> pd.Series:
    """Classical Hausman (1978) test of fixed against random effects.

    .. math::  H = (b_{FE}-b_{RE})'[V_{FE}-V_{RE}]^{+}(b_{FE}-b_{RE})
               \\sim \\chi^2_{\\operatorname{rank}}

    with the unadjusted covariances of both fits (Wooldridge 2010,
    sec. 10.7.3; Baltagi 2021, sec. 4.3): the test is valid only under the
    random-effects assumptions (homoskedastic, serially uncorrelated
    errors), where :math:`V_{FE}-V_{RE}` is the variance of the difference.
    Fits with other covariances are refit with unadjusted ones (with a
    warning naming the kinds); the cluster-robust alternative is
    :func:`mundlak`.

    ``sigma="own"`` (default, Stata's ``hausman fe re``) uses each fit's own
    error variance; in a finite sample :math:`V_{FE}-V_{RE}` may then fail to
    be positive semi-definite.  ``sigma="re"`` (the idea of Stata's
    ``sigmamore``: one error variance, the efficient estimator's) scales both
    by the residual variance :math:`s^2_{RE}` of the quasi-demeaned
    regression, i.e. :math:`V_{FE} s^2_{RE}/s^2_{FE}`; the difference is then positive
    semi-definite by construction (the GLS cross products exceed the within
    ones), so the statistic is never negative.  When the ``"own"`` form would
    be negative the ``"re"`` form is reported instead, with a note.

    Parameters
    ----------
    fe, re
        A :class:`PanelFEResults` with entity effects and a
        :class:`RandomEffectsResults` of the same regressors.
    sigma
        "own" or "re" (see above).

    Returns
    -------
    Series: statistic, df, pvalue, the coefficients compared, the sigma used
    and a note.
    """
    if sigma not in HAUSMAN_SIGMA:
        raise SpecificationError(f"sigma must be one of {HAUSMAN_SIGMA}, got {sigma!r}")
    if fe.effects != "entity":
        raise SpecificationError(f"the Hausman test compares entity fixed effects with random effects, but the FE fit "
                                 f"has effects={fe.effects!r}; refit it with effects='entity', or for year effects "
                                 "use vagg.models.mundlak(..., effects='twoway')")
    common = [c for c in fe.params.index if c in re.params.index and c != "const"]
    if not common:
        raise SpecificationError("the fixed- and random-effects fits share no time-varying coefficient")
    fe, re, note = _unadjusted(fe, re)
    diff = (fe.params[common] - re.params[common]).to_numpy()
    v_fe, v_re = fe.cov.loc[common, common].to_numpy(), re.cov.loc[common, common].to_numpy()
    resid = fe.resid.to_numpy()
    rescale = re.sigma2_resid / float(resid @ resid / fe.df_resid)
    notes = [note] if note else []
    if sigma == "own":
        v = v_fe - v_re
        if np.any(np.linalg.eigvalsh(v) < -1e-12 * np.abs(v).max()):
            notes.append("V_FE - V_RE is not positive semi-definite; the pseudo-inverse is used")
        stat, df = _wald(diff, v)
        if stat < 0:
            notes.append(f"the statistic with each fit's own error variance is negative ({stat:.4g}); reported "
                         "with both variances scaled by the random-effects error variance (sigma='re')")
            sigma = "re"
    if sigma == "re":
        stat, df = _wald(diff, v_fe * rescale - v_re)
        stat = max(stat, 0.0)  # positive semi-definite: only rounding can make it negative
    return pd.Series({"statistic": stat, "df": df, "pvalue": float(stats.chi2.sf(stat, df)),
                      "compared": ", ".join(common), "sigma": sigma, "note": "; ".join(notes)}, name="Hausman")


def mundlak(formula: str, data: pd.DataFrame, effects: str = "entity", cluster: str | None = None) -> pd.Series:
    """Cluster-robust Mundlak test of random against fixed effects.

    Parameters
    ----------
    formula
        ``"y ~ x1 + x2"``.
    data
        Panel indexed by (entity, time).
    effects
        "entity" (pooled OLS with a constant) or "twoway" (with year effects).
    cluster
        Cluster of the robust covariance (default the entity).

    Returns
    -------
    Series: Wald statistic (chi-squared), df, pvalue, F = Wald/df with its
    p-value from F(df, G-1), and the auxiliary regression in ``attrs["fit"]``.
    """
    if effects not in ("entity", "twoway"):
        raise SpecificationError(f"the Mundlak test takes effects 'entity' or 'twoway', got {effects!r}")
    within = PanelFE.from_formula(formula, data, effects="entity")  # validates, drops time-invariant regressors
    varying = within.exog_names
    exog = pd.DataFrame(within.x, index=within.index, columns=varying)
    means = exog.groupby(level=0).transform("mean").add_prefix("mean_")
    aux = PanelFE(pd.Series(within.y, index=within.index, name=within.dependent_name),
                  pd.concat([exog, means], axis=1), effects="time" if effects == "twoway" else "none", data=data)
    fit = aux.fit(cov="clustered", cluster=cluster)
    tested = list(means.columns)
    missing = [c for c in tested if c not in fit.params.index]
    if missing:
        raise SpecificationError(f"the entity means {missing} are collinear with the year effects")
    stat, df = _wald(fit.params[tested].to_numpy(), fit.cov.loc[tested, tested].to_numpy())
    out = pd.Series({"statistic": stat, "df": df, "pvalue": float(stats.chi2.sf(stat, df)), "F": stat / df,
                     "F_pvalue": float(stats.f.sf(stat / df, df, fit.df_t))}, name="Mundlak")
    out.attrs["fit"] = fit
    return out
