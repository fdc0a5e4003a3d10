"""Weights from files: GAL/GWT, a square matrix (CSV/XLSX), an edge list, a boundary file.

* GAL (binary neighbour lists) and GWT (weighted pairs), GeoDa's formats, read and
  written by ``libpysal.io``;
* a square matrix in CSV or XLSX, the ids in the header row and the first column
  (the Stata ``spmat``/Matlab export of the Chinese literature), row i holding
  the weights of i's neighbours; the two id lists must agree;
* an edge list (CSV/XLSX): two id columns, optionally a third with the weight
  (an undirected pair, both directions set unless ``directed=True``);
* a boundary file (GeoJSON, shapefile, GeoPackage, anything geopandas reads) with
  an id column, turned into queen/rook contiguity or point-distance weights.

Ids are normalised (``440100.0`` and ``"440100"`` are the same id; see
:func:`vagg.data.normalise_ids`: full-width digits are folded, a missing id
or a number that is not whole is refused).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from libpysal.weights import W

from vagg._errors import DataError
from vagg.data.ids import normalise_ids
from vagg.weights._core import _listing, from_matrix

MATRIX_SUFFIXES = (".csv", ".txt", ".xlsx", ".xls")
BOUNDARY_SUFFIXES = (".geojson", ".json", ".shp", ".gpkg", ".zip", ".fgb")


def _path(path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"weights file {str(path)!r} does not exist")
    return path


def _table(path: Path, header: int | None = 0) -> pd.DataFrame:
    if path.suffix.lower() in (".xlsx", ".xls"):
        return pd.read_excel(path, header=header, dtype=object)
    return pd.read_csv(path, header=header, dtype=str, sep=None, engine="python")


def _column_ids(table: pd.DataFrame, k: int, path: Path) -> list[str]:
    """The ids in column ``k`` of a matrix or edge-list table, errors naming the file's lines (header: line 1)."""
    return normalise_ids(table.iloc[:, k], required=True, label=f"{path.name} column {k + 1}",
                         rows=np.arange(len(table)) + 2).tolist()


def _header_ids(table: pd.DataFrame, path: Path) -> list[str]:
    """The ids in a square matrix's header row, after its first cell."""
    return normalise_ids(table.columns[1:], required=True, label=f"{path.name} header row").tolist()


def _is_square(table: pd.DataFrame, path: Path) -> bool:
    """Whether a table is a square matrix: its header row (after the first cell) repeats its first column's ids."""
    if table.shape[1] != table.shape[0] + 1:
        return False
    try:
        return sorted(_header_ids(table, path)) == sorted(_column_ids(table, 0, path))
    except DataError:  # a header that holds no ids (a headerless edge list's weight, say): not a matrix
        return False


def read_gal_gwt(path, standardise: str | bool = "row", allow_islands: bool = False) -> W:
    """A W from a GeoDa GAL or GWT file (libpysal.io), ids as text."""
    import libpysal

    path = _path(path)
    if path.suffix.lower() not in (".gal", ".gwt"):
        raise DataError(f"{path.name}: expected a .gal or .gwt file")
    fh = libpysal.io.open(str(path), "r")
    try:
        raw = fh.read()
    finally:
        fh.close()
    raw.transform = "O"
    ids = normalise_ids(raw.id_order, required=True, label=f"{path.name} ids").tolist()
    return from_matrix(raw.sparse, ids, standardise=standardise, allow_islands=allow_islands,
                       kind=f"from {path.name}")


def write_gal_gwt(w: W, path) -> None:
    """Write a W to GAL (neighbours only) or GWT (with weights) by libpysal.io; the weights as stored in ``w``."""
    import libpysal

    path = Path(path)
    if path.suffix.lower() not in (".gal", ".gwt"):
        raise DataError(f"{path.name}: write to a .gal or .gwt file")
    fh = libpysal.io.open(str(path), "w")
    try:
        fh.write(w)
    finally:
        fh.close()


def read_matrix(path, standardise: str | bool = "row", allow_islands: bool = False) -> W:
    """A W from a square matrix file: ids in the header row and in the first column, same order."""
    path = _path(path)
    table = _table(path)
    row_ids = _column_ids(table, 0, path)
    col_ids = _header_ids(table, path)
    if row_ids != col_ids:
        only_rows = [i for i in row_ids if i not in col_ids]
        only_cols = [i for i in col_ids if i not in row_ids]
        detail = (f"in the first column only: {_listing(only_rows)}; in the header only: {_listing(only_cols)}"
                  if only_rows or only_cols else "the same ids in a different order")
        raise DataError(f"{path.name}: the header ids and the first-column ids differ ({detail})")
    values = table.iloc[:, 1:].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = np.argwhere(~np.isfinite(values))
    if len(bad):
        i, j = bad[0]
        raise DataError(f"{path.name}: cell ({row_ids[i]}, {col_ids[j]}) is not a number: {table.iloc[i, j + 1]!r}")
    return from_matrix(values, row_ids, standardise=standardise, allow_islands=allow_islands,
                       kind=f"from {path.name}")


def write_matrix(w: W, path) -> None:
    """Write a W as a square CSV/XLSX matrix with ids in the header and the first column."""
    path = Path(path)
    mat, ids = w.full()
    frame = pd.DataFrame(mat, index=pd.Index(ids, name="id"), columns=ids)
    if path.suffix.lower() in (".xlsx", ".xls"):
        frame.to_excel(path)
    else:
        frame.to_csv(path)


def read_edges(path, ids=None, standardise: str | bool = "row", directed: bool = False,
               allow_islands: bool = False) -> W:
    """A W from an edge list: columns (id_a, id_b[, weight]); ``ids`` defaults to every id named."""
    path = _path(path)
    table = _table(path)
    if table.shape[1] < 2:
        raise DataError(f"{path.name}: an edge list needs two id columns (and optionally a weight)")
    a, b = _column_ids(table, 0, path), _column_ids(table, 1, path)
    weight = (pd.to_numeric(table.iloc[:, 2], errors="coerce").to_numpy(dtype=float) if table.shape[1] > 2
              else np.ones(len(a)))
    if not np.isfinite(weight).all():
        row = int(np.flatnonzero(~np.isfinite(weight))[0])
        raise DataError(f"{path.name}: the weight of edge ({a[row]}, {b[row]}) is not a number")
    ids = list(dict.fromkeys(a + b)) if ids is None else normalise_ids(ids, required=True, label="ids").tolist()
    position = pd.Series(np.arange(len(ids)), index=ids)
    unknown = sorted((set(a) | set(b)) - set(ids))
    if unknown:
        raise DataError(f"{path.name}: edge list names ids that are not among the units: {_listing(unknown)}")
    i, j, n = position[a].to_numpy(), position[b].to_numpy(), len(ids)
    one_way = sp.csr_matrix((weight, (i, j)), shape=(n, n))
    mat = one_way if directed else one_way.maximum(one_way.T)
    return from_matrix(mat, ids, standardise=standardise, allow_islands=allow_islands, kind=f"from {path.name}")


def read_boundaries(path, id_column: str):
    """A user's boundary file as a GeoDataFrame indexed by the normalised ``id_column``."""
    import geopandas as gpd

    path = _path(path)
    gdf = gpd.read_file(path)
    if id_column not in gdf.columns:
        raise DataError(f"{path.name}: no id column {id_column!r}; columns are {list(gdf.columns)}")
    gdf.index = pd.Index(normalise_ids(gdf[id_column], required=True, label=f"{path.name} column {id_column!r}"),
                         name=id_column)
    if gdf.index.duplicated().any():
        twice = sorted(set(gdf.index[gdf.index.duplicated()]))
        raise DataError(f"{path.name}: duplicate ids in {id_column!r}: {_listing(twice)}")
    if gdf.crs is None:
        raise DataError(f"{path.name}: the file has no coordinate reference system")
    return gdf


def read_weights(path, standardise: str | bool = "row", **options) -> W:
    """A matrix file by its extension: .gal/.gwt, or a square matrix or edge list (.csv/.xlsx).

    A CSV/XLSX is a square matrix when its header (after the first cell)
    repeats its first column, an edge list otherwise.  Boundary files go
    through :func:`read_boundaries` and :func:`vagg.weights.from_geography`
    (or :func:`vagg.weights.from_spec`).
    """
    suffix = Path(path).suffix.lower()
    if suffix in (".gal", ".gwt"):
        return read_gal_gwt(path, standardise=standardise, **options)
    if suffix in MATRIX_SUFFIXES:
        path = _path(path)
        if _is_square(_table(path), path):
            return read_matrix(path, standardise=standardise, **options)
        return read_edges(path, standardise=standardise, **options)
    raise DataError(f"{Path(path).name}: unknown weights matrix file type {suffix!r}; use .gal, .gwt, .csv or "
                    ".xlsx (boundary files: .geojson, .shp, .gpkg with an id column)")
