"""The census example (notebooks/04_census_china.ipynb): its Moran's I and LISA equal esda's on the same W."""

from __future__ import annotations

import warnings

import esda
import numpy as np
import pytest

import vagg
from vagg.evolution import lisa, moran


@pytest.fixture(scope="module")
def change():
    wide = vagg.data.load_census().unstack("year")
    share = wide["urban_share"]
    out = (100 * (share[2020] - share[2010])).dropna().rename("urban_change").to_frame()
    return out.assign(year=2020).set_index("year", append=True)


@pytest.mark.parametrize("spec", [{"kind": "queen", "islands": "nearest"},
                                  {"kind": "distance", "cutoff": 500, "islands": "nearest"},
                                  {"kind": "knn", "k": 6}])
def test_moran_and_lisa_equal_esda(change, spec):
    ids = list(change.index.get_level_values(0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Chongqing 500100 -> 500000, tested in test_china_data
        w = vagg.weights.from_spec({"source": "china-prefecture", **spec}, ids)
    assert [str(i) for i in w.id_order] == ids and "500100" in w.neighbors
    y = change["urban_change"].to_numpy()
    mine = moran(change, "urban_change", w, permutations=0).iloc[0]
    ref = esda.Moran(y, w, permutations=0)
    assert np.isclose(mine["I"], ref.I, rtol=1e-12) and np.isclose(mine["z"], ref.z_norm, rtol=1e-10)
    assert mine["I"] > 0.2  # urbanisation gains cluster in space
    local = lisa(change, "urban_change", w, permutations=99, seed=0)
    ref_local = esda.Moran_Local(y, w, permutations=0)
    assert np.allclose(local["Ii"].to_numpy(), ref_local.Is, rtol=1e-10)


def test_chongqing_joins_with_a_report(change):
    ids = list(change.index.get_level_values(0))
    with pytest.warns(UserWarning, match="'500100' -> 500000"):
        w = vagg.weights.from_spec({"source": "china-prefecture", "kind": "queen", "islands": "nearest"}, ids)
    # Chongqing borders Sichuan's Guang'an, Dazhou, Luzhou ...: the neighbours of 500000 in the bundled edges
    edges = vagg.data.load_china_edges()
    around = set(edges.loc[edges["adcode_a"] == "500000", "adcode_b"]) | set(
        edges.loc[edges["adcode_b"] == "500000", "adcode_a"])
    assert set(w.neighbors["500100"]) == around & set(ids)
