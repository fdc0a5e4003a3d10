"""The whole analysis, config -> every stage -> report folder.

This is the one module that knows the order of the stages; each stage is a
library call that a researcher can also make alone.  Output folder:
``report.html``, ``tables/``, ``figures/``, ``panel.csv`` (the analysed
panel) and ``manifest.json`` (versions, config, seeds, timings, files).
"""

from __future__ import annotations

import difflib
import json
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vagg._errors import DataError, SpecificationError
from vagg.config import validate_config
from vagg.optional import named_columns, run_optional
from vagg.study_area import build_weights, has_boundaries, panel_ids, resolve_source

_VERSIONED = ("vagg", "numpy", "scipy", "pandas", "statsmodels", "linearmodels", "libpysal", "spreg", "esda")


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


class _Stages:
    """Times each stage and prints it when progress is on."""

    def __init__(self, progress: bool) -> None:
        self.progress = progress
        self.timings: dict[str, float] = {}

    def run(self, name: str, func, *args, **kwargs):
        if self.progress:
            print(f"[vagg] {name} ...", flush=True)
        start = time.perf_counter()
        result = func(*args, **kwargs)
        self.timings[name] = round(time.perf_counter() - start, 3)
        return result


class _Output:
    """Writes tables and figures into the output folder."""

    def __init__(self, out_dir: Path, formats: list[str], simulated: bool = False) -> None:
        self.out_dir = out_dir
        self.formats = formats
        self.simulated = simulated  # every table and figure of simulated data says so

    def table(self, table, name: str):
        table.write(self.out_dir / "tables", name, self.formats, simulated=self.simulated)
        return table

    def figure(self, fig, name: str) -> str:
        from vagg.report.figures import save_figure

        paths = save_figure(fig, self.out_dir / "figures", name, simulated=self.simulated)
        return str(paths[0].relative_to(self.out_dir))


#: the shift-share instrument: post offices per 10,000 people in 1984 x national internet users (millions)
INSTRUMENT = "iv_post_offices_x_internet"
#: default mediators: the intensities behind the two flow networks (log invention patents per person, log
#: (deposits + loans) / GDP).  The network centralities are added to the panel too, for a user's choice.
DEFAULT_MEDIATORS = ["innovation_intensity", "financial_depth"]


#: outcome.measure -> column of :func:`vagg.mechanisms.synergy_outcome`
MEASURES = {"coupling_coordination": "D", "coupling_degree": "C", "coordination_index": "T"}
#: inputs of the optional stages (absent: the stage is skipped with a note)
CONSTRUCTION_EXTRA = ("construction_employment", "producer_services_employment", "total_employment")
FLOW_INPUTS = ("invention_patents", "deposits", "loans", "population")
INTENSITY_INPUTS = ("invention_patents", "population", "deposits", "loans", "gdp")
INSTRUMENT_INPUTS = ("post_offices_1984_per10k", "internet_users_national")
#: centralities that :func:`vagg.mechanisms.network_mediators` adds per channel (mediator candidates)
NETWORK_MEASURES = ("out_strength", "in_strength", "out_degree", "in_degree", "betweenness", "closeness",
                    "eigenvector", "coreness", "density")


def _did_you_mean(name: str, columns: list[str]) -> str:
    close = difflib.get_close_matches(name, columns, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def plan_run(panel: pd.DataFrame, config: dict[str, Any]) -> dict[str, Any]:
    """Check every column the config names against the data and decide which stages run.

    Called before any stage, so that a misspelt control fails at once (with a
    did-you-mean) instead of after the index is built.  Stages whose inputs the
    panel lacks are skipped, each with a note for the report.

    Returns
    -------
    dict with ``x``, ``y``, ``controls``, ``mediators``, ``group``, ``name``,
    flags ``build_index``, ``build_outcome``, ``construction``, ``flows``,
    ``intensities``, ``instrument``, ``geography``, ``table1``, the raw
    columns the run uses (``used``) and ``skipped`` notes.
    """
    from vagg.data import load_guangdong
    from vagg.mechanisms.indicators import as_system

    columns = [str(c) for c in panel.columns]
    present = set(columns)
    data, idx, out, model = config["data"], config["index"], config["outcome"], config["model"]
    skipped: list[str] = []
    used: list[str] = []

    def need(key: str, name: str) -> None:
        if name not in present:
            raise SpecificationError(f"config key {key}: column {name!r} is not in the data{_did_you_mean(name, columns)}")

    plan: dict[str, Any] = {"build_index": idx["column"] is None, "build_outcome": out["column"] is None}
    for key, built, own in (("index", plan["build_index"], idx["column"]),
                            ("outcome", plan["build_outcome"], out["column"])):
        if built and config[key]["name"] in present:
            raise SpecificationError(
                f"config key {key}.name: the data already have a column {config[key]['name']!r}, which the built "
                f"{key} would overwrite; set [{key}] column = {config[key]['name']!r} to use yours, or choose "
                "another name")
        if not built:
            need(f"{key}.column", own)
            used.append(own)
    if plan["build_index"]:
        system = as_system(idx["system"])
        absent = [c for c in system.columns if c not in present]
        if absent:
            raise SpecificationError(f"config key index.system: indicator column(s) not in the data: "
                                     f"{', '.join(absent)}{_did_you_mean(absent[0], columns)}")
        used += system.columns
    if plan["build_outcome"]:
        system = as_system("industrial_synergy")
        absent = [c for c in system.columns if c not in present]
        if absent:
            raise SpecificationError(f"the synergy outcome needs indicator column(s) not in the data: "
                                     f"{', '.join(absent)}; set [outcome] column = \"...\" to use your own outcome")
        used += system.columns
    plan["x"] = idx["column"] or idx["name"]
    plan["y"] = out["column"] or out["name"]
    if plan["build_outcome"] is False and out["measure"] != "coupling_coordination":
        raise SpecificationError("config key outcome.measure applies to the built outcome; leave it out with "
                                 "[outcome] column")
    for i, control in enumerate(model["controls"]):
        need(f"model.controls[{i}]", control)
    used += list(model["controls"])
    construction = as_system("construction").columns + list(CONSTRUCTION_EXTRA)
    plan["construction"] = plan["build_index"] and present.issuperset(construction)
    if plan["construction"]:
        used += construction
    else:
        skipped.append("construction outcomes (construction index, VA-construction coordination, co-agglomeration)"
                       ": the data lack " + ", ".join(c for c in construction if c not in present)
                       if plan["build_index"] else "construction outcomes: built only with the built index")
    ids = {str(e) for e in panel.index.get_level_values(0).unique()}
    try:
        plan["source"] = resolve_source(str(config["weights"]["source"]), panel_ids(panel))
    except DataError as exc:  # only "auto" raises: the user named no source, so the spatial stages are skipped
        plan["source"] = None
        skipped.append(f"maps, Moran's I, LISA, flow networks and the spatial Durbin model: {exc}")
    plan["geography"] = plan["source"] is not None and has_boundaries(plan["source"])
    if plan["source"] is not None and not plan["geography"]:
        skipped.append(f"maps and flow networks: the weights come from a matrix file ({plan['source']}), which "
                       "has no boundaries")
    if config["weights"]["kind"].startswith("economic") and plan["source"] is not None:
        gdp = config["weights"]["gdp"] or "gdp_per_capita"
        need("weights.gdp", gdp)
        used.append(gdp)
    plan["flows"] = plan["geography"] and present.issuperset(FLOW_INPUTS)
    if plan["flows"]:
        used += list(FLOW_INPUTS)
    elif plan["geography"]:
        skipped.append("flow networks and their centralities: the data lack "
                       + ", ".join(c for c in FLOW_INPUTS if c not in present))
    plan["intensities"] = present.issuperset(INTENSITY_INPUTS)
    plan["instrument"] = present.issuperset(INSTRUMENT_INPUTS)
    if plan["instrument"]:
        used += list(INSTRUMENT_INPUTS)
    built_mediators = set(DEFAULT_MEDIATORS if plan["intensities"] else []) | (
        {f"{c}_{m}" for c in ("innovation", "finance") for m in NETWORK_MEASURES} if plan["flows"] else set())
    if model["mediators"]:
        for i, mediator in enumerate(model["mediators"]):
            if mediator not in present and mediator not in built_mediators:
                need(f"model.mediators[{i}]", mediator)
            if mediator in present:
                used.append(mediator)
            elif mediator in DEFAULT_MEDIATORS:
                used += list(INTENSITY_INPUTS)
        plan["mediators"] = list(model["mediators"])
    elif plan["intensities"]:
        plan["mediators"] = list(DEFAULT_MEDIATORS)
        used += list(INTENSITY_INPUTS)
    else:
        plan["mediators"] = []
        skipped.append("mediation: no mediators named and the data lack "
                       + ", ".join(c for c in INTENSITY_INPUTS if c not in present)
                       + " for the default innovation and finance intensities")
    plan["group"] = data["group"]
    if data["group"] is not None:
        need("data.group", data["group"])
    else:
        skipped.append("Dagum and Theil decompositions and heterogeneity by group: no [data] group column")
    plan["name"] = data["name"]
    if data["name"] is not None:
        need("data.name", data["name"])
    seed_ids = set(load_seed_table1()["adcode"].astype(str))
    plan["table1"] = plan["build_index"] and ids <= seed_ids
    if not plan["table1"]:
        skipped.append(("Table 1 layout: " if config["audit"] is not None else "Table 1 and its rank audit: ") + ("the index is the user's own column" if not
                       plan["build_index"] else "the panel's cities are not the published Table 1 cities"))
    for key, column in named_columns(config, plan["x"], plan["y"]):
        if column not in (plan["x"], plan["y"]):
            need(key, column)
            used.append(column)
    plan["used"] = list(dict.fromkeys(used))
    plan["skipped"] = skipped
    return plan


def read_published(audit: dict[str, Any]) -> pd.DataFrame:
    """The published table of ``[audit]`` (CSV in UTF-8 or GBK, or XLSX), its value and rank columns checked."""
    from vagg.data.readers import read_text

    path = Path(audit["path"])
    if path.suffix.lower() in (".xlsx", ".xls"):
        table = pd.read_excel(path)
    else:
        import io

        table = pd.read_csv(io.StringIO(read_text(path)))
    for key in ("value", "rank", "name"):
        column = audit.get(key)
        if column is not None and column not in table.columns:
            raise SpecificationError(f"config key audit.{key}: column {column!r} is not in {path.name}"
                                     f"{_did_you_mean(column, [str(c) for c in table.columns])}")
    if audit.get("name"):
        table = table.rename(columns={audit["name"]: "city"})
    elif "city" not in table.columns:
        table.insert(0, "city", table.iloc[:, 0].astype(str))
    return table


def load_seed_table1() -> pd.DataFrame:
    from vagg.data import load_seed_table1 as load

    return load()


def build_variables(panel: pd.DataFrame, config: dict[str, Any],
                    plan: dict[str, Any] | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Index, dimension sub-indices, synergy and construction outcomes, network mediators.

    ``plan`` (:func:`plan_run`) says which of them the data allow; without it, those whose input
    columns the panel has are built.
    """
    from vagg.mechanisms import (coagglomeration, composite_index, coupling_coordination, network_mediators,
                                 synergy_outcome)

    if plan is None:
        from vagg.mechanisms.indicators import as_system

        present = set(panel.columns)
        plan = {"build_index": True, "build_outcome": True, "flows": present.issuperset(FLOW_INPUTS),
                "construction": present.issuperset([*as_system("construction").columns, *CONSTRUCTION_EXTRA]),
                "intensities": present.issuperset(INTENSITY_INPUTS),
                "instrument": present.issuperset(INSTRUMENT_INPUTS)}
    panel = panel.copy()
    idx = config["index"]
    built: dict[str, Any] = {"index": None, "construction": None, "synergy": None, "dimensions": []}
    if plan["build_index"]:
        index = composite_index(panel, system=idx["system"], method=idx["method"])
        panel[idx["name"]] = index.scores
        dims = [f"dim_{d}" for d in index.dimensions.columns]
        panel[dims] = index.dimensions.to_numpy()
        built.update(index=index, dimensions=dims)
    if plan["build_outcome"]:
        synergy = synergy_outcome(panel)
        panel[config["outcome"]["name"]] = synergy[MEASURES[config["outcome"]["measure"]]]
        built["synergy"] = synergy
    if plan["construction"]:
        construction = composite_index(panel, system="construction", method=idx["method"])
        panel["construction_index"] = construction.scores
        two = pd.DataFrame({"va": panel[idx["name"]] / 100.0, "construction": construction.scores / 100.0})
        panel["va_construction_coordination"] = coupling_coordination(two.clip(lower=1e-6))["D"].to_numpy()
        panel["construction_services_coagglomeration"] = coagglomeration(
            panel, "construction_employment", "producer_services_employment", "total_employment").to_numpy()
        built["construction"] = construction
    if plan["instrument"]:
        panel[INSTRUMENT] = panel["post_offices_1984_per10k"] * panel["internet_users_national"] / 100.0
    if plan["intensities"]:
        panel["innovation_intensity"] = np.log(panel["invention_patents"] / panel["population"])
        panel["financial_depth"] = np.log((panel["deposits"] + panel["loans"]) / panel["gdp"])
    if plan["flows"]:
        mediators = network_mediators(panel, coords=plan["area"][["lon", "lat"]] if "area" in plan else None)
        for column in mediators.columns:
            panel[column] = mediators[column]
    return panel, built


def table1_years(years: list[int], chosen: list[int]) -> list[int]:
    """The years of the Table 1 layout and the index maps: ``chosen`` (config key output.table1_years; the
    source study's 2011, 2015, 2020), or the first, middle and last year of the panel when none are chosen."""
    if not chosen:
        return [years[0], years[len(years) // 2], years[-1]] if len(years) >= 3 else list(years)
    missing = [y for y in chosen if y not in years]
    if missing:
        raise SpecificationError(f"config key output.table1_years names years not in the panel: {missing}; "
                                 f"the panel has {years[0]}-{years[-1]}")
    return list(chosen)


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


def run_stages(panel: pd.DataFrame, config: dict[str, Any], stages: "_Stages",
               plan: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every analysis stage in order; returns the results that the report reads.

    A stage the plan rules out is absent from the results (its note is in ``plan["skipped"]``).
    """
    from vagg import evolution, models
    from vagg import robustness as checks
    from vagg.mechanisms import audit_ranking, flow_networks, index_table

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
    shown_years = table1_years(years, config["output"].get("table1_years", []))
    res["shown_years"] = shown_years
    if plan["table1"]:
        res["table1"] = index_table(built["index"], years=shown_years)
    if config["audit"] is not None:  # the user's published table
        published = read_published(config["audit"])
        res["audit"] = audit_ranking(published, config["audit"]["value"], config["audit"]["rank"],
                                     ascending=config["audit"]["ascending"])
        res["audit_rows"], res["audit_source"] = len(published), Path(config["audit"]["path"]).name
    elif plan["table1"]:  # the bundled Table 1 of the source study
        seed_table = load_seed_table1()
        res["audit"] = audit_ranking(seed_table, "index_2020", "reported_rank")
        res["audit_rows"], res["audit_source"] = len(seed_table), "the source study's Table 1"

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


def _read(config: dict[str, Any]) -> pd.DataFrame:
    from vagg.data import read_panel

    data = config["data"]
    return read_panel(data["path"], data["entity"], data["time"], sheet=data["sheet"],
                      header_row=data["header_row"], skip_rows=data["skip_rows"], na_values=data["na_values"],
                      totals=data["totals"], strict=False)


def prepare_panel(config: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any], Any]:
    """Read the data, check the config against it and apply the missing-data policy, once.

    Returns the panel every stage analyses, the plan (:func:`plan_run`) and the
    :class:`vagg.data.MissingReport`.  Runs before any stage: a misspelt column,
    an impossible policy or a gap the spatial stages cannot take fails here.
    """
    from vagg.data import apply_missing_policy
    from vagg.data.panel import BALANCE_HINT, missing_city_years

    panel = _read(config)
    plan = plan_run(panel, config)
    plan["names"] = _names(panel, plan["name"])
    data = config["data"]
    numeric = [c for c in plan["used"] if pd.api.types.is_numeric_dtype(panel[c])]
    text = [c for c in plan["used"] if c not in numeric]
    if text:
        faults = panel.attrs.get("faults", {})
        raise DataError(faults.get(text[0]) or f"column(s) {', '.join(text)} used by the run hold text, not numbers")
    panel, report = apply_missing_policy(panel, numeric, data["missing"], extrapolate=data["extrapolate"])
    if plan["group"] and panel[plan["group"]].isna().any():
        where = panel.index[panel[plan["group"]].isna().to_numpy()]
        raise DataError(f"group column {plan['group']!r} is empty at {', '.join(map(str, list(where)[:10]))}")
    for level, what in ((0, "city"), (1, "year")):
        values = panel.index.get_level_values(level).unique()
        if len(values) < 2:
            raise DataError(f"after missing = {data['missing']!r} the panel holds a single {what} "
                            f"({', '.join(map(str, values)) or 'none'}); the analysis compares cities over years "
                            f"and needs at least two of each")
    gaps = missing_city_years(panel)
    plan["balanced"] = not gaps
    if gaps:
        shown = ", ".join(f"({e}, {t})" for e, t in gaps[:10])
        plan["skipped"].append(f"Moran's I, LISA, the placebo test and the spatial Durbin model: they need a "
                               f"balanced panel and missing = {data['missing']!r} leaves gaps ({shown}); "
                               f"{BALANCE_HINT}")
    if plan["source"] is not None:
        plan["area"], plan["matrices"] = build_weights(config, panel, plan["source"])
    return panel, plan, report


def run_pipeline(config: dict[str, Any], out: str | Path | None = None, progress: bool = True,
                 wait: float = 0.0) -> dict[str, Any]:
    """Run every stage of the analysis described by a validated config.

    Stages: load the panel, check the config's columns against it and apply
    the missing-data policy once (:func:`prepare_panel`); build the
    virtual-agglomeration index (and its four dimension sub-indices), the
    synergy outcome, the construction outcomes and the flow-network mediators;
    describe the evolution (Table 1, Dagum, Moran / LISA, densities,
    convergence); estimate the baseline FE, the mediation model and the
    spatial Durbin model with effects; run robustness, heterogeneity,
    dimension contributions and a specification curve; write tables, figures,
    ``report.html``, ``panel.csv`` and ``manifest.json``.  Stages whose inputs
    the data lack are skipped with a note in the report.

    The output folder is written whole (:class:`vagg._outdir.OutputFolder`):
    into a temporary folder beside it, swapped into place at the end, under a
    lock that a concurrent run into the same folder waits ``wait`` seconds for
    and then refuses; an error or Ctrl-C leaves the previous result.

    Returns the manifest (also written to ``manifest.json``); its ``files``
    maps every file present to its SHA-256 (``manifest.json`` itself to None).
    """
    import warnings

    from vagg._outdir import OutputFolder, check_target, checksums

    target = Path(out if out is not None else config["output"]["dir"])
    check_target(target)
    stages = _Stages(progress)
    panel, plan, missing = stages.run("load and check data", prepare_panel, config)
    simulated = bool(config["data"]["simulated"])
    folder = OutputFolder(target, wait=wait)
    with folder as tmp:
        output = _Output(tmp, list(config["output"]["formats"]), simulated=simulated)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            from vagg.report.assemble import build_report

            results = run_stages(panel, config, stages, plan)
            results["data_notes"] = list(panel.attrs.get("notes", [])) + missing.lines(plan["names"])
            report = stages.run("report", build_report, results, output, simulated,
                                labels=config.get("labels", {}), city_language=config["output"].get("city_names", "en"),
                                precision=config["output"].get("precision", "auto"))
        results["panel"].to_csv(tmp / "panel.csv")
        report.write(tmp / "report.html")
        manifest = {
            "out": str(target),
            "simulated": simulated,
            "config": {k: v for k, v in config.items() if not k.startswith("_")},
            "seed": config["run"]["seed"],
            "versions": _versions(),
            "timings": stages.timings,
            "data_notes": list(panel.attrs.get("notes", [])),
            "missing": missing.to_dict(),
            "skipped": results["skipped"],
            "notes": results["notes"],
            "samples": _samples(results),
        }
        manifest["files"] = {**checksums(tmp), "manifest.json": None}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
        folder.commit()
    return manifest


def _samples(results: dict[str, Any]) -> dict[str, list[int]]:
    """Observations of every estimated model, by stage: one sample for the whole run."""
    out = {"panel": [len(results["panel"])], "baseline": [f.nobs for f in results["baseline"]["fits"]]}
    if "mediation" in results:
        out["mediation"] = [m.nobs for m in results["mediation"].values()]
    if "spatial" in results:
        out["spatial"] = [f.nobs for f in results["spatial"]["fits"]]
    return out


def _names(panel: pd.DataFrame, column: str | None) -> dict[str, str]:
    """Entity id -> display name (the config's ``data.name`` column), for the report."""
    if column is None:
        return {}
    first = panel[column].groupby(level=0).first()
    return {str(k): str(v) for k, v in first.items()}


def demo_config() -> dict[str, Any]:
    """The config of ``vagg demo``: the bundled, simulated panel."""
    from importlib import resources

    from vagg.config import tomllib

    raw = tomllib.loads((resources.files("vagg") / "templates" / "analysis.toml").read_text(encoding="utf-8"))
    with resources.as_file(resources.files("vagg.data") / "files" / "demo_panel.csv") as path:
        raw["data"]["path"] = str(path)
    raw["index"]["system"] = "default"
    raw["data"]["simulated"] = True
    return validate_config(raw)


def run_demo(out: str | Path = "vagg-demo", progress: bool = True) -> dict[str, Any]:
    """``vagg demo``: the whole analysis on the bundled simulated panel."""
    return run_pipeline(demo_config(), out=out, progress=progress)
