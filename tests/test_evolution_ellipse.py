"""Gravity centre and standard deviational ellipse against explicit formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import vagg
from vagg.evolution import standard_ellipse

XY = pd.DataFrame({"x": [0.0, 4.0, 1.0, 6.0, 3.0, 8.0], "y": [0.0, 1.0, 3.0, 4.0, 5.0, 9.0]},
                  index=["a", "b", "c", "d", "e", "f"])


@pytest.fixture
def panel():
    idx = pd.MultiIndex.from_product([list(XY.index), [2019, 2020]], names=["city", "year"])
    rng = np.random.default_rng(0)
    return pd.DataFrame({"index": rng.uniform(1, 10, len(idx))}, index=idx)


def by_hand(w, pts, k):
    centre = w @ pts / w.sum()
    d = pts - centre
    cov = (d * w[:, None]).T @ d / w.sum()
    vals, vecs = np.linalg.eigh(cov)
    major = vecs[:, 1]
    azimuth = np.mod(np.rad2deg(np.arctan2(major[0], major[1])), 180)
    return centre, k * np.sqrt(vals[1]), k * np.sqrt(vals[0]), azimuth


@pytest.mark.parametrize(("correction", "factor"), [("arcgis", np.sqrt(2)), ("none", 1.0),
                                                     ("crimestat", np.sqrt(2) * np.sqrt(6 / 4))])
def test_centre_axes_and_azimuth_equal_the_formulas(panel, correction, factor):
    res = standard_ellipse(panel, XY, column="index", correction=correction)
    assert res.crs is None and list(res.table.index) == [2019, 2020]
    for year in (2019, 2020):
        w = panel.xs(year, level="year")["index"].to_numpy()
        centre, major, minor, az = by_hand(w, XY.to_numpy(), factor)
        row = res.table.loc[year]
        np.testing.assert_allclose([row["centre_x"], row["centre_y"]], centre)
        assert row["sigma_major"] == pytest.approx(major)
        assert row["sigma_minor"] == pytest.approx(minor)
        assert row["azimuth"] == pytest.approx(az)
        assert row["area"] == pytest.approx(np.pi * major * minor)
        assert row["shape"] == pytest.approx(minor / major)
    move = res.table.loc[2020, ["centre_x", "centre_y"]] - res.table.loc[2019, ["centre_x", "centre_y"]]
    assert res.table.loc[2020, "shift"] == pytest.approx(np.hypot(*move))
    assert res.table.loc[2020, "shift_azimuth"] == pytest.approx(np.mod(np.rad2deg(np.arctan2(*move)), 360))
    assert np.isnan(res.table.loc[2019, "shift"])


def test_points_on_a_north_east_line_have_azimuth_45():
    idx = pd.MultiIndex.from_product([list("pqrs"), [2020]])
    line = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.1], "y": [0.0, 1.0, 2.0, 2.9]}, index=list("pqrs"))
    res = standard_ellipse(pd.Series(1.0, index=idx, name="v"), line)
    assert res.table.loc[2020, "azimuth"] == pytest.approx(45, abs=2)
    assert res.table.loc[2020, "shape"] < 0.05


def test_geographic_locations_are_projected_and_mapped(demo_panel):
    from vagg.report.figures_models import ellipse_map

    gdf = vagg.data.load_guangdong()
    index = vagg.mechanisms.composite_index(demo_panel).scores
    res = standard_ellipse(index, gdf)
    assert res.unit == "km" and res.crs.startswith("+proj=aeqd")
    # the gravity centre is close to the weighted mean of centroid lon/lat in this small region
    w = index.xs(2020, level="year")
    lon = (gdf.loc[w.index, "lon"] * w).sum() / w.sum()
    lat = (gdf.loc[w.index, "lat"] * w).sum() / w.sum()
    assert res.table.loc[2020, "lon"] == pytest.approx(lon, abs=0.02)
    assert res.table.loc[2020, "lat"] == pytest.approx(lat, abs=0.02)
    assert 50 < res.table.loc[2020, "sigma_minor"] < res.table.loc[2020, "sigma_major"] < 400
    ellipses = res.ellipses()
    assert len(ellipses) == 10 and ellipses.crs.to_epsg() == 4326
    # the polygon's area in the planar system equals pi a b (120 vertices: within 0.5 %)
    planar = res.ellipses(geographic=False)
    assert planar.geometry.area.loc[2020] / 1e6 == pytest.approx(res.table.loc[2020, "area"], rel=5e-3)
    fig = ellipse_map(gdf, ellipses, res.table)
    assert len(fig.axes[0].get_lines()) == 11


def test_refusals_name_the_fault(panel):
    bad = panel.copy()
    bad.loc[("c", 2020), "index"] = -1.0
    with pytest.raises(vagg.DataError, match="negative at \\('c', 2020\\)"):
        standard_ellipse(bad, XY, column="index")
    with pytest.raises(vagg.DataError, match="'f'"):
        standard_ellipse(panel, XY.drop(index="f"), column="index")
    with pytest.raises(vagg.SpecificationError, match="correction"):
        standard_ellipse(panel, XY, column="index", correction="esri")
    with pytest.raises(vagg.DataError, match="zero in 2019"):
        standard_ellipse(panel.assign(index=np.where(panel.index.get_level_values(1) == 2019, 0.0, 1.0)), XY,
                         column="index")
    with pytest.raises(vagg.DataError, match="lon/lat or x/y"):
        standard_ellipse(panel, XY.rename(columns={"x": "east"}), column="index")
