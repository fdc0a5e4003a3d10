"""Assemble the HTML report, tables and figures from the pipeline's results.

Reads results only; it fits nothing.  Each section has its table(s), its
figure(s) and one line of reading.  Variables are shown under their labels
(:mod:`vagg.report.labels`, the config's ``[labels]``), cities under their
English or Chinese names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from vagg.report import figures as F
from vagg.report.html import Report, Section
from vagg.report.labels import label, labels_with_defaults
from vagg.report.numbers import format_pvalue
from vagg.report.regression import regression_table
from vagg.report.table import frame_table


def _p(value: float, equals: str = "") -> str:
    """A p-value in running text: "= 0.012", or "<0.001" (never "0.000")."""
    text = format_pvalue(float(value))[0]
    return text if text.startswith("<") else equals + text


def _summary(panel: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    table = panel[columns].agg(["count", "mean", "std", "min", "max"]).T
    table["count"] = table["count"].astype(int)
    return table


def placebo_summary(placebo: Any) -> pd.DataFrame:
    """The permutation distribution of a placebo test beside the real estimate, one statistic per row.

    The interval is the 2.5% and 97.5% quantiles of the placebo estimates
    (where estimates fall when the treatment is assigned at random), not an
    interval around the real estimate.
    """
    draws = np.asarray(placebo.draws, dtype=float)
    rows = {
        "real estimate": placebo.estimate,
        "placebo estimates: mean": float(np.mean(draws)),
        "placebo estimates: sd": float(np.std(draws, ddof=1)),
        "placebo estimates: 2.5% quantile": float(np.quantile(draws, 0.025)),
        "placebo estimates: 97.5% quantile": float(np.quantile(draws, 0.975)),
        "share of |placebo| ≥ |real|": placebo.share_beyond,
        "permutation p": placebo.pvalue,
        "permutations": len(draws),
    }
    return pd.DataFrame({"value": list(rows.values())}, index=pd.Index(list(rows), name="statistic"), dtype=object)


def heterogeneity_tables(het: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """By-group estimates with their gap to the reference group, and the pooled interaction model's differences.

    The gaps are differences of the separately estimated slopes; the pooled
    model's differences come from one model with common controls and fixed
    effects, so the two need not agree.
    """
    by_group = het.by_group.copy()
    if {"status", "reason"} <= set(by_group.columns) and (by_group["status"] != "failed").all():
        by_group = by_group.drop(columns=["status", "reason"])  # the reasons go into a note
    reference = het.reference
    gap = by_group["estimate"] - by_group.loc[reference, "estimate"]
    by_group.insert(1, "gap_to_reference", gap.where(by_group.index != reference))
    return by_group, het.differences


def build_report(res: dict[str, Any], output: Any, simulated: bool, labels: Mapping[str, str] | None = None,
                 city_language: str = "en", precision: str = "auto") -> Report:
    """The report of one pipeline run; tables and figures are written through ``output``.

    ``labels`` (the config's ``[labels]``) override :data:`vagg.report.labels.DEFAULT_LABELS`;
    ``city_language`` ("en" or "zh") chooses the city names on the maps; ``precision``
    ("auto" or "scientific") how tiny non-zero numbers print.
    """
    panel, x, y, group, gdf = res["panel"], res["x"], res["y"], res["group"], res["gdf"]
    controls, built = res["controls"], res["built"]
    user = labels_with_defaults(labels)
    names = sorted({*map(str, panel.columns), *user})  # a spatial lag W_x is shown under x's label
    L = {n: label(n, user) for n in names}
    cities = F.city_names(gdf, city_language)
    report = Report(title="Virtual agglomeration and regional industrial synergy", simulated=simulated,
                    intro=f"{panel.index.get_level_values(0).nunique()} cities, "
                          f"{panel.index.get_level_values(1).nunique()} years, {len(panel)} city-years.")
    years = sorted(panel.index.get_level_values(1).unique())
    shown = list(res.get("shown_years") or [years[0], years[len(years) // 2], years[-1]])

    def ftable(frame: pd.DataFrame, name: str, digits: int | list[int] = 4, title: str = "", notes=(),
               rows: Mapping[str, str] | None = None) -> Any:
        return output.table(frame_table(frame, title=title, digits=digits, notes=notes, labels={**L, **(rows or {})},
                                        precision=precision), name)

    variables = [x, *built["dimensions"], y, "construction_index", "va_construction_coordination",
                 "construction_services_coagglomeration", *res["mediators"], *controls]
    summary = ftable(_summary(panel, variables), "summary_statistics", 3, "Summary statistics")
    report.add(Section("Data", reading="Which outcome answers which question: synergy (coupling coordination of "
                       "specialised manufacturing and productive services) is the source study's industrial synergy; "
                       "the construction index and its coordination with virtual agglomeration answer the title's "
                       "question about the regional construction industry.", tables=[summary]))

    table1 = ftable(res["table1"].set_index(res["table1"].columns[0]), "table1_index", 1,
                    f"Table 1 layout: virtual-agglomeration index (0-100), {', '.join(map(str, shown))}")
    audit = ftable(res["audit"].set_index("city"), "table1_rank_audit", 1,
                   "Published Table 1: rows whose reported rank disagrees with the 2020 values")
    weights = ftable(built["index"].weights, "index_weights", 4, "Indicator weights")
    scores = panel[x].unstack(level=1)
    map_path = output.figure(F.index_map(gdf, scores, years=shown, legend_label=f"{L[x]} (classes)",
                                         names=cities), "index_map")
    report.add(Section("The virtual-agglomeration index", tables=[table1, audit, weights],
                       figures=[(map_path, f"{L[x]} by city, {', '.join(map(str, shown))}; classes shared across "
                                           "years")],
                       reading=f"{len(res['audit'])} of {res['audit_rows']} ranks published in Table 1 disagree "
                               "with its own 2020 values; the recomputed ranks follow the values."))

    evo = res["evolution"]
    dagum = evo["dagum"].summary
    dagum_t = ftable(dagum, "dagum", 4, "Dagum Gini decomposition by year")
    share_cols = [c for c in dagum.columns if c.endswith("_share")]
    dagum_fig = output.figure(F.stacked_shares(dagum, share_cols, title="Contributions to the Dagum Gini",
                                               labels=L), "dagum_shares")
    moran = evo["moran"]
    moran_t = ftable(moran, "moran", 4, "Global Moran's I by year")
    i_col = "I" if "I" in moran.columns else moran.columns[0]
    p_col = next((c for c in ("p_sim", "p_norm", "p") if c in moran.columns), None)
    moran_fig = output.figure(F.lines_over_time(moran, [i_col], significance=p_col, title="Global Moran's I",
                                                ylabel="Moran's I", labels={i_col: "Moran's I"}), "moran")
    lisa = evo["lisa"]
    lisa_last = lisa.xs(years[-1], level=1) if isinstance(lisa.index, pd.MultiIndex) else lisa
    lisa_fig = output.figure(F.category_map(gdf, lisa_last["cluster"], title=f"LISA clusters, {years[-1]}",
                                            names=cities), "lisa")
    density = evo["density"].pivot(index="x", columns="year", values="density")
    kde_fig = output.figure(F.ridge_densities(density, xlabel=L[x]), "kernel_density")
    sigma = ftable(evo["sigma"], "sigma_convergence", 4, "Sigma convergence")
    beta = ftable(evo["beta"].table, "beta_convergence", 4, "Absolute beta convergence")
    total = dagum["total"]
    report.add(Section("Spatiotemporal evolution", tables=[dagum_t, moran_t, sigma, beta],
                       figures=[(dagum_fig, "Contributions to the Dagum Gini"), (moran_fig, "Moran's I"),
                                (lisa_fig, "LISA clusters"), (kde_fig, "Kernel densities by year")],
                       reading=f"The Gini of the index moves from {total.iloc[0]:.3f} ({years[0]}) to "
                               f"{total.iloc[-1]:.3f} ({years[-1]}); between-region differences carry "
                               f"{dagum['between_share'].iloc[-1]:.0%} of it in {years[-1]}."))

    units = {"innovation": "gravity flow of invention patents", "finance": "gravity flow of deposits and loans"}
    net_figs = [(output.figure(F.network_map(gdf, flows, title=f"{name.capitalize()} flows, {years[-1]}",
                                             names=cities, unit=units.get(name, "flow")), f"network_{name}"),
                 f"Strongest {name} flows (gravity model)") for name, flows in res["flows"].items()]
    hubs = {name: cities[flows.sum(axis=0).idxmax()] for name, flows in res["flows"].items()}
    report.add(Section("Flow networks", figures=net_figs,
                       reading="Largest inflow in " + str(years[-1]) + ": "
                               + "; ".join(f"{name} network {hub}" for name, hub in hubs.items())
                               + ". Network centralities are in panel.csv as mediator candidates."))

    base = res["baseline"]
    notes = [f"Wild cluster bootstrap (WCR, Webb weights) p-value for {L[x]}: "
             + ", ".join(f"({k + 1}) {_p(w.pvalue)}" for k, w in enumerate(base["wild"]))]
    baseline_t = output.table(regression_table(base["fits"], title="Baseline two-way fixed effects", labels=L,
                                               notes=notes, precision=precision), "baseline_fe")
    est = base["fits"][1].params[x]
    report.add(Section("Baseline", tables=[baseline_t],
                       reading=f"A one-point rise of the index goes with a {est:.4f} change in synergy "
                               f"(clustered p {_p(base['fits'][1].pvalues[x], '= ')}, wild bootstrap p "
                               f"{_p(base['wild'][1].pvalue, '= ')})."))

    meds = res["mediation"]
    med = meds[y]
    stage_fits = [fit for m in meds.values() for fit in m.stages.values()]
    stage_label = {"total": "Total effect", "outcome": "Outcome equation"}
    stage_names = [stage_label.get(stage, f"Mediator: {L.get(stage, stage)}") for m in meds.values()
                   for stage in m.stages]
    med_groups = [(L.get(outcome, outcome), len(m.stages)) for outcome, m in meds.items()]
    stages_t = output.table(regression_table(stage_fits, model_names=stage_names, keep=[x, *res["mediators"]],
                                             labels=L, groups=med_groups, precision=precision,
                                             title="Mediation: stage regressions"), "mediation_stages")
    indirect = pd.concat({L.get(outcome, outcome): m.indirect.rename(index=lambda p: L.get(p, p))
                          for outcome, m in meds.items()}, names=["outcome", "path"])
    indirect_t = ftable(indirect, "mediation_indirect", 4, "Indirect effects (cluster bootstrap)")
    report.add(Section("Mediation through innovation and financial flows", tables=[stages_t, indirect_t],
                       reading=f"Total indirect effect on {L[y]} {med.indirect.loc['total', 'estimate']:.4f}, 95% CI "
                               f"[{med.indirect.loc['total', 'ci_low']:.4f}, {med.indirect.loc['total', 'ci_high']:.4f}]"
                               f", against a total effect of {med.total_effect:.4f}."))

    sp = res["spatial"]
    sdm_t = output.table(regression_table(sp["fits"], effects=sp["impacts"], labels=L, precision=precision,
                                          title="Spatial Durbin panel models"),
                         "spatial_durbin")
    imp = sp["impacts"][0]
    long = pd.DataFrame([(kind.capitalize(), imp.loc[x, kind], imp.loc[x, f"{kind}_se"])
                         for kind in ("direct", "indirect", "total")], columns=["effect", "est", "se"]).set_index("effect")
    long["lo"], long["hi"] = long["est"] - 1.96 * long["se"], long["est"] + 1.96 * long["se"]
    eff_fig = output.figure(F.interval_plot(long, "est", "lo", "hi", title=f"SDM effects of {L[x]} on {L[y]}",
                                            xlabel="effect (95% interval)"), "sdm_effects")
    report.add(Section("Spatial Durbin model", tables=[sdm_t], figures=[(eff_fig, "Direct, indirect, total effects")],
                       reading=f"rho = {sp['fits'][0].params['rho']:.3f}; the spillover (indirect) effect of the index "
                               f"is {imp.loc[x, 'indirect']:.4f} (se {imp.loc[x, 'indirect_se']:.4f})."))

    rob = res["robustness"]
    battery = rob.table.set_index(rob.table.columns[0])
    battery = battery[~battery.index.astype(str).str.startswith("placebo")]
    rob_t = ftable(battery.drop(columns=[c for c in ("result",) if c in battery.columns]), "robustness", 4,
                   "Robustness battery")
    tables, figs = [rob_t], []
    reading = ""
    if rob.placebo is not None:
        placebo = placebo_summary(rob.placebo)
        tables.append(ftable(placebo, "placebo", 4, f"Placebo test: {L[x]} permuted across cities",
                             notes=["The quantiles describe the permutation distribution of placebo estimates, "
                                    "not an interval around the real estimate."]))
        figs.append((output.figure(F.placebo_density(rob.placebo.draws, rob.placebo.estimate,
                                                     title=f"Placebo: {L[x]} permuted across cities"), "placebo"),
                     "Placebo estimates and the real one"))
        reading = (f" The real estimate {rob.placebo.estimate:.4f} lies outside the placebo distribution's central "
                   f"95% [{placebo.loc['placebo estimates: 2.5% quantile', 'value']:.4f}, "
                   f"{placebo.loc['placebo estimates: 97.5% quantile', 'value']:.4f}] "
                   f"(permutation p {_p(rob.placebo.pvalue, '= ')})."
                   if rob.placebo.share_beyond < 0.05 else
                   f" Permutation p {_p(rob.placebo.pvalue, '= ')} for the real estimate {rob.placebo.estimate:.4f}.")
    ok = battery[battery["status"] != "failed"]
    report.add(Section("Robustness", tables=tables, figures=figs,
                       reading=f"{(ok['estimate'] > 0).sum()} of {len(ok)} estimable variants keep a positive "
                               "estimate; failed variants are listed with their reason." + reading))

    het = res["heterogeneity"]
    by_group, differences = heterogeneity_tables(het)
    reasons = het.by_group["reason"].fillna("").astype(str) if "reason" in het.by_group else pd.Series(dtype=str)
    reason_notes = [f"{g}: {r}." for g, r in reasons.items() if r and "reason" not in by_group.columns]
    het_t = ftable(by_group, "heterogeneity", 4,
                   f"Heterogeneity by {group}: separate estimates per group (reference: {het.reference})",
                   notes=["Gap to reference: the group's estimate minus the reference group's, both from separate "
                          "regressions.", *reason_notes], rows={het.reference: f"{het.reference} (reference)"})
    diff_t = ftable(differences, "heterogeneity_differences", 4,
                    f"Pooled interaction model: slope differences from {het.reference}",
                    notes=["One model with common controls and fixed effects and the treatment interacted with each "
                           "group; its differences need not equal the gaps between the separate estimates."])
    good = het.by_group[het.by_group["status"] != "failed"]
    het_fig = output.figure(F.interval_plot(good, "estimate", "ci_low", "ci_high", reference=het.reference,
                                            title=f"Effect of {L[x]} by {group} (separate regressions)",
                                            xlabel="estimate (95% interval)"), "heterogeneity")
    report.add(Section("Heterogeneity", tables=[het_t, diff_t], figures=[(het_fig, "Effect by region group")],
                       reading=f"Reference group: {het.reference}. Wald test of equal slopes in the pooled "
                               f"interaction model p {_p(het.wald['pvalue'], '= ')}; permutation test p "
                               f"{_p(het.permutation_p, '= ')}."))

    con = res["contributions"]
    con_t = ftable(con.table, "contributions", 4, "Shapley-Owen decomposition of the within R²")
    con_fig = output.figure(F.share_bars(con.table["shapley_r2"], title="Dimension contributions", labels=L),
                            "contributions")
    report.add(Section("Dimension contributions", tables=[con_t], figures=[(con_fig, "Shapley shares")],
                       reading=f"The four dimensions and controls explain a within R² of {con.rsquared_within:.3f}; "
                               f"the largest share is {L.get(con.table['shapley_r2'].idxmax(), con.table['shapley_r2'].idxmax())}."))

    curves = res["speccurve"]
    table = pd.concat([c.table for c in curves.values()], ignore_index=True)
    varying = [d for d in dict.fromkeys(d for c in curves.values() for d in c.varying)]
    varying = ["outcome", *[d for d in varying if d != "outcome"]] if len(curves) > 1 else varying
    cur_fig = output.figure(F.specification_curve(table, varying, facet="outcome", labels=L,
                                                  title="Specification curve, one panel per outcome"),
                            "specification_curve")
    tables = []
    inference = {L.get(o, o): c.inference for o, c in curves.items() if c.inference is not None}
    if inference:
        draws = max(c.draws.shape[1] for c in curves.values() if c.draws is not None)
        tables.append(ftable(pd.concat(inference, names=["outcome", "statistic"]), "specification_curve_test",
                             [4, 3, 0], "Specification curve: joint test under the null, per outcome",
                             notes=[f"p-values: share of {draws} null-bootstrap curves at least as extreme; a p-value "
                                    f"below 1/{draws} means no draw was (Simonsohn, Simmons and Nelson 2020)."]))
    positive = {L.get(o, o): float(np.mean(c.table["estimate"] > 0)) for o, c in curves.items()}
    report.add(Section("Specification curve", tables=tables, figures=[(cur_fig, "Sorted estimates and choices, "
                                                                                "each outcome on its own scale")],
                       reading="Share of specifications with a positive estimate: "
                               + "; ".join(f"{o} {s:.0%}" for o, s in positive.items()) + "."))
    return report
