"""Moderated mediation with fixed effects and the cluster bootstrap (Hayes' PROCESS models 7, 14 and 58).

With treatment X, mediators :math:`M_j`, moderator W (mean-centred in the
products, :math:`\\tilde W = W - \\bar W`), controls C and the same fixed
effects in every equation (Hayes 2015, "An index and test of linear moderated
mediation", *Multivariate Behav. Res.* 50: 1-22; Hayes 2022, *Introduction to
Mediation, Moderation, and Conditional Process Analysis*, 3rd ed., ch. 11-12;
Edwards and Lambert 2007, *Psychol. Methods* 12: 1-22):

===================  =====================================================  ==================================
``moderated_path``   equations                                              indirect effect at W = w
===================  =====================================================  ==================================
"a" (model 7)        :math:`M_j = a_{1j}X + a_{2j}W + a_{3j}X\\tilde W`,     :math:`(a_{1j} + a_{3j}\\tilde w) b_{1j}`
                     :math:`Y = c'X + \\sum_j b_{1j}M_j`
"b" (model 14)       :math:`M_j = a_{1j}X`,                                  :math:`a_{1j}(b_{1j} + b_{3j}\\tilde w)`
                     :math:`Y = c'X + \\sum_j (b_{1j}M_j + b_{3j}M_j\\tilde W) + b_2 W`
"both" (model 58)    both of the above                                      :math:`(a_{1j} + a_{3j}\\tilde w)(b_{1j} + b_{3j}\\tilde w)`
===================  =====================================================  ==================================

(controls and fixed effects in every equation).  The index of moderated
mediation is the slope of the indirect effect in W: :math:`a_{3j}b_{1j}`
(first stage) or :math:`a_{1j}b_{3j}` (second stage).  When both stages are
moderated the indirect effect is quadratic in W and has no single index;
``moderated_index`` then reports its slope at the mean of W,
:math:`a_{1j}b_{3j} + a_{3j}b_{1j}` (the curvature :math:`2a_{3j}b_{3j}` is
in :attr:`ModeratedMediationResults.paths`).  Centring W changes
:math:`a_{1j}, b_{1j}` into effects at the mean of W but leaves the index and
every conditional indirect effect unchanged.

Inference: one seeded set of city-cluster resamples shared by all equations,
each refitted by cross-product algebra under the fixed effects (see
:mod:`vagg.models._moments`), percentile or bias-corrected (Efron 1987)
intervals.  The construction is reached through
``Mediation(..., moderator="w", moderated_path="a")``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from vagg._errors import DataError, SpecificationError
from vagg.models._moments import ClusterMoments, cluster_counts, solve_equation
from vagg.models._resampling import run_chunks
from vagg.models._results import table_info
from vagg.models.panel_fe import PanelFE, PanelFEResults

PATHS = ("a", "b", "both")
_PROCESS_MODEL = {"a": 7, "b": 14, "both": 58}


def bootstrap_interval(point: np.ndarray, draws: np.ndarray, level: float, method: str) -> tuple[np.ndarray, ...]:
    """Bootstrap se and (low, high) bounds of each column: percentile or bias-corrected.

    The bias correction is :math:`z_0 = \\Phi^{-1}(\\#\\{\\hat\\theta^* < \\hat\\theta\\} / B
    + \\tfrac12 \\#\\{\\hat\\theta^* = \\hat\\theta\\} / B)` (ties split, so that a
    statistic whose draws all equal the estimate gets no correction) and the
    bounds are the :math:`\\Phi(2z_0 \\pm z_{1-\\alpha/2})` quantiles (Efron 1987).
    """
    alpha = 1 - level
    draws = draws[~np.isnan(draws).any(axis=1)]
    se = draws.std(axis=0, ddof=1)
    if method == "percentile":
        low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)
        return se, low, high
    share = (draws < point).mean(axis=0) + 0.5 * (draws == point).mean(axis=0)
    z0 = stats.norm.ppf(np.clip(share, 1e-12, 1 - 1e-12))
    probs = stats.norm.cdf(2 * z0[None, :] + stats.norm.ppf([alpha / 2, 1 - alpha / 2])[:, None])
    bounds = np.array([[np.quantile(draws[:, j], probs[i, j]) for j in range(draws.shape[1])] for i in range(2)])
    return se, bounds[0], bounds[1]


class ModeratedMediation:
    """Moderated mediation; built by :class:`vagg.models.Mediation` when a ``moderator`` is given.

    Parameters
    ----------
    base
        The (validated) :class:`~vagg.models.Mediation` specification.
    moderator
        Column of the moderator W (time-varying when the effects absorb
        constants within city).
    moderated_path
        "a" (first stage, PROCESS model 7), "b" (second stage, model 14) or
        "both" (model 58).
    """

    def __init__(self, base: Any, moderator: str, moderated_path: str = "a") -> None:
        if moderated_path not in PATHS:
            raise SpecificationError(f"moderated_path must be one of {PATHS}, got {moderated_path!r}")
        if base.serial:
            raise SpecificationError("moderated mediation is available for parallel mediators, not the serial chain")
        if not isinstance(moderator, str) or moderator not in base.data.columns:
            raise SpecificationError(f"moderator {moderator!r} is not a column of the data")
        roles = {base.outcome: "outcome", base.treatment: "treatment", **{m: "a mediator" for m in base.mediators},
                 **{c: "a control" for c in base.controls}}
        if moderator in roles:
            raise SpecificationError(f"moderator {moderator!r} is also the {roles[moderator]}; it must be a different "
                                     "variable")
        self.base, self.moderator, self.path = base, moderator, moderated_path
        self.outcome, self.treatment, self.mediators = base.outcome, base.treatment, base.mediators
        self.controls, self.effects, self.cluster = base.controls, base.effects, base.cluster
        self.notes = list(base.notes)
        missing = base.data[moderator].isna().to_numpy()
        if missing.all():
            raise DataError(f"moderator {moderator!r} has no values")
        if missing.any():
            self.notes.append(f"{int(missing.sum())} row(s) with a missing moderator {moderator!r} dropped")
        data = base.data.loc[~missing]
        w = data[moderator].to_numpy(dtype=float)
        self.center, self.sd = float(w.mean()), float(w.std(ddof=1))
        self.moderator_values = w
        wc = w - self.center
        products = {}
        if moderated_path in ("a", "both"):
            products[self.product(self.treatment)] = data[self.treatment].to_numpy(dtype=float) * wc
        if moderated_path in ("b", "both"):
            for m in self.mediators:
                products[self.product(m)] = data[m].to_numpy(dtype=float) * wc
        self.data = data.assign(**products)
        self.variables = list(dict.fromkeys([self.outcome, self.treatment, *self.mediators, moderator, *products,
                                             *self.controls]))

    def product(self, name: str) -> str:
        """Column name of the centred product of ``name`` and the moderator."""
        return f"{name}:{self.moderator}"

    def equations(self) -> dict[str, tuple[str, list[str]]]:
        """Stage name -> (dependent, regressors); the treatment first, then the moderator terms."""
        w, x = self.moderator, self.treatment
        first = [w, self.product(x)] if self.path in ("a", "both") else []
        eqs = {m: (m, [x, *first, *self.controls]) for m in self.mediators}
        second = [w, *[self.product(m) for m in self.mediators]] if self.path in ("b", "both") else []
        eqs["outcome"] = (self.outcome, [x, *self.mediators, *second, *self.controls])
        return eqs

    def _paths(self, coefs: dict[str, np.ndarray]) -> np.ndarray:
        """(B x 4k) a1, a3, b1, b3 for every mediator (a3, b3 zero when not moderated)."""
        k = len(self.mediators)
        a1 = np.column_stack([coefs[m][:, 0] for m in self.mediators])
        a3 = (np.column_stack([coefs[m][:, 2] for m in self.mediators]) if self.path in ("a", "both")
              else np.zeros_like(a1))
        out = coefs["outcome"]
        b1 = out[:, 1:1 + k]
        b3 = out[:, 2 + k:2 + 2 * k] if self.path in ("b", "both") else np.zeros_like(a1)
        return np.column_stack([a1, a3, b1, b3])

    def _solve(self, s: np.ndarray) -> dict[str, np.ndarray]:
        pos = {v: i for i, v in enumerate(self.variables)}
        return {name: solve_equation(s, pos[dep], [pos[r] for r in rhs])
                for name, (dep, rhs) in self.equations().items()}

    def _draw_paths(self, moments: ClusterMoments, rng: np.random.Generator, size: int) -> np.ndarray:
        counts = cluster_counts(rng, size, moments.n_clusters)
        return self._paths(self._solve(moments.moments(counts)))

    def fit(self, n_boot: int = 5000, seed: int | None = None, cov: str = "clustered", ci: str = "percentile",
            level: float = 0.95, n_jobs: int = 1, client: Any = None,
            progress: bool | None = None) -> ModeratedMediationResults:
        """Fit every stage and bootstrap the paths by city clusters (see :meth:`Mediation.fit`)."""
        if ci not in ("percentile", "bc"):
            raise SpecificationError(f"ci must be one of ('percentile', 'bc'), got {ci!r}")
        if not 0 < level < 1:
            raise SpecificationError(f"level must be between 0 and 1, got {level}")
        stages: dict[str, PanelFEResults] = {}
        for name, (dep, rhs) in self.equations().items():
            model = PanelFE(self.data[dep], self.data[rhs], effects=self.effects, data=self.data)
            if [n for n in model.exog_names if n != "const"] != rhs:
                lost = [r for r in rhs if r not in model.exog_names]
                raise SpecificationError(f"in the {name!r} equation the fixed effects absorb or collinearity removes "
                                         f"{lost}; a moderator needs variation within city under entity effects")
            stages[name] = model.fit(cov=cov, cluster=self.cluster)
        outcome_model = stages["outcome"].model
        clusters = outcome_model._cluster_codes(self.cluster)[:, 0]
        self.base._check_nesting(outcome_model, clusters)
        moments = ClusterMoments(self.data[self.variables].to_numpy(dtype=float), outcome_model.groups,
                                 self.effects, clusters)
        skip = int(self.effects == "none")
        point = self._paths({k: v.params.to_numpy()[skip:][None, :] for k, v in stages.items()})[0]
        draws = None
        if n_boot:
            draws = run_chunks(partial(self._draw_paths, moments), n_boot, seed, n_jobs=n_jobs, client=client,
                               progress=progress, desc="moderated mediation bootstrap")
        return ModeratedMediationResults(self, stages, point, draws, ci, level, moments.n_clusters)


class ModeratedMediationResults:
    """Paths, index of moderated mediation and conditional indirect effects.

    Attributes
    ----------
    paths
        DataFrame by mediator: a (effect of X on M at the mean of W),
        a_interaction (:math:`a_3`), b (effect of M on Y at the mean of W),
        b_interaction (:math:`b_3`).
    moderated_index
        DataFrame by mediator: estimate, se, ci_low, ci_high (bootstrap).
    direct_effect
        :math:`c'`.
    stages
        :class:`PanelFEResults` of each mediator equation and the outcome.
    draws
        (B x 4k) bootstrap draws of the paths.
    """

    def __init__(self, model: ModeratedMediation, stages: dict[str, PanelFEResults], point: np.ndarray,
                 draws: np.ndarray | None, ci: str, level: float, n_clusters: int) -> None:
        self.model, self.stages, self.ci_method, self.level, self.n_clusters = model, stages, ci, level, n_clusters
        k = len(model.mediators)
        cols = ["a", "a_interaction", "b", "b_interaction"]
        self.paths = pd.DataFrame(point.reshape(4, k).T, index=pd.Index(model.mediators, name="mediator"),
                                  columns=cols)
        self._point = point
        self.draws = draws
        self.n_boot = 0 if draws is None else len(draws)
        self.direct_effect = float(stages["outcome"].params[model.treatment])
        self.nobs = stages["outcome"].nobs
        self.notes = list(model.notes)
        if draws is not None and np.isnan(draws).any():
            self.notes.append(f"{int(np.isnan(draws).any(axis=1).sum())} bootstrap draw(s) with a singular "
                              "resampled design left out")
        self.moderated_index = self._table(self._index(point[None, :])[0],
                                           None if draws is None else self._index(draws),
                                           pd.Index(model.mediators, name="mediator"))

    def _split(self, paths: np.ndarray) -> tuple[np.ndarray, ...]:
        k = len(self.model.mediators)
        return tuple(paths[:, i * k:(i + 1) * k] for i in range(4))

    def _index(self, paths: np.ndarray) -> np.ndarray:
        a1, a3, b1, b3 = self._split(paths)
        return a3 * b1 + a1 * b3

    def _conditional(self, paths: np.ndarray, values: np.ndarray) -> np.ndarray:
        """(B x k*v) indirect effects, mediator-major, at moderator values ``values``."""
        a1, a3, b1, b3 = self._split(paths)
        u = (values - self.model.center)[None, None, :]
        eff = (a1[:, :, None] + a3[:, :, None] * u) * (b1[:, :, None] + b3[:, :, None] * u)
        return eff.reshape(len(paths), -1)

    def _table(self, point: np.ndarray, draws: np.ndarray | None, index: pd.Index) -> pd.DataFrame:
        if draws is None:
            nan = np.full(len(point), np.nan)
            se = low = high = nan
        else:
            se, low, high = bootstrap_interval(point, draws, self.level, self.ci_method)
        return pd.DataFrame({"estimate": point, "se": se, "ci_low": low, "ci_high": high}, index=index)

    def moderator_values(self, at: Sequence[float] | str | None = None) -> np.ndarray:
        """Values of W: None -> mean - sd, mean, mean + sd; "percentiles" -> 16th, 50th, 84th; or the values given."""
        m = self.model
        if at is None:
            return np.array([m.center - m.sd, m.center, m.center + m.sd])
        if isinstance(at, str):
            if at != "percentiles":
                raise SpecificationError(f"at must be None, 'percentiles' or a list of values, got {at!r}")
            return np.percentile(m.moderator_values, [16, 50, 84])
        return np.atleast_1d(np.asarray(at, dtype=float))

    def conditional_indirect(self, at: Sequence[float] | str | None = None) -> pd.DataFrame:
        """Indirect effects of X through each mediator at values of the moderator.

        Parameters
        ----------
        at
            None (PROCESS's default: mean and +/- 1 sd), "percentiles" (16th,
            50th, 84th) or a list of moderator values.

        Returns
        -------
        DataFrame indexed by (mediator, moderator value): estimate, se,
        ci_low, ci_high, computed on the same bootstrap draws.
        """
        values = self.moderator_values(at)
        point = self._conditional(self._point[None, :], values)[0]
        draws = None if self.draws is None else self._conditional(self.draws, values)
        index = pd.MultiIndex.from_product([self.model.mediators, values], names=["mediator", self.model.moderator])
        return self._table(point, draws, index)

    # -- linearmodels shape -----------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        return pd.Series(self.moderated_index["estimate"].to_numpy(),
                         index=[f"index:{m}" for m in self.model.mediators], name="parameter")

    @property
    def std_errors(self) -> pd.Series:
        return pd.Series(self.moderated_index["se"].to_numpy(), index=self.params.index, name="std_error")

    @property
    def tstats(self) -> pd.Series:
        return (self.params / self.std_errors).rename("tstat")

    @property
    def pvalues(self) -> pd.Series:
        return pd.Series(2 * stats.norm.sf(np.abs(self.tstats.to_numpy())), index=self.params.index, name="pvalue")

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        if level is not None and level != self.level:
            raise SpecificationError(f"intervals were bootstrapped at level {self.level}; refit with level={level}")
        return pd.DataFrame({"lower": self.moderated_index["ci_low"].to_numpy(),
                             "upper": self.moderated_index["ci_high"].to_numpy()}, index=self.params.index)

    @property
    def table_info(self) -> dict[str, object]:
        outcome = self.stages["outcome"]
        return table_info(dependent=self.model.outcome,
                          model=f"Moderated mediation (PROCESS model {_PROCESS_MODEL[self.model.path]})",
                          entity_effects=outcome.entity_effects, time_effects=outcome.time_effects,
                          cov_type=f"cluster bootstrap ({self.n_boot} draws, {self.ci_method})",
                          n_clusters=self.n_clusters, nobs=self.nobs)

    @property
    def summary(self) -> str:
        m = self.model
        fmt = {"float_format": lambda v: f"{v:.4f}"}
        lines = [f"Moderated mediation (PROCESS model {_PROCESS_MODEL[m.path]}): {m.treatment} -> "
                 f"{', '.join(m.mediators)} -> {m.outcome}, moderator {m.moderator} (centred at {m.center:.4f})",
                 f"effects: {m.effects}   observations: {self.nobs}   clusters: {self.n_clusters}   "
                 f"bootstrap draws: {self.n_boot} ({self.ci_method}, {self.level:.0%})",
                 f"direct effect c' = {self.direct_effect:.4f}", "paths:", self.paths.to_string(**fmt),
                 "index of moderated mediation:", self.moderated_index.to_string(**fmt),
                 "conditional indirect effects:", self.conditional_indirect().to_string(**fmt)]
        return "\n".join(lines + self.notes)

    def __repr__(self) -> str:
        return self.summary
