"""The variables a run builds from the raw panel, and the input columns each needs.

The virtual-agglomeration index with its dimension sub-indices, the synergy
outcome, the construction outcomes, the shift-share instrument, the innovation
and finance intensities and the flow-network centralities
(:func:`build_variables`).  The column tuples below are what
:func:`vagg.run.plan.plan_run` checks the data against before a run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: the shift-share instrument: post offices per 10,000 people in 1984 x national internet users (millions)
INSTRUMENT = "iv_post_offices_x_internet"
#: default mediators: the intensities behind the two flow networks (log invention patents per person, log
#: (deposits + loans) / GDP).  The network centralities are added to the panel too, for a user's choice.
DEFAULT_MEDIATORS = ["innovation_intensity", "financial_depth"]
#: outcome.measure -> column of :func:`vagg.mechanisms.synergy_outcome`
MEASURES = {"coupling_coordination": "D", "coupling_degree": "C", "coordination_index": "T"}
#: inputs of the optional stages (absent: the stage is skipped with a note)
CONSTRUCTION_EXTRA = ("construction_employment", "producer_services_employment", "total_employment")
FLOW_INPUTS = ("invention_patents", "deposits", "loans", "population")
INTENSITY_INPUTS = ("invention_patents", "population", "deposits", "loans", "gdp")
INSTRUMENT_INPUTS = ("post_offices_1984_per10k", "internet_users_national")
#: centralities that :func:`vagg.mechanisms.network_mediators` adds per channel (mediator candidates)
NETWORK_MEASURES = ("out_strength", "in_strength", "out_degree", "in_degree", "betweenness", "closeness",
                    "eigenvector", "coreness", "density")


def build_variables(panel: pd.DataFrame, config: dict[str, Any],
                    plan: dict[str, Any] | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Index, dimension sub-indices, synergy and construction outcomes, network mediators.

    Built on a copy of ``panel``, each as a new column:

    - the index ``[index] name`` (:func:`vagg.mechanisms.composite_index` of ``index.system`` by
      ``index.method``, 0-100) and its dimension sub-indices ``dim_<dimension>``;
    - the outcome ``[outcome] name``: column D, C or T (``outcome.measure``) of
      :func:`vagg.mechanisms.synergy_outcome`;
    - ``construction_index`` (the construction system, same method),
      ``va_construction_coordination`` = D of the two indices / 100 (floored at 1e-6) by
      :func:`vagg.mechanisms.coupling_coordination`, and
      ``construction_services_coagglomeration`` (:func:`vagg.mechanisms.coagglomeration`);
    - :data:`INSTRUMENT` = post offices per 10,000 people in 1984 x national internet users / 100;
    - ``innovation_intensity`` = log(invention patents / population) and
      ``financial_depth`` = log((deposits + loans) / GDP);
    - the centralities of the innovation and finance flow networks
      (:func:`vagg.mechanisms.network_mediators`, :data:`NETWORK_MEASURES`).

    Parameters
    ----------
    panel
        The analysed panel, indexed (entity, time).
    config
        A validated config (:func:`vagg.config.validate_config`).
    plan
        :func:`vagg.run.plan.plan_run`'s plan: which variables the data allow (its ``area`` gives the
        cities' coordinates to the flow networks).  Without it, those whose input columns the panel has
        are built.

    Returns
    -------
    The panel with the new columns, and ``built``: the fitted ``index``, ``construction`` and
    ``synergy`` objects (None when not built) and the ``dimensions`` column names.
    """
    from vagg.mechanisms import (coagglomeration, composite_index, coupling_coordination, network_mediators,
                                 synergy_outcome)

    if plan is None:
        from vagg.mechanisms.indicators import as_system

        present = set(panel.columns)
        plan = {"build_index": True, "build_outcome": True, "flows": present.issuperset(FLOW_INPUTS),
                "construction": present.issuperset([*as_system("construction").columns, *CONSTRUCTION_EXTRA]),
                "intensities": present.issuperset(INTENSITY_INPUTS),
                "instrument": present.issuperset(INSTRUMENT_INPUTS)}
    panel = panel.copy()
    idx = config["index"]
    built: dict[str, Any] = {"index": None, "construction": None, "synergy": None, "dimensions": []}
    if plan["build_index"]:
        index = composite_index(panel, system=idx["system"], method=idx["method"])
        panel[idx["name"]] = index.scores
        dims = [f"dim_{d}" for d in index.dimensions.columns]
        panel[dims] = index.dimensions.to_numpy()
        built.update(index=index, dimensions=dims)
    if plan["build_outcome"]:
        synergy = synergy_outcome(panel)
        panel[config["outcome"]["name"]] = synergy[MEASURES[config["outcome"]["measure"]]]
        built["synergy"] = synergy
    if plan["construction"]:
        construction = composite_index(panel, system="construction", method=idx["method"])
        panel["construction_index"] = construction.scores
        two = pd.DataFrame({"va": panel[idx["name"]] / 100.0, "construction": construction.scores / 100.0})
        panel["va_construction_coordination"] = coupling_coordination(two.clip(lower=1e-6))["D"].to_numpy()
        panel["construction_services_coagglomeration"] = coagglomeration(
            panel, "construction_employment", "producer_services_employment", "total_employment").to_numpy()
        built["construction"] = construction
    if plan["instrument"]:
        panel[INSTRUMENT] = panel["post_offices_1984_per10k"] * panel["internet_users_national"] / 100.0
    if plan["intensities"]:
        panel["innovation_intensity"] = np.log(panel["invention_patents"] / panel["population"])
        panel["financial_depth"] = np.log((panel["deposits"] + panel["loans"]) / panel["gdp"])
    if plan["flows"]:
        mediators = network_mediators(panel, coords=plan["area"][["lon", "lat"]] if "area" in plan else None)
        for column in mediators.columns:
            panel[column] = mediators[column]
    return panel, built
