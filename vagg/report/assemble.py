"""Assemble the HTML report, tables and figures from the pipeline's results.

Reads results only; it fits nothing.  Each section has its table(s), its
figure(s) and one line of reading; a stage the run skipped has no section.
Variables are shown under their labels (:mod:`vagg.report.labels`, the
config's ``[labels]``), cities under their English or Chinese names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from vagg.report import figures as F
from vagg.report.html import Report, Section
from vagg.report.labels import label, labels_with_defaults
from vagg.report.numbers import format_pvalue
from vagg.report.optional import add_optional_sections
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


@dataclass
class _Writer:
    """Writes tables and figures through the pipeline's output with the run's labels and precision."""

    output: Any
    labels: dict[str, str]
    precision: str
    cities: pd.Series | None

    def table(self, frame: pd.DataFrame, name: str, digits: int | list[int] = 4, title: str = "",
              notes: tuple | list = (), rows: Mapping[str, str] | None = None) -> Any:
        return self.output.table(frame_table(frame, title=title, digits=digits, notes=notes,
                                             labels={**self.labels, **(rows or {})}, precision=self.precision), name)

    def regression(self, results: list, name: str, **options: Any) -> Any:
        return self.output.table(regression_table(results, labels=self.labels, precision=self.precision, **options),
                                 name)

    def figure(self, fig: Any, name: str) -> str:
        return self.output.figure(fig, name)


def build_report(res: dict[str, Any], output: Any, simulated: bool, labels: Mapping[str, str] | None = None,
                 city_language: str = "en", precision: str = "auto") -> Report:
    """The report of one pipeline run; tables and figures are written through ``output``.

    ``labels`` (the config's ``[labels]``) override :data:`vagg.report.labels.DEFAULT_LABELS`;
    ``city_language`` ("en" or "zh") chooses the city names on the maps; ``precision``
    ("auto", "scientific" or "rescale") how tiny non-zero numbers print.
    """
    panel, x, y, gdf = res["panel"], res["x"], res["y"], res["gdf"]
    controls, built = res["controls"], res["built"]
    user = labels_with_defaults(labels)
    L = {n: label(n, user) for n in sorted({*map(str, panel.columns), *user})}  # W_x shows under x's label
    geography = res.get("geography", True)
    w = _Writer(output, L, precision, F.city_names(gdf, city_language) if geography and gdf is not None else None)
    report = Report(title="Virtual agglomeration and regional industrial synergy", simulated=simulated,
                    intro=f"{panel.index.get_level_values(0).nunique()} cities, "
                          f"{panel.index.get_level_values(1).nunique()} years, {len(panel)} city-years.")
    years = sorted(panel.index.get_level_values(1).unique())
    shown = list(res.get("shown_years") or [years[0], years[len(years) // 2], years[-1]])

    variables = [c for c in (x, *built["dimensions"], y, "construction_index", "va_construction_coordination",
                             "construction_services_coagglomeration", *res["mediators"], *controls)
                 if c in panel.columns]
    summary = w.table(_summary(panel, variables), "summary_statistics", 3, "Summary statistics")
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
        table1 = res["table1"].set_index(res["table1"].columns[0])
        index_tables.append(w.table(table1, "table1_index", 1, "Table 1 layout: virtual-agglomeration index (0-100), "
                                    + ", ".join(map(str, shown)), rows=_headers(table1.columns)))
    if "audit" in res:
        audit = res["audit"].set_index("city")
        index_tables.append(w.table(audit, "table1_rank_audit", 1, rows=_headers(audit.columns), title=
                                    f"Published ranks audited ({res['audit_source']}): rows whose reported rank "
                                    "disagrees with the published values"))
        index_reading = (f"{len(res['audit'])} of {res['audit_rows']} ranks published in {res['audit_source']} "
                         "disagree with its own values; the recomputed ranks follow the values.")
    if built["index"] is not None:
        index_tables.append(_weights_table(built["index"], w))
    if geography:
        scores = panel[x].unstack(level=1)
        map_path = w.figure(F.index_map(gdf, scores, years=shown, legend_label=f"{L.get(x, x)} (classes)",
                                        names=w.cities), "index_map")
        index_figures.append((map_path, f"{L.get(x, x)} by city, {', '.join(map(str, shown))}; classes shared "
                                        "across years"))
    report.add(Section("The virtual-agglomeration index", tables=index_tables, figures=index_figures,
                       reading=index_reading))

    _evolution(res, w, report, years)

    if "flows" in res:
        units = {"innovation": "gravity flow of invention patents", "finance": "gravity flow of deposits and loans"}
        net_figs = [(w.figure(F.network_map(gdf, flows, title=f"{name.capitalize()} flows, {years[-1]}",
                                            names=w.cities, unit=units.get(name, "flow")), f"network_{name}"),
                     f"Strongest {name} flows (gravity model)") for name, flows in res["flows"].items()]
        names = w.cities if w.cities is not None else gdf["name_en"]
        hubs = {name: names[flows.sum(axis=0).idxmax()] for name, flows in res["flows"].items()}
        report.add(Section("Flow networks", figures=net_figs,
                           reading="Largest inflow in " + str(years[-1]) + ": "
                                   + "; ".join(f"{name} network {hub}" for name, hub in hubs.items())
                                   + ". Network centralities are in panel.csv as mediator candidates."))

    base = res["baseline"]
    notes = ([f"Wild cluster bootstrap (WCR, Webb weights) p-value for {L.get(x, x)}: "
              + ", ".join(f"({k + 1}) {_p(b.pvalue)}" for k, b in enumerate(base["wild"]))]
             if base["wild"] is not None else [])
    baseline_t = w.regression(base["fits"], "baseline_fe", title="Baseline fixed effects", notes=notes)
    est = base["fits"][1].params[x]
    wild_p = f", wild bootstrap p {_p(base['wild'][1].pvalue, '= ')}" if base["wild"] is not None else ""
    report.add(Section("Baseline", tables=[baseline_t],
                       reading=f"A one-point rise of the index goes with a {est:.4f} change in {L.get(y, y)} "
                               f"(p {_p(base['fits'][1].pvalues[x], '= ')}{wild_p})."))

    if "mediation" in res:
        _mediation(res, w, report)
    if "spatial" in res:
        _spatial(res, w, report)
    _checks(res, w, report)
    add_optional_sections(res, w, report)
    return report


def _evolution(res: dict[str, Any], w: _Writer, report: Report, years: list[int]) -> None:
    x, gdf, L = res["x"], res["gdf"], w.labels
    evo = res["evolution"]
    tables, figures, reading = [], [], ""
    if "dagum" in evo:
        dagum = evo["dagum"].summary
        tables.append(w.table(dagum, "dagum", 4, "Dagum Gini decomposition by year"))
        share_cols = [c for c in dagum.columns if c.endswith("_share")]
        figures.append((w.figure(F.stacked_shares(dagum, share_cols, title="Contributions to the Dagum Gini",
                                                  labels=L), "dagum_shares"), "Contributions to the Dagum Gini"))
        total = dagum["total"]
        reading = (f"The Gini of the index moves from {total.iloc[0]:.3f} ({years[0]}) to "
                   f"{total.iloc[-1]:.3f} ({years[-1]}); between-region differences carry "
                   f"{dagum['between_share'].iloc[-1]:.0%} of it in {years[-1]}.")
    if "moran" in evo:
        moran = evo["moran"]
        tables.append(w.table(moran, "moran", 4, "Global Moran's I by year"))
        i_col = "I" if "I" in moran.columns else moran.columns[0]
        p_col = next((c for c in ("p_sim", "p_norm", "p") if c in moran.columns), None)
        figures.append((w.figure(F.lines_over_time(moran, [i_col], significance=p_col, title="Global Moran's I",
                                                   ylabel="Moran's I", labels={i_col: "Moran's I"}), "moran"),
                        "Moran's I"))
        lisa = evo["lisa"]
        lisa_last = lisa.xs(years[-1], level=1) if isinstance(lisa.index, pd.MultiIndex) else lisa
        if gdf is not None:  # a matrix-file source gives weights but no boundaries
            figures.append((w.figure(F.category_map(gdf, lisa_last["cluster"], title=f"LISA clusters, {years[-1]}",
                                                    names=w.cities), "lisa"), "LISA clusters"))
    density = evo["density"].pivot(index="x", columns="year", values="density")
    figures.append((w.figure(F.ridge_densities(density, xlabel=L.get(x, x)), "kernel_density"),
                    "Kernel densities by year"))
    tables.append(w.table(evo["sigma"], "sigma_convergence", 4, "Sigma convergence"))
    tables.append(w.table(evo["beta"].table, "beta_convergence", 4, "Absolute beta convergence"))
    report.add(Section("Spatiotemporal evolution", tables=tables, figures=figures, reading=reading))


def _weights_table(index: Any, w: _Writer) -> Any:
    """The indicator weights, printed with each indicator's description and unit and the dimensions' labels."""
    system = index.system
    named = {i.column: _capitalised(f"{i.description} ({i.unit})" if i.description and i.unit
                                    else i.description or i.unit or i.column) for i in system.indicators}
    headers = {"dimension": "Dimension", "direction": "Direction", "weight": "Weight",
               "weight_in_dimension": "Weight in dimension"}
    frame = index.weights.assign(dimension=index.weights["dimension"].map(lambda d: system.labels.get(d, d)))
    return w.table(frame, "index_weights", 4, "Indicator weights (direction +1 benefit, -1 cost)",
                   rows={**named, **headers})


def _headers(columns: Any) -> dict[str, str]:
    """Printed headers of a data table's snake_case columns ("index_2011" -> "Index 2011"); the CSV keeps the names."""
    return {str(c): {"adcode": "Code", "rank_gap": "Gap"}.get(str(c), _capitalised(str(c).replace("_", " ")))
            for c in columns}


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _mediation(res: dict[str, Any], w: _Writer, report: Report) -> None:
    x, y, L = res["x"], res["y"], w.labels
    meds = res["mediation"]
    med = meds[y]
    stage_label = {"total": "Total effect", "outcome": "Outcome equation"}
    stage_tables = [  # one table per outcome: side by side they would run off the page
        w.regression(list(m.stages.values()), f"mediation_stages_{k}",
                     model_names=[stage_label.get(stage, f"Mediator: {L.get(stage, stage)}") for stage in m.stages],
                     keep=[x, *res["mediators"]], title=f"Mediation: stage regressions, {L.get(outcome, outcome)}")
        for k, (outcome, m) in enumerate(meds.items(), start=1)]
    indirect = pd.concat({L.get(outcome, outcome): m.indirect.rename(index=lambda p: L.get(p, p))
                          for outcome, m in meds.items()}, names=["outcome", "path"])
    indirect_t = w.table(indirect, "mediation_indirect", 4, "Indirect effects (cluster bootstrap)")
    report.add(Section("Mediation through innovation and financial flows", tables=[*stage_tables, indirect_t],
                       reading=f"Total indirect effect on {L.get(y, y)} {med.indirect.loc['total', 'estimate']:.4f}, "
                               f"95% CI [{med.indirect.loc['total', 'ci_low']:.4f}, "
                               f"{med.indirect.loc['total', 'ci_high']:.4f}], against a total effect of "
                               f"{med.total_effect:.4f}."))


def _spatial(res: dict[str, Any], w: _Writer, report: Report) -> None:
    x, y, L = res["x"], res["y"], w.labels
    sp = res["spatial"]
    matrices = [f"W: {name} = {text}" for name, text in sp.get("matrices", {}).items()]
    sdm_t = w.regression(sp["fits"], "spatial_durbin", effects=sp["impacts"], model_names=sp.get("names"),
                         title="Spatial Durbin panel models", notes=matrices)
    imp = sp["impacts"][0]
    long = pd.DataFrame([(kind.capitalize(), imp.loc[x, kind], imp.loc[x, f"{kind}_lo"], imp.loc[x, f"{kind}_hi"])
                         for kind in ("direct", "indirect", "total")],
                        columns=["effect", "est", "lo", "hi"]).set_index("effect")
    eff_fig = w.figure(F.interval_plot(long, "est", "lo", "hi", title=f"SDM effects of {L.get(x, x)} on {L.get(y, y)}",
                                       xlabel="effect (95% simulated interval)"), "sdm_effects")
    report.add(Section("Spatial Durbin model", tables=[sdm_t], figures=[(eff_fig, "Direct, indirect, total effects")],
                       reading=f"rho = {sp['fits'][0].params['rho']:.3f}; the spillover (indirect) effect of the index "
                               f"is {imp.loc[x, 'indirect']:.4f} (se {imp.loc[x, 'indirect_se']:.4f}, 95% simulated "
                               f"interval {imp.loc[x, 'indirect_lo']:.4f} to {imp.loc[x, 'indirect_hi']:.4f})"
                               + (f" under {sp['names'][0][3:]}; the other columns re-estimate it under the "
                                  "alternative matrices." if len(sp.get("matrices", {})) > 1 else ".")))


def _checks(res: dict[str, Any], w: _Writer, report: Report) -> None:
    x, group, L = res["x"], res["group"], w.labels
    rob = res["robustness"]
    battery = rob.table.set_index(rob.table.columns[0])
    battery = battery[~battery.index.astype(str).str.startswith("placebo")]
    tables = [w.table(battery.drop(columns=[c for c in ("result",) if c in battery.columns]), "robustness", 4,
                      "Robustness battery")]
    figs, reading = [], ""
    if rob.placebo is not None:
        placebo = placebo_summary(rob.placebo)
        tables.append(w.table(placebo, "placebo", 4, f"Placebo test: {L.get(x, x)} permuted across cities",
                              notes=["The quantiles describe the permutation distribution of placebo estimates, "
                                     "not an interval around the real estimate."]))
        figs.append((w.figure(F.placebo_density(rob.placebo.draws, rob.placebo.estimate,
                                                title=f"Placebo: {L.get(x, x)} permuted across cities"), "placebo"),
                     "Placebo estimates and the real one"))
        low = placebo.loc["placebo estimates: 2.5% quantile", "value"]
        high = placebo.loc["placebo estimates: 97.5% quantile", "value"]
        reading = (f" The real estimate {rob.placebo.estimate:.4f} lies outside the placebo distribution's central "
                   f"95% [{low:.4f}, {high:.4f}] (permutation p {_p(rob.placebo.pvalue, '= ')})."
                   if rob.placebo.share_beyond < 0.05 else
                   f" Permutation p {_p(rob.placebo.pvalue, '= ')} for the real estimate {rob.placebo.estimate:.4f}.")
    ok = battery[battery["status"] != "failed"]
    report.add(Section("Robustness", tables=tables, figures=figs,
                       reading=f"{(ok['estimate'] > 0).sum()} of {len(ok)} estimable variants keep a positive "
                               "estimate; failed variants are listed with their reason." + reading))

    if "heterogeneity" in res:
        het = res["heterogeneity"]
        by_group, differences = heterogeneity_tables(het)
        reasons = het.by_group["reason"].fillna("").astype(str) if "reason" in het.by_group else pd.Series(dtype=str)
        reason_notes = [f"{g}: {r}." for g, r in reasons.items() if r and "reason" not in by_group.columns]
        het_t = w.table(by_group, "heterogeneity", 4,
                        f"Heterogeneity by {group}: separate estimates per group (reference: {het.reference})",
                        notes=["Gap to reference: the group's estimate minus the reference group's, both from "
                               "separate regressions.", *reason_notes],
                        rows={het.reference: f"{het.reference} (reference)"})
        diff_t = w.table(differences, "heterogeneity_differences", 4,
                         f"Pooled interaction model: slope differences from {het.reference}",
                         notes=["One model with common controls and fixed effects and the treatment interacted with "
                                "each group; its differences need not equal the gaps between the separate estimates."])
        good = het.by_group[het.by_group["status"] != "failed"]
        het_fig = w.figure(F.interval_plot(good, "estimate", "ci_low", "ci_high", reference=het.reference,
                                           title=f"Effect of {L.get(x, x)} by {group} (separate regressions)",
                                           xlabel="estimate (95% interval)"), "heterogeneity")
        report.add(Section("Heterogeneity", tables=[het_t, diff_t], figures=[(het_fig, "Effect by region group")],
                           reading=f"Reference group: {het.reference}. Wald test of equal slopes in the pooled "
                                   f"interaction model p {_p(het.wald['pvalue'], '= ')}; permutation test p "
                                   f"{_p(het.permutation_p, '= ')}."))

    if "contributions" in res:
        con = res["contributions"]
        con_t = w.table(con.table, "contributions", 4, "Shapley-Owen decomposition of the within R²")
        con_fig = w.figure(F.share_bars(con.table["shapley_r2"], title="Dimension contributions", labels=L),
                           "contributions")
        largest = con.table["shapley_r2"].idxmax()
        report.add(Section("Dimension contributions", tables=[con_t], figures=[(con_fig, "Shapley shares")],
                           reading=f"The four dimensions and controls explain a within R² of "
                                   f"{con.rsquared_within:.3f}; the largest share is {L.get(largest, largest)}."))

    _curve(res, w, report)


def _curve(res: dict[str, Any], w: _Writer, report: Report) -> None:
    """The specification curve, one panel and one joint test per outcome (``res["speccurve"]``: outcome -> curve)."""
    L = w.labels
    curves = res["speccurve"]
    table = pd.concat([c.table for c in curves.values()], ignore_index=True)
    varying = list(dict.fromkeys(d for c in curves.values() for d in c.varying))
    varying = ["outcome", *[d for d in varying if d != "outcome"]] if len(curves) > 1 else varying
    cur_fig = w.figure(F.specification_curve(table, varying, facet="outcome", labels=L,
                                             title="Specification curve, one panel per outcome"),
                       "specification_curve")
    tables = []
    inference = {L.get(o, o): c.inference for o, c in curves.items() if c.inference is not None}
    if inference:
        draws = max(c.draws.shape[1] for c in curves.values() if c.draws is not None)
        tables.append(w.table(pd.concat(inference, names=["outcome", "statistic"]), "specification_curve_test",
                              [4, 3, 0], "Specification curve: joint test under the null, per outcome",
                              notes=[f"p-values: share of {draws} null-bootstrap curves at least as extreme; a "
                                     f"p-value below 1/{draws} means no draw was (Simonsohn, Simmons and Nelson "
                                     "2020)."]))
    positive = {L.get(o, o): float(np.mean(c.table["estimate"] > 0)) for o, c in curves.items()}
    report.add(Section("Specification curve", tables=tables, figures=[(cur_fig, "Sorted estimates and choices, "
                                                                                "each outcome on its own scale")],
                       reading="Share of specifications with a positive estimate: "
                               + "; ".join(f"{o} {s:.0%}" for o, s in positive.items()) + "."))
