"""Hansen's (1999) fixed-effects panel threshold regression.

With regime regressors :math:`x_{it}` (p of them), controls :math:`z_{it}`,
threshold variable :math:`q_{it}` and :math:`m` thresholds
:math:`\\gamma_1 < \\dots < \\gamma_m` (:math:`\\gamma_0=-\\infty`,
:math:`\\gamma_{m+1}=\\infty`),

.. math::

    y_{it} = \\mu_i\\,[+\\,\\lambda_t] + \\sum_{j=1}^{m+1} \\beta_j' x_{it}
             I(\\gamma_{j-1} < q_{it} \\le \\gamma_j) + \\delta' z_{it} + e_{it}.

Estimation (Hansen 1999, *J. Econometrics* 93:345-368, sections 2-4):

* for given thresholds the slopes are the within (fixed-effects) OLS
  estimates, and :math:`S(\\gamma)` their residual sum of squares; the
  thresholds minimise :math:`S` over a grid of values of :math:`q` that
  leaves at least a share ``trim`` of the observations in every regime;
* several thresholds are estimated sequentially: :math:`\\hat\\gamma_{k+1}`
  minimises :math:`S` given the first k; after each new one every earlier
  threshold is re-estimated given the others (Hansen's refinement
  :math:`\\hat\\gamma_1^r`; Bai 1997);
* the concentrated SSR over the whole grid is one batched computation: with
  :math:`W` the demeaned regressors of the model with k thresholds, :math:`M`
  its annihilator, :math:`\\tilde D_\\gamma = M\\,\\overline{x\\,I(q\\le\\gamma)}`
  and :math:`e_0 = M\\ddot y`,
  :math:`S(\\gamma) = e_0'e_0 - e_0'\\tilde D_\\gamma(\\tilde D_\\gamma'\\tilde
  D_\\gamma)^{-1}\\tilde D_\\gamma'e_0` (Frisch-Waugh-Lovell), every term a
  cumulative sum over the observations sorted by q (no n x G array);
* test of k against k+1 thresholds:
  :math:`F = (S_k - S_{k+1})/\\hat\\sigma^2`,
  :math:`\\hat\\sigma^2 = S_{k+1}/(n - D)` with D the fixed-effect parameters
  (:math:`n(T-1)` for entity effects as in Hansen); its p-value by Hansen's
  fixed-regressor bootstrap: regressors and the k estimated thresholds are
  held fixed, the residual vectors of whole entities under the k-threshold
  null are drawn with replacement, and the statistic is recomputed over the
  same grid (for the fixed regressors the statistic does not depend on the
  null slopes, so the bootstrap outcome is the resampled residual);
* confidence set of each threshold (others fixed):
  :math:`\\{\\gamma: LR(\\gamma) \\le c(\\alpha)\\}`,
  :math:`LR(\\gamma) = (S(\\gamma) - S(\\hat\\gamma))/\\hat\\sigma^2`,
  :math:`c(\\alpha) = -2\\log(1-\\sqrt{1-\\alpha})` (7.35 at 95 %);
* slopes and their cluster-robust covariance from the within regression at
  the estimated thresholds (:class:`vagg.models.PanelFE`), which Hansen
  (1999, Theorem 3) shows valid as if the thresholds were known.

The panel must be balanced (as in Hansen and Stata's ``xthreg``, Wang 2015,
*Stata Journal* 15(1):121-134).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
import pandas as pd
import scipy.sparse as sp

from vagg._errors import DataError, SpecificationError
from vagg.data.panel import validate_panel
from vagg.models._resampling import run_chunks
from vagg.models.panel_fe import PanelFE, PanelFEResults, parse_formula

THRESHOLD_EFFECTS = ("entity", "twoway")
#: a candidate whose regime cross-product has a smaller relative eigenvalue is not identified
_SINGULAR = 1e-10


def lr_critical_value(level: float = 0.95) -> float:
    """Hansen's (2000) critical value of the LR statistic, :math:`-2\\log(1-\\sqrt{\\text{level}})`."""
    if not 0 < level < 1:
        raise SpecificationError(f"level must be in (0, 1), got {level}")
    return float(-2 * np.log(1 - np.sqrt(level)))


def demean_balanced(a: np.ndarray, n_entities: int, n_periods: int, effects: str) -> np.ndarray:
    """Within transformation of the rows of a balanced panel sorted by (entity, time).

    ``a`` is (n x m) with n = N T; entity effects subtract entity means, two-way
    effects also period means and add back the grand mean.
    """
    cube = a.reshape(n_entities, n_periods, -1)
    out = cube - cube.mean(axis=1, keepdims=True)
    if effects == "twoway":
        out = out - out.mean(axis=0, keepdims=True)
    return out.reshape(a.shape)


def threshold_grid(q: np.ndarray, trim: float, grid: int | None) -> np.ndarray:
    """Candidate thresholds: values of ``q`` leaving a share ``trim`` on each side.

    All distinct values when ``grid`` is None; otherwise ``grid`` of them at
    equally spaced ranks, :math:`\\lfloor k\\,G/(\\text{grid}+1)\\rfloor`,
    :math:`k=1..\\text{grid}` (Hansen's quantile grid).
    """
    n = len(q)
    values = np.unique(q)
    below = np.searchsorted(np.sort(q), values, side="right")
    minimum = max(int(np.ceil(trim * n)), 1)
    values = values[(below >= minimum) & (n - below >= minimum)]
    if grid is not None and grid < len(values):
        values = values[np.floor(np.arange(1, grid + 1) / (grid + 1) * len(values)).astype(int)]
    return values


class _Stage:
    """The concentrated SSR over the whole grid, given some thresholds held fixed, by cumulative sums.

    With :math:`D_\\gamma = x\\,I(q\\le\\gamma)`, the demeaning operator
    :math:`\\ddot{}` and Q an orthonormal basis of the demeaned null
    regressors, :math:`\\tilde D_\\gamma = (I - QQ')\\ddot D_\\gamma` and, for
    any demeaned null residual e (so :math:`\\ddot e = e = (I-QQ')e`),

    * :math:`\\tilde D_\\gamma'e = \\sum_{q_{it}\\le\\gamma} x_{it}e_{it}`;
    * :math:`\\tilde D_\\gamma'\\tilde D_\\gamma = D_\\gamma'\\ddot D_\\gamma - (Q'D_\\gamma)'(Q'D_\\gamma)`,
      :math:`D'\\ddot D = \\sum x x' I - \\sum_i S_iS_i'/T\\,[- \\sum_t S_tS_t'/N + SS'/(NT)]`
      with :math:`S_i, S_t, S` the sums of :math:`x I(q\\le\\gamma)` by entity, by period and in all.

    Every term is a cumulative sum over the observations sorted by q, so no
    n x G array is formed: the cost is O(n + (N + T) G p) per stage and
    O(n B p + G B p^2) per batch of B bootstrap draws.
    """

    def __init__(self, design: ThresholdDesign, fixed: np.ndarray, null: np.ndarray) -> None:
        self.design = design
        self.candidates = design.candidates
        self.q_basis = np.linalg.qr(null)[0]
        x = design.x
        n, p = x.shape
        n_ent, n_per = design.n_entities, design.n_periods
        xx = design.cumulative((x[:, :, None] * x[:, None, :]).reshape(n, -1)).reshape(-1, p, p)
        by_entity = design.cumulative(x, design.entity_codes, n_ent)  # (N, G, p)
        a = xx - np.einsum("ngp,ngr->gpr", by_entity, by_entity) / n_per
        if design.effects == "twoway":
            by_period = design.cumulative(x, design.period_codes, n_per)
            total = by_entity.sum(axis=0)
            a = a - np.einsum("tgp,tgr->gpr", by_period, by_period) / n_ent
            a = a + np.einsum("gp,gr->gpr", total, total) / (n_ent * n_per)
        k = self.q_basis.shape[1]
        qd = design.cumulative((self.q_basis[:, :, None] * x[:, None, :]).reshape(n, -1)).reshape(-1, k, p)
        a = a - np.einsum("gkp,gkr->gpr", qd, qd)
        scale = np.einsum("gpp->g", a)
        self.allowed = design.regimes_populated(fixed) & (
            np.linalg.eigvalsh(a)[:, 0] > _SINGULAR * np.maximum(scale, 1e-300))
        self.a_inv = np.zeros_like(a)
        if self.allowed.any():
            self.a_inv[self.allowed] = np.linalg.inv(a[self.allowed])

    def null_resid(self, e: np.ndarray) -> np.ndarray:
        """:math:`M e` for demeaned ``e`` (n,) or (n, B)."""
        return e - self.q_basis @ (self.q_basis.T @ e)

    def ssr(self, e0: np.ndarray) -> np.ndarray:
        """:math:`S(\\gamma)` for null residuals ``e0`` (n, B): (G, B), inf where not allowed."""
        x = self.design.x
        n, p = x.shape
        draws = e0.shape[1]
        b = self.design.cumulative((x[:, :, None] * e0[:, None, :]).reshape(n, -1)).reshape(-1, p, draws)
        out = np.sum(e0 * e0, axis=0)[None, :] - np.einsum("gpb,gpr,grb->gb", b, self.a_inv, b)
        out[~self.allowed] = np.inf
        return out


class ThresholdDesign:
    """Arrays of a balanced threshold panel, sorted by (entity, time)."""

    def __init__(self, y: np.ndarray, x: np.ndarray, z: np.ndarray, q: np.ndarray, n_entities: int,
                 n_periods: int, effects: str, candidates: np.ndarray, min_obs: int) -> None:
        self.y, self.x, self.z, self.q = y, x, z, q
        self.n_entities, self.n_periods, self.effects = n_entities, n_periods, effects
        self.candidates, self.min_obs = candidates, min_obs
        self.y_dm = self.demean(y[:, None])[:, 0]
        self.base_dm = self.demean(np.column_stack([x, z]))
        self.entity_codes = np.repeat(np.arange(n_entities), n_periods)
        self.period_codes = np.tile(np.arange(n_periods), n_entities)
        # the first candidate at or above each q: an observation is below every threshold from there on
        self.first = np.searchsorted(candidates, q, side="left")

    def cumulative(self, values: np.ndarray, groups: np.ndarray | None = None, n_groups: int = 1) -> np.ndarray:
        """:math:`\\sum_{q_{it} \\le \\gamma_g}` of the rows of ``values`` (n x m) for every candidate g.

        Returns (G, m), or (n_groups, G, m) summed separately by ``groups``.
        """
        n_cand = len(self.candidates)
        rows = self.first if groups is None else groups * (n_cand + 1) + self.first
        size = (n_cand + 1) * (1 if groups is None else n_groups)
        indicator = sp.csr_matrix((np.ones(len(rows)), (rows, np.arange(len(rows)))), shape=(size, len(rows)))
        sums = np.asarray((indicator @ values)).reshape(-1, n_cand + 1, values.shape[1])
        out = np.cumsum(sums, axis=1)[:, :n_cand]
        return out[0] if groups is None else out

    def demean(self, a: np.ndarray) -> np.ndarray:
        return demean_balanced(a, self.n_entities, self.n_periods, self.effects)

    def interactions(self, gammas: np.ndarray) -> np.ndarray:
        """:math:`x\\,I(q \\le \\gamma)` for each gamma: (n, len(gammas), p)."""
        below = self.q[:, None] <= gammas[None, :]
        return self.x[:, None, :] * below[:, :, None]

    def stage(self, fixed: Sequence[float]) -> _Stage:
        """The SSR machinery for one more threshold given ``fixed``."""
        fixed_arr = np.asarray(sorted(fixed), dtype=float)
        null = self.base_dm
        if len(fixed_arr):
            null = np.column_stack([null, self.demean(self.interactions(fixed_arr).reshape(len(self.y), -1))])
        return _Stage(self, fixed_arr, null)

    def regimes_populated(self, fixed: np.ndarray) -> np.ndarray:
        """Candidates that leave at least ``min_obs`` observations in every regime."""
        sorted_q = np.sort(self.q)
        cand = self.candidates
        bounds = np.sort(np.concatenate([np.broadcast_to(fixed, (len(cand), len(fixed))), cand[:, None]], axis=1),
                         axis=1)
        counts = np.searchsorted(sorted_q, bounds, side="right")
        full = np.column_stack([np.zeros(len(cand)), counts, np.full(len(cand), len(sorted_q))])
        sizes = np.diff(full, axis=1)
        return (sizes >= self.min_obs).all(axis=1) & ~np.isin(cand, fixed)

    def ssr_at(self, thresholds: Sequence[float]) -> float:
        """SSR of the within regression at given thresholds."""
        n = len(self.y)
        t = np.asarray(sorted(thresholds), dtype=float)
        reg = self.base_dm
        if len(t):
            reg = np.column_stack([reg, self.demean(self.interactions(t).reshape(n, -1))])
        beta = np.linalg.lstsq(reg, self.y_dm, rcond=None)[0]
        e = self.y_dm - reg @ beta
        return float(e @ e)


def _boot_f(rng: np.random.Generator, size: int, design: ThresholdDesign, stage: _Stage, resid: np.ndarray,
            df_resid: int) -> np.ndarray:
    """F statistics of ``size`` fixed-regressor bootstrap draws (entity blocks of residuals)."""
    n_ent, n_per = design.n_entities, design.n_periods
    blocks = resid.reshape(n_ent, n_per)
    draws = blocks[rng.integers(n_ent, size=(size, n_ent))].reshape(size, -1).T
    e0 = stage.null_resid(design.demean(draws))
    s0 = np.sum(e0 * e0, axis=0)
    s1 = stage.ssr(e0).min(axis=0)
    return (s0 - s1) / (s1 / df_resid)


class PanelThreshold:
    """Fixed-effects panel threshold model (Hansen 1999).

    Parameters
    ----------
    dependent
        Outcome Series indexed by (entity, time).
    regime
        DataFrame of the regime-dependent regressors (their slope changes at
        each threshold).
    controls
        DataFrame of regime-independent regressors (may have no columns).
    threshold
        The threshold variable :math:`q` (a Series).
    n_thresholds
        1, 2 or 3.
    trim
        Minimum share of observations in every regime (Hansen uses 0.01 to 0.05).
    effects
        "entity" (Hansen) or "twoway".
    grid
        None for every distinct value of ``q`` as a candidate, or the number of
        quantile candidates (Hansen's 400 for large panels).
    """

    def __init__(self, dependent: pd.Series, regime: pd.DataFrame, controls: pd.DataFrame, threshold: pd.Series,
                 n_thresholds: int = 1, trim: float = 0.05, effects: str = "entity", grid: int | None = None) -> None:
        if n_thresholds not in (1, 2, 3):
            raise SpecificationError(f"n_thresholds must be 1, 2 or 3, got {n_thresholds!r}")
        if not 0 < trim < 1 / (n_thresholds + 1):
            raise SpecificationError(f"trim must be in (0, {1 / (n_thresholds + 1):.3f}) for {n_thresholds} "
                                     f"threshold(s), got {trim!r}")
        if effects not in THRESHOLD_EFFECTS:
            raise SpecificationError(f"effects must be one of {THRESHOLD_EFFECTS}, got {effects!r}")
        if grid is not None and int(grid) < 10:
            raise SpecificationError(f"grid must be None or at least 10 candidates, got {grid!r}")
        self.dependent_name = str(dependent.name)
        self.threshold_name = str(threshold.name)
        self.regime_names = [str(c) for c in regime.columns]
        self.control_names = [str(c) for c in controls.columns if str(c) not in self.regime_names]
        if not self.regime_names:
            raise SpecificationError("a threshold model needs at least one regime-dependent regressor")
        frame = pd.concat([dependent.rename(self.dependent_name), regime, controls[self.control_names],
                           threshold.rename("__q__")], axis=1)
        frame = validate_panel(frame, balanced=True, required=list(frame.columns))
        self.frame = frame
        self.n_thresholds, self.trim, self.effects, self.grid = int(n_thresholds), float(trim), effects, grid
        index = frame.index
        n_ent = index.get_level_values(0).nunique()
        n_per = index.get_level_values(1).nunique()
        q = frame["__q__"].to_numpy(float)
        cand = threshold_grid(q, self.trim, grid)
        if len(cand) < 2:
            raise SpecificationError(f"threshold variable {self.threshold_name!r} has too few distinct values "
                                     f"inside the trimmed range (trim={trim})")
        self.design = ThresholdDesign(
            frame[self.dependent_name].to_numpy(float), frame[self.regime_names].to_numpy(float),
            frame[self.control_names].to_numpy(float).reshape(len(frame), -1), q, n_ent, n_per, effects, cand,
            max(int(np.ceil(self.trim * len(frame))), 1))
        self.df_absorbed = n_ent if effects == "entity" else n_ent + n_per - 1

    @classmethod
    def from_formula(cls, formula: str, data: pd.DataFrame, threshold: str, regime: str | Sequence[str],
                     n_thresholds: int = 1, trim: float = 0.05, effects: str = "entity",
                     grid: int | None = None) -> PanelThreshold:
        """``PanelThreshold.from_formula("y ~ x + c1 + c2", data, threshold="q", regime="x")``.

        ``regime`` names the formula terms whose slope changes across regimes
        (a name not in the formula is added); the other terms are controls.
        The threshold variable may also be a regressor.
        """
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"data must be a pandas DataFrame, not {type(data).__name__}")
        dependent, exog = parse_formula(formula, data)
        names = [regime] if isinstance(regime, str) else list(regime)
        missing = [r for r in [*names, threshold] if r not in data.columns and r not in exog.columns]
        if missing:
            raise SpecificationError(f"column(s) not in the data: {', '.join(map(repr, missing))}")
        regime_frame = pd.concat([exog[r] if r in exog.columns else data[r] for r in names], axis=1)
        controls = exog.drop(columns=[r for r in names if r in exog.columns])
        return cls(dependent, regime_frame, controls, data[threshold], n_thresholds=n_thresholds, trim=trim,
                   effects=effects, grid=grid)

    # -- estimation -----------------------------------------------------------------
    def _search(self, fixed: list[float]) -> tuple[float, float, _Stage, np.ndarray]:
        """Best additional threshold given ``fixed``: (gamma, ssr, stage, ssr profile)."""
        stage = self.design.stage(fixed)
        if not stage.allowed.any():
            raise SpecificationError(f"no candidate threshold leaves a share {self.trim} of the observations in "
                                     f"every regime with {len(fixed) + 1} threshold(s); lower trim or n_thresholds")
        e0 = stage.null_resid(self.design.y_dm)[:, None]
        profile = stage.ssr(e0)[:, 0]
        best = int(np.argmin(profile))
        return float(stage.candidates[best]), float(profile[best]), stage, profile

    def fit(self, n_boot: int = 300, seed: int | None = None, level: float = 0.95, cov: str = "clustered",
            cluster: str | None = None, n_jobs: int = 1, progress: bool | None = None) -> PanelThresholdResults:
        """Estimate the thresholds, test their number and fit the regime slopes.

        Parameters
        ----------
        n_boot
            Bootstrap draws of each F test (0 skips the p-values).
        seed
            Seed of the bootstrap; test k vs k+1 uses ``SeedSequence(seed)``
            child k, so a test's p-value does not depend on ``n_thresholds``.
        level
            Confidence level of the LR confidence sets.
        cov, cluster
            Covariance of the slopes, as in :meth:`vagg.models.PanelFE.fit`
            (default clustered by entity).
        n_jobs, progress
            joblib workers and progress bar of the bootstrap (same numbers).
        """
        design = self.design
        n = len(design.y)
        df_resid = n - self.df_absorbed
        crit = lr_critical_value(level)
        fixed: list[float] = []
        ssr_k = [design.ssr_at([])]
        tests = []
        draws: dict[str, np.ndarray] = {}
        nulls: dict[str, np.ndarray] = {}
        seeds = np.random.SeedSequence(seed).spawn(self.n_thresholds)
        for k in range(self.n_thresholds):
            gamma, ssr_new, stage, _ = self._search(fixed)
            stat = (ssr_k[-1] - ssr_new) / (ssr_new / df_resid)
            row = {"ssr_null": ssr_k[-1], "ssr_alt": ssr_new, "statistic": stat, "pvalue": np.nan,
                   "crit_10": np.nan, "crit_5": np.nan, "crit_1": np.nan, "n_boot": int(n_boot)}
            if n_boot > 0:
                resid = stage.null_resid(design.y_dm)
                boot = run_chunks(partial(_boot_f, design=design, stage=stage, resid=resid, df_resid=df_resid),
                                  n_boot, int(seeds[k].generate_state(1)[0]), n_jobs=n_jobs, progress=progress,
                                  desc=f"threshold F test {k} vs {k + 1}")
                draws[f"{k} vs {k + 1}"] = boot
                row.update(pvalue=float(np.mean(boot >= stat)), crit_10=float(np.quantile(boot, 0.90)),
                           crit_5=float(np.quantile(boot, 0.95)), crit_1=float(np.quantile(boot, 0.99)))
            nulls[f"{k} vs {k + 1}"] = np.sort(fixed)
            tests.append(row)
            fixed = self._refine([*fixed, gamma])
            ssr_k.append(design.ssr_at(fixed))
        f_tests = pd.DataFrame(tests, index=[f"{k} vs {k + 1}" for k in range(self.n_thresholds)])
        thresholds = np.sort(np.asarray(fixed))
        sigma2 = ssr_k[-1] / df_resid
        ci_rows, profiles = [], {}
        for j, g in enumerate(thresholds):
            others = [t for i, t in enumerate(thresholds) if i != j]
            stage = design.stage(others)
            profile = stage.ssr(stage.null_resid(design.y_dm)[:, None])[:, 0]
            lr = (profile - ssr_k[-1]) / sigma2
            ok = np.isfinite(lr)
            inside = stage.candidates[ok & (lr <= crit)]
            profiles[f"gamma{j + 1}"] = pd.DataFrame({"gamma": stage.candidates[ok], "lr": lr[ok]})
            ci_rows.append({"estimate": g, "lower": inside.min(initial=g), "upper": inside.max(initial=g)})
        ci = pd.DataFrame(ci_rows, index=[f"gamma{j + 1}" for j in range(len(thresholds))])
        fe = self._slopes(thresholds).fit(cov=cov, cluster=cluster)
        return PanelThresholdResults(self, thresholds, ci, f_tests, profiles, crit, level, fe, ssr_k[-1], sigma2,
                                     draws, nulls)

    def _refine(self, thresholds: list[float]) -> list[float]:
        """Re-estimate each earlier threshold given the others (Hansen's refinement)."""
        current = list(thresholds)
        for j in range(len(current) - 1):
            others = [t for i, t in enumerate(current) if i != j]
            current[j] = self._search(others)[0]
        return sorted(current)

    def regime_labels(self, thresholds: np.ndarray) -> np.ndarray:
        """Regime number (1 .. m+1) of every observation."""
        return np.searchsorted(np.sort(thresholds), self.design.q, side="left") + 1

    def _slopes(self, thresholds: np.ndarray) -> PanelFE:
        regimes = self.regime_labels(thresholds)
        cols = {}
        for j in range(1, len(thresholds) + 2):
            for name in self.regime_names:
                cols[f"{name}_r{j}"] = self.frame[name].to_numpy(float) * (regimes == j)
        exog = pd.concat([pd.DataFrame(cols, index=self.frame.index), self.frame[self.control_names]], axis=1)
        return PanelFE(self.frame[self.dependent_name], exog, effects=self.effects, data=self.frame)


class PanelThresholdResults:
    """Estimates of a :class:`PanelThreshold` model.

    Attributes
    ----------
    thresholds
        Estimated :math:`\\hat\\gamma`, increasing.
    threshold_ci
        DataFrame indexed gamma1.. with estimate, lower, upper (LR confidence sets).
    f_tests
        DataFrame indexed "0 vs 1", "1 vs 2", ... with ssr_null, ssr_alt,
        statistic, pvalue, bootstrap critical values crit_10, crit_5, crit_1, n_boot.
    lr_profiles
        Per threshold, a DataFrame of gamma and LR(gamma) over the grid.
    bootstrap
        Per test ("0 vs 1", ...), the bootstrap F statistics.
    null_thresholds
        Per test, the thresholds of the null model (held fixed in its bootstrap).
    critical_value
        :math:`c(\\alpha)` of the confidence sets.
    regimes
        DataFrame indexed r1.. with lower, upper bounds and nobs of each regime.
    params, std_errors, tstats, pvalues, conf_int()
        Regime slopes ``{x}_r{j}`` (regime j) and controls, from the
        fixed-effects fit at the thresholds (``fe``).
    """

    def __init__(self, model: PanelThreshold, thresholds: np.ndarray, ci: pd.DataFrame, f_tests: pd.DataFrame,
                 profiles: dict[str, pd.DataFrame], crit: float, level: float, fe: PanelFEResults, ssr: float,
                 sigma2: float, draws: dict[str, np.ndarray], nulls: dict[str, np.ndarray]) -> None:
        self.model = model
        self.bootstrap = draws
        self.null_thresholds = nulls
        self.thresholds = thresholds
        self.threshold_ci = ci
        self.f_tests = f_tests
        self.lr_profiles = profiles
        self.critical_value = crit
        self.level = level
        self.fe = fe
        self.ssr = ssr
        self.sigma2 = sigma2
        self.params, self.std_errors = fe.params, fe.std_errors
        self.tstats, self.pvalues, self.nobs, self.cov = fe.tstats, fe.pvalues, fe.nobs, fe.cov
        self.threshold_name = model.threshold_name
        labels = model.regime_labels(thresholds)
        bounds = np.concatenate([[-np.inf], thresholds, [np.inf]])
        self.regimes = pd.DataFrame({"lower": bounds[:-1], "upper": bounds[1:],
                                     "nobs": np.bincount(labels, minlength=len(bounds))[1:]},
                                    index=[f"r{j}" for j in range(1, len(bounds))])

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        return self.fe.conf_int(level)

    @property
    def labels(self) -> dict[str, str]:
        """Readable names of the regime slopes, e.g. ``{"x_r1": "x (q ≤ 0.402)"}``, for
        ``vagg.report.regression_table(..., labels=res.labels)``."""
        q = self.threshold_name
        out = {}
        for j, (lower, upper) in enumerate(zip(self.regimes["lower"], self.regimes["upper"]), start=1):
            if np.isinf(lower):
                where = f"{q} ≤ {upper:.4g}"
            elif np.isinf(upper):
                where = f"{q} > {lower:.4g}"
            else:
                where = f"{lower:.4g} < {q} ≤ {upper:.4g}"
            out.update({f"{x}_r{j}": f"{x} ({where})" for x in self.model.regime_names})
        return out

    @property
    def table_info(self) -> dict[str, object]:
        info = self.fe.table_info
        extra = {"thresholds": ", ".join(f"{g:.4g}" for g in self.thresholds)}
        for name, row in self.f_tests.iterrows():
            p = "" if np.isnan(row["pvalue"]) else f" (p = {row['pvalue']:.3f})"
            extra[f"F {name}"] = f"{row['statistic']:.2f}{p}"
        info.update(model=f"Threshold ({len(self.thresholds)})", extra=extra)
        return info

    @property
    def summary(self) -> str:
        head = [f"Panel threshold regression (Hansen 1999): {self.model.dependent_name}, threshold "
                f"{self.threshold_name}, effects: {self.model.effects}, observations: {self.nobs}",
                "Thresholds (LR confidence sets at level "
                f"{self.level:g}, c = {self.critical_value:.3f}):", self.threshold_ci.to_string(),
                "Tests of the number of thresholds (bootstrap p-values):",
                self.f_tests[["statistic", "pvalue", "crit_10", "crit_5", "crit_1"]].to_string(),
                "Regimes:", self.regimes.to_string(), f"Slopes (covariance: {self.fe.cov_type}):"]
        return "\n".join(head + [self.fe.coefficient_table()] + self.fe.notes)

    def __repr__(self) -> str:
        return self.summary
