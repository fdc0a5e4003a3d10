"""Placebo permutation test.

References: linearmodels ``PanelOLS`` re-fitted on each permuted regressor
(the vectorised FWL draws must equal it); a simulation with known truth: under
a null of no effect with exchangeable cities the p-value is uniform
(Kolmogorov-Smirnov against U(0, 1) over 200 replications, scipy), and with a
planted effect it is at its minimum 1/(P+1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from linearmodels import PanelOLS
from scipy import stats

import vagg
from vagg.models._within import Groups
from vagg.robustness.placebo import _placebo_draws, partial_out, placebo_test

N, T = 21, 10


def simulate(rng: np.random.Generator, beta: float) -> pd.DataFrame:
    """y = beta x + 0.5 c + a_i + g_t + e; x and c with their own city and year components."""
    idx = pd.MultiIndex.from_product([[f"c{i:02d}" for i in range(N)], range(2011, 2011 + T)],
                                     names=["city", "year"])
    a, g = rng.normal(size=(N, 1)), rng.normal(size=(1, T))
    x = 0.8 * a + g + rng.normal(size=(N, T))
    c = rng.normal(size=(N, T)) + 0.3 * x
    y = beta * x + 0.5 * c + a + g + rng.normal(size=(N, T))
    return pd.DataFrame({"y": y.ravel(), "x": x.ravel(), "c": c.ravel()}, index=idx)


@pytest.mark.parametrize("within", ["entity", "time"])
def test_draws_equal_panelols_on_permuted_data(within):
    df = simulate(np.random.default_rng(0), 0.3)
    groups = Groups.from_index(df.index)
    y_t, q = partial_out(df, ["y"], ["c"], groups, "twoway")
    x = df["x"].to_numpy().reshape(N, T)
    draws = _placebo_draws(x, y_t[:, 0], q, groups, "twoway", within, np.random.default_rng(9), 3)
    rng = np.random.default_rng(9)  # replay the same permutations
    if within == "entity":
        perms = [x[o] for o in np.argsort(rng.random((3, N)), axis=1)]
    else:
        orders = np.argsort(rng.random((3, N, T)), axis=2)
        perms = [np.take_along_axis(x, o, axis=1) for o in orders]
    for draw, xp in zip(draws, perms):
        ref = PanelOLS(df["y"], df[["c"]].assign(xp=xp.ravel())[["xp", "c"]], entity_effects=True,
                       time_effects=True).fit()
        np.testing.assert_allclose(draw, ref.params["xp"], rtol=1e-9)


@pytest.mark.parametrize("effects", ["entity", "time", "twoway"])
@pytest.mark.parametrize("within", ["entity", "time"])
def test_public_draws_equal_panelols_refits_for_every_effect(effects, within):
    """placebo_test's draws (seed 4: the chunk generator SeedSequence(4).spawn(1)[0])
    against PanelOLS refitted on the same permutations, replayed by hand, for
    every effects x within choice."""
    df = simulate(np.random.default_rng(1), 0.3)
    res = placebo_test(df, "y", "x", ["c"], effects=effects, n_perm=3, within=within, seed=4)
    rng = np.random.default_rng(np.random.SeedSequence(4).spawn(1)[0])
    x = df["x"].to_numpy().reshape(N, T)
    if within == "entity":
        perms = [x[o] for o in np.argsort(rng.random((3, N)), axis=1)]
    else:
        perms = [np.take_along_axis(x, o, axis=1) for o in np.argsort(rng.random((3, N, T)), axis=2)]
    flags = {"entity_effects": effects != "time", "time_effects": effects != "entity"}
    real = PanelOLS(df["y"], df[["x", "c"]], **flags).fit()
    assert res.estimate == pytest.approx(real.params["x"], rel=1e-9)
    for draw, xp in zip(res.draws, perms):
        ref = PanelOLS(df["y"], df[["c"]].assign(xp=xp.ravel())[["xp", "c"]], **flags).fit()
        np.testing.assert_allclose(draw, ref.params["xp"], rtol=1e-9)


def test_real_estimate_is_the_fe_coefficient(demo_panel):
    res = placebo_test(demo_panel, "gdp_per_capita", "urbanisation", ["fdi_gdp"], n_perm=50, seed=1)
    ref = PanelOLS(demo_panel["gdp_per_capita"], demo_panel[["urbanisation", "fdi_gdp"]], entity_effects=True,
                   time_effects=True).fit()
    np.testing.assert_allclose(res.estimate, ref.params["urbanisation"], rtol=1e-9)
    assert res.nobs == 210 and len(res.draws) == 50


def test_pvalue_uniform_under_null_and_small_with_effect():
    rng = np.random.default_rng(2024)
    pvals = np.array([placebo_test(simulate(rng, 0.0), "y", "x", ["c"], n_perm=199, seed=r).pvalue
                      for r in range(200)])
    ks = stats.kstest(pvals, "uniform")
    assert ks.pvalue > 0.01, ks
    assert 0.02 <= np.mean(pvals <= 0.05) <= 0.09
    planted = placebo_test(simulate(rng, 0.5), "y", "x", ["c"], n_perm=199, seed=0)
    assert planted.pvalue == pytest.approx(1 / 200) and planted.share_beyond == 0.0


def test_same_seed_same_draws_serial_and_joblib():
    df = simulate(np.random.default_rng(5), 0.2)
    a = placebo_test(df, "y", "x", ["c"], n_perm=2500, seed=11)
    b = placebo_test(df, "y", "x", ["c"], n_perm=2500, seed=11, n_jobs=2)
    np.testing.assert_array_equal(a.draws, b.draws)
    c = placebo_test(df, "y", "x", ["c"], n_perm=2500, seed=12)
    assert not np.array_equal(a.draws, c.draws)


def test_density_for_a_figure():
    res = placebo_test(simulate(np.random.default_rng(6), 0.0), "y", "x", ["c"], n_perm=400, seed=0)
    dens = res.density()
    assert list(dens.columns) == ["value", "density"] and (dens["density"] >= 0).all()
    # a density on a grid covering the draws integrates to about one
    assert np.trapezoid(dens["density"], dens["value"]) == pytest.approx(1.0, abs=0.02)
    from vagg.report.figures import placebo_density

    assert len(placebo_density(res.draws, res.estimate).axes) == 1


def test_bad_input_is_named():
    df = simulate(np.random.default_rng(7), 0.0)
    with pytest.raises(vagg.DataError, match=r"c03, 2015"):
        placebo_test(df.drop(index=("c03", 2015)), "y", "x", ["c"])
    with pytest.raises(vagg.SpecificationError, match="within"):
        placebo_test(df, "y", "x", within="region")
    with pytest.raises(vagg.DataError, match="nope"):
        placebo_test(df, "y", "nope")


def test_spatial_placebo_refits_the_sdm_on_permuted_paths(demo_panel):
    """Reference: SpatialPanel (checked against spreg in tests/test_spatial_peers.py) on the permuted data."""
    from vagg.robustness.placebo import permuted_paths, spatial_placebo_test

    w = vagg.weights.guangdong("queen")
    d = demo_panel.assign(x=demo_panel["urbanisation"], y=demo_panel["gdp_per_capita"] / 1e4)
    res = spatial_placebo_test(d, "y", "x", w, ["fdi_gdp"], n_perm=30, seed=2)
    real = vagg.models.SpatialPanel(d["y"], d[["x", "fdi_gdp"]], w, model="sdm").fit()
    assert res.estimate == pytest.approx(real.params["x"], rel=1e-12)
    rng = np.random.default_rng(np.random.SeedSequence(2).spawn(1)[0])  # the first chunk's generator
    paths = permuted_paths(d["x"].to_numpy().reshape(21, 10), "entity", rng, 30)
    for k in (0, 17):
        ref = vagg.models.SpatialPanel(d["y"], d[["x", "fdi_gdp"]].assign(x=paths[k].ravel()), w, model="sdm").fit()
        assert res.draws[k] == pytest.approx(ref.params["x"], rel=1e-12)
    again = spatial_placebo_test(d, "y", "x", w, ["fdi_gdp"], n_perm=30, seed=2)
    np.testing.assert_array_equal(res.draws, again.draws)


@pytest.mark.parametrize("effects", ["twoway", "entity", "time"])
@pytest.mark.parametrize("within", ["entity", "time"])
def test_batched_spatial_placebo_equals_refitting_every_draw(demo_panel, effects, within):
    """The batched SDM placebo (two design columns replaced per permutation, the fit's own arithmetic and
    optimiser) against its brute-force twin, a full SpatialPanel fit per permuted data set: identical."""
    from vagg.robustness.placebo import spatial_placebo_test

    w = vagg.weights.guangdong("queen")
    d = demo_panel.assign(x=demo_panel["urbanisation"], y=demo_panel["gdp_per_capita"] / 1e4)
    kw = dict(n_perm=12, seed=5, effects=effects, within=within)
    batched = spatial_placebo_test(d, "y", "x", w, ["fdi_gdp"], **kw)
    refit = spatial_placebo_test(d, "y", "x", w, ["fdi_gdp"], method="refit", **kw)
    np.testing.assert_allclose(batched.draws, refit.draws, rtol=1e-12, atol=0)
    assert batched.pvalue == refit.pvalue and batched.estimate == refit.estimate
    with pytest.raises(vagg.SpecificationError, match="method must be"):
        spatial_placebo_test(d, "y", "x", w, method="loop")
