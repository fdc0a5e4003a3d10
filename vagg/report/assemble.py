"""Assemble the HTML report, tables and figures from the pipeline's results.

Reads results only; it fits nothing.  Each section has its table(s), its
figure(s) and one line of reading.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vagg.report import figures as F
from vagg.report.html import Report, Section
from vagg.report.regression import regression_table
from vagg.report.table import frame_table

SUMMARY_COLUMNS = ("virtual agglomeration", "synergy", "construction")


def _summary(panel: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    table = panel[columns].agg(["count", "mean", "std", "min", "max"]).T
    table["count"] = table["count"].astype(int)
    return table


def build_report(res: dict[str, Any], output: Any, simulated: bool) -> Report:
    """The report of one pipeline run; tables and figures are written through ``output``."""
    panel, x, y, gdf = res["panel"], res["x"], res["y"], res["gdf"]
    controls, built = res["controls"], res["built"]
    report = Report(title="Virtual agglomeration and regional industrial synergy", simulated=simulated,
                    intro=f"{panel.index.get_level_values(0).nunique()} cities, "
                          f"{panel.index.get_level_values(1).nunique()} years, {len(panel)} city-years.")
    years = sorted(panel.index.get_level_values(1).unique())

    variables = [c for c in (x, *built["dimensions"], y, "construction_index", "va_construction_coordination",
                             "construction_services_coagglomeration", *res["mediators"], *controls)
                 if c in panel.columns]
    summary = output.table(frame_table(_summary(panel, variables), title="Summary statistics"), "summary_statistics")
    report.add(Section("Data", reading="Which outcome answers which question: synergy (coupling coordination of "
                       "specialised manufacturing and productive services) is the source study's industrial synergy; "
                       "the construction index and its coordination with virtual agglomeration answer the title's "
                       "question about the regional construction industry.", tables=[summary]))
    sample_notes = [*res.get("data_notes", []), *(f"skipped: {s}" for s in res.get("skipped", [])),
                    *res.get("notes", [])]
    if sample_notes:
        report.add(Section("Sample, missing data and skipped stages", reading=" | ".join(sample_notes)))

    index_tables, index_figures, index_reading = [], [], f"The index is the column {x!r}."
    if "table1" in res:
        index_tables.append(output.table(frame_table(res["table1"].set_index(res["table1"].columns[0]), digits=1,
                                         title="Table 1 layout: virtual-agglomeration index (0-100)"), "table1_index"))
        index_tables.append(output.table(frame_table(
            res["audit"].set_index("city"), digits=1,
            title="Published Table 1: rows whose reported rank disagrees with the 2020 values"), "table1_rank_audit"))
        index_reading = (f"{len(res['audit'])} of {res['audit_rows']} ranks published in Table 1 disagree "
                         "with its own 2020 values; the recomputed ranks follow the values.")
    if built["index"] is not None:
        index_tables.append(output.table(frame_table(built["index"].weights, digits=4, title="Indicator weights"),
                                         "index_weights"))
    shown = [years[0], years[len(years) // 2], years[-1]]
    scores = panel[x].unstack(level=1)
    if res.get("geography", True):
        map_path = output.figure(F.index_map(gdf, scores, years=shown, legend_label="index"), "index_map")
        index_figures.append((map_path, "Index by city, classes shared across years"))
    report.add(Section("The virtual-agglomeration index", tables=index_tables, figures=index_figures,
                       reading=index_reading))

    evo = res["evolution"]
    evo_tables, evo_figures, evo_reading = [], [], ""
    if "dagum" in evo:
        dagum = evo["dagum"].summary
        evo_tables.append(output.table(frame_table(dagum, digits=4, title="Dagum Gini decomposition by year"),
                                       "dagum"))
        share_cols = [c for c in dagum.columns if c.endswith("_share")]
        evo_figures.append((output.figure(F.stacked_shares(dagum, share_cols, title="Dagum contributions"),
                                          "dagum_shares"), "Contributions to the Dagum Gini"))
        total = dagum["total"]
        evo_reading = (f"The Gini of the index moves from {total.iloc[0]:.3f} ({years[0]}) to "
                       f"{total.iloc[-1]:.3f} ({years[-1]}); between-region differences carry "
                       f"{dagum['between_share'].iloc[-1]:.0%} of it in {years[-1]}.")
    if "moran" in evo:
        moran = evo["moran"]
        evo_tables.append(output.table(frame_table(moran, digits=4, title="Global Moran's I by year"), "moran"))
        i_col = "I" if "I" in moran.columns else moran.columns[0]
        p_col = next((c for c in ("p_sim", "p_norm", "p") if c in moran.columns), None)
        evo_figures.append((output.figure(F.lines_over_time(moran, [i_col], significance=p_col, title="Moran's I"),
                                          "moran"), "Moran's I"))
        lisa = evo["lisa"]
        lisa_last = lisa.xs(years[-1], level=1) if isinstance(lisa.index, pd.MultiIndex) else lisa
        if gdf is not None:  # a matrix-file source gives weights but no boundaries
            evo_figures.append((output.figure(F.category_map(gdf, lisa_last["cluster"], title=f"LISA clusters "
                                                             f"{years[-1]}"), "lisa"), "LISA clusters"))
    density = evo["density"].pivot(index="x", columns="year", values="density")
    kde_fig = output.figure(F.ridge_densities(density, xlabel="index"), "kernel_density")
    sigma = output.table(frame_table(evo["sigma"], digits=4, title="Sigma convergence"), "sigma_convergence")
    beta = output.table(frame_table(evo["beta"].table, digits=4, title="Absolute beta convergence"),
                        "beta_convergence")
    report.add(Section("Spatiotemporal evolution", tables=[*evo_tables, sigma, beta],
                       figures=[*evo_figures, (kde_fig, "Kernel densities by year")], reading=evo_reading))

    if "flows" in res:
        net_figs = [(output.figure(F.network_map(gdf, flows, title=f"{name} flows {years[-1]}"), f"network_{name}"),
                     f"Strongest {name} flows (gravity model)") for name, flows in res["flows"].items()]
        hubs = {name: gdf.loc[flows.sum(axis=0).idxmax(), "name_en"] for name, flows in res["flows"].items()}
        report.add(Section("Flow networks", figures=net_figs,
                           reading="Largest inflow in " + str(years[-1]) + ": "
                                   + "; ".join(f"{name} network {hub}" for name, hub in hubs.items())
                                   + ". Network centralities are in panel.csv as mediator candidates."))

    base = res["baseline"]
    notes = ([f"Wild cluster bootstrap (WCR, Webb weights) p-value for {x}: "
              + ", ".join(f"({k + 1}) {w.pvalue:.3f}" for k, w in enumerate(base["wild"]))]
             if base["wild"] is not None else [])
    baseline_t = output.table(regression_table(base["fits"], title="Baseline fixed effects",
                                               notes=notes), "baseline_fe")
    est = base["fits"][1].params[x]
    wild_p = f", wild bootstrap p = {base['wild'][1].pvalue:.3f}" if base["wild"] is not None else ""
    report.add(Section("Baseline", tables=[baseline_t],
                       reading=f"A one-point rise of the index goes with a {est:.4f} change in {y} "
                               f"(p = {base['fits'][1].pvalues[x]:.3f}{wild_p})."))

    if "mediation" in res:
        _mediation(res, output, report)
    if "spatial" in res:
        _spatial(res, output, report)
    _checks(res, output, report)
    return report


def _mediation(res: dict[str, Any], output: Any, report: Report) -> None:
    x, y = res["x"], res["y"]
    meds = res["mediation"]
    med = meds[y]
    stage_fits = [fit for m in meds.values() for fit in m.stages.values()]
    stage_names = [f"{outcome}: {stage}" for outcome, m in meds.items() for stage in m.stages]
    stages_t = output.table(regression_table(stage_fits, model_names=stage_names, keep=[x, *res["mediators"]],
                                             title="Mediation: stage regressions"), "mediation_stages")
    indirect = pd.concat({outcome: m.indirect for outcome, m in meds.items()}, names=["outcome", "path"])
    indirect_t = output.table(frame_table(indirect, digits=4, title="Indirect effects (cluster bootstrap)"),
                              "mediation_indirect")
    report.add(Section("Mediation through innovation and financial flows", tables=[stages_t, indirect_t],
                       reading=f"Total indirect effect on {y} {med.indirect.loc['total', 'estimate']:.4f}, 95% CI "
                               f"[{med.indirect.loc['total', 'ci_low']:.4f}, {med.indirect.loc['total', 'ci_high']:.4f}]"
                               f", against a total effect of {med.total_effect:.4f}."))


def _spatial(res: dict[str, Any], output: Any, report: Report) -> None:
    x = res["x"]
    sp = res["spatial"]
    sdm_t = output.table(regression_table(sp["fits"], effects=sp["impacts"], title="Spatial Durbin panel models"),
                         "spatial_durbin")
    imp = sp["impacts"][0]
    long = pd.DataFrame([(f"{kind}", imp.loc[x, kind], imp.loc[x, f"{kind}_se"])
                         for kind in ("direct", "indirect", "total")], columns=["effect", "est", "se"]).set_index("effect")
    long["lo"], long["hi"] = long["est"] - 1.96 * long["se"], long["est"] + 1.96 * long["se"]
    eff_fig = output.figure(F.interval_plot(long, "est", "lo", "hi", title=f"SDM effects of {x}"), "sdm_effects")
    report.add(Section("Spatial Durbin model", tables=[sdm_t], figures=[(eff_fig, "Direct, indirect, total effects")],
                       reading=f"rho = {sp['fits'][0].params['rho']:.3f}; the spillover (indirect) effect of the index "
                               f"is {imp.loc[x, 'indirect']:.4f} (se {imp.loc[x, 'indirect_se']:.4f})."))


def _checks(res: dict[str, Any], output: Any, report: Report) -> None:
    group = res["group"]
    rob = res["robustness"]
    rob_t = output.table(frame_table(rob.table.set_index(rob.table.columns[0]).drop(
        columns=[c for c in ("result",) if c in rob.table.columns]), digits=4, title="Robustness battery"),
        "robustness")
    figs = []
    if rob.placebo is not None:
        figs.append((output.figure(F.placebo_density(rob.placebo.draws, rob.placebo.estimate,
                                                     title="Placebo: index permuted across cities"), "placebo"),
                     "Placebo estimates and the real one"))
    ok = rob.table[rob.table["status"] != "failed"]
    report.add(Section("Robustness", tables=[rob_t], figures=figs,
                       reading=f"{(ok['estimate'] > 0).sum()} of {len(ok)} estimable variants keep a positive "
                               "estimate; failed variants are listed with their reason."))

    if "heterogeneity" in res:
        het = res["heterogeneity"]
        het_t = output.table(frame_table(het.by_group, digits=4, title=f"Heterogeneity by {group}"),
                             "heterogeneity")
        diff_t = output.table(frame_table(het.differences, digits=4, title="Differences from the reference group"),
                              "heterogeneity_differences")
        good = het.by_group[het.by_group["status"] != "failed"]
        het_fig = output.figure(F.interval_plot(good, "estimate", "ci_low", "ci_high", title="Effect by group"),
                                "heterogeneity")
        report.add(Section("Heterogeneity", tables=[het_t, diff_t], figures=[(het_fig, "Effect by region group")],
                           reading=f"Permutation test of equal slopes: p = {het.permutation_p:.3f}."))

    if "contributions" in res:
        con = res["contributions"]
        con_t = output.table(frame_table(con.table, digits=4, title="Shapley-Owen decomposition of the within R²"),
                             "contributions")
        con_fig = output.figure(F.share_bars(con.table["shapley_r2"], title="Dimension contributions"),
                                "contributions")
        report.add(Section("Dimension contributions", tables=[con_t], figures=[(con_fig, "Shapley shares")],
                           reading=f"The four dimensions and controls explain a within R² of "
                                   f"{con.rsquared_within:.3f}; the largest share is {con.table['shapley_r2'].idxmax()}."))

    curve = res["speccurve"]
    cur_fig = output.figure(F.specification_curve(curve.table, curve.varying, title="Specification curve"),
                            "specification_curve")
    tables = []
    if curve.inference is not None:
        tables.append(output.table(frame_table(curve.inference, digits=4, title="Specification curve: joint test"),
                                   "specification_curve_test"))
    positive = float(np.mean(curve.table["estimate"] > 0))
    report.add(Section("Specification curve", tables=tables, figures=[(cur_fig, "Sorted estimates and choices")],
                       reading=f"{positive:.0%} of {len(curve.table)} specifications give a positive estimate."))
