"""Regression tables: several models side by side, in the esttab / modelsummary style.

Each column is one fitted model.  Cells hold the coefficient with
significance stars and, in parentheses below, its standard error (or t
statistic); footer rows give fixed effects, observations, within R^2,
log-likelihood, the standard-error type and the number of clusters.  Spatial
models are laid out in grouped panels (Main, W·x, Spatial, Variance, Direct,
Indirect, Total).  Numbers print with adaptive precision (:mod:`vagg.report.numbers`);
the table's CSV is tidy, one row per model and term.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from vagg._errors import SpecificationError
from vagg.models._results import table_info as complete_info
from vagg.report.numbers import (excel_pattern, format_number, format_pvalue, power_label, rescale_power,
                                 shared_decimals)
from vagg.report.table import Table

SPATIAL_PARAMETERS = ("rho", "lambda")
#: variance and scale parameters: no significance stars
SCALE_PARAMETER = re.compile(r"sigma2?(_\w+)?|phi|omega2?")
#: the panels of a spatial model's table, in order, and their headings
PANEL_HEADINGS = {"main": "Main", "wx": "W·x", "spatial": "Spatial", "variance": "Variance",
                  "direct": "Direct effects", "indirect": "Indirect (spillover) effects", "total": "Total effects"}


def result_info(result: object) -> dict[str, object]:
    """The ``table_info`` of a vagg result, or one read off a linearmodels result."""
    info = getattr(result, "table_info", None)
    if isinstance(info, Mapping):
        return complete_info(**dict(info))
    model = getattr(result, "model", None)
    if model is not None and hasattr(model, "dependent"):
        entity_info = getattr(result, "entity_info", None)
        cov = str(getattr(result, "_cov_type", "")) or None
        clusters = None
        if cov and cov.lower().startswith("clustered") and entity_info is not None:
            clusters = int(entity_info["total"])
        return complete_info(
            dependent=str(model.dependent.vars[0]),
            model=type(model).__name__,
            entity_effects=bool(getattr(model, "entity_effects", False)),
            time_effects=bool(getattr(model, "time_effects", False)),
            cov_type=cov,
            n_clusters=clusters,
            nobs=int(result.nobs),
            # linearmodels' ``rsquared`` is the R^2 after removing every included effect (reghdfe's
            # "within R^2", vagg's convention); its ``rsquared_within`` demeans by entity only.
            rsquared_within=getattr(result, "rsquared", None),
            rsquared=getattr(result, "rsquared_overall", None),
            loglik=getattr(result, "loglik", None),
        )
    raise SpecificationError(
        f"cannot tabulate a {type(result).__name__}: it needs params, std_errors and table_info "
        "(vagg results) or a linearmodels panel result"
    )


def stars_for(pvalue: float, levels: Sequence[float]) -> str:
    """``*`` per threshold in ``levels`` (descending, e.g. 0.1, 0.05, 0.01) that p is below."""
    if pvalue is None or not np.isfinite(pvalue):
        return ""
    return "*" * sum(pvalue < level for level in levels)


def _select(names: list[str], keep: Sequence[str] | None, drop: Sequence[str] | None) -> list[str]:
    def match(name: str, patterns: Sequence[str]) -> bool:
        return any(name == p or re.fullmatch(p, name) for p in patterns)

    chosen = [n for n in names if keep is None or match(n, keep)]
    return [n for n in chosen if drop is None or not match(n, drop)]


def _ordered(results: Sequence[object], order: Sequence[str] | None) -> list[str]:
    seen: list[str] = []
    for result in results:
        for name in result.params.index:
            if name not in seen:
                seen.append(str(name))
    if order is not None:
        unknown = [o for o in order if o not in seen]
        if unknown:
            raise SpecificationError(f"order names regressors that no model has: {unknown}")
        return list(order) + [n for n in seen if n not in order]
    return [n for n in seen if n not in SPATIAL_PARAMETERS] + [n for n in seen if n in SPATIAL_PARAMETERS]


#: a further statistic's text longer than this, the same for every model, goes to the notes (it would widen
#: every column of the table)
_LONG_CELL = 24


def _extra_cell(value: object) -> str:
    """A further statistic row: floats with two decimals, anything else as text."""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.2f}"
    return str(value)


def is_scale_parameter(name: str) -> bool:
    """A variance or scale parameter (``sigma2``, ``sigma_u``, ``phi``, ...): printed without stars.

    Its z test against zero tests a value on the boundary of the parameter
    space, so significance stars would mislead.
    """
    return bool(SCALE_PARAMETER.fullmatch(str(name)))


def panel_of(name: str) -> str:
    """The panel of a spatial-model row: ``main``, ``wx`` (``W_x``), ``spatial`` (rho, lambda) or ``variance``."""
    if name.startswith("W_"):
        return "wx"
    if name in SPATIAL_PARAMETERS:
        return "spatial"
    if is_scale_parameter(name):
        return "variance"
    return "main"


class _Grid:
    """Rows of a regression table under construction: text, numbers, Excel formats, headings, rules."""

    def __init__(self, ncol: int) -> None:
        self.ncol = ncol
        self.labels: list[str] = []
        self.text: list[list[str]] = []
        self.values: list[list[float]] = []
        self.formats: list[list[str]] = []
        self.headings: list[int] = []
        self.sections: list[int] = []

    def add(self, label: str, text: Sequence[str], values: Sequence[float] | None = None,
            formats: Sequence[str] | None = None) -> None:
        self.labels.append(label)
        self.text.append(list(text))
        self.values.append(list(values) if values is not None else [np.nan] * self.ncol)
        self.formats.append(list(formats) if formats is not None else [""] * self.ncol)

    def heading(self, label: str) -> None:
        self.sections.append(len(self.labels))
        self.headings.append(len(self.labels))
        self.add(label, [""] * self.ncol)

    def rule(self) -> None:
        self.sections.append(len(self.labels))


def _effect_source(table: pd.DataFrame, name: str, key: str, z: float
                   ) -> tuple[float, float, float, tuple[float, float], bool]:
    """Estimate, se, p, 95% interval of one simulated effect, and whether to print the interval.

    The interval is the draws' 2.5/97.5 percentiles when the table has them
    (else est +/- z se).  The p-value is the normal one, est/se, unless
    inadmissible draws were redrawn (``attrs["rejected_share"] > 0``): rho
    then lies near the edge of its interval, 1/(1 - rho) has heavy tails and
    the simulated se is unstable, so the simulation p-value ``_p_sim`` is used
    and the interval is printed in brackets in place of the se.
    """
    est, se = float(table.loc[name, key]), float(table.loc[name, f"{key}_se"])
    p = 2 * stats.norm.sf(abs(est / se)) if se > 0 else np.nan
    heavy = table.attrs.get("rejected_share", 0.0) > 0 and f"{key}_p_sim" in table.columns
    if heavy:
        p = float(table.loc[name, f"{key}_p_sim"])
    if f"{key}_lo" in table.columns:
        return est, se, p, (float(table.loc[name, f"{key}_lo"]), float(table.loc[name, f"{key}_hi"])), heavy
    return est, se, p, (est - z * se, est + z * se), False


def _pair(est: float, se: float, p: float, stat: str, digits: int, levels: Sequence[float], starred: bool,
          precision: str, interval: tuple[float, float] | None = None
          ) -> tuple[tuple[str, float, str], tuple[str, float, str]]:
    """(text, number, Excel format) of the estimate cell and of the cell in parentheses below it
    (with ``interval``, the interval in brackets instead, as text)."""
    decimals = shared_decimals([est, se] if interval is None else [est, *interval], digits, precision)
    top_text, top_fmt = format_number(est, digits, precision, suffix=stars_for(p, levels) if starred else "",
                                      decimals=decimals)
    if interval is not None:
        lo, hi = (format_number(v, digits, precision, decimals=decimals)[0] for v in interval)
        return (top_text, est, top_fmt), (f"[{lo}, {hi}]", np.nan, "")
    if stat == "se":
        bottom = format_number(se, digits, precision, "(", ")", decimals=decimals)
        value = se
    elif stat == "t":
        t = est / se if se > 0 else np.nan
        bottom = format_number(t, 2, precision, "(", ")", decimals=2) if np.isfinite(t) else ("()", "")
        value = t
    elif stat == "p":
        bottom = format_pvalue(p, "(", ")")
        value = p
    else:
        raise SpecificationError(f"stat must be 'se', 't' or 'p', got {stat!r}")
    return (top_text, est, top_fmt), (bottom[0], value, bottom[1])


def _interval(result: object, name: str, est: float, se: float) -> tuple[float, float]:
    """The result's own 95% interval for ``name`` when it has one, else the Wald interval est ± 1.96 se."""
    conf = getattr(result, "conf_int", None)
    if callable(conf):
        try:
            ci = conf()
            return float(ci.loc[name].iloc[0]), float(ci.loc[name].iloc[1])
        except (KeyError, TypeError, ValueError, AttributeError):
            pass
    z = stats.norm.ppf(0.975)
    return est - z * se, est + z * se


def _rescale_powers(results: Sequence[object], regressors: list[str], effects: Sequence[pd.DataFrame | None] | None,
                    digits: int) -> dict[str, int]:
    """Per regressor (a lag ``W_x`` counts with ``x``), the power of ten that makes its coefficients print non-zero."""
    values: dict[str, list[float]] = {}
    for result in results:
        for name in regressors:
            if name in result.params.index and panel_of(name) in ("main", "wx"):
                values.setdefault(name[2:] if name.startswith("W_") else name, []).append(float(result.params[name]))
    for table in effects or []:
        if table is not None:
            for name in table.index:
                values.setdefault(str(name), []).extend(float(table.loc[name, key]) for key in ("direct", "indirect",
                                                                                              "total"))
    return {name: k for name, found in values.items() if (k := rescale_power(found, digits))}


def regression_table(
    results: Sequence[object],
    model_names: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    keep: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
    order: Sequence[str] | None = None,
    stars: Sequence[float] = (0.1, 0.05, 0.01),
    stat: str = "se",
    digits: int = 3,
    groups: list[tuple[str, int]] | None = None,
    effects: Sequence[pd.DataFrame | None] | None = None,
    entity_label: str = "City FE",
    time_label: str = "Year FE",
    title: str = "",
    notes: Sequence[str] = (),
    precision: str = "auto",
) -> Table:
    """Several fitted models side by side.

    Parameters
    ----------
    results
        vagg results (PanelFE, mediation stages, SpatialPanel, IV) or
        linearmodels panel results.
    model_names
        Column headers; default "(1)", "(2)", ...  The dependent variable is
        shown in the first row.
    labels
        Display names by regressor (and by footer statistic and dependent
        variable); a spatial lag ``W_x`` is shown under the label of ``x``.
    keep, drop
        Regressors to show or hide, as exact names or regular expressions.
    order
        Regressors to put first, in this order.
    stars
        p-value thresholds for one, two, three stars.  Variance and scale
        parameters (:func:`is_scale_parameter`) never get stars.
    stat
        What goes in parentheses: ``"se"`` (default), ``"t"`` or ``"p"``
        (p-values print as ``<0.001`` below 0.001).
    digits
        Decimals; a non-zero estimate that would print as zero gets more
        decimals or scientific notation (:mod:`vagg.report.numbers`,
        ``precision`` "auto" or "scientific"), or, with ``precision="rescale"``,
        its regressor is divided by a power of ten, shown as "x ÷ 10ᵏ" with a
        note (coefficients and standard errors times 10ᵏ, t and p unchanged); an
        estimate and its standard error share their decimals.
    groups
        Column groups ``(label, span)``.
    effects
        For spatial models, one impacts DataFrame per result (or None), as
        returned by ``SpatialResults.impacts()`` (columns direct, indirect,
        total and their ``_se``); shown with z-test stars, or with the
        simulation p-value ``_p_sim`` and a note when ``attrs["rejected_share"]``
        says inadmissible draws were redrawn (see :func:`_effect_source`).

    Returns
    -------
    Table
        Models with spatial lags, spatial parameters or effects are laid out
        in grouped panels as in xsmle / esttab: Main, W·x, Spatial, Variance,
        Direct, Indirect, Total, each row under the variable's label.  The
        table's :attr:`~Table.data` (its CSV) has one row per model and term:
        ``model``, ``dependent``, ``panel``, ``term``, ``label``,
        ``estimate``, ``se``, ``t``, ``p``, ``ci_low``, ``ci_high``
        (the result's own 95% interval; for effects the draws' percentiles), ``stars``
        and ``scale`` (the factor 10ᵏ the row's numbers were multiplied by; 1
        unless rescaled).
    """
    results = list(results)
    if not results:
        raise SpecificationError("regression_table needs at least one result")
    infos = [result_info(r) for r in results]
    names = list(model_names) if model_names is not None else [f"({i + 1})" for i in range(len(results))]
    if len(names) != len(results):
        raise SpecificationError(f"{len(names)} model names for {len(results)} results")
    levels = sorted(stars, reverse=True)
    labels = dict(labels or {})
    regressors = _select(_ordered(results, order), keep, drop)
    if len(set(names)) < len(names):
        names = [f"({i + 1}) {n}" for i, n in enumerate(names)]
    if effects is not None:
        effects = list(effects)
        if len(effects) != len(results):
            raise SpecificationError(f"{len(effects)} effects tables for {len(results)} results")

    powers = _rescale_powers(results, regressors, effects, digits) if precision == "rescale" else {}

    def base_of(name: str) -> str:
        return name[2:] if name.startswith("W_") else name

    def label_of(name: str) -> str:
        base = base_of(name) if name not in labels else name
        shown = labels.get(name, labels.get(base, base))
        if shown == base and ":" in base:  # an interaction a:b, labelled by its parts
            shown = " × ".join(labels.get(part, part) for part in base.split(":"))
        k = powers.get(base_of(name), 0)
        return f"{shown} ÷ {power_label(k)}" if k else shown

    grid = _Grid(len(results))
    grid.add("Dependent variable", [labels.get(str(i["dependent"]), str(i["dependent"])) for i in infos])
    grid.rule()
    tidy: list[dict[str, object]] = []
    grouped = effects is not None or any(panel_of(n) in ("wx", "spatial") for n in regressors)

    def term_rows(name: str, panel: str,
                  sources: list[tuple[float, float, float, tuple[float, float], bool] | None]) -> None:
        tops, bottoms = [], []
        for k, source in enumerate(sources):
            if source is None:
                tops.append(("", np.nan, ""))
                bottoms.append(("", np.nan, ""))
                continue
            est, se, p, (lo, hi), bracket = source
            scale = 10.0 ** powers.get(base_of(name), 0)
            est, se, lo, hi = est * scale, se * scale, lo * scale, hi * scale
            starred = not is_scale_parameter(name)
            top, bottom = _pair(est, se, p, stat, digits, levels, starred, precision, (lo, hi) if bracket else None)
            tops.append(top)
            bottoms.append(bottom)
            tidy.append({"model": names[k], "dependent": str(infos[k]["dependent"]), "panel": panel, "term": name,
                         "label": label_of(name), "estimate": est, "se": se,
                         "t": est / se if se > 0 else np.nan, "p": p, "ci_low": lo, "ci_high": hi,
                         "stars": len(stars_for(p, levels)) if starred else 0, "scale": scale})
        grid.add(label_of(name), [c[0] for c in tops], [c[1] for c in tops], [c[2] for c in tops])
        grid.add("", [c[0] for c in bottoms], [c[1] for c in bottoms], [c[2] for c in bottoms])

    def param_source(result: object, name: str):
        if name not in result.params.index:
            return None
        est, se = float(result.params[name]), float(result.std_errors[name])
        return est, se, float(result.pvalues[name]), _interval(result, name, est, se), False

    panels = [p for p in PANEL_HEADINGS if p in {panel_of(n) for n in regressors}] if grouped else ["main"]
    for panel in panels:
        chosen = [n for n in regressors if not grouped or panel_of(n) == panel]
        if grouped:
            grid.heading(PANEL_HEADINGS[panel])
        for name in chosen:
            term_rows(name, panel_of(name), [param_source(r, name) for r in results])

    if effects is not None:
        z = stats.norm.ppf(0.975)
        for key in ("direct", "indirect", "total"):
            impact_names: list[str] = []
            for table in effects:
                if table is not None:
                    impact_names += [str(n) for n in table.index if str(n) not in impact_names]
            chosen = _select(impact_names, keep, drop)
            if not chosen:
                continue
            grid.heading(PANEL_HEADINGS[key])
            for name in chosen:
                sources = []
                for table in effects:
                    if table is None or name not in table.index:
                        sources.append(None)
                        continue
                    sources.append(_effect_source(table, name, key, z))
                term_rows(name, key, sources)

    grid.rule()
    grid.add(entity_label, ["Yes" if i["entity_effects"] else "No" for i in infos])
    grid.add(time_label, ["Yes" if i["time_effects"] else "No" for i in infos])
    grid.add("Observations", [str(int(i["nobs"])) if i["nobs"] is not None else "" for i in infos],
             [float(i["nobs"]) if i["nobs"] is not None else np.nan for i in infos], ["0"] * len(infos))

    def stat_row(key: str, label: str, decimals: int) -> None:
        values = [float(i[key]) if i[key] is not None and np.isfinite(i[key]) else np.nan for i in infos]
        if any(np.isfinite(v) for v in values):
            grid.add(labels.get(key, label), [format(v, f".{decimals}f") if np.isfinite(v) else "" for v in values],
                     values, [excel_pattern(decimals)] * len(values))

    stat_row("rsquared_within", "Within R²", 3)
    stat_row("rsquared", "R²", 3)
    stat_row("loglik", "Log-likelihood", 2)
    extra_keys: list[str] = []
    for info in infos:
        extra_keys += [k for k in info["extra"] if k not in extra_keys]
    shared_notes = []
    for key in extra_keys:
        cells = [_extra_cell(i["extra"].get(key, "")) for i in infos]
        if len(set(cells)) == 1 and len(cells[0]) > _LONG_CELL:  # one long text for every model: a note, not a row
            shared_notes.append(f"{labels.get(key, key)}: {cells[0]}.")
        else:
            grid.add(labels.get(key, key), cells)
    grid.add("SE type", [str(i["cov_type"] or "") for i in infos])
    if any(i["n_clusters"] for i in infos):
        grid.add("Clusters", [str(i["n_clusters"]) if i["n_clusters"] else "" for i in infos],
                 [float(i["n_clusters"]) if i["n_clusters"] else np.nan for i in infos], ["0"] * len(infos))

    body = pd.DataFrame(grid.text, index=grid.labels, columns=names)
    values = pd.DataFrame(grid.values, index=grid.labels, columns=names, dtype=float)
    formats = pd.DataFrame(grid.formats, index=grid.labels, columns=names)
    star_note = ", ".join(f"{'*' * (k + 1)} p < {level:g}" for k, level in enumerate(levels))
    paren = {"se": "Standard errors", "t": "t statistics", "p": "p-values"}[stat]
    default_notes = [f"{paren} in parentheses; {star_note}."]
    if powers:
        default_notes.append("÷ 10^k: the regressor divided by 10^k, so its coefficients and standard errors are "
                             "multiplied by 10^k (t and p unchanged): "
                             + "; ".join(f"{labels.get(n, n)} ÷ {power_label(k)}" for n, k in powers.items()) + ".")
    for name, table in zip(names, effects or []):
        share = np.nan if table is None else table.attrs.get("rejected_share", np.nan)
        if share > 0:
            default_notes.append(f"{name}: {share:.1%} of the simulated parameter vectors did not have "
                                 f"{table.attrs['admissible']} and were redrawn (effects from the truncated normal); "
                                 "its effects show their 95% simulated interval in brackets and take their stars "
                                 "from the draws (the share beyond zero), as their standard errors are dominated "
                                 "by the draws nearest the bound.")
    if any(is_scale_parameter(n) for n in regressors):
        default_notes.append("Variance parameters carry no stars: zero is the boundary of their parameter space.")
    default_notes += shared_notes
    columns = ["model", "dependent", "panel", "term", "label", "estimate", "se", "t", "p", "ci_low", "ci_high",
               "stars", "scale"]
    return Table(body=body, title=title, notes=default_notes + list(notes), groups=groups, sections=grid.sections,
                 values=values, number_formats=formats, data=pd.DataFrame(tidy, columns=columns),
                 headings=grid.headings)
