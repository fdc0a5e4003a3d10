"""The optional stages of a run: panel threshold, panel quantiles, dynamic spatial Durbin, staggered DID, moderation.

Each stage runs when its section is in the config, and reads only its own keys
(:data:`vagg.config.OPTIONAL_SCHEMA`):

- ``[threshold]``: Hansen (1999) panel threshold model of ``outcome`` on the
  index (``regime``) and the controls, with threshold ``variable``
  (:class:`vagg.models.PanelThreshold`);
- ``[quantile]``: Machado and Santos Silva (2019) MM-QR fixed-effects quantile
  regressions at ``quantiles`` (:class:`vagg.models.PanelQuantile`);
- ``[dynamic]``: the dynamic spatial Durbin model (Yu, de Jong and Lee 2008)
  with y_{t-1} (``kind = "time"``) or also W y_{t-1} (``"spacetime"``), with
  short- and long-run effects (:class:`vagg.models.SpatialPanel` with ``dynamic=``);
- ``[did]``: a staggered policy given by ``adoption`` (a column holding each
  city's adoption year, 0 or empty for never treated, or a CSV file of city and
  year): the TWFE event study, heterogeneity-robust event studies
  (``methods``) and the Goodman-Bacon decomposition of the TWFE estimate;
- ``[moderation]``: ``outcome ~ index * moderator + controls`` with the
  centred product, conditional effects at the mean and +/- 1 sd, the
  Johnson-Neyman interval and, with ``moderated_path``, Hayes' moderated
  mediation through the run's mediators.

The pipeline checks the columns these sections name before any stage
(:func:`named_columns`) and runs them after the core stages (:func:`run_optional`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from vagg._errors import DataError, SpecificationError

SECTIONS = ("threshold", "quantile", "dynamic", "did", "moderation")
#: names of the policy-timing columns the DID stage adds to the panel it analyses
DID_COLUMNS = ("did_treated", "did_cohort", "did_event_time")


def named_columns(config: dict[str, Any], x: str, y: str) -> list[tuple[str, str]]:
    """(config key, column) for every column the optional sections name, defaults filled in."""
    out: list[tuple[str, str]] = []
    for section in SECTIONS:
        c = config.get(section)
        if c is None:
            continue
        out.append((f"{section}.outcome", c.get("outcome") or y))
        if section == "threshold":
            out += [("threshold.variable", c["variable"]), ("threshold.regime", c["regime"] or x)]
        elif section == "moderation":
            out.append(("moderation.moderator", c["moderator"]))
        elif section == "did" and not str(c["adoption"]).lower().endswith((".csv", ".xlsx")):
            out.append(("did.adoption", c["adoption"]))
    return out


def adoption_years(panel: pd.DataFrame, adoption: str) -> pd.Series:
    """City -> adoption year from a column of the panel (time-invariant; 0 or empty = never) or a file.

    A file has two columns, city and year (CSV or XLSX); a city it does not
    list is never treated.
    """
    if adoption in panel.columns:
        per_city = panel.groupby(level=0, sort=True)[adoption]
        varying = per_city.nunique(dropna=False) > 1
        if varying.any():
            city = varying.index[varying.to_numpy()][0]
            raise DataError(f"did.adoption column {adoption!r} changes over the years of city {city!r}; it must "
                            "hold the city's adoption year in every row")
        years = per_city.first()
        return years.where(years.notna() & (years != 0))
    path = Path(adoption)
    if not path.is_file():
        raise SpecificationError(f"config key did.adoption: {adoption!r} is neither a column of the data nor a file")
    table = pd.read_excel(path) if path.suffix.lower() == ".xlsx" else pd.read_csv(path, dtype={0: str})
    return table


def _controls_rhs(x: str, controls: list[str]) -> str:
    return " + ".join([x] + [c for c in controls if c != x])


def run_optional(panel: pd.DataFrame, config: dict[str, Any], plan: dict[str, Any], stages: Any,
                 w: Any) -> tuple[dict[str, Any], list[str]]:
    """Run the optional stages the config asks for; returns their results and notes for the report.

    ``w`` is the run's weights matrix (None when the spatial stages cannot run);
    stages that need a balanced panel or a matrix are skipped with a note naming why.
    """
    from vagg import models

    x, y = plan["x"], plan["y"]
    controls = list(config["model"]["controls"])
    cov, seed = config["model"]["cov"], config["run"]["seed"]
    balanced = plan.get("balanced", True)
    out: dict[str, Any] = {}
    notes: list[str] = []

    def unbalanced(stage: str) -> bool:
        if not balanced:
            notes.append(f"{stage} not run: it needs a balanced panel (see the missing-data policy above)")
        return not balanced

    if config.get("threshold") is not None and not unbalanced("panel threshold model"):
        c = config["threshold"]
        outcome, regime = c["outcome"] or y, c["regime"] or x
        model = models.PanelThreshold.from_formula(
            f"{outcome} ~ {_controls_rhs(regime, controls)}", panel, threshold=c["variable"], regime=regime,
            n_thresholds=c["n_thresholds"], trim=c["trim"], effects=c["effects"], grid=c["grid"])
        out["threshold"] = stages.run("panel threshold", model.fit, n_boot=c["draws"], seed=seed, progress=False)

    if config.get("quantile") is not None:
        c = config["quantile"]
        model = models.PanelQuantile.from_formula(f"{c['outcome'] or y} ~ {_controls_rhs(x, controls)}", panel,
                                                  effects=c["effects"])
        out["quantile"] = stages.run("panel quantiles", model.fit, quantiles=c["quantiles"])

    if config.get("dynamic") is not None and not unbalanced("dynamic spatial Durbin model"):
        c = config["dynamic"]
        if w is None:
            notes.append("dynamic spatial Durbin model not run: no weights matrix for the panel's cities")
        else:
            model = models.SpatialPanel.from_formula(f"{c['outcome'] or y} ~ {_controls_rhs(x, controls)}",
                                                     panel, w=w, model="sdm", dynamic=c["kind"],
                                                     effects=c["effects"])

            def dynamic() -> dict[str, Any]:
                fit = model.fit()
                return {"fit": fit, "effects": fit.effects_tables(draws=config["run"]["impact_draws"], seed=seed)}

            out["dynamic"] = stages.run("dynamic spatial Durbin", dynamic)

    if config.get("did") is not None and not unbalanced("staggered DID"):
        out["did"] = stages.run("staggered DID", _did, panel, config["did"], y, cov, seed)

    if config.get("moderation") is not None:
        out["moderation"] = stages.run("moderation", _moderation, panel, config, plan, x, y, controls)
    return out, notes


def _did(panel: pd.DataFrame, c: dict[str, Any], y: str, cov: str, seed: int) -> dict[str, Any]:
    from vagg import models

    outcome = c["outcome"] or y
    data = models.policy_timing(panel, adoption_years(panel, c["adoption"]), names=DID_COLUMNS)
    cohort = DID_COLUMNS[1]
    if not (data[cohort] > 0).any():
        raise DataError(f"did.adoption {c['adoption']!r}: no city of the panel adopts the policy")
    studies = {"TWFE": models.EventStudy(data, outcome, cohort=cohort, leads=c["leads"], lags=c["lags"],
                                         reference=-1, bin_ends=True).fit(cov=cov)}
    labels = {"imputation": "Imputation (BJS)", "callaway-santanna": "Callaway-Sant'Anna"}
    for method in c["methods"]:
        studies[labels[method]] = models.robust_event_study(data, outcome, cohort=cohort, method=method,
                                                            leads=c["leads"], lags=c["lags"], n_boot=c["n_boot"],
                                                            seed=seed)
    static = models.PanelFE(data[outcome], data[[DID_COLUMNS[0]]], effects="twoway", data=data).fit(cov=cov)
    waves = data.groupby(level=0)[cohort].first()
    return {"outcome": outcome, "studies": studies, "static": static,
            "bacon": models.bacon_decomposition(data, outcome, cohort=cohort), "waves": waves.value_counts().sort_index()}


def _moderation(panel: pd.DataFrame, config: dict[str, Any], plan: dict[str, Any], x: str, y: str,
                controls: list[str]) -> dict[str, Any]:
    from vagg import models

    c = config["moderation"]
    outcome, z = c["outcome"] or y, c["moderator"]
    if z == x:
        raise SpecificationError("config key moderation.moderator names the index itself")
    rest = [v for v in controls if v not in (x, z)]
    formula = f"{outcome} ~ {x} * {z}" + "".join(f" + {v}" for v in rest)
    fit = models.PanelFE.from_formula(formula, panel, effects=config["model"]["effects"]).fit(
        cov=config["model"]["cov"])
    result: dict[str, Any] = {"outcome": outcome, "moderator": z, "fit": fit,
                              "conditional": models.conditional_effects(fit, x, z),
                              "johnson_neyman": models.johnson_neyman(fit, x, z)}
    if c["moderated_path"] is not None:
        if not plan["mediators"]:
            raise SpecificationError("config key moderation.moderated_path needs mediators ([model] mediators)")
        med = models.Mediation(panel, outcome, x, plan["mediators"], controls=rest,
                               effects=config["model"]["effects"], moderator=z, moderated_path=c["moderated_path"])
        fitted = med.fit(n_boot=config["run"]["bootstrap_draws"], seed=config["run"]["seed"], progress=False)
        result["moderated_mediation"] = fitted
    return result

