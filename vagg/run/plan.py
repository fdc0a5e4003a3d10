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
    check = _Check(panel)
    data = config["data"]
    plan: dict[str, Any] = {}
    _index_and_outcome(check, config, plan)
    for i, control in enumerate(config["model"]["controls"]):
        check.need(f"model.controls[{i}]", control)
    check.used += list(config["model"]["controls"])
    _construction(check, plan)
    _spatial(check, config, plan)
    _mediators(check, config, plan)
    plan["group"] = data["group"]
    if data["group"] is not None:
        check.need("data.group", data["group"])
    else:
        check.skipped.append("Dagum and Theil decompositions and heterogeneity by group: no [data] group column")
    plan["name"] = data["name"]
    if data["name"] is not None:
        check.need("data.name", data["name"])
    _table1(check, config, plan)
    for key, column in named_columns(config, plan["x"], plan["y"]):
        if column not in (plan["x"], plan["y"]):
            check.need(key, column)
            check.used.append(column)
    plan["used"] = list(dict.fromkeys(check.used))
    plan["skipped"] = check.skipped
    return plan


class _Check:
    """The panel's columns, the raw columns a run uses and the notes of the stages it skips, in order."""

    def __init__(self, panel: pd.DataFrame) -> None:
        self.panel = panel
        self.columns = [str(c) for c in panel.columns]
        self.present = set(self.columns)
        self.used: list[str] = []
        self.skipped: list[str] = []

    def need(self, key: str, name: str) -> None:
        """Refuse a column that config key ``key`` names and the data lack."""
        if name not in self.present:
            raise SpecificationError(f"config key {key}: column {name!r} is not in the data"
                                     f"{did_you_mean(name, self.columns)}")

    def has(self, names: tuple[str, ...] | list[str]) -> bool:
        """Whether the data have every one of ``names``."""
        return self.present.issuperset(names)

    def lacking(self, names: tuple[str, ...] | list[str]) -> str:
        """Those of ``names`` the data lack, for a note."""
        return ", ".join(c for c in names if c not in self.present)


def _index_and_outcome(check: _Check, config: dict[str, Any], plan: dict[str, Any]) -> None:
    """The index and the outcome: built from their indicator columns, or the user's own columns."""
    from vagg.mechanisms.indicators import as_system

    idx, out = config["index"], config["outcome"]
    plan.update(build_index=idx["column"] is None, build_outcome=out["column"] is None)
    for key, built, own in (("index", plan["build_index"], idx["column"]),
                            ("outcome", plan["build_outcome"], out["column"])):
        if built and config[key]["name"] in check.present:
            raise SpecificationError(
                f"config key {key}.name: the data already have a column {config[key]['name']!r}, which the built "
                f"{key} would overwrite; set [{key}] column = {config[key]['name']!r} to use yours, or choose "
                "another name")
        if not built:
            check.need(f"{key}.column", own)
            check.used.append(own)
    if plan["build_index"]:
        system = as_system(idx["system"])
        absent = [c for c in system.columns if c not in check.present]
        if absent:
            raise SpecificationError(f"config key index.system: indicator column(s) not in the data: "
                                     f"{', '.join(absent)}{did_you_mean(absent[0], check.columns)}")
        check.used += system.columns
    if plan["build_outcome"]:
        system = as_system("industrial_synergy")
        absent = [c for c in system.columns if c not in check.present]
        if absent:
            raise SpecificationError(f"the synergy outcome needs indicator column(s) not in the data: "
                                     f"{', '.join(absent)}; set [outcome] column = \"...\" to use your own outcome")
        check.used += system.columns
    plan["x"] = idx["column"] or idx["name"]
    plan["y"] = out["column"] or out["name"]
    if plan["build_outcome"] is False and out["measure"] != "coupling_coordination":
        raise SpecificationError("config key outcome.measure applies to the built outcome; leave it out with "
                                 "[outcome] column")


def _construction(check: _Check, plan: dict[str, Any]) -> None:
    """The construction outcomes: built with the built index when the data have their indicators."""
    from vagg.mechanisms.indicators import as_system

    construction = as_system("construction").columns + list(CONSTRUCTION_EXTRA)
    plan["construction"] = plan["build_index"] and check.has(construction)
    if plan["construction"]:
        check.used += construction
    else:
        check.skipped.append("construction outcomes (construction index, VA-construction coordination, "
                             "co-agglomeration): the data lack " + check.lacking(construction)
                             if plan["build_index"] else "construction outcomes: built only with the built index")


def _spatial(check: _Check, config: dict[str, Any], plan: dict[str, Any]) -> None:
    """The weights source, whether it has boundaries (maps, flow networks), and the flow networks' inputs."""
    weights = config["weights"]
    try:
        plan["source"] = resolve_source(str(weights["source"]), panel_ids(check.panel))
    except DataError as exc:  # only "auto" raises: the user named no source, so the spatial stages are skipped
        plan["source"] = None
        check.skipped.append(f"maps, Moran's I, LISA, flow networks and the spatial Durbin model: {exc}")
    plan["geography"] = plan["source"] is not None and has_boundaries(plan["source"])
    if plan["source"] is not None and not plan["geography"]:
        check.skipped.append(f"maps and flow networks: the weights come from a matrix file ({plan['source']}), "
                             "which has no boundaries")
    if weights["kind"].startswith("economic") and plan["source"] is not None:
        gdp = weights["gdp"] or "gdp_per_capita"
        check.need("weights.gdp", gdp)
        check.used.append(gdp)
    plan["flows"] = plan["geography"] and check.has(FLOW_INPUTS)
    if plan["flows"]:
        check.used += list(FLOW_INPUTS)
    elif plan["geography"]:
        check.skipped.append("flow networks and their centralities: the data lack " + check.lacking(FLOW_INPUTS))


def _mediators(check: _Check, config: dict[str, Any], plan: dict[str, Any]) -> None:
    """The instrument and the mediators: the user's (columns of the data or variables the run builds), or
    the default innovation and finance intensities when the data have their inputs."""
    chosen = config["model"]["mediators"]
    plan["intensities"] = check.has(INTENSITY_INPUTS)
    plan["instrument"] = check.has(INSTRUMENT_INPUTS)
    if plan["instrument"]:
        check.used += list(INSTRUMENT_INPUTS)
    built = set(DEFAULT_MEDIATORS if plan["intensities"] else []) | (
        {f"{c}_{m}" for c in ("innovation", "finance") for m in NETWORK_MEASURES} if plan["flows"] else set())
    if chosen:
        for i, mediator in enumerate(chosen):
            if mediator not in check.present and mediator not in built:
                check.need(f"model.mediators[{i}]", mediator)
            if mediator in check.present:
                check.used.append(mediator)
            elif mediator in DEFAULT_MEDIATORS:
                check.used += list(INTENSITY_INPUTS)
        plan["mediators"] = list(chosen)
    elif plan["intensities"]:
        plan["mediators"] = list(DEFAULT_MEDIATORS)
        check.used += list(INTENSITY_INPUTS)
    else:
        plan["mediators"] = []
        check.skipped.append("mediation: no mediators named and the data lack " + check.lacking(INTENSITY_INPUTS)
                             + " for the default innovation and finance intensities")


def _table1(check: _Check, config: dict[str, Any], plan: dict[str, Any]) -> None:
    """Table 1 and its rank audit: for a built index of the source study's cities."""
    from vagg.data import load_seed_table1

    ids = {str(e) for e in check.panel.index.get_level_values(0).unique()}
    seed_ids = set(load_seed_table1()["adcode"].astype(str))
    plan["table1"] = plan["build_index"] and ids <= seed_ids
    if not plan["table1"]:
        check.skipped.append(("Table 1 layout: " if config["audit"] is not None else "Table 1 and its rank audit: ")
                             + ("the index is the user's own column" if not plan["build_index"]
                                else "the panel's cities are not the published Table 1 cities"))
