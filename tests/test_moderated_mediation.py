"""Moderated mediation: PROCESS models 7, 14 and 58 (pyprocessmacro run in the test, its own test data),
fixed-effects point estimates against dummy-variable OLS, and the cluster bootstrap against an explicit
refit of every stage on each physically resampled panel."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import vagg
from vagg.models import Mediation, PanelFE
from vagg.models._moments import cluster_counts
from vagg.simulate.mediation import simulate_mediation_panel

PROCESS = {"a": (7, {"w": "w"}), "b": (14, {"v": "w"}), "both": (58, {"w": "w"})}


@pytest.fixture(scope="module")
def process_data(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "process_model4.csv")


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    data = simulate_mediation_panel(seed=3)[0].rename(columns={"w1": "z"})
    data["m1"] += 0.3 * data["x"] * data["z"]  # a planted first-stage moderation
    return data


@pytest.mark.parametrize("path", ["a", "b", "both"])
def test_process_models_7_14_58(process_data, path) -> None:
    from pyprocessmacro import Process

    number, roles = PROCESS[path]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = Process(data=process_data, model=number, x="x", y="y", m=["m1", "m2"], suppr_init=True, boot=2000,
                      seed=1, **roles).indirect_model
    res = Mediation(process_data, "y", "x", ["m1", "m2"], effects="none", moderator="w",
                    moderated_path=path).fit(n_boot=2000, seed=1)
    cond = res.conditional_indirect()
    table = ref.coeff_summary()
    # PROCESS's default moderator values: mean and +/- 1 sd
    np.testing.assert_allclose(cond.index.get_level_values("w"), table["w"].to_numpy(), atol=1e-6)
    np.testing.assert_allclose(cond["estimate"].to_numpy(), table["Effect"].to_numpy(), atol=1e-6)
    # bootstrap se from different generators agree to sampling error
    np.testing.assert_allclose(cond["se"].to_numpy(), table["Boot SE"].to_numpy(), rtol=0.12)
    if path != "both":  # PROCESS reports no linear index for model 58
        mm = ref.MM_index_summary()
        np.testing.assert_allclose(res.moderated_index["estimate"].to_numpy(), mm["Index"].to_numpy(), atol=1e-6)
        np.testing.assert_allclose(res.moderated_index["se"].to_numpy(), mm["Boot SE"].to_numpy(), rtol=0.12)
    assert list(res.moderated_index.columns) == ["estimate", "se", "ci_low", "ci_high"]
    assert res.moderated_index.index.tolist() == ["m1", "m2"]


def test_both_stages_index_is_the_slope_at_the_mean(process_data) -> None:
    res = Mediation(process_data, "y", "x", "m1", effects="none", moderator="w",
                    moderated_path="both").fit(n_boot=0)
    c, h = process_data["w"].mean(), 1e-4
    cond = res.conditional_indirect(at=[c - h, c + h])["estimate"].to_numpy()
    assert res.moderated_index.loc["m1", "estimate"] == pytest.approx((cond[1] - cond[0]) / (2 * h), rel=1e-6)


def test_fixed_effects_paths_match_dummy_ols(panel) -> None:
    res = Mediation(panel, "y", "x", ["m1", "m2"], controls=["w2"], moderator="z",
                    moderated_path="both").fit(n_boot=0)
    d = panel.reset_index()
    d["zc"] = d["z"] - d["z"].mean()
    fe = " + C(city) + C(year)"
    first = smf.ols("m1 ~ x + z + x:zc + w2" + fe, d).fit()
    second = smf.ols("y ~ x + m1 + m2 + z + m1:zc + m2:zc + w2" + fe, d).fit()
    assert res.paths.loc["m1", "a"] == pytest.approx(first.params["x"], abs=1e-10)
    assert res.paths.loc["m1", "a_interaction"] == pytest.approx(first.params["x:zc"], abs=1e-10)
    assert res.paths.loc["m1", "b"] == pytest.approx(second.params["m1"], abs=1e-10)
    assert res.paths.loc["m1", "b_interaction"] == pytest.approx(second.params["m1:zc"], abs=1e-10)
    assert res.direct_effect == pytest.approx(second.params["x"], abs=1e-10)
    # the planted moderation x*z in m1 is found (truth 0.3)
    assert abs(res.paths.loc["m1", "a_interaction"] - 0.3) < 0.1


def _refit_draw(panel: pd.DataFrame, counts: np.ndarray, center: float) -> tuple[np.ndarray, np.ndarray]:
    """Index and conditional indirect effects (at the mean +/- 1 sd) refitted on a resampled panel."""
    cities = panel.index.get_level_values(0).unique()
    flat = panel.reset_index()
    parts = [flat[flat["city"] == cities[g]].assign(city=f"{cities[g]}_{copy}")
             for g in range(len(cities)) for copy in range(int(counts[g]))]
    d = pd.concat(parts).set_index(["city", "year"])
    d["x:z"] = d["x"] * (d["z"] - center)
    a1 = PanelFE.from_formula("m1 ~ x + z + x:z + w2", d).fit().params
    a2 = PanelFE.from_formula("m2 ~ x + z + x:z + w2", d).fit().params
    b = PanelFE.from_formula("y ~ x + m1 + m2 + w2", d).fit().params
    index = np.array([a1["x:z"] * b["m1"], a2["x:z"] * b["m2"]])
    sd = panel["z"].std(ddof=1)
    cond = np.array([(a["x"] + a["x:z"] * u) * b[m] for a, m in ((a1, "m1"), (a2, "m2")) for u in (-sd, 0.0, sd)])
    return index, cond


def test_bootstrap_equals_explicit_refit_per_draw(panel) -> None:
    res = Mediation(panel, "y", "x", ["m1", "m2"], controls=["w2"], moderator="z",
                    moderated_path="a").fit(n_boot=4, seed=11)
    rng = np.random.default_rng(np.random.SeedSequence(11).spawn(1)[0])
    counts = cluster_counts(rng, 4, panel.index.get_level_values(0).nunique())
    center = panel["z"].mean()
    index_draws = res._index(res.draws)
    cond_draws = res._conditional(res.draws, res.moderator_values())
    for r in range(4):
        index, cond = _refit_draw(panel, counts[r], center)
        np.testing.assert_allclose(index_draws[r], index, atol=1e-10)
        np.testing.assert_allclose(cond_draws[r], cond, atol=1e-10)
    # the reported se is the sd of those draws
    assert res.moderated_index.loc["m1", "se"] == pytest.approx(index_draws[:, 0].std(ddof=1), rel=1e-12)


def test_conditional_values_and_reproducibility(panel) -> None:
    model = Mediation(panel, "y", "x", "m1", moderator="z", moderated_path="b")
    one, two = model.fit(n_boot=300, seed=5), model.fit(n_boot=300, seed=5)
    pd.testing.assert_frame_equal(one.moderated_index, two.moderated_index)
    pct = one.conditional_indirect(at="percentiles")
    np.testing.assert_allclose(pct.index.get_level_values("z"), np.percentile(panel["z"], [16, 50, 84]))
    given = one.conditional_indirect(at=[0.0, 1.0])
    assert given.index.tolist() == [("m1", 0.0), ("m1", 1.0)]
    bc = model.fit(n_boot=300, seed=5, ci="bc").moderated_index
    assert (bc["ci_low"] < bc["estimate"]).all() and (bc["estimate"] < bc["ci_high"]).all()
    assert "PROCESS model 14" in one.summary and one.table_info["model"].endswith("model 14)")


@pytest.mark.slow
def test_joblib_gives_the_serial_draws(panel) -> None:
    model = Mediation(panel, "y", "x", "m1", moderator="z", moderated_path="a")
    serial, parallel = model.fit(n_boot=1200, seed=2), model.fit(n_boot=1200, seed=2, n_jobs=2)
    np.testing.assert_array_equal(serial.draws, parallel.draws)


@pytest.mark.parametrize("kwargs, message", [
    ({"moderator": "w2", "controls": ["w2"]}, "also the a control"),
    ({"moderator": "m1"}, "also the a mediator"),
    ({"moderator": "nope"}, "not a column"),
    ({"moderator": "z", "moderated_path": "c"}, "moderated_path"),
    ({"moderator": "z", "serial": True, "mediators": ["m1", "m2"]}, "serial"),
])
def test_refusals_name_the_fault(panel, kwargs, message) -> None:
    args = {"mediators": ["m1"], **kwargs}
    with pytest.raises(vagg.SpecificationError, match=message):
        Mediation(panel, "y", "x", **args)


def test_time_invariant_moderator_under_entity_effects_is_refused(panel) -> None:
    data = panel.assign(region=np.repeat(np.arange(21) % 3, 10).astype(float))
    with pytest.raises(vagg.SpecificationError, match="absorb"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Mediation(data, "y", "x", "m1", moderator="region").fit(n_boot=0)
