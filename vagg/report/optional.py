"""Report sections of the optional stages (:mod:`vagg.optional`): threshold, quantiles, dynamic SDM, DID, moderation.

Each function reads one stage's results from the run's results dict and adds
a section with its tables and figures, written through the run's writer (the
``_Writer`` of :mod:`vagg.report.assemble`, which applies labels, precision and
the SIMULATED mark).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from vagg.report import figures_causal as FC
from vagg.report import figures_models as FM
from vagg.report.html import Report, Section


def add_optional_sections(res: dict[str, Any], w: Any, report: Report) -> None:
    """Add a section for the obstacle degrees, the ellipse and every optional stage that ran."""
    if "obstacles" in res:
        _obstacles(res, w, report)
    if "ellipse" in res.get("evolution", {}):
        _ellipse(res, w, report)
    for key, add in (("threshold", _threshold), ("quantile", _quantile), ("dynamic", _dynamic), ("did", _did),
                     ("moderation", _moderation)):
        if key in res:
            add(res, w, report)


def _label(w: Any, name: str) -> str:
    return w.labels.get(name, name)


def _number(value: float) -> str:
    """A threshold as readers write it: 49,629 for large values, 4 significant digits otherwise."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _obstacles(res: dict[str, Any], w: Any, report: Report) -> None:
    from vagg.mechanisms import top_obstacles

    result = res["obstacles"]
    last = int(result.dimensions.index.get_level_values(1).max())
    names = w.cities if getattr(w, "cities", None) is not None else pd.Series(dtype=str)
    dims = result.dimensions.xs(last, level=1).rename(index=lambda c: names.get(c, c))
    dims.columns = [str(c).replace("_", " ") for c in dims.columns]
    mean = dims.mean().sort_values(ascending=False)
    dims_t = w.table(dims, "obstacle_dimensions", 1, f"Obstacle degree of each dimension by city, {last} (%)",
                     notes=["Obstacle degree = factor contribution (index weight) x deviation degree (1 - "
                            "standardised value), as a share of the city's total (rows sum to 100)."])
    top = top_obstacles(result, n=3, level="indicator", years=last).droplevel(1)  # rows: (city, rank)
    top = top.rename(index=lambda c: names.get(c, c), level=0)
    top_t = w.table(top, "obstacle_top_indicators", 1, f"The three largest obstacle indicators of each city, {last} "
                                                      "(%); rows: city / rank")
    report.add(Section("Obstacle degrees", tables=[dims_t, top_t],
                       reading=f"Across cities in {last} the largest obstacle is the {mean.index[0]} dimension "
                               f"({mean.iloc[0]:.1f}% on average)."))


def _ellipse(res: dict[str, Any], w: Any, report: Report) -> None:
    ell, x = res["evolution"]["ellipse"], res["x"]
    table = ell.table[["lon", "lat", "sigma_major", "sigma_minor", "azimuth", "shape", "shift"]]
    tab = w.table(table, "standard_ellipse", 3, f"Gravity centre and standard deviational ellipse of "
                                                f"{_label(w, x)} by year",
                  notes=[f"Axes and shifts in {ell.unit}; azimuth in degrees clockwise from north."])
    fig = w.figure(FM.ellipse_map(res["gdf"], ell.ellipses(), centres=ell.table,
                                  title=f"Standard deviational ellipses of {_label(w, x)}"), "standard_ellipse")
    first, last = table.index[0], table.index[-1]
    moved = float(table["shift"].iloc[1:].sum())
    report.add(Section("Gravity centre and standard deviational ellipse", tables=[tab],
                       figures=[(fig, "Ellipse of each year over the city map and the path of the gravity centre")],
                       reading=f"The gravity centre of {_label(w, x)} moved {moved:.1f} {ell.unit} in all between "
                               f"{first} and {last}."))


def _threshold(res: dict[str, Any], w: Any, report: Report) -> None:
    th = res["threshold"]
    q = th.threshold_name
    regimes = {}
    for j, (lower, upper) in enumerate(zip(th.regimes["lower"], th.regimes["upper"]), start=1):
        where = (f"{_label(w, q)} ≤ {_number(upper)}" if np.isinf(lower) else f"{_label(w, q)} > {_number(lower)}"
                 if np.isinf(upper) else f"{_number(lower)} < {_label(w, q)} ≤ {_number(upper)}")
        regimes.update({f"{x}_r{j}": f"{_label(w, x)} ({where})" for x in th.model.regime_names})
    wl = dataclasses.replace(w, labels={**w.labels, **regimes})
    table = wl.regression([th], "threshold_model", title=f"Panel threshold model (Hansen 1999), threshold "
                                                        f"variable {_label(w, q)}")
    tests = th.f_tests[["statistic", "pvalue", "crit_10", "crit_5", "crit_1", "n_boot"]].rename(
        columns={"statistic": "F", "pvalue": "bootstrap p", "crit_10": "10% critical", "crit_5": "5% critical",
                 "crit_1": "1% critical", "n_boot": "draws"})
    tests_t = w.table(tests, "threshold_tests", 3, "Bootstrap F tests of the number of thresholds",
                      notes=["Fixed-regressor bootstrap of Hansen (1999): residuals resampled by city."])
    ci_t = w.table(th.threshold_ci, "threshold_estimates", 4,
                   f"Threshold estimates and {th.level:.0%} LR confidence sets")
    fig = w.figure(FM.threshold_lr_plot(th.lr_profiles, th.critical_value, xlabel=_label(w, q),
                                        title=f"LR statistic over {_label(w, q)}"), "threshold_lr")
    slopes = [f"{text}: {th.params[name]:.4g}" for name, text in regimes.items()]
    first = th.f_tests.iloc[0]
    p = (f"bootstrap p {first['pvalue']:.3f}" if first["pvalue"] > 0
         else f"bootstrap p < {1 / first['n_boot']:.3g}, no draw as large in {int(first['n_boot'])}")
    report.add(Section("Panel threshold model", tables=[table, tests_t, ci_t],
                       figures=[(fig, "LR(gamma): the confidence set is where the curve lies below the dashed line")],
                       reading=f"Estimated threshold(s) of {_label(w, q)}: "
                               + ", ".join(_number(g) for g in th.thresholds) + "; slopes " + "; ".join(slopes)
                               + f" (F test of no threshold: {p})."))


def _quantile(res: dict[str, Any], w: Any, report: Report) -> None:
    qr, x = res["quantile"], res["x"]
    fits = [qr.fits[t] for t in qr.quantiles]
    table = w.regression(fits, "quantile_regressions", title="MM-QR fixed-effects quantile regressions "
                                                             "(Machado and Santos Silva 2019)")
    process = qr.process.assign(regressor=qr.process["regressor"].map(lambda name: _label(w, name)))
    fig = w.figure(FM.quantile_process_plot(process, regressors=[_label(w, x)],
                                            title=f"Effect of {_label(w, x)} across quantiles"), "quantile_process")
    row = qr.process[qr.process["regressor"] == x].set_index("quantile")["estimate"]
    report.add(Section("Panel quantile regressions", tables=[table],
                       figures=[(fig, "Coefficient by quantile with its 95% band")],
                       reading=f"The effect of {_label(w, x)} runs from {row.iloc[0]:.4g} at the "
                               f"{row.index[0]:.2f} quantile to {row.iloc[-1]:.4g} at the {row.index[-1]:.2f} "
                               "quantile."))


def _dynamic(res: dict[str, Any], w: Any, report: Report) -> None:
    dyn, x = res["dynamic"], res["x"]
    short, long = dyn["effects"]["short"], dyn["effects"]["long"]
    fit = dyn["fit"]
    outcome = _label(w, fit.spec.dependent_name)
    lags = fit.spec.regressor_names()[: 2 if fit.spec.dynamic == "spacetime" else 1]
    wl = dataclasses.replace(w, labels={**w.labels, **dict(zip(lags, (f"{outcome} (t-1)", f"W {outcome} (t-1)")))})
    table = wl.regression([dyn["fit"]], "dynamic_sdm", effects=[short],
                          title="Dynamic spatial Durbin model (bias-corrected QML, Yu, de Jong and Lee 2008): "
                                "short-run effects")
    long_t = w.table(long[["direct", "direct_se", "indirect", "indirect_se", "total", "total_se"]],
                     "dynamic_sdm_long_run", 4, "Dynamic spatial Durbin model: long-run effects (simulated se)")
    report.add(Section("Dynamic spatial Durbin model", tables=[table, long_t],
                       reading=f"Persistence tau = {fit.tau:.3f}, rho = {fit.params['rho']:.3f}; the long-run total "
                               f"effect of {_label(w, x)} is {long.loc[x, 'total']:.4g} "
                               f"(se {long.loc[x, 'total_se']:.4g}) against {short.loc[x, 'total']:.4g} in the "
                               "short run."))


def _did(res: dict[str, Any], w: Any, report: Report) -> None:
    did = res["did"]
    summary = w.table(did_summary(did), "did_summary", 4, f"Staggered DID: effect of the policy on "
                                                           f"{_label(w, did['outcome'])}",
                      notes=["TWFE: static two-way FE DID coefficient; robust rows: overall ATT over all treated "
                             "post-adoption city-years; pre-trend p: joint test of the leads of each event study."])
    bacon = w.table(did["bacon"].by_type, "did_bacon", 4, "Goodman-Bacon decomposition of the TWFE estimate",
                    notes=[f"Weighted mean of the 2x2 estimates = TWFE = {did['bacon'].twfe_estimate:.4f}."])
    studies = {name: study.estimates for name, study in did["studies"].items()}
    fig = w.figure(FC.event_study_plot(studies, title=f"Event study: {_label(w, did['outcome'])}"), "did_event_study")
    bfig = w.figure(FC.bacon_plot(did["bacon"].comparisons, title="Goodman-Bacon decomposition"), "did_bacon")
    waves = ", ".join(f"{int(g) if g else 'never'}: {n}" for g, n in did["waves"].items())
    table = did_summary(did)
    report.add(Section("Staggered DID and event study", tables=[summary, bacon],
                       figures=[(fig, "Event-time effects by estimator, 95% bands (reference: the year before "
                                      "adoption)"), (bfig, "2x2 comparisons: estimate against weight")],
                       reading=f"Adoption waves (cities): {waves}. TWFE gives "
                               f"{table['estimate'].iloc[0]:.3f}; the heterogeneity-robust estimators give "
                               + ", ".join(f"{n} {v:.3f}" for n, v in table["estimate"].iloc[1:].items()) + "."))


def _moderation(res: dict[str, Any], w: Any, report: Report) -> None:
    mod, x = res["moderation"], res["x"]
    z = mod["moderator"]
    table = w.regression([mod["fit"]], "moderation", title=f"Moderation of the effect of {_label(w, x)} by "
                                                            f"{_label(w, z)} (centred product)")
    cond = mod["conditional"].copy()
    cond.index = [f"{_label(w, z)} = {v:.4g} ({tag})" for v, tag in zip(cond.index, ("mean - 1 sd", "mean",
                                                                                       "mean + 1 sd"))]
    cond_t = w.table(cond, "moderation_conditional", 4, f"Conditional effect of {_label(w, x)}")
    jn = mod["johnson_neyman"]
    fig = w.figure(FC.conditional_effect_plot(jn.curve.rename_axis(_label(w, z)), points=jn.points, title=f"Effect of {_label(w, x)} across "
                                                                               f"{_label(w, z)}"), "moderation_jn")
    inside = [f"{a:.4g} to {b:.4g}" for a, b in jn.significant]
    tables = [table, cond_t]
    if "moderated_mediation" in mod:
        mm = mod["moderated_mediation"]
        tables.append(w.table(mm.moderated_index, "moderated_mediation_index", 4, "Index of moderated mediation"))
        tables.append(w.table(mm.conditional_indirect(), "moderated_mediation_conditional", 4,
                              "Conditional indirect effects"))
    report.add(Section("Moderation", tables=tables, figures=[(fig, "Conditional effect with its 95% band and the "
                                                                   "Johnson-Neyman points")],
                       reading=f"The effect of {_label(w, x)} is significant (5%) for {_label(w, z)} "
                               + (" and ".join(inside) if inside else "nowhere in the observed range")
                               + (f"; Johnson-Neyman point(s): {', '.join(f'{p:.4g}' for p in jn.points)}."
                                  if np.size(jn.points) else ".")))


def did_summary(did: dict[str, Any]) -> pd.DataFrame:
    """One row per estimator: the overall effect on the treated, its se, and the event study's pre-trend test.

    TWFE's row is the static two-way FE DID coefficient (the estimate the Goodman-Bacon decomposition splits);
    the robust rows are the estimators' overall ATT over all treated post-adoption city-years.
    """
    treated = did["static"].params.index[0]
    rows = {"TWFE (static DID)": {"estimate": float(did["static"].params[treated]),
                                  "se": float(did["static"].std_errors[treated]),
                                  "pre-trend p": float(did["studies"]["TWFE"].pretrend["pvalue"])}}
    for name, study in did["studies"].items():
        if name != "TWFE":
            rows[name] = {"estimate": float(study.att["estimate"]), "se": float(study.att["se"]),
                          "pre-trend p": float(study.pretrend["pvalue"])}
    return pd.DataFrame(rows).T
