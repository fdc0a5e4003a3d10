"""Contiguity weights: queen and rook from polygons, or from an edge list.

Queen: units sharing at least one boundary point are neighbours; rook: units
sharing a boundary segment (Anselin 1988, *Spatial Econometrics*, ch. 3; libpysal
``Queen``/``Rook``).  :math:`w_{ij} = 1` for neighbours, 0 otherwise, before
standardisation.

Islands (units with no neighbour, e.g. Sansha and Taiwan among China's
prefectures): ``islands="raise"`` refuses them naming each, ``"keep"`` keeps
zero rows (their spatial lag is 0; a warning), ``"nearest"`` joins each to its
nearest unit by centroid distance (GeoDa's "connect to nearest").
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from libpysal.weights import W

from vagg._errors import DataError, SpecificationError
from vagg.data.ids import normalise_ids
from vagg.weights._core import _listing, from_matrix
from vagg.weights.distance import _island_rule, coordinates, join_islands


def edges_matrix(edges: pd.DataFrame | Sequence[tuple[object, object]], ids: Sequence[object]) -> sp.csr_matrix:
    """Binary symmetric (n x n) matrix of an undirected edge list over ``ids`` (duplicates count once)."""
    ids = normalise_ids(ids, required=True, label="unit ids").tolist()
    position = pd.Series(np.arange(len(ids)), index=ids)
    frame = edges if isinstance(edges, pd.DataFrame) else pd.DataFrame(list(edges))
    if frame.shape[1] < 2:
        raise DataError("an edge list needs two id columns")
    a = normalise_ids(frame.iloc[:, 0], required=True, label="edge list, first column").to_numpy()
    b = normalise_ids(frame.iloc[:, 1], required=True, label="edge list, second column").to_numpy()
    unknown = sorted(set(a[~pd.Index(a).isin(ids)]) | set(b[~pd.Index(b).isin(ids)]))
    if unknown:
        raise DataError(f"edge list names ids that are not among the units: {_listing(unknown)}")
    i, j = position[a].to_numpy(), position[b].to_numpy()
    n = len(ids)
    mat = sp.csr_matrix((np.ones(2 * len(i)), (np.r_[i, j], np.r_[j, i])), shape=(n, n))
    mat.data[:] = 1.0
    return mat


def from_edges(
    edges: pd.DataFrame | Sequence[tuple[object, object]],
    ids: Sequence[object],
    standardise: str | bool = "row",
    allow_islands: bool = False,
    islands: str = "raise",
    coords=None,
    kind: str = "contiguity (edge list)",
) -> W:
    """Binary symmetric W from an undirected edge list (first two columns) over ``ids``.

    ``islands="nearest"`` needs ``coords`` (a frame with ``lon``/``lat``
    indexed by id) to find each island's nearest unit.
    """
    rule = _island_rule(islands, allow_islands)
    mat = edges_matrix(edges, ids)
    if rule == "nearest":
        mat = _join(mat, [str(i) for i in ids], coords)
    return from_matrix(mat, ids, standardise=standardise, allow_islands=rule == "keep", kind=kind)


def _join(mat: sp.csr_matrix, ids: list[str], coords) -> sp.csr_matrix:
    if coords is None:
        raise SpecificationError("islands='nearest' needs coordinates (lon/lat or polygons) to find the nearest unit")
    points, point_ids = coordinates(coords)
    position = pd.Series(np.arange(len(point_ids)), index=point_ids)
    missing = [i for i in ids if i not in position.index]
    if missing:
        raise DataError(f"no coordinates for ids: {_listing(missing)}")
    return join_islands(mat, points[position[ids].to_numpy()])


def contiguity(gdf: pd.DataFrame, kind: str = "queen", standardise: str | bool = "row",
               allow_islands: bool = False, islands: str = "raise") -> W:
    """Queen or rook contiguity from polygons (libpysal), ids from the index.

    Parameters
    ----------
    gdf
        GeoDataFrame of polygons indexed by id.
    kind
        ``"queen"`` or ``"rook"``.
    standardise
        ``"row"``, ``"spectral"`` or ``"none"``.
    islands
        ``"raise"``, ``"keep"`` or ``"nearest"`` (see the module notes);
        ``allow_islands=True`` is ``"keep"``.
    """
    from libpysal.weights import Queen, Rook

    builders = {"queen": Queen, "rook": Rook}
    if kind not in builders:
        raise SpecificationError(f"unknown contiguity kind {kind!r}; use 'queen' or 'rook'")
    rule = _island_rule(islands, allow_islands)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = builders[kind].from_dataframe(gdf, use_index=True, silence_warnings=True)
    order = [str(i) for i in raw.id_order]
    mat = raw.sparse.tocsr()
    if rule == "nearest":
        mat = _join(mat, order, gdf)
    return from_matrix(mat, order, standardise=standardise, allow_islands=rule == "keep",
                       kind=f"{kind} contiguity")
