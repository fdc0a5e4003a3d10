"""One entry point for configs: a weights matrix from a spec mapping and the panel's ids.

:func:`from_spec` is what a ``[weights]`` config section calls; every kind and
source below is also a plain function of :mod:`vagg.weights`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from libpysal.weights import W

from vagg._errors import DataError, SpecificationError
from vagg.data.ids import match_ids, normalise_ids
from vagg.weights._core import _listing, from_matrix, relabel, standardisation, to_sparse
from vagg.weights.contiguity import contiguity, from_edges
from vagg.weights.distance import distance_band, inverse_distance, knn
from vagg.weights.economic import economic, economic_asymmetric, economic_geographic

#: kinds built from a geography (polygons and/or points) and, for the economic ones, GDP per capita
KINDS = ("queen", "rook", "distance", "band", "knn", "economic", "economic-distance", "economic-asymmetric")
BUNDLED_SOURCES = ("china-prefecture", "china-county", "guangdong")
SPEC_KEYS = ("source", "id", "kind", "standardise", "k", "power", "cutoff", "islands", "metric", "gdp", "points")


def from_geography(
    gdf: pd.DataFrame,
    kind: str = "queen",
    standardise: str | bool = "row",
    k: int = 4,
    power: float = 1.0,
    cutoff: float | None = None,
    islands: str = "raise",
    metric: str = "great-circle",
    gdp_per_capita: pd.Series | None = None,
    edges: pd.DataFrame | None = None,
) -> W:
    """Weights of one ``kind`` on a geography indexed by id (polygons and/or ``lon``/``lat``).

    Parameters
    ----------
    kind
        ``"queen"``/``"rook"`` (contiguity; ``edges`` replaces the polygon
        computation for queen), ``"distance"`` (inverse distance, ``power``,
        optional ``cutoff`` km), ``"band"`` (binary within ``cutoff`` km),
        ``"knn"`` (``k``), ``"economic"`` (economic-geographic nested, needs
        ``gdp_per_capita``), ``"economic-distance"`` (1/|y_i - y_j|),
        ``"economic-asymmetric"``.
    """
    if kind not in KINDS:
        raise SpecificationError(f"unknown weights kind {kind!r}; use one of {KINDS}")
    if kind in ("queen", "rook"):
        if kind == "queen" and edges is not None:
            ids = [str(i) for i in gdf.index]
            inside = edges[edges.iloc[:, 0].isin(ids) & edges.iloc[:, 1].isin(ids)]
            return from_edges(inside, ids, standardise=standardise, islands=islands, coords=gdf,
                              kind="queen contiguity")
        return contiguity(gdf, kind, standardise=standardise, islands=islands)
    if kind == "distance":
        return inverse_distance(gdf, power=power, cutoff=cutoff, standardise=standardise, metric=metric,
                                islands=islands)
    if kind == "band":
        if cutoff is None:
            raise SpecificationError("a distance band needs cutoff (km)")
        return distance_band(gdf, cutoff, standardise=standardise, metric=metric, islands=islands)
    if kind == "knn":
        return knn(gdf, k=k, standardise=standardise, metric=metric)
    if gdp_per_capita is None:
        raise SpecificationError(f"weights kind {kind!r} needs GDP per capita (spec key 'gdp', a panel column)")
    if kind == "economic":
        return economic_geographic(gdf, gdp_per_capita, power=power, cutoff=cutoff, standardise=standardise,
                                   metric=metric, islands=islands)
    values = gdp_per_capita
    ids = [str(i) for i in gdf.index]
    means = values.groupby(level=0).mean() if isinstance(values.index, pd.MultiIndex) else values
    means = means.rename(index=str).reindex(ids)
    builder = economic if kind == "economic-distance" else economic_asymmetric
    return builder(means, standardise=standardise)


def _geography(source: str, id_column: str | None):
    from vagg.data import load_guangdong, load_queen_edges
    from vagg.data.china import load_china, load_china_edges

    if source == "guangdong":
        return load_guangdong(), load_queen_edges()
    if source in ("china-prefecture", "china-county"):
        level = source.split("-")[1]
        return load_china(level), load_china_edges(level)
    from vagg.weights.files import BOUNDARY_SUFFIXES, read_boundaries

    if Path(source).suffix.lower() in BOUNDARY_SUFFIXES:
        if not id_column:
            raise SpecificationError(f"weights source {source!r} is a boundary file: give its id column (id = ...)")
        return read_boundaries(source, id_column), None
    return None, None


def _points(points, ids: list[str]) -> pd.DataFrame:
    frame = pd.read_csv(points, dtype=str) if isinstance(points, (str, Path)) else pd.DataFrame(points).reset_index()
    need = {"lon", "lat"}
    if not need <= set(frame.columns):
        raise DataError(f"points need 'lon' and 'lat' columns and an id column; got {list(frame.columns)}")
    id_col = next(c for c in frame.columns if c not in need)
    frame.index = pd.Index(normalise_ids(frame[id_col], required=True, label=f"points file column {id_col!r}"))
    missing = [i for i in ids if i not in frame.index]
    if missing:
        raise DataError(f"the points file has no coordinates for ids: {_listing(missing)}")
    return frame.loc[ids, ["lon", "lat"]].astype(float)


def from_spec(spec: Mapping[str, object], ids: Sequence[object], data: pd.DataFrame | None = None) -> W:
    """The weights a config asks for, with the panel's ids.

    Parameters
    ----------
    spec
        Keys (all optional but ``source``):

        ``source``
            ``"china-prefecture"`` (the 370 bundled city-level units),
            ``"china-county"`` (2,875 counties), ``"guangdong"`` (21 cities),
            a boundary file (``.geojson``, ``.shp``, ``.gpkg``, ...) or a matrix
            file (``.gal``, ``.gwt``, ``.csv``/``.xlsx`` square matrix or edge
            list).
        ``id``
            The id column of a boundary file.
        ``kind``
            One of :data:`KINDS` (default ``"queen"``); ignored for matrix files.
        ``standardise``
            ``"row"`` (default), ``"spectral"`` or ``"none"``.
        ``k``, ``power``, ``cutoff``
            Neighbours for kNN (4); distance decay (1); cut-off or band in km.
        ``islands``
            ``"raise"`` (default), ``"keep"`` or ``"nearest"``.
        ``metric``
            ``"great-circle"`` (default) or ``"projected"``.
        ``gdp``
            The GDP-per-capita column of ``data`` for the economic kinds
            (default ``"gdp_per_capita"``).
        ``points``
            A CSV (id, lon, lat) of points to use instead of centroids (e.g.
            city-government seats).
    ids
        The panel's unit ids: adcodes in any form or Chinese names for the
        bundled sources (see :func:`vagg.data.match_ids`), the boundary or
        matrix file's ids otherwise.
    data
        The panel (indexed by (id, time)), for the economic kinds.

    Returns
    -------
    libpysal.weights.W
        On exactly the panel's units, with the panel's ids (as text), in the
        panel's order; standardised after the geography is cut to the panel.
    """
    unknown = sorted(set(spec) - set(SPEC_KEYS))
    if unknown:
        raise SpecificationError(f"unknown weights key(s) {unknown}; use {SPEC_KEYS}")
    if "source" not in spec:
        raise SpecificationError("a weights spec needs 'source'")
    source = str(spec["source"])
    kind = str(spec.get("kind", "queen"))
    how = standardisation(spec.get("standardise", "row"))
    given = list(dict.fromkeys(ids))
    geography, edges = _geography(source, spec.get("id"))  # type: ignore[arg-type]
    if geography is None:
        return _from_matrix_file(source, given, how)
    if source in BUNDLED_SOURCES:
        mapping = match_ids(given, geography=geography).mapping
    else:
        mapping = dict(zip(given, normalise_ids(given, required=True, label="panel ids")))
        missing = [g for g, code in mapping.items() if code not in geography.index]
        if missing:
            raise DataError(f"ids not in {Path(source).name}'s {spec.get('id')!r} column: {_listing(missing)}")
    codes = [mapping[g] for g in given]
    geo = geography.loc[codes]
    if "points" in spec:
        geo = geo.drop(columns=[c for c in ("lon", "lat") if c in geo.columns]).join(_points(spec["points"], codes))
    gdp = None
    if kind.startswith("economic"):
        if data is None:
            raise SpecificationError(f"weights kind {kind!r} needs the panel (data=...) for GDP per capita")
        column = str(spec.get("gdp", "gdp_per_capita"))
        if column not in data.columns:
            raise DataError(f"weights kind {kind!r}: the panel has no column {column!r}")
        by_unit = data[column].groupby(level=0).mean()
        texts = normalise_ids(by_unit.index, required=True, label=f"panel ids of {column!r}")
        by_unit.index = [mapping.get(g, mapping.get(t, t)) for g, t in zip(by_unit.index, texts)]
        gdp = by_unit
    w = from_geography(geo, kind=kind, standardise=how, k=int(spec.get("k", 4)),
                       power=float(spec.get("power", 1.0)),
                       cutoff=None if spec.get("cutoff") is None else float(spec["cutoff"]),
                       islands=str(spec.get("islands", "raise")), metric=str(spec.get("metric", "great-circle")),
                       gdp_per_capita=gdp, edges=edges)
    return relabel(w, {code: str(g) for g, code in zip(given, codes)})


def _from_matrix_file(source: str, given: list[object], how: str) -> W:
    from vagg.weights.files import read_weights

    raw = read_weights(source, standardise="none", allow_islands=True)
    panel_ids = normalise_ids(given, required=True, label="panel ids").tolist()
    missing = [g for g, i in zip(given, panel_ids) if i not in set(map(str, raw.id_order))]
    if missing:
        raise DataError(f"{Path(source).name} has no row for panel ids: {_listing(missing)}")
    mat = to_sparse(raw, list(map(str, raw.id_order)))
    position = {str(i): k for k, i in enumerate(raw.id_order)}
    order = np.array([position[i] for i in panel_ids])
    w = from_matrix(mat[order][:, order], panel_ids, standardise=how, kind=f"from {Path(source).name}")
    return relabel(w, {i: str(g) for g, i in zip(given, panel_ids)})
