"""Distance-based weights: inverse distance, distance band, k nearest neighbours.

Distances are great-circle (haversine on the sphere of radius
:data:`EARTH_RADIUS_KM`) between (lon, lat) points, or Euclidean in a projected
CRS (``metric="projected"``, :data:`vagg.data.CHINA_PROJECTED_CRS` by default),
always in km.  Points are the ``lon``/``lat`` columns of the frame passed (the
bundled geographies carry centroids; pass a DataFrame of city-government seats
to use those), or the centroids of its polygons computed in a UTM projection.

Sparse builders (a cut-off, a band, kNN) search a k-d tree on 3-D unit vectors:
the chord :math:`c = 2R\\sin(d / 2R)` is monotone in the great-circle distance
:math:`d`, so a ball of chord :math:`2R\\sin(\\bar d / 2R)` holds exactly the
pairs with :math:`d \\le \\bar d`, and nearest neighbours by chord are nearest
by arc.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from libpysal.weights import W
from scipy.spatial import cKDTree

from vagg._errors import DataError, SpecificationError
from vagg.weights._core import ISLAND_RULES, _listing, from_matrix

EARTH_RADIUS_KM = 6371.0088
METRICS = ("great-circle", "projected")


def coordinates(gdf_or_coords: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """(lon, lat) in degrees and ids (text) from a GeoDataFrame or a DataFrame with lon/lat.

    ``lon``/``lat`` columns win; otherwise polygon centroids are computed in the
    frame's estimated UTM zone and returned in degrees.
    """
    if not isinstance(gdf_or_coords, pd.DataFrame):
        raise DataError("pass a GeoDataFrame or a DataFrame indexed by id with 'lon' and 'lat' columns")
    if {"lon", "lat"} <= set(gdf_or_coords.columns):
        coords = gdf_or_coords[["lon", "lat"]].to_numpy(dtype=float)
    elif "geometry" in gdf_or_coords.columns:
        gdf = gdf_or_coords
        if gdf.crs is None:
            raise DataError("the geometry has no CRS; set one (e.g. gdf.set_crs('EPSG:4326')) or add lon/lat columns")
        centroid = gdf.to_crs(gdf.estimate_utm_crs()).centroid.to_crs("EPSG:4326")
        coords = np.column_stack([centroid.x, centroid.y])
    else:
        raise DataError("coordinates need 'lon' and 'lat' columns or a geometry column")
    ids = [str(i) for i in gdf_or_coords.index]
    bad = ~np.isfinite(coords).all(axis=1)
    if bad.any():
        raise DataError(f"non-finite coordinates for ids: {_listing([ids[i] for i in np.flatnonzero(bad)])}")
    if (np.abs(coords[:, 1]) > 90).any() or (np.abs(coords[:, 0]) > 180).any():
        wrong = [ids[i] for i in np.flatnonzero((np.abs(coords[:, 1]) > 90) | (np.abs(coords[:, 0]) > 180))]
        raise DataError(f"lon/lat out of range (degrees expected) for ids: {_listing(wrong)}")
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


def _points(coords: np.ndarray, metric: str, crs: str | None) -> np.ndarray:
    """Points whose Euclidean distance is the chord (great-circle) or the projected distance, in km."""
    if metric not in METRICS:
        raise SpecificationError(f"metric must be one of {METRICS}, got {metric!r}")
    if metric == "projected":
        from pyproj import Transformer

        from vagg.data.china import CHINA_PROJECTED_CRS

        x, y = Transformer.from_crs("EPSG:4326", crs or CHINA_PROJECTED_CRS, always_xy=True).transform(
            coords[:, 0], coords[:, 1])
        return np.column_stack([x, y]) / 1000.0
    lon, lat = np.radians(coords[:, 0]), np.radians(coords[:, 1])
    return EARTH_RADIUS_KM * np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def _to_distance(chord: np.ndarray, metric: str) -> np.ndarray:
    if metric == "projected":
        return chord
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / (2 * EARTH_RADIUS_KM), 0.0, 1.0))


def _to_chord(distance: float, metric: str) -> float:
    if metric == "projected":
        return distance
    return 2 * EARTH_RADIUS_KM * np.sin(min(distance / (2 * EARTH_RADIUS_KM), np.pi / 2))


def distance_matrix(coords: np.ndarray, metric: str = "great-circle", crs: str | None = None) -> np.ndarray:
    """Dense (n x n) distances in km: haversine or projected Euclidean."""
    if metric == "great-circle":
        return great_circle_km(coords)
    pts = _points(coords, metric, crs)
    return np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(axis=2))


def refuse_duplicates(coords: np.ndarray, ids: list[str]) -> None:
    """DataError naming two units at the same point (their inverse distance is undefined)."""
    frame = pd.DataFrame(coords)
    dup = frame.duplicated(keep=False).to_numpy()
    if dup.any():
        first = frame[dup].groupby(list(frame.columns)).groups
        clash = [ids[k] for k in next(iter(first.values()))]
        raise DataError(f"units {_listing(clash)} share the same coordinates; inverse distance is undefined")


def pairs_within(coords: np.ndarray, cutoff: float, metric: str = "great-circle",
                 crs: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, d_ij) for all ordered pairs i != j with d_ij <= cutoff km (k-d tree, no n x n matrix).

    Distinct units at the same point are included with distance 0.
    """
    if not cutoff > 0:
        raise SpecificationError(f"the distance cut-off must be positive (km), got {cutoff}")
    tree = cKDTree(_points(coords, metric, crs))
    coo = tree.sparse_distance_matrix(tree, max_distance=_to_chord(cutoff, metric) * (1 + 1e-9),
                                      output_type="coo_matrix")
    dist = _to_distance(coo.data, metric)
    keep = (coo.row != coo.col) & (dist <= cutoff)
    # a sparse result may leave out exact zeros: make sure the pairs of coincident points are there, once
    same = pd.DataFrame({"group": pd.DataFrame(coords).groupby([0, 1]).ngroup(), "i": np.arange(len(coords))})
    same = same[same["group"].duplicated(keep=False)]
    pairs = same.merge(same, on="group")
    pairs = pairs[pairs["i_x"] != pairs["i_y"]]
    rows = np.r_[coo.row[keep], pairs["i_x"].to_numpy()]
    cols = np.r_[coo.col[keep], pairs["i_y"].to_numpy()]
    _, first = np.unique(rows.astype(np.int64) * len(coords) + cols, return_index=True)
    return rows[first], cols[first], np.r_[dist[keep], np.zeros(len(pairs))][first]


def nearest(coords: np.ndarray, k: int, metric: str = "great-circle",
            crs: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(n x k) indices of and distances to each point's k nearest other points, nearest first."""
    dist, idx = cKDTree(_points(coords, metric, crs)).query(_points(coords, metric, crs), k=k + 1)
    n = len(coords)
    # drop the point itself (distance 0, normally in column 0)
    own = idx == np.arange(n)[:, None]
    own[own.sum(axis=1) == 0, -1] = True
    return idx[~own].reshape(n, k), _to_distance(dist[~own].reshape(n, k), metric)


def _island_rule(islands: str, allow_islands: bool) -> str:
    rule = "keep" if allow_islands and islands == "raise" else islands
    if rule not in ISLAND_RULES:
        raise SpecificationError(f"islands must be one of {ISLAND_RULES}, got {islands!r}")
    return rule


def join_islands(mat: sp.csr_matrix, coords: np.ndarray, value=1.0, metric: str = "great-circle",
                 crs: str | None = None) -> sp.csr_matrix:
    """Give each unit without neighbours its nearest unit as neighbour, both ways.

    The island rule of GeoDa's "connect to nearest" and libpysal's
    ``attach_islands`` (there on polygon distance, here on the points).  The
    new weights are ``value``: a scalar, or ``value(d, rows, cols)`` giving
    :math:`w_{ij}` from the distance and the two indices (for inverse-distance
    or economic-geographic weights).
    """
    islands = np.flatnonzero(np.asarray(mat.sum(axis=1)).ravel() == 0)
    if not len(islands):
        return mat
    idx, dist = nearest(coords, 1, metric, crs)
    j, d = idx[islands, 0], dist[islands, 0]
    n = mat.shape[0]

    def weights(rows, cols):
        return value(d, rows, cols) if callable(value) else np.full(len(rows), float(value))

    out = sp.csr_matrix((weights(islands, j), (islands, j)), shape=(n, n))
    back = sp.csr_matrix((weights(j, islands), (j, islands)), shape=(n, n))
    # two islands nearest to each other give the same cell twice: keep it once
    return sp.csr_matrix(mat).maximum(out.maximum(back)).tocsr()


def inverse_distance(
    gdf_or_coords: pd.DataFrame,
    power: float = 1.0,
    cutoff: float | None = None,
    standardise: str | bool = "row",
    allow_islands: bool = False,
    metric: str = "great-circle",
    crs: str | None = None,
    islands: str = "raise",
) -> W:
    """Inverse-distance weights, :math:`w_{ij} = d_{ij}^{-p}` for :math:`d_{ij} \\le \\bar d`, else 0.

    Anselin (1988), *Spatial Econometrics: Methods and Models*, ch. 3; with
    :math:`p = 2` the gravity form common in the Chinese regional literature.

    Parameters
    ----------
    gdf_or_coords
        GeoDataFrame (its ``lon``/``lat`` or polygon centroids) or DataFrame
        with ``lon``/``lat`` (e.g. city-government seats), indexed by id.
    power
        Distance decay exponent :math:`p > 0` (1 inverse distance, 2 gravity).
    cutoff
        :math:`\\bar d` in km; ``None`` keeps every pair (a dense matrix).
    standardise
        ``"row"``, ``"spectral"`` or ``"none"`` (see :mod:`vagg.weights`).
    metric, crs
        ``"great-circle"`` (haversine) or ``"projected"`` (Euclidean in
        ``crs``, the China Albers projection by default).
    islands
        Units with no other unit within the cut-off: ``"raise"`` (DataError
        naming them), ``"keep"`` (zero rows, a warning) or ``"nearest"`` (joined
        to their nearest unit, weight :math:`d^{-p}`).  ``allow_islands=True``
        is ``"keep"``.
    """
    if power <= 0:
        raise SpecificationError(f"power must be positive, got {power}")
    rule = _island_rule(islands, allow_islands)
    coords, ids = coordinates(gdf_or_coords)
    refuse_duplicates(coords, ids)
    n = len(ids)
    if cutoff is None:
        d = distance_matrix(coords, metric, crs)
        np.fill_diagonal(d, np.inf)
        mat = sp.csr_matrix(d ** (-float(power)))
    else:
        rows, cols, dist = pairs_within(coords, cutoff, metric, crs)
        mat = sp.csr_matrix((dist ** (-float(power)), (rows, cols)), shape=(n, n))
        if rule == "nearest":
            mat = join_islands(mat, coords, lambda dd, r, c: dd ** (-float(power)), metric, crs)
    kind = f"inverse distance (power {power:g}" + (f", cut-off {cutoff:g} km)" if cutoff else ")")
    return from_matrix(mat, ids, standardise=standardise, allow_islands=rule == "keep", kind=kind)


def distance_band(
    gdf_or_coords: pd.DataFrame,
    threshold: float,
    standardise: str | bool = "row",
    metric: str = "great-circle",
    crs: str | None = None,
    islands: str = "raise",
) -> W:
    """Binary distance-band weights, :math:`w_{ij} = 1` if :math:`d_{ij} \\le` ``threshold`` km, else 0.

    libpysal's ``DistanceBand(binary=True)`` on the sphere (Anselin 1988, ch. 3).
    ``islands`` as in :func:`inverse_distance` (``"nearest"`` gives weight 1).
    """
    rule = _island_rule(islands, False)
    coords, ids = coordinates(gdf_or_coords)
    n = len(ids)
    rows, cols, _ = pairs_within(coords, threshold, metric, crs)
    mat = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    if rule == "nearest":
        mat = join_islands(mat, coords, 1.0, metric, crs)
    return from_matrix(mat, ids, standardise=standardise, allow_islands=rule == "keep",
                       kind=f"distance band ({threshold:g} km)")


def knn(gdf_or_coords: pd.DataFrame, k: int = 4, standardise: str | bool = "row",
        metric: str = "great-circle", crs: str | None = None) -> W:
    """k-nearest-neighbour weights: :math:`w_{ij} = 1` for the k units nearest to i (not symmetric).

    Pinkse and Slade (1998), J. Econometrics 85; libpysal ``KNN`` on the
    sphere.  Exact distance ties are broken by the k-d tree, as in libpysal.
    """
    coords, ids = coordinates(gdf_or_coords)
    n = len(ids)
    if not 1 <= k < n:
        raise SpecificationError(f"k must be between 1 and {n - 1} for {n} units, got {k}")
    refuse_duplicates(coords, ids)
    idx, _ = nearest(coords, k, metric, crs)
    mat = sp.csr_matrix((np.ones(n * k), (np.repeat(np.arange(n), k), idx.ravel())), shape=(n, n))
    return from_matrix(mat, ids, standardise=standardise, kind=f"{k} nearest neighbours")
