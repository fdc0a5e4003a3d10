"""Weights on the bundled geographies: Guangdong's 21 cities, China's prefectures or counties."""

from __future__ import annotations

from collections.abc import Sequence

from libpysal.weights import W

from vagg._errors import SpecificationError
from vagg.weights.contiguity import contiguity, from_edges
from vagg.weights.distance import inverse_distance, knn


def guangdong(kind: str = "queen", standardise: str | bool = "row", k: int = 4, power: float = 1.0) -> W:
    """Weights for the 21 Guangdong prefecture cities, ids are adcodes.

    Parameters
    ----------
    kind
        ``"queen"`` (the bundled 39-pair edge list from the full-resolution
        boundaries), ``"rook"`` (from the bundled simplified boundaries),
        ``"distance"`` (inverse great-circle distance between centroids, with
        ``power``) or ``"knn"`` (``k`` nearest centroids).
    standardise
        ``"row"`` (default), ``"spectral"`` or ``"none"``.
    """
    from vagg.data.bundled import load_guangdong, load_queen_edges

    gdf = load_guangdong()
    if kind == "queen":
        return from_edges(load_queen_edges(), list(gdf.index), standardise=standardise, kind="queen contiguity")
    if kind == "rook":
        return contiguity(gdf, "rook", standardise=standardise)
    if kind == "distance":
        return inverse_distance(gdf, power=power, standardise=standardise)
    if kind == "knn":
        return knn(gdf, k=k, standardise=standardise)
    raise SpecificationError(f"unknown weights kind {kind!r}; use 'queen', 'rook', 'distance' or 'knn'")


def china(level: str = "prefecture", kind: str = "queen", provinces: Sequence[str] | str | None = None,
          standardise: str | bool = "row", islands: str = "raise", **options) -> W:
    """Weights on the bundled all-China geography, ids are adcodes.

    Queen contiguity comes from the bundled edge lists (969 prefecture pairs,
    8,205 county pairs, computed on the full-resolution boundaries); the other
    kinds and ``options`` (``k``, ``power``, ``cutoff``, ``metric``,
    ``gdp_per_capita``) as in :func:`vagg.weights.from_geography`.  The whole
    country has islands (Sansha and Taiwan; 7 counties): choose ``islands``.
    """
    from vagg.data.china import load_china, load_china_edges
    from vagg.weights.spec import from_geography

    gdf = load_china(level, provinces=provinces)
    edges = load_china_edges(level) if kind == "queen" else None
    return from_geography(gdf, kind=kind, standardise=standardise, islands=islands, edges=edges, **options)
