"""Event studies of a staggered policy: two-way fixed effects and heterogeneity-robust estimators.

The two-way fixed-effects (TWFE) event study regresses the outcome on
event-time dummies of the ever-treated cities,

.. math::

    y_{it} = \\alpha_i + \\gamma_t + \\sum_{k \\ne r,\\, -K \\le k \\le L} \\beta_k\\,
             1[t - G_i = k] + x_{it}'\\delta + \\varepsilon_{it},

with reference period :math:`r` (default -1) and, when ``bin_ends`` is set,
the end points binned: the dummy at :math:`-K` switches on for every
:math:`k \\le -K` and the dummy at :math:`L` for every :math:`k \\ge L`
(Schmidheiny and Siegloch 2023, *J. Appl. Econometrics* 38: 695-713).  The
joint pre-trend test is the Wald test of :math:`\\beta_k = 0` for all leads,
reported as :math:`F = W/q` on :math:`(q, G-1)` degrees of freedom under
cluster-robust covariance.

With staggered adoption and effects that differ across cohorts or grow with
exposure, the TWFE coefficients mix effects of other periods with negative
weights (Sun and Abraham 2021, *J. Econometrics* 225: 175-199; Goodman-Bacon
2021, see :mod:`vagg.models.bacon`).  :func:`robust_event_study` gives the
same output shape from the imputation estimator of Borusyak, Jaravel and
Spiess (2024, *Rev. Econ. Stud.* 91: 3253-3285; its conservative
cluster-robust variance, and its pre-trend test on untreated observations) or
the group-time estimator of Callaway and Sant'Anna (2021, *J. Econometrics*
225: 200-230; never-treated or not-yet-treated controls, universal base
period :math:`G_i - 1`, influence-function covariance clustered by city), both
computed by the ``diff-diff`` package.  The conventions of the
Callaway-Sant'Anna numbers, and how they compare with the authors' R package
``did`` (checked in ``tests/test_event_study_reference.py`` against its
Python port ``moderndid``), are listed in :func:`robust_event_study`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from vagg._errors import DataError, SpecificationError
from vagg.data.panel import check_columns, check_panel_index
from vagg.models._results import table_info
from vagg.models.did import NEVER, cohorts_of
from vagg.models.panel_fe import PanelFE

ROBUST_METHODS = ("imputation", "callaway-santanna")


def _event_name(k: int) -> str:
    return f"event_{k:+d}"


def _wald(estimate: np.ndarray, cov: np.ndarray, df_denominator: float | None) -> pd.Series:
    """Joint Wald test of ``estimate = 0``: chi-square and, with a denominator df, F = W / q."""
    q = len(estimate)
    if q == 0:
        return pd.Series({"statistic": np.nan, "df": 0, "pvalue": np.nan, "kind": "none"})
    w = float(estimate @ np.linalg.solve(cov, estimate))
    if df_denominator is None:
        return pd.Series({"statistic": w, "df": q, "pvalue": float(stats.chi2.sf(w, q)), "kind": "chi2"})
    return pd.Series({"statistic": w / q, "df": q, "pvalue": float(stats.f.sf(w / q, q, df_denominator)),
                      "kind": f"F({q}, {int(df_denominator)})"})


class EventStudyResults:
    """Event-time effects with intervals, the average post-treatment effect and the pre-trend test.

    Attributes
    ----------
    estimates
        DataFrame indexed by ``event_time`` (int): estimate, se, ci_low,
        ci_high, pvalue; the reference period is a row with estimate 0 and
        NaN se.
    att
        Series: estimate, se, ci_low, ci_high, pvalue of the average
        post-treatment effect (TWFE: the mean of the lag coefficients;
        robust methods: the library's overall ATT).
    pretrend
        Series: statistic, df, pvalue, kind of the joint test that every lead
        is zero.
    method
        "twfe", "imputation" or "callaway-santanna".
    group_time
        Callaway-Sant'Anna only (else None): ATT(g, t) indexed by (cohort,
        year) with estimate, se, ci_low, ci_high, pvalue.
    """

    def __init__(self, estimates: pd.DataFrame, att: pd.Series, pretrend: pd.Series, method: str, outcome: str,
                 nobs: int, n_clusters: int, cov_type: str, reference: int | None, level: float,
                 notes: list[str], fit: object = None, effects: str = "twoway",
                 group_time: pd.DataFrame | None = None) -> None:
        self.estimates, self.att, self.pretrend, self.group_time = estimates, att, pretrend, group_time
        self.method, self.outcome, self.nobs, self.n_clusters = method, outcome, nobs, n_clusters
        self.cov_type, self.reference, self.level, self.notes = cov_type, reference, level, notes
        self.fit_result, self.effects = fit, effects

    # linearmodels shape ---------------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        est = self.estimates.dropna(subset=["se"])
        return pd.Series(est["estimate"].to_numpy(), index=[_event_name(int(k)) for k in est.index], name="parameter")

    @property
    def std_errors(self) -> pd.Series:
        est = self.estimates.dropna(subset=["se"])
        return pd.Series(est["se"].to_numpy(), index=self.params.index, name="std_error")

    @property
    def tstats(self) -> pd.Series:
        return (self.params / self.std_errors).rename("tstat")

    @property
    def pvalues(self) -> pd.Series:
        est = self.estimates.dropna(subset=["se"])
        return pd.Series(est["pvalue"].to_numpy(), index=self.params.index, name="pvalue")

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        if level is not None and level != self.level:
            raise SpecificationError(f"intervals were computed at level {self.level}; refit with level={level}")
        est = self.estimates.dropna(subset=["se"])
        return pd.DataFrame({"lower": est["ci_low"].to_numpy(), "upper": est["ci_high"].to_numpy()},
                            index=self.params.index)

    @property
    def table_info(self) -> dict[str, object]:
        return table_info(dependent=self.outcome, model=f"event study ({self.method})",
                          entity_effects=self.effects in ("entity", "twoway"),
                          time_effects=self.effects in ("time", "twoway"), cov_type=self.cov_type,
                          n_clusters=self.n_clusters, nobs=self.nobs,
                          extra={"pre-trend test p": float(self.pretrend["pvalue"]), "ATT": float(self.att["estimate"])})

    @property
    def summary(self) -> str:
        lines = [f"Event study ({self.method}): {self.outcome}   observations: {self.nobs}   clusters: "
                 f"{self.n_clusters}   covariance: {self.cov_type}",
                 self.estimates.to_string(float_format=lambda v: f"{v:.4f}"),
                 f"average post-treatment effect: {self.att['estimate']:.4f} (se {self.att['se']:.4f})",
                 f"joint pre-trend test: {self.pretrend['kind']} = {self.pretrend['statistic']:.3f}, "
                 f"p = {self.pretrend['pvalue']:.4f}"]
        return "\n".join(lines + self.notes)

    def __repr__(self) -> str:
        return self.summary


class EventStudy:
    """Two-way fixed-effects event study of a staggered policy.

    Parameters
    ----------
    data
        Panel indexed by (entity, time) with the outcome and a cohort column
        (adoption year, 0 for never treated; see
        :func:`vagg.models.policy_timing`).
    outcome
        Outcome column.
    cohort
        Cohort column.
    leads, lags
        Event times :math:`-K..-1` and :math:`0..L` get a dummy (except the
        reference).
    reference
        The omitted event time, a lead (default -1).
    bin_ends
        Bin the end points (:math:`k \\le -K` into :math:`-K`, :math:`k \\ge L`
        into :math:`L`); otherwise the ever-treated city-years outside the
        window are dropped (counted in ``notes``).
    controls
        Time-varying control columns.
    effects
        "twoway" (default), "entity" or "time".
    """

    def __init__(self, data: pd.DataFrame, outcome: str, cohort: str = "cohort", leads: int = 4, lags: int = 4,
                 reference: int = -1, bin_ends: bool = True, controls: Sequence[str] = (),
                 effects: str = "twoway") -> None:
        check_panel_index(data)
        if leads < 1 or lags < 0:
            raise SpecificationError(f"leads must be >= 1 and lags >= 0, got leads={leads}, lags={lags}")
        if not -leads <= reference <= -1:
            raise SpecificationError(f"reference must be a lead between {-leads} and -1, got {reference}")
        if bin_ends and reference == -leads:
            raise SpecificationError(f"with bin_ends the end point {-leads} is a bin and cannot be the reference; "
                                     "add a lead or pass bin_ends=False")
        controls = list(controls)
        check_columns(data, [outcome, *controls], numeric=True, complete=False)
        self.cohorts = cohorts_of(data, cohort)
        self.data, self.outcome, self.cohort, self.controls, self.effects = data, outcome, cohort, controls, effects
        self.leads, self.lags, self.reference, self.bin_ends = leads, lags, reference, bin_ends
        self.window = [k for k in range(-leads, lags + 1) if k != reference]

    def dummies(self) -> tuple[pd.DataFrame, np.ndarray]:
        """Event-time dummies (columns ``event_-4`` ...) and the mask of rows kept."""
        g = self.cohorts.reindex(self.data.index.get_level_values(0)).to_numpy()
        t = self.data.index.get_level_values(1).to_numpy()
        ever = g != NEVER
        e = np.where(ever, t - g, 0)
        if self.bin_ends:
            e = np.clip(e, -self.leads, self.lags)
            keep = np.ones(len(e), dtype=bool)
        else:
            keep = ~ever | ((e >= -self.leads) & (e <= self.lags))
        d = (ever[:, None] & (e[:, None] == np.array(self.window)[None, :])).astype(float)
        return pd.DataFrame(d, index=self.data.index, columns=[_event_name(k) for k in self.window]), keep

    def fit(self, cov: str = "clustered", cluster: str | None = None, level: float = 0.95) -> EventStudyResults:
        """OLS with the fixed effects; cluster-robust by city unless told otherwise (see :meth:`PanelFE.fit`)."""
        dummies, keep = self.dummies()
        exog = pd.concat([dummies, self.data[self.controls]], axis=1).loc[keep]
        model = PanelFE(self.data.loc[keep, self.outcome], exog, effects=self.effects, data=self.data.loc[keep])
        dropped = [c for c in dummies.columns if c not in model.exog_names]
        if dropped:
            raise SpecificationError(f"event-time dummies {dropped} have no variation (no treated city reaches "
                                     "those event times, or all cities are treated at once); shorten the window")
        res = model.fit(cov=cov, cluster=cluster)
        names = list(dummies.columns)
        ci = res.conf_int(level).loc[names]
        est = pd.DataFrame({"estimate": res.params[names].to_numpy(), "se": res.std_errors[names].to_numpy(),
                            "ci_low": ci["lower"].to_numpy(), "ci_high": ci["upper"].to_numpy(),
                            "pvalue": res.pvalues[names].to_numpy()}, index=pd.Index(self.window, name="event_time"))
        est.loc[self.reference] = [0.0, np.nan, np.nan, np.nan, np.nan]
        est = est.sort_index()
        lead_names = [_event_name(k) for k in self.window if k < 0]
        lag_names = [_event_name(k) for k in self.window if k >= 0]
        cov_lead = res.cov.loc[lead_names, lead_names].to_numpy()
        pretrend = _wald(res.params[lead_names].to_numpy(), cov_lead, res.df_t)
        wts = np.full(len(lag_names), 1.0 / len(lag_names))
        att_est = float(wts @ res.params[lag_names])
        att_se = float(np.sqrt(wts @ res.cov.loc[lag_names, lag_names].to_numpy() @ wts))
        q = stats.t.ppf(0.5 + level / 2, res.df_t)
        att = pd.Series({"estimate": att_est, "se": att_se, "ci_low": att_est - q * att_se,
                         "ci_high": att_est + q * att_se,
                         "pvalue": float(2 * stats.t.sf(abs(att_est / att_se), res.df_t))})
        notes = list(res.notes)
        if not keep.all():
            notes.append(f"{int((~keep).sum())} treated city-year(s) outside event times "
                         f"[{-self.leads}, {self.lags}] dropped (bin_ends=False)")
        g = res.n_clusters
        return EventStudyResults(est, att, pretrend, "twfe", self.outcome, res.nobs,
                                 min(g) if isinstance(g, tuple) else g, res.cov_type, self.reference, level, notes,
                                 fit=res, effects=self.effects)


def _long_frame(data: pd.DataFrame, outcome: str, cohort: str, controls: list[str]) -> pd.DataFrame:
    check_panel_index(data)
    check_columns(data, [outcome, *controls], numeric=True, complete=True)
    cohorts = cohorts_of(data, cohort)
    unit_codes = pd.factorize(data.index.get_level_values(0), sort=True)[0]
    frame = pd.DataFrame({"unit": unit_codes, "time": data.index.get_level_values(1).to_numpy(dtype=int),
                          "first_treat": cohorts.reindex(data.index.get_level_values(0)).to_numpy(),
                          "y": data[outcome].to_numpy(dtype=float)})
    for j, c in enumerate(controls):
        frame[f"x{j}"] = data[c].to_numpy(dtype=float)
    if (frame["first_treat"] == NEVER).sum() == 0:
        raise DataError("no never-treated city; the robust estimators here need never-treated (or, for "
                        "Callaway-Sant'Anna, not-yet-treated) comparisons")
    return frame


def robust_event_study(
    data: pd.DataFrame,
    outcome: str,
    cohort: str = "cohort",
    method: str = "imputation",
    leads: int = 4,
    lags: int = 4,
    controls: Sequence[str] = (),
    control_group: str = "never_treated",
    level: float = 0.95,
    n_boot: int = 0,
    seed: int | None = None,
) -> EventStudyResults:
    """Heterogeneity-robust event study, in the shape of :meth:`EventStudy.fit`.

    Parameters
    ----------
    data, outcome, cohort, leads, lags, controls
        As :class:`EventStudy` (no binning: the robust estimators identify
        each event time separately; rows beyond the window are estimated and
        not shown).
    method
        "imputation" (Borusyak, Jaravel and Spiess 2024) or
        "callaway-santanna" (Callaway and Sant'Anna 2021, outcome regression
        without covariates, doubly robust with them).
    control_group
        Callaway-Sant'Anna only: "never_treated" or "not_yet_treated".
    level
        Confidence level.
    n_boot, seed
        Multiplier-bootstrap replications clustered by city (0: analytic
        cluster-robust standard errors; otherwise an integer >= 2) and their
        seed; the same seed gives the same draws.

    Returns
    -------
    EventStudyResults
        For Callaway-Sant'Anna also ``group_time``: ATT(g, t) by (cohort,
        year) with estimate, se, ci_low, ci_high, pvalue.

    Notes
    -----
    Standard errors are clustered by city.  The imputation pre-trend test is
    BJS's test (their eq. 9): ``leads - 1`` lead dummies added to the
    regression on untreated observations, an F test of their joint
    significance; for Callaway-Sant'Anna it is the Wald
    test of the leads with their influence-function covariance.

    Imputation multiplier bootstrap (``n_boot > 0``), as ``diff-diff``'s
    ``ImputationDiD(n_bootstrap=B)`` computes it: for each target (an event
    time :math:`h \\ge 0`, the overall ATT) with weights :math:`w_{it}` on the
    treated observations, city :math:`i`'s influence
    :math:`\\psi_i = \\sum_t v_{it} \\tilde\\varepsilon_{it}` of BJS's Theorem 3
    (:math:`v_{it} = w_{it}` on treated rows, :math:`v = -A_0 (A_0'A_0)^{-1}
    A_1' w` on untreated rows, :math:`A_0, A_1` the fixed-effect and control
    columns of the untreated and treated rows; :math:`\\tilde\\varepsilon` the
    untreated residuals and, on treated rows, :math:`\\hat\\tau_{it}` minus
    its :math:`v`-weighted cohort-by-event-time average, BJS eq. 8), the draws
    :math:`\\hat\\tau + \\sum_i \\omega_{bi} \\psi_i` with Rademacher
    :math:`\\omega_{bi} = \\pm 1` per city, shared across targets (one
    :math:`B \\times G` matrix from ``numpy.random.default_rng(seed)``), no
    small-sample factor; standard error = standard deviation of the draws
    (ddof 1), interval = their percentiles, p-value = the bootstrap p-value.
    Since :math:`E[(\\sum_i \\omega_{bi}\\psi_i)^2] = \\sum_i \\psi_i^2`, the
    bootstrap variance estimates BJS's analytic conservative variance
    :math:`\\sum_i \\psi_i^2`.  The leads keep the standard errors of BJS's
    lead regression on untreated observations (not bootstrapped), and the
    pre-trend test is unchanged.

    Callaway-Sant'Anna conventions, those of the authors' R package ``did``
    (``att_gt(base_period="universal", anticipation=0)``, ``aggte``) unless
    said otherwise:

    - :math:`ATT(g,t) = E[Y_t - Y_{g-1} \\mid G=g] - E[Y_t - Y_{g-1} \\mid C]`,
      :math:`C` the never-treated cities or those not yet treated at
      :math:`\\max(t, g-1)` (cohort :math:`g` excluded); the base period is
      :math:`g-1` for every :math:`t` ("universal"), so event time -1 is the
      reference (R's default "varying" base period changes the leads only).
    - Event time :math:`e`: :math:`\\theta(e) = \\sum_g w_g(e)\\, ATT(g, g+e)`,
      :math:`w_g(e) = P(G = g \\mid G + e \\le T)`, cohort-size weights over
      the cohorts observed at event time :math:`e` (Callaway and Sant'Anna
      2021, sec. 3); its influence function includes the term of the
      estimated weights (their sec. 4).
    - ``att`` is R's ``aggte(type="simple")``: the post-treatment
      ATT(g, t) averaged with cohort-size weights (not the mean of the
      event-time effects, R's "dynamic" overall).
    - Analytic covariance :math:`V = n^{-2} \\sum_i \\psi_i \\psi_i'`,
      :math:`\\psi_i` city :math:`i`'s influence function (the rows are
      city-years, so this is the covariance clustered by city), without a
      small-sample factor :math:`G/(G-1)`, as R's ``did``.
    - Multiplier bootstrap (``n_boot > 0``): Rademacher weights per city,
      standard error = standard deviation of the draws (R: Mammen weights and
      a normalised interquartile range); both estimate :math:`V`.
    - With controls, the doubly robust estimator of Sant'Anna and Zhao (2020,
      *J. Econometrics* 219: 101-122) on controls taken at the base period
      :math:`g-1` in every cell.  R's ``did`` takes them at the earlier of the
      two periods: the same for post-treatment cells; for a lead
      :math:`t < g-1` it conditions on :math:`X_t`, so with time-varying
      controls the leads differ.  ``diff-diff`` divides the control cities'
      weights :math:`p(X)/(1-p(X))` by the number of treated cities
      (Horvitz-Thompson form) where R's ``DRDID::drdid_panel`` divides by
      their sum (Hajek form); the two are identical when the propensity
      model is saturated (one binary or categorical control) and otherwise differ
      by :math:`O_p(1/n)`, thousandths of a standard error on the test panels.
    """
    import diff_diff as dd

    if method not in ROBUST_METHODS:
        raise SpecificationError(f"method must be one of {ROBUST_METHODS}, got {method!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 0 or n_boot == 1:
        raise SpecificationError(f"n_boot must be 0 (analytic standard errors) or an integer number of bootstrap "
                                 f"draws >= 2, got {n_boot!r}")
    controls = list(controls)
    frame = _long_frame(data, outcome, cohort, controls)
    covariates = [f"x{j}" for j in range(len(controls))] or None
    # BJS's variance clusters by city; Callaway-Sant'Anna's per-city influence function is already the city
    # cluster, and diff-diff's cluster= would add the factor G / (G - 1) that R's did does not apply
    common = {"alpha": 1 - level, "cluster": "unit" if method == "imputation" else None, "n_bootstrap": n_boot,
              "seed": seed}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # diff-diff's deprecations of its own older API
        warnings.filterwarnings("ignore", message="The inplace keyword")  # diff-diff on pandas 3
        warnings.filterwarnings("ignore", message=r".*effect\(s\) had non-finite or zero bootstrap SE")  # the reference
        if method == "imputation":
            # a bootstrapped ImputationDiD keeps its per-event-time draws' inference only in the fit-time event
            # study (its post-fit aggregate() refuses a bootstrapped fit); fit(aggregate=) is deprecated in
            # diff-diff 3.9 and to be removed in 4.0, when tests/test_event_study.py's bootstrap tests will fail
            fit_time = {"aggregate": "event_study"} if n_boot else {}
            fit = dd.ImputationDiD(pretrends=True, **common).fit(
                frame, outcome="y", unit="unit", time="time", first_treat="first_treat", covariates=covariates,
                **fit_time)
        else:
            estimation = "dr" if covariates else "reg"
            fit = dd.CallawaySantAnna(control_group=control_group, base_period="universal",
                                      estimation_method=estimation, **common).fit(
                frame, outcome="y", unit="unit", time="time", first_treat="first_treat", covariates=covariates)
        if method == "imputation" and n_boot:
            es = None
            table = fit.to_dataframe("event_study").rename(columns={"relative_period": "event_time", "effect": "att"})
            table["is_reference"] = table["event_time"] == -1
        else:
            es = fit.aggregate("event_study")
            table = es.to_dataframe()
        test = fit.pretrend_test(n_leads=leads - 1) if method == "imputation" and leads > 1 else None
    table = table.set_index("event_time")
    table.index = table.index.astype(int)
    window = (table.index >= -leads) & (table.index <= lags)
    table = table.loc[window]
    est = pd.DataFrame({"estimate": table["att"].to_numpy(dtype=float),
                        "se": table["se"].to_numpy(dtype=float),
                        "ci_low": table["conf_int_lower"].to_numpy(dtype=float),
                        "ci_high": table["conf_int_upper"].to_numpy(dtype=float),
                        "pvalue": table["p_value"].to_numpy(dtype=float)},
                       index=pd.Index(table.index, name="event_time"))
    est.loc[table["is_reference"].to_numpy(dtype=bool), ["se", "ci_low", "ci_high", "pvalue"]] = np.nan
    if method == "imputation" and test is None:
        pretrend = _wald(np.zeros(0), np.zeros((0, 0)), None)
    elif test is not None:
        pretrend = pd.Series({"statistic": test["f_stat"], "df": test["df"], "pvalue": test["p_value"],
                              "kind": f"F({test['df']}, BJS test on untreated observations)"})
    else:
        leads_k = [k for k in es.vcov_index if -leads <= k < -1] if es.vcov is not None else []
        pos = [list(es.vcov_index).index(k) for k in leads_k]
        pretrend = _wald(est.loc[leads_k, "estimate"].to_numpy(), np.asarray(es.vcov)[np.ix_(pos, pos)], None)
    ci = fit.overall_conf_int
    att = pd.Series({"estimate": fit.overall_att, "se": fit.overall_se, "ci_low": ci[0], "ci_high": ci[1],
                     "pvalue": fit.overall_p_value})
    label = {"imputation": "BJS conservative, clustered (city)",
             "callaway-santanna": "influence function, clustered (city)"}[method]
    notes = []
    if n_boot:
        label = f"multiplier bootstrap ({n_boot} draws, clustered by city)"
        if method == "imputation":
            notes.append("bootstrap intervals for event times >= 0 and the ATT; the leads keep the standard "
                         "errors of BJS's lead regression")
    return EventStudyResults(est, att, pretrend, method, outcome, len(frame), int(frame["unit"].nunique()), label,
                             -1, level, notes, fit=fit,
                             group_time=_group_time(fit) if method == "callaway-santanna" else None)


def _group_time(fit: object) -> pd.DataFrame:
    """ATT(g, t) of a diff-diff Callaway-Sant'Anna fit as a table indexed by (cohort, year)."""
    cells = fit.group_time_effects  # type: ignore[attr-defined]
    keys = sorted(cells)
    values = np.array([[cells[k]["effect"], cells[k]["se"], *cells[k]["conf_int"], cells[k]["p_value"]]
                       for k in keys], dtype=float).reshape(len(keys), 5)
    index = pd.MultiIndex.from_tuples([(int(g), int(t)) for g, t in keys], names=["cohort", "year"])
    return pd.DataFrame(values, index=index, columns=["estimate", "se", "ci_low", "ci_high", "pvalue"])
