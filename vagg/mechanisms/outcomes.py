"""The variables the pipeline builds from a raw panel: synergy outcome and network mediators."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import pandas as pd

from vagg.mechanisms.composite import composite_index
from vagg.mechanisms.coupling import coupling_coordination
from vagg.mechanisms.indicators import IndicatorSystem
from vagg.mechanisms.networks import centrality, flow_networks

__all__ = ["synergy_outcome", "network_mediators", "DEFAULT_CHANNELS"]

#: Mass columns of the two transmission channels in the demo panel.
DEFAULT_CHANNELS: dict[str, str | list[str]] = {
    "innovation": "invention_patents",
    "finance": ["deposits", "loans"],
}


def synergy_outcome(
    panel: pd.DataFrame,
    system: IndicatorSystem | str | os.PathLike[str] = "industrial_synergy",
    method: str = "entropy",
    corrected: bool = True,
) -> pd.DataFrame:
    """Industrial synergy as the coupling coordination of the system's sub-systems.

    Each dimension of ``system`` (by default the bundled specialised
    manufacturing and productive services sub-systems) is an index of its
    indicators (:func:`composite_index`, entropy by default, pooled, 0-100);
    the sub-system levels U = index / 100 enter :func:`coupling_coordination`.

    Returns
    -------
    DataFrame indexed by (entity, time): one ``U_<dimension>`` column per
    sub-system, then ``C``, ``T``, ``D`` (the synergy outcome) and ``level``.
    """
    index = composite_index(panel, system, method=method)
    U = index.dimensions / 100.0
    cc = coupling_coordination(U, corrected=corrected)
    return pd.concat([U.add_prefix("U_"), cc], axis=1)


def network_mediators(
    panel: pd.DataFrame,
    channels: Mapping[str, str | Sequence[str]] | None = None,
    population: str = "population",
    coords: pd.DataFrame | None = None,
    distance: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """City-year centralities of each channel's yearly gravity network (the mediator candidates).

    Parameters
    ----------
    panel
        Indexed by (entity, time) with the mass and population columns.
    channels
        Channel name -> mass column(s); default :data:`DEFAULT_CHANNELS`
        (innovation: invention patents; finance: deposits + loans).
    population, coords, distance
        As in :func:`vagg.mechanisms.flow_networks`.

    Returns
    -------
    DataFrame indexed as the panel, columns ``<channel>_<measure>`` for every
    measure of :func:`vagg.mechanisms.centrality`.
    """
    channels = DEFAULT_CHANNELS if channels is None else channels
    frames = []
    for name, mass in channels.items():
        networks = flow_networks(panel, mass, population=population, coords=coords, distance=distance)
        per_year = {year: centrality(net) for year, net in networks.items()}
        stacked = pd.concat(per_year, names=["_time", "_entity"]).swaplevel().add_prefix(f"{name}_")
        frames.append(stacked)
    out = pd.concat(frames, axis=1)
    out.index = out.index.set_names(panel.index.names)
    ids = panel.index.get_level_values(0).astype(str)
    out = out.reindex(pd.MultiIndex.from_arrays([ids, panel.index.get_level_values(1)], names=panel.index.names))
    out.index = panel.index
    return out
