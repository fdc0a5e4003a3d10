"""Kernel densities and Markov chains.

References: statsmodels' KDEUnivariate and bandwidth rules and scipy's
gaussian_kde run in the tests; giddy's documented US per-capita-income
examples (giddy 2.3.8, docstrings of ``Markov`` and ``Spatial_Markov``,
data ``usjoin.csv`` and ``states48.gal`` bundled with libpysal) and giddy run
in the tests.
"""

from __future__ import annotations

import libpysal
import mapclassify
import numpy as np
import pandas as pd
import pytest
import scipy.stats as st
from scipy.integrate import trapezoid
from giddy.markov import Markov, Spatial_Markov
from statsmodels.nonparametric.bandwidths import bw_scott, bw_silverman
from statsmodels.nonparametric.kde import KDEUnivariate

import vagg
from vagg.evolution import kernel_density, markov, spatial_markov

YEARS = list(range(1929, 2010))


@pytest.fixture(scope="module")
def usjoin() -> tuple[pd.DataFrame, np.ndarray, libpysal.weights.W]:
    """US state per capita income 1929-2009, indexed by (state position as text, year)."""
    f = libpysal.io.open(libpysal.examples.get_path("usjoin.csv"))
    pci = np.array([f.by_col[str(y)] for y in YEARS]).T  # 48 states x 81 years
    ids = [str(i) for i in range(pci.shape[0])]  # the ids of states48.gal
    panel = pd.DataFrame(pci, index=pd.Index(ids, name="state"), columns=pd.Index(YEARS, name="year")).stack()
    panel = panel.rename("pci").to_frame().sample(frac=1.0, random_state=0)  # row order must not matter
    w = libpysal.io.open(libpysal.examples.get_path("states48.gal")).read()
    w.transform = "r"
    return panel, pci, w


# ------------------------------------------------------------------ densities
@pytest.mark.parametrize("rule, reference", [("silverman", bw_silverman), ("scott", bw_scott)])
def test_density_matches_statsmodels(demo_panel, rule, reference):
    out = kernel_density(demo_panel, "gdp_per_capita", bandwidth=rule)
    assert list(out.columns) == ["year", "x", "density", "bandwidth"]
    for year in (2011, 2020):
        y = demo_panel.xs(year, level=1)["gdp_per_capita"].to_numpy()
        sub = out[out["year"] == year]
        assert sub["bandwidth"].iloc[0] == pytest.approx(reference(y), rel=1e-12)
        kde = KDEUnivariate(y)
        kde.fit(kernel="gau", bw=rule, fft=False)
        peak = sub["density"].max()
        assert np.abs(kde.evaluate(sub["x"].to_numpy()) - sub["density"].to_numpy()).max() < 1e-10 * peak


def test_density_fixed_bandwidth_matches_scipy_and_integrates_to_one(demo_panel):
    h = 3000.0
    out = kernel_density(demo_panel, "gdp_per_capita", bandwidth=h, n_grid=400)
    for year, sub in out.groupby("year"):
        y = demo_panel.xs(year, level=1)["gdp_per_capita"].to_numpy()
        reference = st.gaussian_kde(y, bw_method=h / y.std(ddof=1))(sub["x"].to_numpy())
        assert np.abs(reference - sub["density"].to_numpy()).max() < 1e-10 * reference.max()
        assert trapezoid(sub["density"], sub["x"]) == pytest.approx(1.0, abs=1e-3)
    assert out.groupby("year")["x"].apply(lambda x: tuple(x)).nunique() == 1  # one common grid


def test_density_refuses_bad_bandwidth(demo_panel):
    with pytest.raises(vagg.SpecificationError, match="bandwidth"):
        kernel_density(demo_panel, "gdp_per_capita", bandwidth="wide")
    with pytest.raises(vagg.SpecificationError, match="positive"):
        kernel_density(demo_panel, "gdp_per_capita", bandwidth=-1.0)
    panel = demo_panel.copy()
    panel.loc[panel.index.get_level_values(1) == 2014, "gdp_per_capita"] = 5.0
    with pytest.raises(vagg.DataError, match="2014"):
        kernel_density(panel, "gdp_per_capita")


# ------------------------------------------------------------------ Markov
def test_markov_reproduces_giddy_documented_example(usjoin):
    panel, pci, _ = usjoin
    res = markov(panel, "pci", k=5, classes="yearly")
    # giddy Markov docstring: quintiles within each year
    published = [[729, 71, 1, 0, 0], [72, 567, 80, 3, 0], [0, 81, 631, 86, 2], [0, 3, 86, 573, 56],
                 [0, 0, 1, 57, 741]]
    assert np.array_equal(res.transitions.to_numpy(), published)
    assert np.allclose(res.steady_state, [0.20774716, 0.18725774, 0.20740537, 0.18821787, 0.20937187], atol=1e-8)
    q5 = np.array([mapclassify.Quantiles(pci[:, t]).yb for t in range(pci.shape[1])]).T
    giddy = Markov(q5, summary=False)
    assert np.abs(res.probabilities.to_numpy() - giddy.p).max() < 1e-15
    assert list(res.probabilities.index) == ["Q1", "Q2", "Q3", "Q4", "Q5"]
    assert res.classes.shape == (48, 81)


def test_markov_pooled_relative_reproduces_giddy_example(usjoin):
    panel, _, _ = usjoin
    res = markov(panel, "pci", k=5, classes="pooled", relative=True)
    published = [[707, 58, 7, 1, 0], [50, 629, 80, 1, 1], [4, 79, 610, 73, 2], [0, 7, 72, 650, 37],
                 [0, 0, 0, 48, 724]]
    assert np.array_equal(res.transitions.to_numpy(), published)
    assert np.allclose(res.steady_state, [0.17957376, 0.21631443, 0.21499942, 0.21134662, 0.17776576], atol=1e-8)


def test_spatial_markov_reproduces_giddy_documented_example(usjoin):
    panel, pci, w = usjoin
    res = spatial_markov(panel, "pci", w, k=5, classes="pooled", relative=True)
    # giddy Spatial_Markov docstring (k = m = 5, fixed=True, rpci)
    assert np.allclose(res.cutoffs, [0.83999133, 0.94707545, 1.03242697, 1.14911154], atol=1e-8)
    assert np.allclose(res.lag_cutoffs, [0.88973386, 0.95891917, 1.01469758, 1.1183566], atol=1e-8)
    assert np.allclose(res.steady_state.loc["Q1"], [0.43509425, 0.2635327, 0.20363044, 0.06841983, 0.02932278],
                       atol=1e-8)
    assert np.allclose(res.probabilities.loc["Q1"].iloc[0], [0.96341463, 0.0304878, 0.00609756, 0, 0], atol=1e-8)
    assert f"{res.tests['LR']:.3f}" == "170.659" and f"{res.tests['Q']:.3f}" == "200.624"
    assert res.tests["dof"] == 60
    rpci = pci / pci.mean(axis=0)
    giddy = Spatial_Markov(rpci, w, fixed=True, k=5, m=5)
    assert np.abs(res.probabilities.to_numpy() - np.asarray(giddy.P).reshape(25, 5)).max() < 1e-15
    assert np.abs(res.global_probabilities.to_numpy() - giddy.p).max() < 1e-15


def test_spatial_markov_on_demo_panel_and_id_checks(demo_panel, guangdong_queen):
    res = spatial_markov(demo_panel, "gdp_per_capita", guangdong_queen, k=3)
    assert res.transitions.to_numpy().sum() == 21 * 9
    assert res.transitions.index.names == ["neighbour_class", "from_class"]
    panel = demo_panel.drop(index="440300", level=0)
    with pytest.raises(vagg.DataError, match="in the weights but not the panel: 440300"):
        spatial_markov(panel, "gdp_per_capita", guangdong_queen, k=3)


def test_markov_refuses_gaps_and_bad_specification(demo_panel):
    with pytest.raises(vagg.DataError, match=r"balanced.*\(440100, 2013\)"):
        markov(demo_panel.drop(index=("440100", 2013)), "gdp_per_capita")
    with pytest.raises(vagg.DataError, match="consecutive; 2012 is followed by 2014"):
        markov(demo_panel.drop(index=2013, level=1), "gdp_per_capita")
    with pytest.raises(vagg.SpecificationError, match="classes"):
        markov(demo_panel, "gdp_per_capita", classes="decile")
    with pytest.raises(vagg.DataError, match="cannot fill"):
        markov(demo_panel, "gdp_per_capita", k=30)


def test_markov_with_tied_values_has_no_steady_state(demo_panel, guangdong_queen):
    """Heavy ties leave quantile classes empty: the chain has no ergodic
    distribution, reported as NaN rather than an error or a wrong number."""
    panel = demo_panel[["gdp_per_capita"]].round(-4) / 20000
    res = markov(panel, "gdp_per_capita", k=5)
    assert res.transitions.loc["Q5"].sum() == 0 and res.steady_state.isna().all()
    spatial = spatial_markov(panel, "gdp_per_capita", guangdong_queen, k=5)
    assert spatial.transitions.to_numpy().sum() == 21 * 9
