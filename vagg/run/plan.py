"""The plan of a run: every column the config names checked against the data, and the stages the data allow.

:func:`plan_run` runs before any stage, so that a misspelt column fails at
once with a did-you-mean hint, and it decides which stages run; a stage whose
inputs the panel lacks is skipped with a note for the report.
"""

from __future__ import annotations

import difflib
from typing import Any

import pandas as pd

from vagg._errors import DataError, SpecificationError
from vagg.optional import named_columns
from vagg.run.variables import (CONSTRUCTION_EXTRA, DEFAULT_MEDIATORS, FLOW_INPUTS, INSTRUMENT_INPUTS,
                                INTENSITY_INPUTS, NETWORK_MEASURES)
from vagg.study_area import has_boundaries, panel_ids, resolve_source

def did_you_mean(name: str, columns: list[str]) -> str:
    """``"; did you mean 'x'?"`` with the closest of ``columns`` to ``name`` (difflib), or ``""`` when none is close."""
    close = difflib.get_close_matches(name, columns, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def plan_run(panel: pd.DataFrame, config: dict[str, Any]) -> dict[str, Any]:
    """Check every column the config names against the data and decide which stages run.

    Called before any stage, so that a misspelt control fails at once (with a
    did-you-mean) instead of after the index is built.  Stages whose inputs the
    panel lacks are skipped, each with a note for the report.

    Parameters
    ----------
    panel
        The raw panel, indexed (entity, time), as read from ``[data] path``.
    config
        A validated config (:func:`vagg.config.validate_config`).

    Returns
    -------
    dict with ``x``, ``y``, ``mediators``, ``group``, ``name``, the resolved
    weights ``source`` (None when ``"auto"`` finds none for the panel's ids),
    flags ``build_index``, ``build_outcome``, ``construction``, ``flows``,
    ``intensities``, ``instrument``, ``geography``, ``table1``, the raw
    columns the run uses (``used``) and ``skipped`` notes.
    """
    from vagg.data import load_seed_table1
    from vagg.mechanisms.indicators import as_system

    columns = [str(c) for c in panel.columns]
    present = set(columns)
    data, idx, out, model = config["data"], config["index"], config["outcome"], config["model"]
    skipped: list[str] = []
    used: list[str] = []

    def need(key: str, name: str) -> None:
        if name not in present:
            raise SpecificationError(f"config key {key}: column {name!r} is not in the data"
                                     f"{did_you_mean(name, columns)}")

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
                                     f"{', '.join(absent)}{did_you_mean(absent[0], columns)}")
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
        skipped.append(("Table 1 layout: " if config["audit"] is not None else "Table 1 and its rank audit: ")
                       + ("the index is the user's own column" if not plan["build_index"]
                          else "the panel's cities are not the published Table 1 cities"))
    for key, column in named_columns(config, plan["x"], plan["y"]):
        if column not in (plan["x"], plan["y"]):
            need(key, column)
            used.append(column)
    plan["used"] = list(dict.fromkeys(used))
    plan["skipped"] = skipped
    return plan
