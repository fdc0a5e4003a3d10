"""Bad input to SpatialPanel: each refusal names what is at fault; fixed effects recovered.

Data: simulate_spatial_panel on the bundled Guangdong queen matrix (21 cities).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import vagg
from vagg import DataError, SpecificationError
from vagg.simulate.spatial import simulate_spatial_panel
from vagg.models import SpatialPanel


@pytest.fixture(scope="module")
def panel(guangdong_queen):
    return simulate_spatial_panel(guangdong_queen, 10, beta=[1.0, -0.5], theta=[0.3, 0.0], rho=0.3,
                                  effects="twoway", seed=11)


def _fit(df, w, **kw):
    return SpatialPanel.from_formula("y ~ x1 + x2", df, w, **kw).fit()


def test_gap_names_missing_city_year(panel, guangdong_queen):
    gappy = panel.drop(index=("440300", 2015))
    with pytest.raises(DataError, match=r"440300, 2015"):
        _fit(gappy, guangdong_queen)


def test_missing_value_names_city_year(panel, guangdong_queen):
    holes = panel.copy()
    holes.loc[("440100", 2012), "x2"] = np.nan
    with pytest.raises(DataError, match=r"'x2'.*440100.*2012"):
        _fit(holes, guangdong_queen)


def test_id_mismatch_names_both_sides(panel, guangdong_queen):
    renamed = panel.rename(index={"445300": "999999"}, level=0)
    with pytest.raises(DataError, match=r"panel but not the weights: 999999.*weights but not the panel: 445300"):
        _fit(renamed, guangdong_queen)


def test_row_order_does_not_matter(panel, guangdong_queen):
    a = _fit(panel, guangdong_queen)
    b = _fit(panel.sample(frac=1.0, random_state=4), guangdong_queen)
    pd.testing.assert_series_equal(a.params, b.params, rtol=0, atol=1e-12)


def test_island_refused_by_name_unless_allowed(panel, guangdong_queen):
    ids = [str(i) for i in guangdong_queen.id_order]
    dense = vagg.weights.to_sparse(guangdong_queen, ids).toarray()
    dense[ids.index("440200"), :] = 0
    dense[:, ids.index("440200")] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = vagg.weights.from_matrix(dense, ids, allow_islands=True)
    with pytest.raises(DataError, match=r"islands.*440200"):
        _fit(panel, w, model="sar", effects="entity")
    res = _fit(panel, w, model="sar", effects="entity", allow_islands=True)
    assert np.isfinite(res.params["rho"])


def test_rho_at_boundary_is_refused_clearly(guangdong_queen):
    rng = np.random.default_rng(0)
    ids = [str(i) for i in guangdong_queen.id_order]
    idx = pd.MultiIndex.from_product([ids, range(2011, 2021)], names=["entity", "time"])
    common = np.tile(rng.standard_normal(10), len(ids))  # the same path in every city: W y = y
    df = pd.DataFrame({"y": common + 1e-9 * rng.standard_normal(len(idx)), "x1": rng.standard_normal(len(idx))},
                      index=idx)
    with pytest.raises(SpecificationError, match=r"boundary rho"):
        SpatialPanel.from_formula("y ~ x1", df, guangdong_queen, model="sar", effects="entity").fit()


def test_specification_errors(panel, guangdong_queen):
    with pytest.raises(SpecificationError, match="unknown model"):
        _fit(panel, guangdong_queen, model="sac")
    with pytest.raises(SpecificationError, match="unknown effects"):
        _fit(panel, guangdong_queen, effects="between")
    with pytest.raises(SpecificationError, match="durbin= applies"):
        _fit(panel, guangdong_queen, model="sar", durbin=["x1"])
    with pytest.raises(SpecificationError, match="not in the model: x9"):
        _fit(panel, guangdong_queen, durbin=["x9"])
    fixed = panel.assign(area=np.repeat(np.arange(21.0), 10))
    with pytest.raises(SpecificationError, match="'?area'?.*absorbed"):
        SpatialPanel.from_formula("y ~ x1 + area", fixed, guangdong_queen, effects="entity").fit()
    binary = vagg.weights.guangdong("queen", standardise=False)
    with pytest.raises(SpecificationError, match="row-standardised"):
        _fit(panel, binary, effects="twoway", lee_yu=True)
    with pytest.raises(DataError, match="nothere"):
        SpatialPanel.from_formula("y ~ nothere", panel, guangdong_queen)


@pytest.mark.parametrize("effects", ["entity", "twoway"])
@pytest.mark.parametrize("model", ["sar", "sem", "sdm"])
def test_large_scale_time_invariant_regressor_is_refused_by_name(panel, guangdong_queen, model, effects):
    """An area in square metres (~1e9) leaves rounding noise after demeaning; the relative rule refuses it."""
    rng = np.random.default_rng(3)
    area = np.repeat(rng.uniform(1e9, 2e10, 21), 10)
    fixed = panel.assign(area=area)
    spec_kw = {"model": model, "effects": effects}
    with pytest.raises(SpecificationError, match=r"area.*absorbed"):
        SpatialPanel.from_formula("y ~ x1 + area", fixed, guangdong_queen, **spec_kw).fit()
    # rounding noise is all that demeaning leaves, and the old absolute rule (1e-10) would have let it through
    demeaned = area.reshape(21, 10) - area.reshape(21, 10).mean(axis=1, keepdims=True)
    assert np.sqrt(np.mean(demeaned**2)) > 1e-10
    # a regressor that varies survives however large its scale
    varying = panel.assign(area=1e9 * panel["x2"])
    res = SpatialPanel.from_formula("y ~ x1 + area", varying, guangdong_queen, **spec_kw).fit()
    assert np.isfinite(res.std_errors["area"])


def test_collinear_regressors_are_named(panel, guangdong_queen):
    twin = panel.assign(x3=2.0 * panel["x1"] - panel["x2"])
    with pytest.raises(SpecificationError, match=r"x3.*collinear"):
        SpatialPanel.from_formula("y ~ x1 + x2 + x3", twin, guangdong_queen, model="sar", effects="entity").fit()


def test_partial_durbin_names(panel, guangdong_queen):
    res = _fit(panel, guangdong_queen, durbin=["x1"])
    assert list(res.params.index) == ["x1", "x2", "W_x1", "rho", "sigma2"]
    # x2 is not lagged: its effects are the SAR ones, from the dense formula with theta = 0
    w = vagg.weights.to_sparse(guangdong_queen, res.spec.entities).toarray()
    s = np.linalg.inv(np.eye(21) - res.params["rho"] * w) * res.params["x2"]
    imp = res.impacts(draws=0)
    assert imp.loc["x2", "direct"] == pytest.approx(np.trace(s) / 21, abs=1e-10)
    assert imp.loc["x2", "total"] == pytest.approx(s.sum() / 21, abs=1e-10)


@pytest.mark.parametrize("model", ["sar", "sdm"])
@pytest.mark.parametrize("effects", ["entity", "twoway"])
def test_fixed_effects_include_rho_wy(panel, guangdong_queen, model, effects):
    """y = mu_i (+ a_t + c) + rho W y + X b + W X t + residual, the residual being the model's."""
    res = _fit(panel, guangdong_queen, model=model, effects=effects)
    spec = res.spec
    wy = vagg.models.spatial.likelihood.lag(spec.w, spec.y)
    x = panel.loc[:, ["x1", "x2"]].to_numpy().reshape(21, 10, 2)
    wx = vagg.models.spatial.likelihood.lag(spec.w, x)
    theta = np.array([res.params.get("W_x1", 0.0), res.params.get("W_x2", 0.0)])
    fe = res.entity_effects.to_numpy()[:, None]
    if effects == "twoway":
        fe = fe + res.time_effects.to_numpy()[None, :] + res.intercept
    rebuilt = fe + res.params["rho"] * wy + x @ res.params[["x1", "x2"]].to_numpy() + wx @ theta
    np.testing.assert_allclose(spec.y - rebuilt, res.resid.to_numpy().reshape(21, 10), atol=1e-10)


def test_sem_fixed_effects_equal_spreg(panel, guangdong_queen):
    """spreg's ML_ErrorFE reports mu_i = mean_t (y - X b), the same recovery as ours for the SEM."""
    import spreg
    res = _fit(panel, guangdong_queen, model="sem", effects="entity", lee_yu=False)
    ids = [str(i) for i in guangdong_queen.id_order]
    long = panel.reset_index()
    long["entity"] = pd.Categorical(long["entity"], categories=ids)
    long = long.sort_values(["time", "entity"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = spreg.ML_ErrorFE(long[["y"]].to_numpy(), long[["x1", "x2"]].to_numpy(), guangdong_queen)
    np.testing.assert_allclose(res.entity_effects.loc[ids].to_numpy(), peer.mu_i.ravel(), atol=1e-6)


def test_table_info_contract(panel, guangdong_queen):
    from vagg.models._results import TABLE_INFO_KEYS

    res = _fit(panel, guangdong_queen)
    info = res.table_info
    assert set(info) == set(TABLE_INFO_KEYS)
    assert info["model"] == "SDM" and info["entity_effects"] and info["time_effects"]
    assert info["extra"]["Lee-Yu correction"] == "yes"
    assert info["nobs"] == 210 and info["loglik"] == res.loglik
    ci = res.conf_int()
    assert (ci["lower"] < res.params).all() and (res.params < ci["upper"]).all()
    assert "rho" in res.summary
