"""`vagg run` on a panel outside Guangdong: a user's boundary file, a matrix file, the bundled China units.

The panel is the SIMULATED demo panel with its 21 ids replaced by 21 prefecture
adcodes of Jiangsu and Zhejiang (the values mean nothing there; the test is
about ids, boundaries and weights reaching every stage).  References: the
weights each run used are rebuilt by hand from the same boundary file / matrix
and the spatial Durbin estimate equals a direct SpatialPanel fit on them.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import vagg
from vagg.cli import main

REGION = ["江苏", "浙江"]


@pytest.fixture(scope="module")
def region_panel():
    gdf = vagg.data.load_china("prefecture", provinces=REGION)
    codes = [c for c in gdf.index if c != "330900"][:21]  # Zhoushan (an island city) left out of the 21
    demo = vagg.data.load_demo_panel()
    old = sorted(demo.index.get_level_values(0).unique())
    panel = demo.rename(index=dict(zip(old, codes)), level=0).sort_index()
    return panel, gdf.loc[codes]


def _config(tmp_path, panel, weights: str) -> str:
    from vagg.config import starter_config_text

    panel.to_csv(tmp_path / "panel.csv")
    text = starter_config_text().replace('system = "indicators.toml"', 'system = "default"')
    text = text[:text.index("# Optional stages")]
    start, end = text.index("[weights]"), text.index("[robustness]")
    text = text[:start] + weights + "\n" + text[end:]
    for old, new in (("bootstrap_draws = 1000", "bootstrap_draws = 19"), ("impact_draws = 1000", "impact_draws = 50"),
                     ("placebo_draws = 500", "placebo_draws = 19"), ('"docx", "xlsx"', '"md"')):
        text = text.replace(old, new)
    (tmp_path / "analysis.toml").write_text(text, encoding="utf-8")
    return str(tmp_path / "analysis.toml")


def _run(config: str, tmp_path) -> dict:
    result = CliRunner().invoke(main, ["run", config, "--quiet"])
    assert result.exit_code == 0, result.output
    return json.loads((tmp_path / "vagg-output" / "manifest.json").read_text())


@pytest.mark.slow
def test_run_with_a_user_boundary_file_and_an_alternative_matrix(tmp_path, region_panel):
    panel, gdf = region_panel
    gdf.reset_index()[["adcode", "name_zh", "name_en", "geometry"]].to_file(tmp_path / "region.geojson",
                                                                          driver="GeoJSON")
    # a published table of the region's index whose ranks 3 and 4 are swapped: the audit must list exactly those
    published = pd.DataFrame({"城市": list(gdf["name_zh"]), "指数": np.linspace(90, 10, len(gdf)),
                              "排名": np.arange(1, len(gdf) + 1)})
    published.loc[[2, 3], "排名"] = [4, 3]
    published.to_csv(tmp_path / "published.csv", index=False, encoding="gbk")
    config = _config(tmp_path, panel, '[weights]\nsource = "region.geojson"\nid = "adcode"\nkind = "queen"\n'
                                      'islands = "nearest"\n\n'
                                      '[weights.alternatives.distance]\nkind = "distance"\ncutoff = 400\n\n'
                                      '[audit]\npath = "published.csv"\nvalue = "指数"\nrank = "排名"\n'
                                      'name = "城市"\n')
    manifest = _run(config, tmp_path)
    audit = pd.read_csv(tmp_path / "vagg-output" / "tables" / "table1_rank_audit.csv", comment="#")
    assert sorted(audit.iloc[:, 0]) == sorted(gdf["name_zh"].iloc[[2, 3]])
    assert manifest["samples"]["spatial"] == [210, 210, 210]  # synergy under queen and distance, construction
    html = (tmp_path / "vagg-output" / "report.html").read_text(encoding="utf-8")
    assert "Spatial Durbin" in html and "Table 1 layout: virtual" not in html and "2 of 21 ranks published in published.csv" in html
    assert any(s.startswith("Table 1 layout: ") for s in manifest["skipped"])
    # the queen matrix the run used, rebuilt by hand from the same file: polygons that touch
    # (Wenzhou's neighbours are outside the 21 cities: joined to its nearest city, as the config asks)
    w = vagg.weights.contiguity(vagg.weights.files.read_boundaries(tmp_path / "region.geojson", "adcode"), "queen",
                                islands="nearest")
    built = pd.read_csv(tmp_path / "vagg-output" / "panel.csv", dtype={"adcode": str}).set_index(["adcode", "year"])
    fit = vagg.models.SpatialPanel.from_formula("synergy ~ va_index + gdp_per_capita + tertiary_share + fdi_gdp "
                                                "+ fiscal_gdp + urbanisation", built, w=w, model="sdm").fit()
    table = (tmp_path / "vagg-output" / "tables" / "spatial_durbin.md").read_text(encoding="utf-8")
    assert f"{fit.params['rho']:.3f}" in table


@pytest.mark.slow
def test_run_with_a_matrix_file_has_no_maps_but_every_spatial_stage(tmp_path, region_panel):
    panel, gdf = region_panel
    w = vagg.weights.knn(gdf, k=4)
    vagg.weights.write_matrix(w, tmp_path / "w.csv")
    config = _config(tmp_path, panel, '[weights]\nsource = "w.csv"\n')
    manifest = _run(config, tmp_path)
    assert len(manifest["samples"]["spatial"]) == 2
    assert any("matrix file" in s for s in manifest["skipped"])
    assert not list((tmp_path / "vagg-output" / "figures").glob("index_map*"))


def test_auto_source_matches_the_bundled_china_units_and_names(region_panel):
    from vagg.study_area import resolve_source

    panel, gdf = region_panel
    ids = sorted(panel.index.get_level_values(0).unique())
    assert resolve_source("auto", ids) == "china-prefecture"
    assert resolve_source("auto", list(gdf["name_zh"])) == "china-prefecture"  # Chinese names join too
    assert resolve_source("auto", ["440100", "440300"]) == "guangdong"
    with pytest.raises(vagg.DataError, match="'XX9999'"):
        resolve_source("auto", ["320100", "XX9999"])
    assert np.all(np.asarray(gdf.index) == np.asarray(sorted(gdf.index)))
