"""Bundled Guangdong files and weights builders."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from libpysal.weights import KNN

import vagg
from vagg.weights import from_matrix, to_sparse



def _adcode(name: str) -> str:
    gdf = vagg.data.load_guangdong()
    return gdf.index[gdf["name_en"] == name][0]


def _names(w, city: str) -> set[str]:
    gdf = vagg.data.load_guangdong()
    return {gdf.loc[j, "name_en"] for j in w.neighbors[_adcode(city)]}


def test_load_guangdong_columns_and_regions():
    gdf = vagg.data.load_guangdong()
    assert len(gdf) == 21
    assert gdf.index.name == "adcode" and all(isinstance(i, str) for i in gdf.index)
    assert {"name_en", "name_zh", "region", "geometry", "lon", "lat"} <= set(gdf.columns)
    assert set(gdf["region"]) == set(vagg.data.REGION_GROUPS)
    # centroids inside Guangdong's bounding box, Guangzhou near 113.5E 23.3N
    assert gdf["lon"].between(109.5, 117.5).all() and gdf["lat"].between(20.2, 25.6).all()
    gz = gdf.loc["440100"]
    assert abs(gz["lon"] - 113.5) < 0.3 and abs(gz["lat"] - 23.3) < 0.3


def test_seed_table_has_adcodes():
    table = vagg.data.load_seed_table1()
    assert len(table) == 21 and table["adcode"].is_unique
    assert table.set_index("city").loc["Shenzhen City", "adcode"] == "440300"
    assert table.set_index("city").loc["Yunfu City", "index_2020"] == 44.7


def test_queen_matrix_published_structure():
    w = vagg.weights.guangdong("queen", standardise=False)
    assert w.n == 21
    assert w.s0 / 2 == 39  # 39 undirected pairs
    assert not w.islands
    assert _names(w, "Guangzhou") == {"Foshan", "Qingyuan", "Shaoguan", "Huizhou", "Dongguan", "Zhongshan"}
    assert _names(w, "Zhanjiang") == {"Maoming"}
    # row-standardised by default
    ws = vagg.weights.guangdong("queen")
    assert np.allclose(np.asarray(ws.sparse.sum(axis=1)).ravel(), 1.0)


def test_rook_is_subset_of_queen_and_distance_knn():
    queen = vagg.weights.guangdong("queen", standardise=False)
    rook = vagg.weights.guangdong("rook", standardise=False)
    for i in rook.neighbors:
        assert set(rook.neighbors[i]) <= set(queen.neighbors[i])
    dist = vagg.weights.guangdong("distance")
    assert dist.n == 21 and np.allclose(np.asarray(dist.sparse.sum(axis=1)).ravel(), 1.0)
    # nearest city by inverse distance weight has the largest weight in its row
    k = vagg.weights.guangdong("knn", k=4, standardise=False)
    assert all(len(v) == 4 for v in k.neighbors.values())


def test_knn_matches_libpysal_on_great_circle():
    # Reference: libpysal KNN on arc distance (lon/lat in degrees).
    gdf = vagg.data.load_guangdong()
    ours = vagg.weights.knn(gdf, k=3, standardise=False)
    coords = gdf[["lon", "lat"]].to_numpy()
    ref = KNN.from_array(coords, k=3, distance_metric="arc", radius=6371.0088, ids=list(gdf.index))
    for i in gdf.index:
        assert set(ours.neighbors[i]) == set(ref.neighbors[i])


def test_great_circle_distance_known_value():
    # Guangzhou (113.26E, 23.13N) to Shenzhen (114.06E, 22.54N) is about 104 km.
    d = vagg.weights.great_circle_km(np.array([[113.26, 23.13], [114.06, 22.54]]))
    assert d[0, 1] == pytest.approx(104.0, abs=2.0)
    assert d[0, 0] == 0.0 and d[0, 1] == d[1, 0]


def test_economic_distance_weights():
    gdf = vagg.data.load_guangdong()
    gdp = pd.Series(np.linspace(30000, 150000, 21), index=gdf.index)
    w = vagg.weights.economic_distance(gdf, gdp, standardise=False)
    dense, _ = w.full()
    d = vagg.weights.great_circle_km(gdf[["lon", "lat"]].to_numpy())
    i, j = 0, 5
    assert dense[i, j] == pytest.approx(1 / d[i, j] * gdp.iloc[j] / gdp.mean())
    with pytest.raises(vagg.DataError, match="no value for ids: 440100"):
        vagg.weights.economic_distance(gdf, gdp.drop("440100"))
    with pytest.raises(vagg.DataError, match="positive"):
        vagg.weights.economic_distance(gdf, gdp.where(gdp.index != "440300", -1.0))


def test_refusals_name_the_fault():
    ids = ["a", "b", "c"]
    with pytest.raises(vagg.DataError, match="islands.*c"):
        from_matrix(np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]]), ids)
    with pytest.warns(UserWarning, match="islands.*c"):
        w = from_matrix(np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]]), ids, allow_islands=True)
    assert w.n == 3
    with pytest.raises(vagg.DataError, match="square"):
        from_matrix(np.ones((2, 3)), ids)
    with pytest.raises(vagg.DataError, match="non-finite"):
        from_matrix(np.array([[0, np.nan, 0], [1, 0, 1], [1, 1, 0]]), ids)
    with pytest.raises(vagg.DataError, match="negative"):
        from_matrix(np.array([[0, -1, 1], [1, 0, 1], [1, 1, 0]]), ids)


def test_to_sparse_aligns_by_id_and_names_mismatch():
    w = vagg.weights.guangdong("queen", standardise=False)
    ids = list(reversed(w.id_order))
    mat = to_sparse(w, ids).toarray()
    dense, order = w.full()
    pos = {k: i for i, k in enumerate(order)}
    perm = [pos[i] for i in ids]
    assert np.array_equal(mat, dense[np.ix_(perm, perm)])
    with pytest.raises(vagg.DataError, match=r"in the panel but not the weights: 999999.*in the weights but not the panel: 440100"):
        to_sparse(w, ["999999"] + [i for i in ids if i != "440100"])
