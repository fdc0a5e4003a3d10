"""Mediation with fixed effects: parallel mediators, or two in series.

With treatment X, mediators :math:`M_1..M_k`, outcome Y, controls C and the
same fixed effects in every equation (Baron and Kenny 1986; MacKinnon 2008,
*Introduction to Statistical Mediation Analysis*; Hayes 2022, PROCESS models
4 and 6):

.. math::

    Y &= c\\,X + C'\\gamma_0 + \\text{FE} + e_0                 &\\text{(total effect } c)\\\\
    M_j &= a_j X + C'\\gamma_j + \\text{FE} + e_j                &\\text{(a-paths)}\\\\
    Y &= c' X + \\textstyle\\sum_j b_j M_j + C'\\gamma + \\text{FE} + e  &\\text{(b-paths, direct effect } c')

The indirect effect through :math:`M_j` is :math:`a_j b_j`; for linear
models :math:`c = c' + \\sum_j a_j b_j` exactly.  In the serial model for two
mediators :math:`M_2 = a_2 X + d_{21} M_1 + \\dots`, and the indirect effects
are :math:`a_1 b_1`, :math:`a_2 b_2` and :math:`a_1 d_{21} b_2`.

Inference: the Sobel (1982) first-order and Aroian (1947) second-order delta
standard errors :math:`\\sqrt{b^2 s_a^2 + a^2 s_b^2 (+ s_a^2 s_b^2)}` from the
stage covariances; for the serial chain and the total indirect effect, the
first-order delta method with the joint (seemingly-unrelated, cluster-robust
when clustered) covariance of all stage coefficients; and a cluster (block)
bootstrap: whole clusters (cities)
are resampled, one seeded set of resamples is shared by all equations, and
every equation is refitted by cross-product algebra
(:mod:`vagg.models._moments`), giving percentile and bias-corrected
(Efron 1987) intervals; in the bias correction, draws that equal the estimate
(resamples that reproduce the sample) count half below and half above it
(:func:`vagg.models._resampling.bias_corrected_interval`).  The report of
Jiang (2022, "Mediating effects and moderating effects in causal inference",
*China Industrial Economics* 5:
100-120) -- the effect of X on each mediator under the same design as X on Y,
to be read with theory rather than as a stepwise test -- is :attr:`two_step`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from vagg._errors import DataError, SpecificationError
from vagg.models._covariance import stacked_sandwich
from vagg.models._moments import ClusterMoments, cluster_counts, solve_equation
from vagg.models._resampling import bias_corrected_interval, run_chunks
from vagg.models._results import table_info
from vagg.models.panel_fe import PanelFE, PanelFEResults

CI_METHODS = ("percentile", "bc")


class Mediation:
    """Fixed-effects mediation model.

    Parameters
    ----------
    data
        DataFrame indexed by (entity, time); any index when ``effects="none"``
        (cross-sectional data).
    outcome, treatment
        Column names of Y and X.
    mediators
        One or more mediator columns (parallel), or exactly two with
        ``serial=True`` (X -> M1 -> M2 -> Y).
    controls
        Control columns, in every equation.
    effects
        "none", "entity", "time" or "twoway", in every equation.
    serial
        Chain two mediators.
    cluster
        Cluster of the stage covariances and of the block bootstrap: None for
        the entity (each row for cross-sectional data) or a column name.  With
        entity effects the clusters must contain whole entities.
    moderator, moderated_path
        A moderator column W makes the constructor return a
        :class:`~vagg.models.moderated.ModeratedMediation`: the first stage
        ("a", PROCESS model 7), the second ("b", model 14) or both ("both",
        model 58) moderated by W; its results have ``moderated_index`` and
        ``conditional_indirect(at=None)``.
    """

    def __new__(cls, *args: Any, moderator: str | None = None, moderated_path: str = "a", **kwargs: Any) -> Any:
        if moderator is None:
            return super().__new__(cls)
        from vagg.models.moderated import ModeratedMediation

        base = super().__new__(cls)
        base.__init__(*args, **kwargs)
        return ModeratedMediation(base, moderator, moderated_path)

    def __init__(
        self,
        data: pd.DataFrame,
        outcome: str,
        treatment: str,
        mediators: str | Sequence[str],
        controls: Sequence[str] = (),
        effects: str = "twoway",
        serial: bool = False,
        cluster: str | None = None,
        moderator: str | None = None,
        moderated_path: str = "a",
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"data must be a pandas DataFrame, not {type(data).__name__}")
        mediators = [mediators] if isinstance(mediators, str) else list(mediators)
        controls = list(controls)
        self._check_roles(data, outcome, treatment, mediators, controls, serial)
        self.outcome, self.treatment, self.mediators, self.controls = outcome, treatment, mediators, controls
        self.effects, self.serial, self.cluster = effects, serial, cluster
        self.variables = [outcome, treatment, *mediators, *controls]
        complete = data[self.variables].notna().all(axis=1).to_numpy()
        self.notes = []
        if not complete.all():
            counts = data[self.variables].isna().sum()
            which = ", ".join(f"{c} ({int(v)})" for c, v in counts[counts > 0].items())
            self.notes.append(f"{int((~complete).sum())} row(s) with missing values dropped from every equation: "
                              f"{which}")
        self.data = data.loc[complete]

    @staticmethod
    def _check_roles(data: pd.DataFrame, outcome: str, treatment: str, mediators: list[str],
                     controls: list[str], serial: bool) -> None:
        if not mediators:
            raise SpecificationError("at least one mediator is needed")
        for role, name in [("outcome", outcome), ("treatment", treatment)] + [("mediator", m) for m in mediators] \
                + [("control", c) for c in controls]:
            if name not in data.columns:
                raise SpecificationError(f"{role} {name!r} is not a column of the data")
        for m in mediators:
            if m in (outcome, treatment):
                role = "outcome" if m == outcome else "treatment"
                raise SpecificationError(f"mediator {m!r} is the {role}; a mediator must be a different variable")
            if m in controls:
                raise SpecificationError(f"mediator {m!r} is also a control")
        if len(set(mediators)) != len(mediators):
            raise SpecificationError(f"mediators listed twice: {mediators}")
        if treatment == outcome:
            raise SpecificationError(f"treatment {treatment!r} is the outcome")
        if serial and len(mediators) != 2:
            raise SpecificationError(f"the serial model chains exactly two mediators, got {len(mediators)}")

    # -- equations ------------------------------------------------------------------
    def equations(self) -> dict[str, tuple[str, list[str]]]:
        """Stage name -> (dependent, regressors); the treatment always comes first."""
        eqs = {"total": (self.outcome, [self.treatment, *self.controls])}
        for j, m in enumerate(self.mediators):
            chain = [self.mediators[0]] if self.serial and j == 1 else []
            eqs[m] = (m, [self.treatment, *chain, *self.controls])
        eqs["outcome"] = (self.outcome, [self.treatment, *self.mediators, *self.controls])
        return eqs

    def indirect_names(self) -> list[str]:
        names = list(self.mediators)
        if self.serial:
            names.append(f"{self.mediators[0]} -> {self.mediators[1]}")
        return names + ["total"]

    def _statistics(self, coefs: dict[str, np.ndarray]) -> np.ndarray:
        """(B x s) path statistics from (B x r) coefficients of each stage.

        Columns: c, a_1..a_k, [d21], b_1..b_k, c', indirect effects, total indirect.
        """
        k = len(self.mediators)
        c = coefs["total"][:, 0]
        a = np.column_stack([coefs[m][:, 0] for m in self.mediators])
        b = coefs["outcome"][:, 1:1 + k]
        direct = coefs["outcome"][:, 0]
        indirect = a * b
        extra = []
        if self.serial:
            d21 = coefs[self.mediators[1]][:, 1]
            extra = [d21[:, None]]
            indirect = np.column_stack([indirect, a[:, 0] * d21 * b[:, 1]])
        total_indirect = indirect.sum(axis=1)
        return np.column_stack([c, a, *extra, b, direct, indirect, total_indirect])

    def _draw_statistics(self, moments: ClusterMoments, rng: np.random.Generator, size: int) -> np.ndarray:
        counts = cluster_counts(rng, size, moments.n_clusters)
        return self._statistics(self._solve(moments, moments.moments(counts)))

    def _solve(self, moments: ClusterMoments, s: np.ndarray) -> dict[str, np.ndarray]:
        pos = {v: i for i, v in enumerate(self.variables)}
        return {name: solve_equation(s, pos[dep], [pos[r] for r in rhs])
                for name, (dep, rhs) in self.equations().items()}

    # -- fit ----------------------------------------------------------------------
    def fit(
        self,
        n_boot: int = 5000,
        seed: int | None = None,
        cov: str = "clustered",
        ci: str = "percentile",
        level: float = 0.95,
        n_jobs: int = 1,
        client: Any = None,
        progress: bool | None = None,
    ) -> MediationResults:
        """Fit every stage and bootstrap the indirect effects.

        Parameters
        ----------
        n_boot
            Cluster-bootstrap replications (0 skips the bootstrap).
        seed
            Seed; the same seed gives the same draws serially, with joblib
            (``n_jobs``) or on a dask ``client``.
        cov
            Covariance of the stage regressions (Sobel/Aroian use it).
        ci
            "percentile" or "bc" (bias-corrected): the interval in
            ``indirect``; both are in ``intervals``.
        level
            Confidence level.
        progress
            Progress bar; None shows one for more than 5,000 draws.
        """
        if ci not in CI_METHODS:
            raise SpecificationError(f"ci must be one of {CI_METHODS}, got {ci!r}")
        if not 0 < level < 1:
            raise SpecificationError(f"level must be between 0 and 1, got {level}")
        stages = {}
        for name, (dep, rhs) in self.equations().items():
            model = PanelFE(self.data[dep], self.data[rhs], effects=self.effects, data=self.data)
            if [n for n in model.exog_names if n != "const" or self.effects != "none"] != rhs:
                raise SpecificationError(f"in the {name!r} equation the fixed effects absorb or collinearity removes "
                                         f"a regressor; mediation needs all of {rhs}")
            stages[name] = model.fit(cov=cov, cluster=self.cluster)
        outcome_model = stages["outcome"].model
        clusters = outcome_model._cluster_codes(self.cluster)[:, 0]
        self._check_nesting(outcome_model, clusters)
        moments = ClusterMoments(self.data[self.variables].to_numpy(dtype=float), outcome_model.groups,
                                 self.effects, clusters)
        point = self._statistics({k: v.params.to_numpy()[int(self.effects == "none"):][None, :]
                                  for k, v in stages.items()})[0]
        draws = None
        if n_boot:
            draws = run_chunks(partial(self._draw_statistics, moments), n_boot, seed, n_jobs=n_jobs,
                               client=client, progress=progress, desc="mediation bootstrap")
        return MediationResults(self, stages, point, draws, ci, level, moments.n_clusters)

    def _check_nesting(self, model: PanelFE, clusters: np.ndarray) -> None:
        if self.effects not in ("entity", "twoway"):
            return
        entity = model.groups.entity
        pairs = np.unique(np.column_stack([entity, clusters]), axis=0)
        if len(pairs) != model.groups.n_entities:
            split = model.groups.entity_labels[np.unique(pairs[:, 0][np.r_[False, pairs[1:, 0] == pairs[:-1, 0]]])]
            raise SpecificationError("the cluster bootstrap with entity effects resamples whole entities, but the "
                                     f"clusters split entity {split[0]!r}; cluster by the entity or a coarser unit")


class MediationResults:
    """Paths, indirect effects and bootstrap intervals of a :class:`Mediation`.

    Attributes
    ----------
    a, b
        Series by mediator: effect of X on each mediator, and of each mediator
        on Y given X.
    direct_effect, total_effect
        :math:`c'` and :math:`c`.
    indirect
        DataFrame indexed by mediator (and the serial chain) and "total":
        estimate, se (bootstrap), ci_low, ci_high (``ci`` method), sobel_z,
        sobel_p, aroian_z, aroian_p.  For a single product :math:`a_j b_j`
        these are the Sobel and Aroian tests; for the serial chain and "total"
        sobel_z is the first-order delta method with the joint covariance of
        the stages (aroian NaN; NaN for Driscoll-Kraay stages).
    intervals
        Percentile and bias-corrected bounds of every path statistic.
    proportion_mediated
        Indirect effects over the total effect.
    stages
        The :class:`PanelFEResults` of every equation ("total", each mediator,
        "outcome").
    two_step
        Jiang (2022): X on Y and X on each mediator, same design, side by side.
    draws
        (B x s) bootstrap draws of :attr:`statistic_names`.
    """

    def __init__(self, model: Mediation, stages: dict[str, PanelFEResults], point: np.ndarray,
                 draws: np.ndarray | None, ci: str, level: float, n_clusters: int) -> None:
        self.model, self.stages, self.ci_method, self.level = model, stages, ci, level
        self.n_clusters = n_clusters
        k = len(model.mediators)
        names = ["total_effect", *[f"a:{m}" for m in model.mediators]]
        if model.serial:
            names.append("d:" + " -> ".join(model.mediators))
        names += [f"b:{m}" for m in model.mediators] + ["direct_effect"]
        names += [f"indirect:{m}" for m in model.indirect_names()]
        self.statistic_names = names
        self.estimates = pd.Series(point, index=names)
        self.draws = None if draws is None else pd.DataFrame(draws, columns=names)
        self.n_boot = 0 if draws is None else len(draws)
        self.total_effect = float(point[0])
        self.a = pd.Series(point[1:1 + k], index=model.mediators, name="a")
        self.d = float(point[1 + k]) if model.serial else None
        off = 1 + k + int(model.serial)
        self.b = pd.Series(point[off:off + k], index=model.mediators, name="b")
        self.direct_effect = float(point[off + k])
        self.nobs = stages["outcome"].nobs
        self.notes = list(model.notes)
        self.intervals = self._intervals()
        self.indirect = self._indirect_table()
        self.proportion_mediated = (self.indirect["estimate"] / self.total_effect).rename("proportion_mediated")

    def _intervals(self) -> pd.DataFrame:
        cols = ["se", "pct_low", "pct_high", "bc_low", "bc_high"]
        if self.draws is None:
            return pd.DataFrame(np.nan, index=self.statistic_names, columns=cols)
        draws = self.draws.to_numpy()
        bad = np.isnan(draws).any(axis=1)
        if bad.any():
            self.notes.append(f"{int(bad.sum())} bootstrap draw(s) with a singular resampled design left out")
            draws = draws[~bad]
        alpha = 1 - self.level
        pct = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)
        bc = bias_corrected_interval(draws, self.estimates.to_numpy(), self.level)
        return pd.DataFrame({"se": draws.std(axis=0, ddof=1), "pct_low": pct[0], "pct_high": pct[1],
                             "bc_low": bc[0], "bc_high": bc[1]}, index=self.statistic_names)

    def _indirect_table(self) -> pd.DataFrame:
        model = self.model
        names = model.indirect_names()
        rows = [f"indirect:{m}" for m in names]
        low, high = ("pct_low", "pct_high") if self.ci_method == "percentile" else ("bc_low", "bc_high")
        table = pd.DataFrame({"estimate": self.estimates[rows].to_numpy(),
                              "se": self.intervals.loc[rows, "se"].to_numpy(),
                              "ci_low": self.intervals.loc[rows, low].to_numpy(),
                              "ci_high": self.intervals.loc[rows, high].to_numpy()}, index=pd.Index(names,
                                                                                                     name="mediator"))
        sa = pd.Series([self.stages[m].std_errors[model.treatment] for m in model.mediators], index=model.mediators)
        sb = self.stages["outcome"].std_errors[model.mediators]
        first = self.b ** 2 * sa ** 2 + self.a ** 2 * sb ** 2
        for label, var in (("sobel", first), ("aroian", first + sa ** 2 * sb ** 2)):
            zval = (self.a * self.b) / np.sqrt(var)
            table[f"{label}_z"] = zval.reindex(names)
            table[f"{label}_p"] = pd.Series(2 * stats.norm.sf(np.abs(zval.to_numpy())), index=zval.index).reindex(names)
        for name, se in self._delta_se().items():
            table.loc[name, "sobel_z"] = table.loc[name, "estimate"] / se
            table.loc[name, "sobel_p"] = 2 * stats.norm.sf(abs(table.loc[name, "estimate"] / se))
        return table

    def joint_cov(self) -> pd.DataFrame | None:
        """Joint covariance of all stage coefficients, indexed by (stage, regressor); None for Driscoll-Kraay."""
        stages = list(self.stages.values())
        kind = stages[0].cov_kind
        if kind == "driscoll-kraay":
            return None
        clusters = stages[0].clusters[:, 0] if kind == "clustered" else None
        cov = stacked_sandwich([s.model.x_dm for s in stages], [s.resid.to_numpy() for s in stages], kind,
                               [s.df_resid for s in stages], clusters)
        index = pd.MultiIndex.from_tuples([(k, p) for k, s in self.stages.items() for p in s.params.index])
        return pd.DataFrame(cov, index=index, columns=index)

    def _delta_se(self) -> dict[str, float]:
        """First-order delta-method se of the serial chain and the total indirect effect."""
        cov = self.joint_cov()
        if cov is None:
            return {}
        m, x = self.model.mediators, self.model.treatment
        grad = pd.Series(0.0, index=cov.index)
        for j, med in enumerate(m):
            grad[(med, x)] += self.b[med]
            grad[("outcome", med)] += self.a[med]
        out = {}
        if self.model.serial:
            chain = pd.Series(0.0, index=cov.index)
            chain[(m[0], x)], chain[(m[1], m[0])], chain[("outcome", m[1])] = (
                self.d * self.b[m[1]], self.a[m[0]] * self.b[m[1]], self.a[m[0]] * self.d)
            out[f"{m[0]} -> {m[1]}"] = float(np.sqrt(chain @ cov @ chain))
            grad = grad + chain
        out["total"] = float(np.sqrt(grad @ cov @ grad))
        return out

    @property
    def two_step(self) -> pd.DataFrame:
        """Effect of X on Y and on each mediator, same fixed effects, controls and covariance (Jiang 2022)."""
        x = self.model.treatment
        rows = {}
        for name in ["total", *self.model.mediators]:
            res = self.stages[name]
            ci = res.conf_int(self.level).loc[x]
            rows[res.model.dependent_name] = {"coef": res.params[x], "std_err": res.std_errors[x],
                                             "pvalue": res.pvalues[x], "ci_low": ci["lower"], "ci_high": ci["upper"],
                                             "nobs": res.nobs, "cov_type": res.cov_type}
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis(f"effect of {x} on")

    # -- linearmodels shape -----------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        return self.estimates.rename("parameter")

    @property
    def std_errors(self) -> pd.Series:
        return self.intervals["se"].rename("std_error")

    @property
    def tstats(self) -> pd.Series:
        return (self.params / self.std_errors).rename("tstat")

    @property
    def pvalues(self) -> pd.Series:
        """Normal p-values of estimate / bootstrap se."""
        return pd.Series(2 * stats.norm.sf(np.abs(self.tstats.to_numpy())), index=self.statistic_names,
                         name="pvalue")

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Bootstrap intervals (the ``ci`` method) at the fitted level."""
        if level is not None and level != self.level:
            raise SpecificationError(f"intervals were bootstrapped at level {self.level}; refit with level={level}")
        low, high = ("pct_low", "pct_high") if self.ci_method == "percentile" else ("bc_low", "bc_high")
        return self.intervals[[low, high]].set_axis(["lower", "upper"], axis=1)

    @property
    def table_info(self) -> dict[str, object]:
        outcome = self.stages["outcome"]
        return table_info(
            dependent=self.model.outcome, model="Mediation" + (" (serial)" if self.model.serial else ""),
            entity_effects=outcome.entity_effects, time_effects=outcome.time_effects,
            cov_type=f"cluster bootstrap ({self.n_boot} draws, {self.ci_method})", n_clusters=self.n_clusters,
            nobs=self.nobs, extra={"proportion mediated": float(self.proportion_mediated["total"])})

    @property
    def summary(self) -> str:
        m = self.model
        lines = [
            f"Mediation: {m.treatment} -> {' -> '.join(m.mediators) if m.serial else ', '.join(m.mediators)} "
            f"-> {m.outcome}",
            f"effects: {m.effects}   observations: {self.nobs}   clusters: {self.n_clusters}   "
            f"bootstrap draws: {self.n_boot} ({self.ci_method}, {self.level:.0%})",
            f"total effect c = {self.total_effect:.4f}   direct effect c' = {self.direct_effect:.4f}",
            "paths:",
            pd.DataFrame({"a": self.a, "b": self.b}).to_string(float_format=lambda v: f"{v:.4f}"),
            "indirect effects:",
            self.indirect.assign(proportion=self.proportion_mediated).to_string(float_format=lambda v: f"{v:.4f}"),
            "two-step report (Jiang 2022):",
            self.two_step.to_string(float_format=lambda v: f"{v:.4f}"),
        ]
        return "\n".join(lines + self.notes)

    def __repr__(self) -> str:
        return self.summary
