"""Spatial weights matrices, shared by the evolution and model layers.

Every builder returns a :class:`libpysal.weights.W` whose ids are the panel's
entity ids (adcodes for Chinese cities), row-standardised unless
``standardise=False``.  :func:`to_sparse` aligns any W to a panel's entity
order by id, so the order of rows in the data never matters.

Builders refuse what would give a silently wrong model: a non-square or
non-finite matrix, negative weights, and islands (a unit with no neighbour,
whose row cannot be standardised) unless ``allow_islands=True``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from libpysal.weights import WSP, W

from vagg._errors import DataError, SpecificationError

EARTH_RADIUS_KM = 6371.0088

__all__ = [
    "guangdong",
    "contiguity",
    "inverse_distance",
    "knn",
    "economic_distance",
    "from_matrix",
    "from_edges",
    "to_sparse",
    "great_circle_km",
]


def _listing(items: Sequence[object], limit: int = 10) -> str:
    items = list(items)
    more = len(items) - limit
    return ", ".join(map(str, items[:limit])) + (f" (and {more} more)" if more > 0 else "")


def from_matrix(
    matrix: np.ndarray | sp.spmatrix,
    ids: Sequence[object],
    standardise: bool = True,
    allow_islands: bool = False,
) -> W:
    """Build a W from a square matrix whose rows and columns follow ``ids``.

    The diagonal is set to zero.  Refuses non-square, non-finite or negative
    matrices and, unless ``allow_islands``, rows without any neighbour.
    """
    ids = [str(i) for i in ids]
    mat = sp.csr_matrix(matrix, dtype=float)
    if mat.shape[0] != mat.shape[1]:
        raise DataError(f"a weights matrix must be square, got shape {mat.shape}")
    if mat.shape[0] != len(ids):
        raise DataError(f"a weights matrix of size {mat.shape[0]} needs as many ids, got {len(ids)}")
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise DataError(f"duplicate weights ids: {_listing(dup)}")
    if not np.all(np.isfinite(mat.data)):
        raise DataError("the weights matrix has non-finite entries (NaN or inf)")
    if (mat.data < 0).any():
        raise DataError("the weights matrix has negative entries")
    mat.setdiag(0.0)
    mat.eliminate_zeros()
    row_sums = np.asarray(mat.sum(axis=1)).ravel()
    islands = [ids[i] for i in np.flatnonzero(row_sums == 0)]
    if islands:
        message = f"the weights matrix has islands (units with no neighbour): {_listing(islands)}"
        if not allow_islands:
            raise DataError(message + "; pass allow_islands=True to keep them (their rows stay zero)")
        warnings.warn(message, stacklevel=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libpysal warns about islands we already reported
        w = WSP(mat.tocsr(), id_order=ids).to_W(silence_warnings=True)
        if standardise:
            w.transform = "r"
    return w


def from_edges(
    edges: pd.DataFrame | Sequence[tuple[object, object]],
    ids: Sequence[object],
    standardise: bool = True,
    allow_islands: bool = False,
) -> W:
    """Binary symmetric W from an undirected edge list over ``ids``."""
    ids = [str(i) for i in ids]
    position = {i: k for k, i in enumerate(ids)}
    pairs = [(str(a), str(b)) for a, b in (edges.itertuples(index=False) if isinstance(edges, pd.DataFrame) else edges)]
    unknown = sorted({x for pair in pairs for x in pair if x not in position})
    if unknown:
        raise DataError(f"edge list names ids that are not among the units: {_listing(unknown)}")
    rows = np.array([position[a] for a, _ in pairs] + [position[b] for _, b in pairs], dtype=int)
    cols = np.array([position[b] for _, b in pairs] + [position[a] for a, _ in pairs], dtype=int)
    mat = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(ids), len(ids)))
    mat.data[:] = 1.0  # duplicate edges count once
    return from_matrix(mat, ids, standardise=standardise, allow_islands=allow_islands)


def _coordinates(gdf_or_coords) -> tuple[np.ndarray, list[str]]:
    """(lon, lat) in degrees and ids from a GeoDataFrame or a DataFrame with lon/lat."""
    if isinstance(gdf_or_coords, pd.DataFrame):
        if {"lon", "lat"} <= set(gdf_or_coords.columns):
            coords = gdf_or_coords[["lon", "lat"]].to_numpy(dtype=float)
        elif "geometry" in gdf_or_coords.columns:
            from vagg.data.bundled import GUANGDONG_PROJECTED_CRS

            projected = gdf_or_coords.to_crs(GUANGDONG_PROJECTED_CRS) if gdf_or_coords.crs else gdf_or_coords
            centroid = projected.centroid
            centroid = centroid.to_crs("EPSG:4326") if gdf_or_coords.crs else centroid
            coords = np.column_stack([centroid.x, centroid.y])
        else:
            raise DataError("coordinates need 'lon' and 'lat' columns or a geometry column")
        ids = [str(i) for i in gdf_or_coords.index]
    else:
        raise DataError("pass a GeoDataFrame or a DataFrame indexed by id with 'lon' and 'lat' columns")
    if not np.all(np.isfinite(coords)):
        bad = [ids[i] for i in np.flatnonzero(~np.isfinite(coords).all(axis=1))]
        raise DataError(f"non-finite coordinates for ids: {_listing(bad)}")
    return coords, ids


def great_circle_km(coords: np.ndarray) -> np.ndarray:
    """Matrix of haversine distances (km) between (lon, lat) points in degrees.

    d_ij = 2 R asin( sqrt( sin^2(dphi/2) + cos phi_i cos phi_j sin^2(dlambda/2) ) ),
    R = 6371.0088 km (the IUGG mean Earth radius).
    """
    lon, lat = np.radians(coords[:, 0]), np.radians(coords[:, 1])
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _distances(coords: np.ndarray, ids: list[str]) -> np.ndarray:
    d = great_circle_km(coords)
    np.fill_diagonal(d, np.inf)
    zero = np.argwhere(d == 0)
    if len(zero):
        i, j = zero[0]
        raise DataError(f"units {ids[i]} and {ids[j]} share the same coordinates; inverse distance is undefined")
    return d


def inverse_distance(
    gdf_or_coords,
    power: float = 1.0,
    cutoff: float | None = None,
    standardise: bool = True,
    allow_islands: bool = False,
) -> W:
    """Inverse great-circle distance weights, w_ij = d_ij^(-power) for d_ij <= cutoff.

    Parameters
    ----------
    gdf_or_coords
        GeoDataFrame (centroids are used) or DataFrame with ``lon``/``lat``,
        indexed by id.
    power
        Distance decay exponent (1 inverse distance, 2 gravity-type).
    cutoff
        Distance band in km; pairs farther apart get weight 0.  ``None`` keeps
        every pair.
    """
    if power <= 0:
        raise SpecificationError(f"power must be positive, got {power}")
    coords, ids = _coordinates(gdf_or_coords)
    d = _distances(coords, ids)
    mat = d ** (-float(power))
    if cutoff is not None:
        mat[d > cutoff] = 0.0
    return from_matrix(mat, ids, standardise=standardise, allow_islands=allow_islands)


def knn(gdf_or_coords, k: int = 4, standardise: bool = True) -> W:
    """k-nearest-neighbour weights on great-circle distance (ties broken by id order)."""
    coords, ids = _coordinates(gdf_or_coords)
    n = len(ids)
    if not 1 <= k < n:
        raise SpecificationError(f"k must be between 1 and {n - 1} for {n} units, got {k}")
    d = _distances(coords, ids)
    nearest = np.argsort(d, axis=1, kind="stable")[:, :k]
    rows = np.repeat(np.arange(n), k)
    mat = sp.csr_matrix((np.ones(n * k), (rows, nearest.ravel())), shape=(n, n))
    return from_matrix(mat, ids, standardise=standardise)


def economic_distance(gdf_or_coords, gdp_per_capita: pd.Series, power: float = 1.0, standardise: bool = True) -> W:
    """Economic-geographic nested weights W = W_d diag(y_1/ybar, ..., y_n/ybar).

    w_ij = d_ij^(-power) * ybar_j / ybar, where ybar_j is unit j's mean GDP per
    capita over the period and ybar the mean over units: a richer neighbour
    weighs more (Lin, Long and Wu 2005, "Spatial econometric analysis of
    regional economic convergence in China", China Economic Quarterly 4(S)).

    Parameters
    ----------
    gdp_per_capita
        Series indexed by id, or by (id, time) for a panel column (averaged over
        time).  Every unit needs a positive value.
    """
    coords, ids = _coordinates(gdf_or_coords)
    series = gdp_per_capita
    if isinstance(series.index, pd.MultiIndex):
        series = series.groupby(level=0).mean()
    series.index = series.index.astype(str)
    absent = [i for i in ids if i not in series.index]
    if absent:
        raise DataError(f"gdp_per_capita has no value for ids: {_listing(absent)}")
    ybar = series.loc[ids].to_numpy(dtype=float)
    if not np.all(np.isfinite(ybar)) or (ybar <= 0).any():
        bad = [ids[i] for i in np.flatnonzero(~(np.isfinite(ybar) & (ybar > 0)))]
        raise DataError(f"gdp_per_capita must be positive and finite; not so for ids: {_listing(bad)}")
    d = _distances(coords, ids)
    mat = d ** (-float(power)) * (ybar / ybar.mean())[None, :]
    return from_matrix(mat, ids, standardise=standardise)


def contiguity(gdf, kind: str = "queen", standardise: bool = True, allow_islands: bool = False) -> W:
    """Queen or rook contiguity from polygons (libpysal), ids from the index."""
    from libpysal.weights import Queen, Rook

    builders = {"queen": Queen, "rook": Rook}
    if kind not in builders:
        raise SpecificationError(f"unknown contiguity kind {kind!r}; use 'queen' or 'rook'")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = builders[kind].from_dataframe(gdf, use_index=True, silence_warnings=True)
    mat, order = raw.full()
    return from_matrix(mat, order, standardise=standardise, allow_islands=allow_islands)


def guangdong(kind: str = "queen", standardise: bool = True, k: int = 4, power: float = 1.0) -> W:
    """Weights for the 21 Guangdong prefecture cities, ids are adcodes.

    Parameters
    ----------
    kind
        ``"queen"`` (the bundled 39-pair edge list from the full-resolution
        boundaries), ``"rook"`` (from the bundled simplified boundaries),
        ``"distance"`` (inverse great-circle distance between centroids, with
        ``power``) or ``"knn"`` (``k`` nearest centroids).
    """
    from vagg.data.bundled import load_guangdong, load_queen_edges

    gdf = load_guangdong()
    if kind == "queen":
        return from_edges(load_queen_edges(), list(gdf.index), standardise=standardise)
    if kind == "rook":
        return contiguity(gdf, "rook", standardise=standardise)
    if kind == "distance":
        return inverse_distance(gdf, power=power, standardise=standardise)
    if kind == "knn":
        return knn(gdf, k=k, standardise=standardise)
    raise SpecificationError(f"unknown weights kind {kind!r}; use 'queen', 'rook', 'distance' or 'knn'")


def to_sparse(w: W | tuple[sp.spmatrix, Sequence[object]], ids: Sequence[object]) -> sp.csr_matrix:
    """The weights as a CSR matrix ordered like ``ids`` (a panel's entities).

    Accepts a libpysal W or a ``(matrix, ids)`` pair.  Raises DataError naming
    the ids found on one side only.
    """
    ids = [str(i) for i in ids]
    if isinstance(w, W):
        matrix, w_ids = w.sparse, [str(i) for i in w.id_order]
    elif isinstance(w, tuple) and len(w) == 2:
        matrix, w_ids = sp.csr_matrix(w[0]), [str(i) for i in w[1]]
    else:
        raise SpecificationError("weights must be a libpysal W or a (sparse matrix, ids) pair")
    only_panel = sorted(set(ids) - set(w_ids))
    only_w = sorted(set(w_ids) - set(ids))
    if only_panel or only_w:
        parts = []
        if only_panel:
            parts.append(f"in the panel but not the weights: {_listing(only_panel)}")
        if only_w:
            parts.append(f"in the weights but not the panel: {_listing(only_w)}")
        raise DataError("weights ids do not match the panel's entities; " + "; ".join(parts))
    _check_entries(sp.csr_matrix(matrix), w_ids)
    position = {i: k for k, i in enumerate(w_ids)}
    order = np.array([position[i] for i in ids])
    return sp.csr_matrix(matrix)[order][:, order].tocsr()


def _check_entries(matrix: sp.csr_matrix, ids: list[str]) -> None:
    """Refuse missing, infinite or negative weights, naming the (row id, column id) pair."""
    coo = matrix.tocoo()
    for bad, what in ((~np.isfinite(coo.data), "missing or infinite"), (coo.data < 0, "negative")):
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise DataError(f"weights matrix has {int(bad.sum())} {what} weight(s), e.g. {float(coo.data[k])} at "
                            f"(row {ids[coo.row[k]]}, column {ids[coo.col[k]]}); spatial weights must be finite and "
                            ">= 0")
