"""The analysis stages of a run, in order, from the checked panel to the results the report reads.

Each stage is a library call that a researcher can also make alone; this module
only knows their order and passes each the run's choices (:func:`run_stages`).
"""

from __future__ import annotations

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
    from vagg import evolution, models
    from vagg import robustness as checks
    from vagg.mechanisms import flow_networks

    plan = plan or plan_run(panel, config)
    seed = config["run"]["seed"]
    x, y = plan["x"], plan["y"]
    controls = list(config["model"]["controls"])
    mediators = plan["mediators"]
    effects, cov = config["model"]["effects"], config["model"]["cov"]
    group = plan["group"]
    panel, built = stages.run("index, outcomes and mediators", build_variables, panel, config, plan)
    res: dict[str, Any] = {"panel": panel, "built": built, "x": x, "y": y, "controls": controls,
                           "mediators": mediators, "group": group, "gdf": plan.get("area"),
                           "skipped": list(plan["skipped"]), "notes": [], "geography": plan["geography"]}
    outcomes = [y] + (["construction_index"] if plan["construction"] else [])
    matrices = plan.get("matrices") or {}
    w = next(iter(matrices.values())) if matrices and plan.get("balanced", True) else None
    years = sorted(panel.index.get_level_values(1).unique())
    res.update(table1_and_audit(built["index"], years, config, plan))

    def describe() -> dict[str, Any]:
        out: dict[str, Any] = {"density": evolution.kernel_density(panel, x),
                               "sigma": evolution.sigma_convergence(panel, x),
                               "beta": evolution.beta_convergence(panel, x, kind="absolute")}
        if group is not None:
            out["dagum"] = evolution.dagum_gini(panel, group, column=x)
            out["theil"] = evolution.theil(panel, group, column=x)
        if w is not None:
            out["moran"] = evolution.moran(panel, x, w, seed=seed)
            out["lisa"] = evolution.lisa(panel, x, w, seed=seed)
        if plan["geography"]:
            out["ellipse"] = evolution.standard_ellipse(panel, plan["area"][["lon", "lat"]], column=x)
        return out

    res["evolution"] = stages.run("evolution", describe)
    if built["index"] is not None:
        from vagg.mechanisms import obstacle_degree

        res["obstacles"] = stages.run("obstacle degrees", obstacle_degree, panel, index=built["index"])
    last = years[-1]
    if plan["flows"]:
        res["flows"] = {name: flow_networks(panel.xs(last, level=1, drop_level=False), mass,
                                            coords=plan["area"][["lon", "lat"]])[last]
                        for name, mass in (("innovation", "invention_patents"), ("finance", ["deposits", "loans"]))}
    rhs = " + ".join([x] + controls)

    def baseline() -> dict[str, Any]:
        formulas = [f"{y} ~ {x}", f"{y} ~ {rhs}"] + [f"{o} ~ {rhs}" for o in
                                                      (["construction_index", "va_construction_coordination"]
                                                       if plan["construction"] else [])]
        fits = [models.PanelFE.from_formula(f, panel, effects=effects).fit(cov=cov) for f in formulas]
        if cov != "clustered":
            # the wild cluster bootstrap is a clustered-error procedure; with other errors it is not run
            res["notes"].append(f"wild cluster bootstrap not run: cov = {cov!r} (it applies to clustered errors)")
            return {"fits": fits, "wild": None}
        wild = [fit.wild_bootstrap(x, n_boot=config["run"]["bootstrap_draws"], seed=seed) for fit in fits]
        return {"fits": fits, "wild": wild}

    res["baseline"] = stages.run("baseline FE", baseline)

    def mediation() -> dict[str, Any]:
        return {outcome: models.Mediation(panel, outcome=outcome, treatment=x, mediators=mediators,
                                          controls=controls, effects=effects).fit(
                    n_boot=config["run"]["bootstrap_draws"], seed=seed, progress=False)
                for outcome in outcomes}

    if mediators:
        res["mediation"] = stages.run("mediation", mediation)

    def spatial() -> dict[str, Any]:
        # the main outcome under every matrix (one column each), the other outcomes under the main matrix
        runs = [(y, name) for name in matrices] + [(outcome, next(iter(matrices))) for outcome in outcomes[1:]]
        fits, names = [], []
        for outcome, name in runs:
            matrix = matrices[name]
            # Lee-Yu's transformation with time effects needs rows summing to one; the direct approach otherwise
            rows_one = bool(np.allclose(np.asarray(matrix.sparse.sum(axis=1)).ravel(), 1.0))
            lee_yu = None if rows_one or effects in ("none", "entity") else False
            fits.append(models.SpatialPanel.from_formula(f"{outcome} ~ {rhs}", panel, w=matrix, model="sdm",
                                                         effects=effects, lee_yu=lee_yu).fit())
            names.append(f"W: {name}")
        impacts = [fit.impacts(draws=config["run"]["impact_draws"], seed=seed) for fit in fits]
        from vagg.weights import describe

        return {"fits": fits, "impacts": impacts, "names": names,
                "matrices": {name: describe(m) for name, m in matrices.items()}}

    if w is not None:
        res["spatial"] = stages.run("spatial Durbin", spatial)
    system = config["index"]["system"]

    def battery() -> Any:
        base = checks.Spec(outcome=y, treatment=x, controls=tuple(controls), effects=effects)
        variants = {**(checks.index_variants(panel, x, system=system) if plan["build_index"] else {}),
                    **(checks.outcome_variants(y, {"construction index": panel["construction_index"],
                                                   "VA-construction coordination":
                                                       panel["va_construction_coordination"]})
                       if plan["construction"] else {}),
                    **checks.standard_variants(
                        base, core=("region", "Pearl River Delta Core") if group == "region" else None,
                        drop=tuple(e for e in ("440100", "440300") if e in panel.index.get_level_values(0)),
                        instrument=INSTRUMENT if plan["instrument"] else None)}
        return checks.robustness(panel, base, select_variants(variants, config["robustness"]["variants"]),
                                 placebo=config["robustness"]["placebo_draws"] if plan.get("balanced", True) else 0,
                                 seed=seed)

    res["robustness"] = stages.run("robustness", battery)
    if group is not None:
        res["heterogeneity"] = stages.run(
            "heterogeneity", lambda: checks.group_heterogeneity(panel, y, x, controls, groups=group, n_perm=500,
                                                                effects=effects, seed=seed))
    if built["dimensions"]:
        res["contributions"] = stages.run(
            "dimension contributions", lambda: checks.dimension_contributions(panel, y, built["dimensions"],
                                                                              controls, effects=effects))

    def curve() -> Any:
        treatments = ({name.split(": ")[-1]: variant["columns"][x]
                       for name, variant in checks.index_variants(panel, x, system=system).items()}
                      if plan["build_index"] else [x])
        # one curve per outcome: outcomes on different scales are not pooled, and each has its joint test
        return {outcome: checks.specification_curve(panel, outcomes=[outcome], treatments=treatments,
                                                    controls={"none": [], "controls": controls}, n_boot=200,
                                                    seed=seed, n_jobs=1, progress=False)
                for outcome in outcomes}

    res["speccurve"] = stages.run("specification curve", curve)
    optional, notes = run_optional(panel, config, plan, stages, w)
    res.update(optional)
    res["notes"] += notes
    return res
