"""The missing-data policies: values by hand, exactly the cells removed are reported, refusals name the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import vagg
from vagg.data import apply_missing_policy
from vagg.data.missing import interpolate_matrix


@pytest.fixture()
def gappy():
    idx = pd.MultiIndex.from_product([["a", "b", "c"], [2011, 2012, 2013, 2015]], names=["adcode", "year"])
    df = pd.DataFrame({"x": [1, np.nan, 3, 7, np.nan, 2, np.nan, 6, 1, 2, 3, 4.0],
                       "y": np.arange(12.0), "name": ["A"] * 4 + ["B"] * 4 + ["C"] * 4}, index=idx)
    return df.drop(("a", 2013))


def test_refuse_lists_gaps_and_cells_and_names_policies(gappy):
    with pytest.raises(vagg.DataError) as info:
        apply_missing_policy(gappy, ["x", "y"])
    message = str(info.value)
    for fragment in ("absent city-years (a, 2013)", "x ('a', 2012)", "x ('b', 2011)", "x ('b', 2013)",
                     '"drop-rows", "drop-cities" or "interpolate"'):
        assert fragment in message
    assert "y (" not in message
    complete = gappy.drop(index=["a", "b"], level=0)
    assert apply_missing_policy(complete, ["x"])[0].equals(complete.sort_index())


def test_drop_rows_and_drop_cities(gappy):
    out, report = apply_missing_policy(gappy, ["x"], "drop-rows")
    assert report.dropped_city_years == [("a", 2012), ("b", 2011), ("b", 2013)]
    assert len(out) == len(gappy) - 3 and not out["x"].isna().any()
    out, report = apply_missing_policy(gappy, ["x"], "drop-cities")
    assert report.dropped_cities == ["a", "b"]
    assert out.index.get_level_values(0).unique().tolist() == ["c"]
    assert len(report.dropped_city_years) == 7
    # only the columns the run uses count: y is complete, so nothing is dropped for it
    assert apply_missing_policy(gappy, ["y"], "drop-cities")[1].dropped_cities == ["a"]  # the absent (a, 2013)


def test_interpolation_values_by_hand(gappy):
    with pytest.raises(vagg.DataError, match=r"'x' cannot be interpolated at \(b, 2011\).*extrapolate=True"):
        apply_missing_policy(gappy, ["x"], "interpolate")
    gappy.loc[("c", 2012), "name"] = np.nan  # a blank text cell of an existing row is left as it is
    out, report = apply_missing_policy(gappy, ["x", "y"], "interpolate", extrapolate=True)
    assert out["name"].isna().sum() == 1 and out.loc[("b", 2011), "name"] == "B"
    # a: 1 (2011), 7 (2015) -> 2012 = 1 + 1 * 6 / 4 = 2.5, 2013 = 4 (year absent from the file)
    # b: 2 (2012), 6 (2015) -> 2013 = 2 + 4 / 3; 2011 extrapolated on the same line = 2 - 4 / 3
    # y of the added (a, 2013): 1 (2012), 3 (2015) -> 1 + 2 / 3
    assert out.loc[("a", 2012), "x"] == 2.5 and out.loc[("a", 2013), "x"] == 4.0
    assert out.loc[("b", 2013), "x"] == pytest.approx(2 + 4 / 3)
    assert out.loc[("b", 2011), "x"] == pytest.approx(2 - 4 / 3)
    assert out.loc[("a", 2013), "y"] == pytest.approx(1 + 2 / 3) and out.loc[("a", 2013), "name"] == "A"
    assert report.added_city_years == [("a", 2013)]
    filled = set(zip(report.filled["entity"], report.filled["time"], report.filled["column"]))
    assert filled == {("a", 2012, "x"), ("a", 2013, "x"), ("b", 2011, "x"), ("b", 2013, "x"), ("a", 2013, "y")}
    assert report.share_filled == {"x": 4 / 12, "y": 1 / 12}
    for entity, year, column, value in report.filled.itertuples(index=False):
        assert out.loc[(entity, year), column] == value


def test_interpolate_matrix_matches_numpy_interp_per_row():
    # brute-force twin: np.interp city by city (inside the observed range), random gaps
    rng = np.random.default_rng(3)
    years = np.array([2011, 2012, 2014, 2015, 2016, 2019, 2020], dtype=float)
    values = rng.normal(size=(40, len(years)))
    values[rng.random(values.shape) < 0.35] = np.nan
    values[:, [0, -1]] = rng.normal(size=(40, 2))
    got = interpolate_matrix(values, years)
    for row, out in zip(values, got):
        ok = ~np.isnan(row)
        np.testing.assert_allclose(out, np.interp(years, years[ok], row[ok]))
    # extrapolation: the line through the two nearest observed years
    row = np.array([[np.nan, np.nan, 3.0, np.nan, 5.0, np.nan]])
    t = np.arange(6.0)
    np.testing.assert_allclose(interpolate_matrix(row, t, extrapolate=True), [[1, 2, 3, 4, 5, 6]])
    assert np.isnan(interpolate_matrix(row, t)).tolist() == [[True, True, False, False, False, True]]


def test_unknown_policy_and_absent_column(gappy):
    with pytest.raises(vagg.SpecificationError, match="'fill' is not one of refuse, drop-rows"):
        apply_missing_policy(gappy, ["x"], "fill")
    with pytest.raises(vagg.DataError, match="not in the data: z"):
        apply_missing_policy(gappy, ["z"], "interpolate")


def test_balanced_methods_name_the_policy(gappy):
    with pytest.raises(vagg.DataError, match='balanced panel.*"interpolate".*"drop-cities"'):
        vagg.data.validate_panel(gappy, balanced=True)
    with pytest.raises(vagg.DataError, match='balanced panel.*"interpolate"'):
        vagg.evolution.markov(gappy.dropna(), "x", k=2)
