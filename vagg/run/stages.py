"""The analysis stages of a run, in order, from the checked panel to the results the report reads.

Each stage is a library call that a researcher can also make alone; this module
only knows their order and passes each the run's choices (:func:`run_stages`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from vagg._errors import SpecificationError
from vagg.optional import run_optional
from vagg.run.plan import plan_run
from vagg.run.table1 import table1_and_audit
from vagg.run.variables import INSTRUMENT, build_variables

if TYPE_CHECKING:
    from vagg.run.record import _Stages


def select_variants(variants: dict[str, Any], chosen: list[str]) -> dict[str, Any]:
    """The robustness variants whose names start with one of ``chosen`` (all when empty).

    Names look like "index: critic", "outcome: construction index", "sample: without ...",
    "treatment lagged one period", "winsorised 1% / 99%", "FE-2SLS"; ``chosen = ["index", "sample"]``
    keeps the index and sample variants.  A choice that matches no variant is an error naming it.
    """
    if not chosen:
        return variants
    unknown = [c for c in chosen if not any(name.startswith(c) for name in variants)]
    if unknown:
        raise SpecificationError(f"config key robustness.variants names no known variant: {unknown}; "
                                 f"variants are {sorted(variants)}")
    return {name: v for name, v in variants.items() if any(name.startswith(c) for c in chosen)}


def run_stages(panel: pd.DataFrame, config: dict[str, Any], stages: _Stages,
               plan: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every analysis stage in order; returns the results that the report reads.

    The variables (:func:`vagg.run.variables.build_variables`); Table 1 and the rank audit; the
    evolution (densities, sigma and beta convergence, Dagum and Theil by group, Moran's I and LISA,
    the standard deviational ellipse); obstacle degrees; the flow networks of the last year; the
    baseline FE models with the wild cluster bootstrap; mediation; the spatial Durbin model under each
    matrix with its impacts; the robustness battery, heterogeneity by group, dimension contributions,
    the specification curve; and the optional stages (:func:`vagg.optional.run_optional`).  A stage
    the plan rules out is absent from the results (its note is in ``plan["skipped"]``).

    Parameters
    ----------
    panel
        The checked panel (:func:`vagg.run.prepare.prepare_panel`).
    config
        A validated config (:func:`vagg.config.validate_config`).
    stages
        Times and announces each stage.
    plan
        :func:`vagg.run.plan.plan_run`'s plan (made here when None; the weights ``matrices`` and the
        ``balanced`` flag come from :func:`vagg.run.prepare.prepare_panel`).

    Returns
    -------
    dict of results by stage, with the analysed ``panel``, the ``skipped`` stages and ``notes``.
    """
    from vagg import robustness as checks
    from vagg.mechanisms import obstacle_degree

    plan = plan or plan_run(panel, config)
    panel, built = stages.run("index, outcomes and mediators", build_variables, panel, config, plan)
    run = _Run.of(panel, config, plan, built)
    x, y, controls, effects, group = run.x, run.y, run.controls, run.effects, plan["group"]
    res: dict[str, Any] = {"panel": panel, "built": built, "x": x, "y": y, "controls": controls,
                           "mediators": plan["mediators"], "group": group, "gdf": plan.get("area"),
                           "skipped": list(plan["skipped"]), "notes": [], "geography": plan["geography"]}
    years = sorted(panel.index.get_level_values(1).unique())
    res.update(table1_and_audit(built["index"], years, config, plan))
    res["evolution"] = stages.run("evolution", _describe, run)
    if built["index"] is not None:
        res["obstacles"] = stages.run("obstacle degrees", obstacle_degree, panel, index=built["index"])
    if plan["flows"]:
        res["flows"] = _flows(run, years[-1])
    res["baseline"] = stages.run("baseline FE", _baseline, run, res["notes"])
    if plan["mediators"]:
        res["mediation"] = stages.run("mediation", _mediation, run)
    if run.w is not None:
        res["spatial"] = stages.run("spatial Durbin", _spatial, run)
    res["robustness"] = stages.run("robustness", _battery, run)
    if group is not None:
        res["heterogeneity"] = stages.run("heterogeneity", checks.group_heterogeneity, panel, y, x, controls,
                                          groups=group, n_perm=500, effects=effects, seed=run.seed)
    if built["dimensions"]:
        res["contributions"] = stages.run("dimension contributions", checks.dimension_contributions, panel, y,
                                          built["dimensions"], controls, effects=effects)
    res["speccurve"] = stages.run("specification curve", _curve, run)
    optional, notes = run_optional(panel, config, plan, stages, run.w)
    res.update(optional)
    res["notes"] += notes
    return res


@dataclass(frozen=True, eq=False)
class _Run:
    """What the stages read: the analysed panel, the plan, the built variables and the config's choices."""

    panel: pd.DataFrame
    config: dict[str, Any]
    plan: dict[str, Any]
    built: dict[str, Any]
    x: str
    y: str
    controls: list[str]
    #: the main outcome, then the construction index when it is built
    outcomes: list[str]
    #: the weights matrices by name, the main one first
    matrices: dict[str, Any]
    #: the main matrix, None when there is none or the panel is unbalanced
    w: Any

    @classmethod
    def of(cls, panel: pd.DataFrame, config: dict[str, Any], plan: dict[str, Any], built: dict[str, Any]) -> _Run:
        """The run of a plan on the panel with its built variables."""
        matrices = plan.get("matrices") or {}
        return cls(panel=panel, config=config, plan=plan, built=built, x=plan["x"], y=plan["y"],
                   controls=list(config["model"]["controls"]),
                   outcomes=[plan["y"]] + (["construction_index"] if plan["construction"] else []),
                   matrices=matrices,
                   w=next(iter(matrices.values())) if matrices and plan.get("balanced", True) else None)

    @property
    def seed(self) -> int:
        """The seed of every random procedure (``run.seed``)."""
        return self.config["run"]["seed"]

    @property
    def effects(self) -> str:
        """The fixed effects of every model (``model.effects``)."""
        return self.config["model"]["effects"]

    @property
    def rhs(self) -> str:
        """The right-hand side of every model: the index, then the controls."""
        return " + ".join([self.x] + self.controls)


def _describe(run: _Run) -> dict[str, Any]:
    """The evolution of the index: densities, convergence, disparities by group, spatial autocorrelation."""
    from vagg import evolution

    panel, x, group, w, seed = run.panel, run.x, run.plan["group"], run.w, run.seed
    out: dict[str, Any] = {"density": evolution.kernel_density(panel, x),
                           "sigma": evolution.sigma_convergence(panel, x),
                           "beta": evolution.beta_convergence(panel, x, kind="absolute")}
    if group is not None:
        out["dagum"] = evolution.dagum_gini(panel, group, column=x)
        out["theil"] = evolution.theil(panel, group, column=x)
    if w is not None:
        out["moran"] = evolution.moran(panel, x, w, seed=seed)
        out["lisa"] = evolution.lisa(panel, x, w, seed=seed)
    if run.plan["geography"]:
        out["ellipse"] = evolution.standard_ellipse(panel, run.plan["area"][["lon", "lat"]], column=x)
    return out


def _flows(run: _Run, last: int) -> dict[str, Any]:
    """The innovation and finance flow networks of the last year."""
    from vagg.mechanisms import flow_networks

    cross = run.panel.xs(last, level=1, drop_level=False)
    return {name: flow_networks(cross, mass, coords=run.plan["area"][["lon", "lat"]])[last]
            for name, mass in (("innovation", "invention_patents"), ("finance", ["deposits", "loans"]))}


def _baseline(run: _Run, notes: list[str]) -> dict[str, Any]:
    """Two-way FE of the outcome on the index, without and with controls (and of the construction outcomes),
    each with the wild cluster bootstrap when the errors are clustered (else a note says why not)."""
    from vagg import models

    x, y, rhs, cov, seed = run.x, run.y, run.rhs, run.config["model"]["cov"], run.seed
    formulas = [f"{y} ~ {x}", f"{y} ~ {rhs}"] + [f"{o} ~ {rhs}" for o in
                                                  (["construction_index", "va_construction_coordination"]
                                                   if run.plan["construction"] else [])]
    fits = [models.PanelFE.from_formula(f, run.panel, effects=run.effects).fit(cov=cov) for f in formulas]
    if cov != "clustered":
        # the wild cluster bootstrap is a clustered-error procedure; with other errors it is not run
        notes.append(f"wild cluster bootstrap not run: cov = {cov!r} (it applies to clustered errors)")
        return {"fits": fits, "wild": None}
    wild = [fit.wild_bootstrap(x, n_boot=run.config["run"]["bootstrap_draws"], seed=seed) for fit in fits]
    return {"fits": fits, "wild": wild}


def _mediation(run: _Run) -> dict[str, Any]:
    """The mediation model of each outcome through the plan's mediators."""
    from vagg import models

    return {outcome: models.Mediation(run.panel, outcome=outcome, treatment=run.x, mediators=run.plan["mediators"],
                                      controls=run.controls, effects=run.effects).fit(
                n_boot=run.config["run"]["bootstrap_draws"], seed=run.seed, progress=False)
            for outcome in run.outcomes}


def _spatial(run: _Run) -> dict[str, Any]:
    """The spatial Durbin model with its impacts: the main outcome under every matrix (one column each), the
    other outcomes under the main matrix."""
    from vagg import models
    from vagg.weights import describe

    matrices, effects = run.matrices, run.effects
    runs = [(run.y, name) for name in matrices] + [(outcome, next(iter(matrices))) for outcome in run.outcomes[1:]]
    fits, names = [], []
    for outcome, name in runs:
        matrix = matrices[name]
        # Lee-Yu's transformation with time effects needs rows summing to one; the direct approach otherwise
        rows_one = bool(np.allclose(np.asarray(matrix.sparse.sum(axis=1)).ravel(), 1.0))
        lee_yu = None if rows_one or effects in ("none", "entity") else False
        fits.append(models.SpatialPanel.from_formula(f"{outcome} ~ {run.rhs}", run.panel, w=matrix, model="sdm",
                                                     effects=effects, lee_yu=lee_yu).fit())
        names.append(f"W: {name}")
    impacts = [fit.impacts(draws=run.config["run"]["impact_draws"], seed=run.seed) for fit in fits]
    return {"fits": fits, "impacts": impacts, "names": names,
            "matrices": {name: describe(m) for name, m in matrices.items()}}


def _battery(run: _Run) -> Any:
    """The robustness battery: index and outcome variants, the standard variants, the placebo test."""
    from vagg import robustness as checks

    panel, x, y, plan, group = run.panel, run.x, run.y, run.plan, run.plan["group"]
    base = checks.Spec(outcome=y, treatment=x, controls=tuple(run.controls), effects=run.effects)
    variants = {**(checks.index_variants(panel, x, system=run.config["index"]["system"])
                   if plan["build_index"] else {}),
                **(checks.outcome_variants(y, {"construction index": panel["construction_index"],
                                               "VA-construction coordination": panel["va_construction_coordination"]})
                   if plan["construction"] else {}),
                **checks.standard_variants(
                    base, core=("region", "Pearl River Delta Core") if group == "region" else None,
                    drop=tuple(e for e in ("440100", "440300") if e in panel.index.get_level_values(0)),
                    instrument=INSTRUMENT if plan["instrument"] else None)}
    return checks.robustness(panel, base, select_variants(variants, run.config["robustness"]["variants"]),
                             placebo=run.config["robustness"]["placebo_draws"] if plan.get("balanced", True) else 0,
                             seed=run.seed)


def _curve(run: _Run) -> dict[str, Any]:
    """The specification curve of each outcome over the index variants and with or without controls."""
    from vagg import robustness as checks

    x, system = run.x, run.config["index"]["system"]
    treatments = ({name.split(": ")[-1]: variant["columns"][x]
                   for name, variant in checks.index_variants(run.panel, x, system=system).items()}
                  if run.plan["build_index"] else [x])
    # one curve per outcome: outcomes on different scales are not pooled, and each has its joint test
    return {outcome: checks.specification_curve(run.panel, outcomes=[outcome], treatments=treatments,
                                                controls={"none": [], "controls": run.controls}, n_boot=200,
                                                seed=run.seed, n_jobs=1, progress=False)
            for outcome in run.outcomes}
