"""Weights from files (GAL/GWT/CSV/XLSX/edge list/boundaries) and from a config spec."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import vagg
from vagg import DataError, SpecificationError
from vagg.weights import (from_spec, read_edges, read_gal_gwt, read_matrix, read_weights, to_sparse,
                          write_gal_gwt, write_matrix)

pytestmark = pytest.mark.filterwarnings("ignore:ids read as municipality codes")


def dense(w, ids):
    return to_sparse(w, ids).toarray()


@pytest.fixture(scope="module")
def gd():
    return vagg.data.load_guangdong()


@pytest.mark.parametrize("suffix", [".gal", ".gwt"])
def test_gal_gwt_round_trip(tmp_path, gd, suffix):
    w = vagg.weights.guangdong("queen", standardise="none") if suffix == ".gal" else \
        vagg.weights.inverse_distance(gd, cutoff=150.0, standardise="none", islands="nearest")
    path = tmp_path / f"w{suffix}"
    write_gal_gwt(w, path)
    back = read_gal_gwt(path, standardise="none")
    assert np.allclose(dense(back, gd.index), dense(w, gd.index), rtol=1e-5, atol=0)  # GWT keeps 6 digits
    row = read_weights(path)
    assert np.allclose(np.asarray(row.sparse.sum(axis=1)).ravel(), 1.0)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_square_matrix_round_trip(tmp_path, gd, suffix):
    w = vagg.weights.economic_geographic(gd, pd.Series(np.arange(1.0, 22.0), index=gd.index),
                                         standardise="none")
    path = tmp_path / f"m{suffix}"
    write_matrix(w, path)
    back = read_weights(path, standardise="none")
    assert [str(i) for i in back.id_order] == list(gd.index)
    assert np.allclose(dense(back, gd.index), dense(w, gd.index))


def test_matrix_file_faults(tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame([[0, 1], [1, 0]], index=["440100.0", "440300"], columns=["440100", "440400"]).to_csv(path)
    with pytest.raises(DataError, match="header only: 440400"):
        read_matrix(path)
    pd.DataFrame([[0, "n.a."], [1, 0]], index=["a", "b"], columns=["a", "b"]).to_csv(path)
    with pytest.raises(DataError, match=r"cell \(a, b\) is not a number: 'n.a.'"):
        read_matrix(path)


def test_edge_list(tmp_path):
    path = tmp_path / "edges.csv"
    pd.DataFrame({"from": [440100.0, 440100, 440300], "to": ["440300", "440400", "440400"],
                  "w": [2.0, 1.0, 0.5]}).to_csv(path, index=False)
    w = read_edges(path, standardise="none")
    ids = ["440100", "440300", "440400"]
    assert np.allclose(dense(w, ids), [[0, 2, 1], [2, 0, 0.5], [1, 0.5, 0]])
    with pytest.warns(UserWarning, match="islands.*440400"):
        directed = read_edges(path, standardise="none", directed=True, allow_islands=True)
    assert np.allclose(dense(directed, ids), [[0, 2, 1], [0, 0, 0.5], [0, 0, 0]])
    with pytest.raises(DataError, match="not among the units: 440400"):
        read_edges(path, ids=["440100", "440300"])


def test_from_spec_bundled_with_names_and_chongqing():
    census = vagg.data.load_census()
    ids = census.index.get_level_values(0).unique()
    w = from_spec({"source": "china-prefecture", "kind": "queen", "islands": "keep"}, ids)
    assert w.n == 369 and "500100" in w.neighbors and "500000" not in w.neighbors
    ref = vagg.weights.china("prefecture", islands="keep")
    assert set(w.neighbors["500100"]) == set(ref.neighbors["500000"])
    # Chinese names as ids, three provinces
    three = vagg.data.load_china(provinces=["Jiangsu", "Zhejiang", "Shanghai"])
    names = list(three["name_zh"].str.replace("市", ""))
    wn = from_spec({"source": "china-prefecture", "kind": "knn", "k": 3}, names)
    wc = vagg.weights.knn(three, k=3)
    assert np.allclose(dense(wn, names), dense(wc, three.index))
    assert wn.vagg_standardise == "row"


def test_from_spec_restandardises_after_cutting(tmp_path):
    five = ["440100", "440300", "441300", "440600", "441900"]
    w = from_spec({"source": "guangdong", "kind": "distance", "power": 2, "standardise": "spectral"}, five)
    gd = vagg.data.load_guangdong().loc[five]
    ref = vagg.weights.inverse_distance(gd, power=2, standardise="spectral")
    assert np.allclose(dense(w, five), dense(ref, five))
    # a matrix file cut to the panel
    path = tmp_path / "all.csv"
    write_matrix(vagg.weights.guangdong("queen", standardise="none"), path)
    wm = from_spec({"source": str(path)}, [int(i) for i in five])
    queen = vagg.weights.guangdong("queen", standardise="none")
    pos = [queen.id_order.index(i) for i in five]
    sub = queen.full()[0][np.ix_(pos, pos)]
    assert np.allclose(dense(wm, [str(i) for i in five]), sub / sub.sum(axis=1, keepdims=True))
    with pytest.raises(DataError, match="no row for panel ids: 999999"):
        from_spec({"source": str(path)}, ["440100", "999999"])


def test_from_spec_boundary_file_and_economic(tmp_path):
    three = vagg.data.load_china(provinces=["Jiangsu", "Zhejiang", "Shanghai"])
    path = tmp_path / "delta.geojson"
    three.reset_index()[["adcode", "name_zh", "geometry"]].rename(columns={"adcode": "code"}).to_file(path)
    ids = [float(i) for i in three.index]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = from_spec({"source": str(path), "id": "code", "kind": "queen"}, ids)
    ref = vagg.weights.china("prefecture", provinces=["Jiangsu", "Zhejiang", "Shanghai"])
    assert {str(k): set(v) for k, v in w.neighbors.items()} != {}
    assert np.allclose(dense(w, [str(i) for i in ids]), dense(ref, three.index))
    panel = pd.DataFrame({"gdp_per_capita": np.linspace(5.0, 20.0, 2 * len(three))},
                         index=pd.MultiIndex.from_product([list(three.index), [2019, 2020]]))
    we = from_spec({"source": "china-prefecture", "kind": "economic", "power": 2}, three.index, data=panel)
    by_hand = vagg.weights.economic_geographic(three, panel["gdp_per_capita"], power=2)
    assert np.allclose(dense(we, three.index), dense(by_hand, three.index))
    with pytest.raises(SpecificationError, match="id column"):
        from_spec({"source": str(path)}, ids)
    with pytest.raises(SpecificationError, match="unknown weights key"):
        from_spec({"source": "guangdong", "neighbours": 4}, ids)
    with pytest.raises(DataError, match="no column 'gdp'"):
        from_spec({"source": "china-prefecture", "kind": "economic", "gdp": "gdp"}, three.index, data=panel)


def test_from_spec_user_points_and_projected(tmp_path):
    seats = pd.DataFrame({"code": ["440100", "440300", "441900"], "lon": [113.2644, 114.0579, 113.7518],
                          "lat": [23.1291, 22.5431, 23.0205]})
    path = tmp_path / "seats.csv"
    seats.to_csv(path, index=False)
    w = from_spec({"source": "guangdong", "kind": "distance", "points": str(path), "standardise": "none"},
                  ["440100", "440300", "441900"])
    ref = vagg.weights.inverse_distance(seats.set_index("code"), standardise="none")
    assert np.allclose(dense(w, seats["code"]), dense(ref, seats["code"]))
    wp = from_spec({"source": "guangdong", "kind": "distance", "metric": "projected", "standardise": "none"},
                   ["440100", "440300", "441900"])
    gd = vagg.data.load_guangdong().loc[["440100", "440300", "441900"]]
    refp = vagg.weights.inverse_distance(gd, metric="projected", standardise="none")
    assert np.allclose(dense(wp, gd.index), dense(refp, gd.index))
    with pytest.raises(DataError, match="no coordinates for ids: 440400"):
        from_spec({"source": "guangdong", "kind": "distance", "points": str(path)}, ["440100", "440400"])


def test_from_spec_reproduces_the_pipeline_matrices():
    """What the pipeline builds for Guangdong today, through one spec."""
    panel = vagg.data.load_demo_panel()
    ids = list(panel.index.get_level_values(0).unique())
    for kind in ("queen", "rook", "knn"):
        assert np.allclose(dense(from_spec({"source": "guangdong", "kind": kind}, ids), ids),
                           dense(vagg.weights.guangdong(kind), ids))
    assert np.allclose(dense(from_spec({"source": "guangdong", "kind": "distance"}, ids), ids),
                       dense(vagg.weights.guangdong("distance"), ids))
    gd = vagg.data.load_guangdong()[["lon", "lat"]]
    assert np.allclose(dense(from_spec({"source": "guangdong", "kind": "economic"}, ids, data=panel), ids),
                       dense(vagg.weights.economic_distance(gd, panel["gdp_per_capita"]), ids))


def test_from_spec_rook_and_band():
    gd_ids = list(vagg.data.load_guangdong().index)
    rook = from_spec({"source": "china-prefecture", "kind": "rook", "standardise": "none"}, gd_ids)
    assert np.allclose(dense(rook, gd_ids), dense(vagg.weights.guangdong("rook", standardise="none"), gd_ids))
    band = from_spec({"source": "guangdong", "kind": "band", "cutoff": 120, "islands": "nearest",
                      "standardise": "none"}, gd_ids)
    ref = vagg.weights.distance_band(vagg.data.load_guangdong(), 120.0, standardise="none", islands="nearest")
    assert np.array_equal(dense(band, gd_ids), dense(ref, gd_ids)) and set(np.unique(dense(band, gd_ids))) == {0, 1}
    with pytest.raises(SpecificationError, match="band needs cutoff"):
        from_spec({"source": "guangdong", "kind": "band"}, gd_ids)
