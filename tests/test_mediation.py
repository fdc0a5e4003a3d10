"""Mediation: point estimates against statsmodels dummy-variable OLS and
pingouin, the exact decomposition c = c' + sum a*b, the cluster bootstrap
against refits on physically resampled panels, seeding across serial / joblib
/ dask, and CI coverage in simulations with known paths
(vagg.simulate.mediation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import vagg
from vagg.simulate.mediation import simulate_mediation_panel
from vagg.models import Mediation, PanelFE
from vagg.models._moments import ClusterMoments

CONTROLS = ["w1", "w2"]


@pytest.fixture(scope="module")
def panel():
    return simulate_mediation_panel(seed=3)[0]


def dummy_ols(frame: pd.DataFrame, formula: str):
    return smf.ols(formula + " + C(city) + C(year)", frame.reset_index()).fit()


def test_point_estimates_match_dummy_variable_ols(panel):
    res = Mediation(panel, "y", "x", ["m1", "m2"], controls=CONTROLS, effects="twoway").fit(n_boot=0)
    total = dummy_ols(panel, "y ~ x + w1 + w2")
    a1 = dummy_ols(panel, "m1 ~ x + w1 + w2")
    a2 = dummy_ols(panel, "m2 ~ x + w1 + w2")
    out = dummy_ols(panel, "y ~ x + m1 + m2 + w1 + w2")
    assert res.total_effect == pytest.approx(total.params["x"], abs=1e-8)
    np.testing.assert_allclose(res.a.to_numpy(), [a1.params["x"], a2.params["x"]], atol=1e-8)
    np.testing.assert_allclose(res.b.to_numpy(), out.params[["m1", "m2"]].to_numpy(), atol=1e-8)
    assert res.direct_effect == pytest.approx(out.params["x"], abs=1e-8)
    # the decomposition c = c' + sum_j a_j b_j is exact for linear models
    assert res.total_effect == pytest.approx(res.direct_effect + float((res.a * res.b).sum()), abs=1e-10)
    assert res.indirect.loc["total", "estimate"] == pytest.approx(res.total_effect - res.direct_effect, abs=1e-10)


def test_serial_paths_match_dummy_ols_and_decompose(panel):
    frame, truth = simulate_mediation_panel(seed=4, d21=0.3)
    res = Mediation(frame, "y", "x", ["m1", "m2"], controls=CONTROLS, serial=True).fit(n_boot=0)
    m2 = dummy_ols(frame, "m2 ~ x + m1 + w1 + w2")
    assert res.d == pytest.approx(m2.params["m1"], abs=1e-8)
    assert res.a["m2"] == pytest.approx(m2.params["x"], abs=1e-8)
    chain = res.indirect.loc["m1 -> m2", "estimate"]
    assert chain == pytest.approx(res.a["m1"] * res.d * res.b["m2"], abs=1e-12)
    assert res.total_effect == pytest.approx(res.direct_effect + res.indirect.loc[["m1", "m2", "m1 -> m2"],
                                                                                  "estimate"].sum(), abs=1e-10)


def test_process_models_4_and_6_cross_section(reference_dir):
    """pyprocessmacro's PROCESS test data (cross-sectional, effects='none')."""
    for name, serial in (("process_model4.csv", False), ("process_model6.csv", True)):
        data = pd.read_csv(reference_dir / name)
        res = Mediation(data, "y", "x", ["m1", "m2"], effects="none", serial=serial).fit(n_boot=200, seed=1)
        out = smf.ols("y ~ x + m1 + m2", data).fit()
        a1 = smf.ols("m1 ~ x", data).fit()
        np.testing.assert_allclose(res.b.to_numpy(), out.params[["m1", "m2"]].to_numpy(), atol=1e-8)
        assert res.a["m1"] == pytest.approx(a1.params["x"], abs=1e-8)
        assert res.direct_effect == pytest.approx(out.params["x"], abs=1e-8)


def test_same_point_estimates_as_pingouin():
    """pingouin's example data; its binary mediator Mbin would get a logistic
    a-path in pingouin, so a second continuous mediator (W2 * M) is built."""
    data = pg.read_dataset("mediation")
    data["M2"] = data["M"] * data["W2"] + data["W1"]
    ref = pg.mediation_analysis(data=data, x="X", m=["M", "M2"], y="Y", covar=["W1"], n_boot=50, seed=1)
    ref = ref.set_index("path")["coef"]
    res = Mediation(data, "Y", "X", ["M", "M2"], controls=["W1"], effects="none").fit(n_boot=0)
    assert res.total_effect == pytest.approx(ref["Total"], abs=1e-10)
    assert res.direct_effect == pytest.approx(ref["Direct"], abs=1e-10)
    np.testing.assert_allclose(res.a.to_numpy(), ref[["M ~ X", "M2 ~ X"]].to_numpy(), atol=1e-10)
    np.testing.assert_allclose(res.indirect.loc[["M", "M2"], "estimate"].to_numpy(),
                               ref[["Indirect M", "Indirect M2"]].to_numpy(), atol=1e-10)


def test_sobel_and_aroian_from_statsmodels_standard_errors(reference_dir):
    """Sobel (1982) z = ab / sqrt(b^2 sa^2 + a^2 sb^2), Aroian adds sa^2 sb^2;
    sa and sb from statsmodels' classical OLS standard errors (JOBS II data)."""
    jobs = pd.read_csv(reference_dir / "jobs.csv")
    res = Mediation(jobs, "depress2", "treat", "job_seek", controls=["econ_hard", "sex", "age"],
                    effects="none").fit(n_boot=0, cov="unadjusted")
    fa = smf.ols("job_seek ~ treat + econ_hard + sex + age", jobs).fit()
    fb = smf.ols("depress2 ~ treat + job_seek + econ_hard + sex + age", jobs).fit()
    a, sa, b, sb = fa.params["treat"], fa.bse["treat"], fb.params["job_seek"], fb.bse["job_seek"]
    row = res.indirect.loc["job_seek"]
    assert row["sobel_z"] == pytest.approx(a * b / np.sqrt(b**2 * sa**2 + a**2 * sb**2), rel=1e-8)
    assert row["aroian_z"] == pytest.approx(a * b / np.sqrt(b**2 * sa**2 + a**2 * sb**2 + sa**2 * sb**2), rel=1e-8)


def test_bootstrap_draw_equals_refit_on_resampled_panel(panel):
    """One cluster resample through the cross-product algebra equals PanelFE
    refitted on the physically resampled panel (duplicated cities relabelled)."""
    rng = np.random.default_rng(7)
    cities = panel.index.get_level_values(0).unique()
    drawn = rng.choice(len(cities), size=len(cities), replace=True)
    counts = np.bincount(drawn, minlength=len(cities)).astype(float)[None, :]
    flat = panel.reset_index()
    resampled = pd.concat([flat[flat["city"] == cities[g]].assign(city=f"{cities[g]}_{copy}")
                           for copy, g in enumerate(drawn)]).set_index(["city", "year"])
    model = Mediation(panel, "y", "x", ["m1", "m2"], controls=CONTROLS)
    fe = PanelFE(panel["y"], panel[["x"]])
    moments = ClusterMoments(panel[model.variables].to_numpy(), fe.groups, "twoway", fe.groups.entity)
    coefs = model._solve(moments, moments.moments(counts))
    refit = PanelFE.from_formula("y ~ x + m1 + m2 + w1 + w2", resampled, effects="twoway").fit()
    np.testing.assert_allclose(coefs["outcome"][0], refit.params.to_numpy(), atol=1e-10)
    refit_a = PanelFE.from_formula("m2 ~ x + w1 + w2", resampled, effects="twoway").fit()
    np.testing.assert_allclose(coefs["m2"][0], refit_a.params.to_numpy(), atol=1e-10)


def same_resamples(seed, n_boot, n_clusters):
    """The cluster counts the bootstrap draws for ``seed`` (one chunk: n_boot <= 1000)."""
    from vagg.models._moments import cluster_counts

    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    return cluster_counts(rng, n_boot, n_clusters)


def explicit_effect_dummies(frame, effects):
    """A constant, entity or time dummies, or both (one time dummy dropped), as plain columns."""
    ent = pd.get_dummies(frame.index.get_level_values(0)).to_numpy(dtype=float)
    per = pd.get_dummies(frame.index.get_level_values(1)).to_numpy(dtype=float)
    return {"none": np.ones((len(frame), 1)), "entity": ent, "time": per,
            "twoway": np.column_stack([ent, per[:, 1:]])}[effects]


@pytest.mark.parametrize("effects, cluster", [(e, c) for e in ("none", "entity", "time", "twoway")
                                              for c in (None, "region", "time")
                                              if not (c == "time" and e in ("entity", "twoway"))])
def test_bootstrap_draws_equal_explicit_refits(effects, cluster):
    """Draws of the public bootstrap (same seed, so the same cluster counts)
    against a refit by least squares with explicit effect dummies on the
    physically resampled rows, for every effects x cluster choice the model
    accepts (clusters: the city, a region of three cities, the year)."""
    frame = simulate_mediation_panel(n_entities=12, n_periods=6, seed=13)[0]
    frame["region"] = frame.index.get_level_values(0).factorize(sort=True)[0] % 4
    res = Mediation(frame, "y", "x", ["m1", "m2"], controls=["w1"], effects=effects,
                    cluster=cluster).fit(n_boot=6, seed=5)
    codes = res.stages["outcome"].clusters[:, 0]
    counts = same_resamples(5, 6, codes.max() + 1)
    dummies = explicit_effect_dummies(frame, effects)

    def refit(rows, dep, regressors):
        x = np.column_stack([frame[regressors].to_numpy(), dummies])[rows]
        return np.linalg.lstsq(x, frame[dep].to_numpy()[rows], rcond=None)[0][:len(regressors)]

    for b in range(6):
        rows = np.repeat(np.arange(len(frame)), counts[b, codes].astype(int))
        c = refit(rows, "y", ["x", "w1"])[0]
        a = [refit(rows, m, ["x", "w1"])[0] for m in ("m1", "m2")]
        out = refit(rows, "y", ["x", "m1", "m2", "w1"])
        draw = res.draws.iloc[b]
        np.testing.assert_allclose([draw["total_effect"], draw["a:m1"], draw["a:m2"], draw["b:m1"], draw["b:m2"],
                                    draw["direct_effect"], draw["indirect:m1"], draw["indirect:total"]],
                                   [c, *a, out[1], out[2], out[0], a[0] * out[1], a[0] * out[1] + a[1] * out[2]],
                                   rtol=1e-8, atol=1e-10)


def test_entity_effects_with_year_clusters_are_refused():
    frame = simulate_mediation_panel(n_entities=6, n_periods=5, seed=1)[0]
    with pytest.raises(vagg.SpecificationError, match="split entity 'c01'"):
        Mediation(frame, "y", "x", ["m1"], effects="twoway", cluster="time").fit(n_boot=10, seed=0)


def test_bias_correction_counts_ties_half_below():
    """5 clusters: 5!/5^5 = 3.8% of resamples draw every city once and rebuild
    the sample, so their statistics equal the estimate but for rounding.  The
    documented rule: draws within 1e-9 (relative) of the estimate are ties
    and count half below, half above.  The interval is the hand computation
    with that share, and moving the tied draws one ulp up or down (the last
    bit that used to decide) leaves it unchanged; under the old rule (strictly
    below) the upper bound moved from 0.153 to 0.192 with that bit."""
    from scipy import stats

    from vagg.models._resampling import bias_corrected_interval

    frame = simulate_mediation_panel(n_entities=5, n_periods=10, seed=2)[0]
    res = Mediation(frame, "y", "x", ["m1", "m2"], controls=["w1"]).fit(n_boot=1000, seed=4, ci="bc")
    counts = same_resamples(4, 1000, 5)
    rebuilt = np.all(counts == 1, axis=1)
    assert 20 <= rebuilt.sum() <= 60  # about 38 of 1000
    draws, est = res.draws.to_numpy(), res.estimates.to_numpy()
    ties = np.abs(draws - est) <= 1e-9 * np.abs(est)
    assert np.array_equal(ties.all(axis=1), rebuilt)  # the rebuilt samples, and only they, tie in every column
    j = res.statistic_names.index("indirect:m1")
    share = (np.sum((draws[:, j] < est[j]) & ~ties[:, j]) + 0.5 * ties[:, j].sum()) / len(draws)
    z0 = stats.norm.ppf(share)
    hand = [np.quantile(draws[:, j], stats.norm.cdf(2 * z0 + z)) for z in stats.norm.ppf([0.025, 0.975])]
    assert [res.indirect.loc["m1", "ci_low"], res.indirect.loc["m1", "ci_high"]] == pytest.approx(hand, rel=1e-12)
    for direction in (np.inf, -np.inf):
        nudged = np.where(ties, np.nextafter(est, direction), draws)
        np.testing.assert_allclose(bias_corrected_interval(nudged, est, 0.95),
                                   res.intervals[["bc_low", "bc_high"]].to_numpy().T, rtol=1e-12)
    old = []
    for direction in (np.inf, -np.inf):
        nudged = np.where(ties[:, j], np.nextafter(est[j], direction), draws[:, j])
        old.append(np.quantile(nudged, stats.norm.cdf(2 * stats.norm.ppf((nudged < est[j]).mean()) + 1.959964)))
    assert old == pytest.approx([0.1530, 0.1922], abs=1e-4)
    assert res.indirect.loc["m1", "ci_high"] == pytest.approx(0.1752, abs=1e-4)


def test_seeded_identical_serial_joblib_and_dask(panel):
    """Same seed, same resamples whatever the executor; worker processes may
    round the cross-product sums differently in the last bit (SIMD alignment),
    so parallel results are compared to 1e-12."""
    model = Mediation(panel, "y", "x", ["m1", "m2"], controls=CONTROLS)
    serial = model.fit(n_boot=2500, seed=11)
    again = model.fit(n_boot=2500, seed=11)
    parallel = model.fit(n_boot=2500, seed=11, n_jobs=2)
    np.testing.assert_array_equal(serial.draws.to_numpy(), again.draws.to_numpy())
    np.testing.assert_allclose(serial.draws.to_numpy(), parallel.draws.to_numpy(), rtol=0, atol=1e-12)
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        dask_run = model.fit(n_boot=2500, seed=11, client=client)
    np.testing.assert_allclose(serial.draws.to_numpy(), dask_run.draws.to_numpy(), rtol=0, atol=1e-12)
    other = model.fit(n_boot=2500, seed=12)
    assert not np.allclose(serial.draws.to_numpy(), other.draws.to_numpy())


def test_interval_definitions(panel):
    """Percentile bounds are quantiles of the draws; bias-corrected bounds
    (Efron 1987) shift the quantile levels by z0 = Phi^-1(share of draws below
    the estimate)."""
    from scipy import stats

    res = Mediation(panel, "y", "x", ["m1", "m2"], controls=CONTROLS).fit(n_boot=1000, seed=2, ci="bc")
    draws = res.draws["indirect:m1"].to_numpy()
    est = res.indirect.loc["m1", "estimate"]
    assert res.intervals.loc["indirect:m1", "pct_low"] == pytest.approx(np.quantile(draws, 0.025))
    z0 = stats.norm.ppf((draws < est).mean())
    hi = np.quantile(draws, stats.norm.cdf(2 * z0 + stats.norm.ppf(0.975)))
    assert res.indirect.loc["m1", "ci_high"] == pytest.approx(hi)
    assert res.indirect.loc["m1", "se"] == pytest.approx(draws.std(ddof=1))


def test_two_step_report_and_result_shape(panel):
    res = Mediation(panel, "y", "x", ["m1", "m2"], controls=CONTROLS).fit(n_boot=300, seed=0)
    two = res.two_step
    assert list(two.index) == ["y", "m1", "m2"]
    assert two.loc["m1", "coef"] == pytest.approx(res.a["m1"])
    assert two.loc["y", "coef"] == pytest.approx(res.total_effect)
    assert two.loc["m2", "std_err"] == pytest.approx(res.stages["m2"].std_errors["x"])
    assert set(res.stages) == {"total", "m1", "m2", "outcome"}
    assert list(res.indirect.columns[:6]) == ["estimate", "se", "ci_low", "ci_high", "sobel_z", "sobel_p"]
    assert res.table_info["n_clusters"] == 21 and res.table_info["entity_effects"]
    assert res.proportion_mediated["total"] == pytest.approx(res.indirect.loc["total", "estimate"] / res.total_effect)
    assert "Jiang 2022" in res.summary


def test_bad_specifications_are_named(panel):
    with pytest.raises(vagg.SpecificationError, match="mediator 'x' is the treatment"):
        Mediation(panel, "y", "x", ["m1", "x"])
    with pytest.raises(vagg.SpecificationError, match="mediator 'y' is the outcome"):
        Mediation(panel, "y", "x", ["y"])
    with pytest.raises(vagg.SpecificationError, match="mediator 'm9' is not a column"):
        Mediation(panel, "y", "x", ["m1", "m9"])
    with pytest.raises(vagg.SpecificationError, match="exactly two"):
        Mediation(panel, "y", "x", ["m1"], serial=True)
    region = pd.Series(np.tile([0, 1], len(panel) // 2), index=panel.index)
    with pytest.raises(vagg.SpecificationError, match="clusters split entity"):
        Mediation(panel.assign(half=region), "y", "x", ["m1"], cluster="half").fit(n_boot=10)


def test_missing_values_drop_rows_from_every_equation(panel):
    d = panel.copy()
    d.iloc[[0, 5], d.columns.get_loc("m2")] = np.nan
    res = Mediation(d, "y", "x", ["m1", "m2"], controls=CONTROLS).fit(n_boot=0)
    assert all(s.nobs == len(d) - 2 for s in res.stages.values())
    assert "2 row(s) with missing values dropped" in res.notes[0]


@pytest.mark.slow
def test_bootstrap_interval_coverage_with_known_paths():
    """400 simulated 50-city x 10-year panels (AR(1) errors within city, two
    mediators, two-way effects): the 95% cluster-bootstrap intervals (999
    draws) should cover the true indirect effects a_j b_j and their sum.

    Bias-corrected intervals (recommended for indirect effects by MacKinnon,
    Lockwood and Williams 2004) must cover in 93-97% of replications; the
    percentile interval, slightly short for the sum in this design, must reach
    92%.  With 21 clusters both run about 1-2 points lower (few clusters).
    """
    hits_bc, hits_pct = [], []
    for rep in range(400):
        frame, truth = simulate_mediation_panel(n_entities=50, seed=1000 + rep)
        res = Mediation(frame, "y", "x", ["m1", "m2"], controls=CONTROLS).fit(n_boot=999, seed=rep)
        true = np.array(list(truth.indirect.values()))
        iv = res.intervals.loc[[f"indirect:{m}" for m in ("m1", "m2", "total")]]
        hits_bc.append(((iv["bc_low"] <= true) & (true <= iv["bc_high"])).to_numpy())
        hits_pct.append(((iv["pct_low"] <= true) & (true <= iv["pct_high"])).to_numpy())
    bc, pct = np.mean(hits_bc, axis=0), np.mean(hits_pct, axis=0)
    assert np.all((bc >= 0.93) & (bc <= 0.97)), bc
    assert np.all((pct >= 0.92) & (pct <= 0.97)), pct


@pytest.mark.parametrize("kind", ["robust", "clustered"])
def test_joint_covariance_equals_stacked_regression(panel, kind):
    """The joint covariance of the stage coefficients (used for the delta
    method of the total indirect effect) equals the cluster-robust covariance
    of one OLS on the stacked equations (block-diagonal design, rows clustered
    by observation for robust, by city for clustered; statsmodels, no
    small-sample correction) -- the 'suest' construction of Weesie (1999)."""
    res = Mediation(panel, "y", "x", ["m1", "m2"], controls=CONTROLS).fit(n_boot=0, cov=kind)
    stages = list(res.stages.values())
    xs = [s.model.x_dm for s in stages]
    ys = [s.model.y_dm for s in stages]
    n = len(ys[0])
    sizes = [x.shape[1] for x in xs]
    design = np.zeros((n * len(xs), sum(sizes)))
    for e, x in enumerate(xs):
        design[e * n:(e + 1) * n, sum(sizes[:e]):sum(sizes[:e + 1])] = x
    groups = np.tile(np.arange(n) if kind == "robust" else stages[0].clusters[:, 0], len(xs))
    ref = sm.OLS(np.concatenate(ys), design).fit(cov_type="cluster",
                                                 cov_kwds={"groups": groups, "use_correction": False})
    ours = res.joint_cov().to_numpy()
    dfs = np.repeat([s.df_resid for s in stages], sizes).astype(float)
    g = stages[0].n_clusters
    factor = n / dfs if kind == "robust" else (n - 1) / dfs * g / (g - 1)
    np.testing.assert_allclose(ours / np.sqrt(np.outer(factor, factor)), ref.cov_params(), rtol=1e-8, atol=1e-14)
    for name, stage in res.stages.items():  # the diagonal blocks are the stage covariances
        np.testing.assert_allclose(res.joint_cov().loc[name, name].to_numpy(), stage.cov.to_numpy(), rtol=1e-10)


def test_delta_method_total_agrees_with_bootstrap_in_large_samples():
    """With 100 clusters the delta-method se of the total and serial indirect
    effects and the cluster-bootstrap se estimate the same quantity."""
    frame, _ = simulate_mediation_panel(n_entities=100, seed=2, d21=0.3)
    res = Mediation(frame, "y", "x", ["m1", "m2"], controls=CONTROLS, serial=True).fit(n_boot=2000, seed=1)
    delta_se = res.indirect["estimate"] / res.indirect["sobel_z"]
    np.testing.assert_allclose(delta_se[["m1 -> m2", "total"]], res.indirect.loc[["m1 -> m2", "total"], "se"],
                               rtol=0.1)


def test_progress_bar_shown_for_long_bootstraps(panel, capsys):
    model = Mediation(panel, "y", "x", ["m1"], controls=CONTROLS)
    model.fit(n_boot=1500, seed=0, progress=True)
    assert "mediation bootstrap" in capsys.readouterr().err
    model.fit(n_boot=1500, seed=0)  # two chunks: no bar by default
    assert "mediation bootstrap" not in capsys.readouterr().err
