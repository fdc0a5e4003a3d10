"""The whole analysis, config -> every stage -> report folder.

This is the one module that knows the order of the stages; each stage is a
library call that a researcher can also make alone.  Output folder:
``report.html``, ``tables/``, ``figures/``, ``panel.csv`` (the analysed
panel) and ``manifest.json`` (versions, config, seeds, timings, files).
"""

from __future__ import annotations

import json
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vagg._errors import SpecificationError
from vagg.config import validate_config

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
    """Writes tables and figures into the output folder and remembers them for the manifest."""

    def __init__(self, out_dir: Path, formats: list[str], simulated: bool = False) -> None:
        self.out_dir = out_dir
        self.formats = formats
        self.simulated = simulated  # every table and figure of simulated data says so
        self.files: list[str] = []

    def table(self, table, name: str):
        for path in table.write(self.out_dir / "tables", name, self.formats, simulated=self.simulated):
            self.files.append(str(path.relative_to(self.out_dir)))
        return table

    def figure(self, fig, name: str) -> str:
        from vagg.report.figures import save_figure

        paths = save_figure(fig, self.out_dir / "figures", name, simulated=self.simulated)
        self.files += [str(p.relative_to(self.out_dir)) for p in paths]
        return str(paths[0].relative_to(self.out_dir))


#: the shift-share instrument: post offices per 10,000 people in 1984 x national internet users (millions)
INSTRUMENT = "iv_post_offices_x_internet"
#: default mediators: the intensities behind the two flow networks (log invention patents per person, log
#: (deposits + loans) / GDP).  The network centralities are added to the panel too, for a user's choice.
DEFAULT_MEDIATORS = ["innovation_intensity", "financial_depth"]


def _weights(kind: str, panel: pd.DataFrame):
    from vagg import weights

    if kind == "economic":
        return weights.economic_distance(weights_coords(), panel["gdp_per_capita"])
    return weights.guangdong(kind)


def weights_coords() -> pd.DataFrame:
    from vagg.data import load_guangdong

    return load_guangdong()[["lon", "lat"]]


def build_variables(panel: pd.DataFrame, config: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Index, dimension sub-indices, synergy and construction outcomes, network mediators."""
    from vagg.mechanisms import (coagglomeration, composite_index, coupling_coordination, network_mediators,
                                 synergy_outcome)

    panel = panel.copy()
    idx = config["index"]
    index = composite_index(panel, system=idx["system"], method=idx["method"])
    panel[idx["name"]] = index.scores
    dims = [f"dim_{d}" for d in index.dimensions.columns]
    panel[dims] = index.dimensions.to_numpy()
    synergy = synergy_outcome(panel)
    panel[config["outcome"]["name"]] = synergy["D"]
    construction = composite_index(panel, system="construction", method=idx["method"])
    panel["construction_index"] = construction.scores
    two = pd.DataFrame({"va": panel[idx["name"]] / 100.0, "construction": construction.scores / 100.0})
    panel["va_construction_coordination"] = coupling_coordination(two.clip(lower=1e-6))["D"].to_numpy()
    panel["construction_services_coagglomeration"] = coagglomeration(
        panel, "construction_employment", "producer_services_employment", "total_employment").to_numpy()
    if {"post_offices_1984_per10k", "internet_users_national"} <= set(panel.columns):
        panel[INSTRUMENT] = panel["post_offices_1984_per10k"] * panel["internet_users_national"] / 100.0
    if {"invention_patents", "population", "deposits", "loans", "gdp"} <= set(panel.columns):
        panel["innovation_intensity"] = np.log(panel["invention_patents"] / panel["population"])
        panel["financial_depth"] = np.log((panel["deposits"] + panel["loans"]) / panel["gdp"])
    mediators = network_mediators(panel)
    for column in mediators.columns:
        panel[column] = mediators[column]
    return panel, {"index": index, "construction": construction, "synergy": synergy, "dimensions": dims}


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


def run_stages(panel: pd.DataFrame, config: dict[str, Any], stages: "_Stages") -> dict[str, Any]:
    """Every analysis stage in order; returns the results that the report reads."""
    from vagg import evolution, models
    from vagg import robustness as checks
    from vagg.data import load_guangdong, load_seed_table1
    from vagg.mechanisms import audit_ranking, flow_networks, index_table

    seed = config["run"]["seed"]
    x, y = config["index"]["name"], config["outcome"]["name"]
    controls = list(config["model"]["controls"])
    mediators = list(config["model"]["mediators"]) or DEFAULT_MEDIATORS
    effects, cov = config["model"]["effects"], config["model"]["cov"]
    group = config["data"]["group"]
    panel, built = stages.run("index, outcomes and mediators", build_variables, panel, config)
    w = _weights(config["model"]["weights"], panel)
    res: dict[str, Any] = {"panel": panel, "built": built, "x": x, "y": y, "controls": controls,
                           "mediators": mediators, "group": group, "gdf": load_guangdong()}
    years = sorted(panel.index.get_level_values(1).unique())
    shown_years = table1_years(years, config["output"].get("table1_years", []))
    res["shown_years"] = shown_years
    res["table1"] = index_table(built["index"], years=shown_years)
    seed_table = load_seed_table1()
    res["audit"] = audit_ranking(seed_table, "index_2020", "reported_rank")
    res["audit_rows"] = len(seed_table)

    def describe() -> dict[str, Any]:
        return {
            "dagum": evolution.dagum_gini(panel, group, column=x),
            "theil": evolution.theil(panel, group, column=x),
            "moran": evolution.moran(panel, x, w, seed=seed),
            "lisa": evolution.lisa(panel, x, w, seed=seed),
            "density": evolution.kernel_density(panel, x),
            "sigma": evolution.sigma_convergence(panel, x),
            "beta": evolution.beta_convergence(panel, x, kind="absolute"),
        }

    res["evolution"] = stages.run("evolution", describe)
    last = years[-1]
    res["flows"] = {name: flow_networks(panel.xs(last, level=1, drop_level=False), mass)[last]
                    for name, mass in (("innovation", "invention_patents"), ("finance", ["deposits", "loans"]))}
    rhs = " + ".join([x] + controls)

    def baseline() -> dict[str, Any]:
        fits = [models.PanelFE.from_formula(f"{y} ~ {x}", panel, effects=effects).fit(cov=cov),
                models.PanelFE.from_formula(f"{y} ~ {rhs}", panel, effects=effects).fit(cov=cov),
                models.PanelFE.from_formula(f"construction_index ~ {rhs}", panel, effects=effects).fit(cov=cov),
                models.PanelFE.from_formula(f"va_construction_coordination ~ {rhs}", panel,
                                            effects=effects).fit(cov=cov)]
        wild = [fit.wild_bootstrap(x, n_boot=config["run"]["bootstrap_draws"], seed=seed) for fit in fits]
        return {"fits": fits, "wild": wild}

    res["baseline"] = stages.run("baseline two-way FE", baseline)
    def mediation() -> dict[str, Any]:
        return {outcome: models.Mediation(panel, outcome=outcome, treatment=x, mediators=mediators,
                                          controls=controls, effects=effects).fit(
                    n_boot=config["run"]["bootstrap_draws"], seed=seed, progress=False)
                for outcome in (y, "construction_index")}

    res["mediation"] = stages.run("mediation", mediation)

    def spatial() -> dict[str, Any]:
        fits = [models.SpatialPanel.from_formula(f"{outcome} ~ {rhs}", panel, w=w, model="sdm",
                                                 effects="twoway").fit()
                for outcome in (y, "construction_index")]
        impacts = [fit.impacts(draws=config["run"]["impact_draws"], seed=seed) for fit in fits]
        return {"fits": fits, "impacts": impacts}

    res["spatial"] = stages.run("spatial Durbin", spatial)

    def battery() -> Any:
        base = checks.Spec(outcome=y, treatment=x, controls=tuple(controls), effects=effects)
        variants = {**checks.index_variants(panel, x),
                    **checks.outcome_variants(y, {"construction index": panel["construction_index"],
                                                  "VA-construction coordination":
                                                      panel["va_construction_coordination"]}),
                    **checks.standard_variants(base, instrument=INSTRUMENT)}
        return checks.robustness(panel, base, select_variants(variants, config["robustness"]["variants"]),
                                 placebo=config["robustness"]["placebo_draws"], seed=seed)

    res["robustness"] = stages.run("robustness", battery)
    res["heterogeneity"] = stages.run(
        "heterogeneity", lambda: checks.group_heterogeneity(panel, y, x, controls, groups=group, n_perm=500,
                                                            seed=seed))
    res["contributions"] = stages.run(
        "dimension contributions", lambda: checks.dimension_contributions(panel, y, built["dimensions"], controls))

    def curve() -> Any:
        treatments = {name.split(": ")[-1]: variant["columns"][x]
                      for name, variant in checks.index_variants(panel, x).items()}
        # one curve per outcome: outcomes on different scales are not pooled, and each has its joint test
        return {outcome: checks.specification_curve(panel, outcomes=[outcome], treatments=treatments,
                                                    controls={"none": [], "controls": controls}, n_boot=200,
                                                    seed=seed, n_jobs=1, progress=False)
                for outcome in (y, "construction_index")}

    res["speccurve"] = stages.run("specification curve", curve)
    return res


def run_pipeline(config: dict[str, Any], out: str | Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Run every stage of the analysis described by a validated config.

    Stages: load and validate the panel; build the virtual-agglomeration
    index (and its four dimension sub-indices), the synergy outcome, the
    construction outcomes and the flow-network mediators; describe the
    evolution (Table 1, Dagum, Moran / LISA, densities, convergence);
    estimate the baseline two-way FE, the mediation model and the spatial
    Durbin model with effects; run robustness, heterogeneity, dimension
    contributions and a specification curve; write tables, figures,
    ``report.html``, ``panel.csv`` and ``manifest.json``.

    Returns the manifest (also written to ``manifest.json``).
    """
    import warnings

    from vagg.data import read_panel, validate_panel

    out_dir = Path(out if out is not None else config["output"]["dir"])
    (out_dir / "tables").mkdir(parents=True, exist_ok=True)
    (out_dir / "figures").mkdir(parents=True, exist_ok=True)
    stages = _Stages(progress)
    data_cfg = config["data"]
    panel = stages.run("load data", read_panel, data_cfg["path"], data_cfg["entity"], data_cfg["time"])
    panel = stages.run("validate panel", validate_panel, panel, balanced=True)
    simulated = bool(data_cfg["simulated"])
    output = _Output(out_dir, list(config["output"]["formats"]), simulated=simulated)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from vagg.report.assemble import build_report

        results = run_stages(panel, config, stages)
        report = stages.run("report", build_report, results, output, simulated, labels=config.get("labels", {}),
                            city_language=config["output"].get("city_names", "en"),
                            precision=config["output"].get("precision", "auto"))
    results["panel"].to_csv(out_dir / "panel.csv")
    output.files.append("panel.csv")
    report.write(out_dir / "report.html")
    output.files.append("report.html")

    manifest = {
        "out": str(out_dir),
        "simulated": simulated,
        "config": {k: v for k, v in config.items() if not k.startswith("_")},
        "seed": config["run"]["seed"],
        "versions": _versions(),
        "timings": stages.timings,
        "files": output.files + ["manifest.json"],
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    return manifest


def demo_config() -> dict[str, Any]:
    """The config of ``vagg demo``: the bundled, simulated panel."""
    from importlib import resources

    from vagg.config import tomllib

    raw = tomllib.loads((resources.files("vagg") / "templates" / "analysis.toml").read_text(encoding="utf-8"))
    with resources.as_file(resources.files("vagg.data") / "files" / "demo_panel.csv") as path:
        raw["data"]["path"] = str(path)
    raw["data"]["simulated"] = True
    return validate_config(raw)


def run_demo(out: str | Path = "vagg-demo", progress: bool = True) -> dict[str, Any]:
    """``vagg demo``: the whole analysis on the bundled simulated panel."""
    return run_pipeline(demo_config(), out=out, progress=progress)
