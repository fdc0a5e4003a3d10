"""Regression tables: several models side by side, in the esttab / modelsummary style.

Each column is one fitted model.  Cells hold the coefficient with
significance stars and, in parentheses below, its standard error (or t
statistic); footer rows give fixed effects, observations, within R^2,
log-likelihood, the standard-error type and the number of clusters.  Spatial
models may add their direct, indirect and total effects as separate blocks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from vagg._errors import SpecificationError
from vagg.models._results import table_info as complete_info
from vagg.report.table import Table

SPATIAL_PARAMETERS = ("rho", "lambda")
_EFFECT_BLOCKS = (("direct", "Direct effects"), ("indirect", "Indirect (spillover) effects"), ("total", "Total effects"))


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


def _extra_cell(value: object) -> str:
    """A further statistic row: floats with two decimals, anything else as text."""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.2f}"
    return str(value)


def _format(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


def _pair(est: float, se: float, p: float, stat: str, digits: int, levels: Sequence[float]) -> tuple[str, str]:
    top = _format(est, digits) + stars_for(p, levels)
    if stat == "se":
        bottom = f"({_format(se, digits)})"
    elif stat == "t":
        bottom = f"({_format(est / se, 2)})" if se > 0 else "()"
    elif stat == "p":
        bottom = f"({_format(p, 3)})"
    else:
        raise SpecificationError(f"stat must be 'se', 't' or 'p', got {stat!r}")
    return top, bottom


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
        Display names by regressor (and by footer statistic).
    keep, drop
        Regressors to show or hide, as exact names or regular expressions.
    order
        Regressors to put first, in this order.
    stars
        p-value thresholds for one, two, three stars.
    stat
        What goes in parentheses: ``"se"`` (default), ``"t"`` or ``"p"``.
    groups
        Column groups ``(label, span)``.
    effects
        For spatial models, one impacts DataFrame per result (or None), as
        returned by ``SpatialResults.impacts()`` (columns direct, indirect,
        total and their ``_se``); shown as separate blocks with z-test stars.

    Returns
    -------
    Table
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

    rows: list[tuple[str, list[str]]] = [("Dependent variable", [labels.get(str(i["dependent"]), str(i["dependent"]))
                                                                 for i in infos])]
    sections = [1]
    for name in regressors:
        tops, bottoms = [], []
        for result in results:
            if name in result.params.index:
                top, bottom = _pair(float(result.params[name]), float(result.std_errors[name]),
                                    float(result.pvalues[name]), stat, digits, levels)
            else:
                top, bottom = "", ""
            tops.append(top)
            bottoms.append(bottom)
        rows.append((labels.get(name, name), tops))
        rows.append(("", bottoms))

    if effects is not None:
        effects = list(effects)
        if len(effects) != len(results):
            raise SpecificationError(f"{len(effects)} effects tables for {len(results)} results")
        for key, heading in _EFFECT_BLOCKS:
            sections.append(len(rows))
            rows.append((heading, [""] * len(results)))
            impact_names: list[str] = []
            for table in effects:
                if table is not None:
                    impact_names += [str(n) for n in table.index if str(n) not in impact_names]
            for name in _select(impact_names, keep, drop):
                tops, bottoms = [], []
                for table in effects:
                    if table is None or name not in table.index:
                        tops.append("")
                        bottoms.append("")
                        continue
                    est, se = float(table.loc[name, key]), float(table.loc[name, f"{key}_se"])
                    p = 2 * stats.norm.sf(abs(est / se)) if se > 0 else np.nan
                    top, bottom = _pair(est, se, p, stat, digits, levels)
                    tops.append(top)
                    bottoms.append(bottom)
                label = labels.get(name, name)
                rows.append((f"{heading}: {label}", tops))
                rows.append(("", bottoms))

    sections.append(len(rows))
    rows.append((entity_label, ["Yes" if i["entity_effects"] else "No" for i in infos]))
    rows.append((time_label, ["Yes" if i["time_effects"] else "No" for i in infos]))
    rows.append(("Observations", [str(int(i["nobs"])) if i["nobs"] is not None else "" for i in infos]))

    def stat_row(key: str, label: str, fmt: str) -> None:
        values = [i[key] for i in infos]
        if any(v is not None and np.isfinite(v) for v in values):
            rows.append((labels.get(key, label),
                         [format(float(v), fmt) if v is not None and np.isfinite(v) else "" for v in values]))

    stat_row("rsquared_within", "Within R²", ".3f")
    stat_row("rsquared", "R²", ".3f")
    stat_row("loglik", "Log-likelihood", ".2f")
    extra_keys: list[str] = []
    for info in infos:
        extra_keys += [k for k in info["extra"] if k not in extra_keys]
    for key in extra_keys:
        rows.append((labels.get(key, key), [_extra_cell(i["extra"].get(key, "")) for i in infos]))
    rows.append(("SE type", [str(i["cov_type"] or "") for i in infos]))
    if any(i["n_clusters"] for i in infos):
        rows.append(("Clusters", [str(i["n_clusters"]) if i["n_clusters"] else "" for i in infos]))

    body = pd.DataFrame([cells for _, cells in rows], index=[label for label, _ in rows], columns=names)
    star_note = ", ".join(f"{'*' * (k + 1)} p < {level:g}" for k, level in enumerate(levels))
    paren = {"se": "Standard errors", "t": "t statistics", "p": "p-values"}[stat]
    default_notes = [f"{paren} in parentheses; {star_note}."]
    return Table(body=body, title=title, notes=default_notes + list(notes), groups=groups, sections=sections)
