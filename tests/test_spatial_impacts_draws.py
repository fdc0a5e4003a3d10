"""Simulated effects draws truncated to the admissible interval of rho (rejection, not clipping).

References: the vectorised batched rejection against an explicit loop over one long N(centre, cov)
sample; the rejected share against the normal mass of rho outside the interval (scipy.stats.norm);
the percentile interval of the total effect against the quantiles of the truncated normal
(scipy.stats.truncnorm, through the monotone map rho -> (b + t)/(1 - rho) of a row-standardised W);
the table with rho far from the bounds against the plain (unfiltered) LeSage-Pace simulation.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st

import vagg
from vagg.models.spatial.impacts import (
    admissible_draws,
    draw_parameters,
    effects,
    impact_frame,
    impact_table,
    multipliers,
)
from vagg.models.spatial.logdet import SpatialOperator
from vagg.report import regression_table

NAMES = ["x1", "x2"]
BETA, THETA = np.array([1.0, -0.5]), np.array([0.5, 0.2])


@pytest.fixture(scope="module")
def op(guangdong_queen):
    return SpatialOperator(vagg.weights.to_sparse(guangdong_queen, guangdong_queen.id_order), "eigen")


def _cov(sd_rho: float, fixed_coefficients: bool = False) -> np.ndarray:
    """Covariance of (b1, b2, t1, t2, rho): correlated coefficients, rho correlated with b1 and t1."""
    sd = np.array([0.1, 0.08, 0.2, 0.15, sd_rho])
    corr = np.eye(5)
    corr[0, 2] = corr[2, 0] = -0.5
    corr[0, 4] = corr[4, 0] = 0.3
    corr[2, 4] = corr[4, 2] = -0.4
    cov = corr * np.outer(sd, sd)
    if fixed_coefficients:
        cov[:4, :] = cov[:, :4] = 0.0
    return cov


def _inside(op):
    low, high = op.bounds
    return lambda s: (s[:, -1] > low) & (s[:, -1] < high)


def _explicit(centre, cov, draws, seed, ok_row, length):
    """The first ``draws`` admissible rows of one long plain sample, one row at a time."""
    stream = draw_parameters(centre, cov, length, seed)
    kept = []
    for i, row in enumerate(stream):
        if ok_row(row):
            kept.append(row)
            if len(kept) == draws:
                return np.array(kept), (i + 1 - draws) / (i + 1)
    raise AssertionError("stream too short")


@pytest.mark.parametrize("rho,sd_rho", [(0.9, 0.08), (1.02, 0.05), (-0.2, 0.8)])
def test_batched_rejection_equals_an_explicit_filter(op, rho, sd_rho):
    """Acceptance about 89%, 34% (several batches) and 87% (6.7% cut at each end of (-1.403, 1))."""
    low, high = op.bounds
    centre, cov, draws, seed = np.r_[BETA, THETA, rho], _cov(sd_rho), 300, 11
    with pytest.warns(UserWarning, match="rho inside the admissible interval"):
        sample, share = admissible_draws(centre, cov, draws, seed, _inside(op), "rho inside the admissible interval")
    brute, brute_share = _explicit(centre, cov, draws, seed, lambda r: low < r[-1] < high, 50 * draws)
    np.testing.assert_allclose(sample, brute, rtol=0, atol=1e-13)
    assert share == brute_share > 0
    # the table is the effects of exactly these draws
    with pytest.warns(UserWarning):
        table = impact_table(NAMES, BETA, THETA, rho, cov, op, draws, seed)
    sim = effects(brute[:, :2], brute[:, 2:4], multipliers(op, brute[:, -1], "auto"))
    point = effects(BETA[None, :], THETA[None, :], multipliers(op, np.array([rho]), "auto"))
    pd.testing.assert_frame_equal(table, impact_frame(NAMES, point, sim, share, table.attrs["admissible"]),
                                  rtol=1e-12, atol=1e-12)
    assert table.attrs["rejected_share"] == share


def test_far_from_the_bounds_nothing_changes(op):
    """rho = 0.3 (sd 0.05, 14 sd from the bound): the table of the plain, unfiltered simulation, no warning."""
    centre, cov, draws, seed = np.r_[BETA, THETA, 0.3], _cov(0.05), 500, 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = impact_table(NAMES, BETA, THETA, 0.3, cov, op, draws, seed)
    plain = draw_parameters(centre, cov, draws, seed)
    sim = effects(plain[:, :2], plain[:, 2:4], multipliers(op, plain[:, -1], "auto"))
    point = effects(BETA[None, :], THETA[None, :], multipliers(op, np.array([0.3]), "auto"))
    expected = impact_frame(NAMES, point, sim)
    pd.testing.assert_frame_equal(table, expected, rtol=0, atol=1e-12)
    assert table.attrs["rejected_share"] == 0.0
    assert np.isnan(impact_table(NAMES, BETA, THETA, 0.3, cov, op, 0, seed).attrs["rejected_share"])


def test_near_the_bound_the_draws_are_a_truncated_normal(op):
    """rho = 0.9, sd 0.08: P(rho >= 1) = 0.1056 under the normal.

    Measured (4000 draws, seed 5): rejected share 0.111 (normal mass 0.1056, binomial s.e. 0.0046); the
    simulated 95% interval of the total effect of x1, (b + t)/(1 - rho) = 15 with b, t fixed, is
    [5.70, 201.6] against [5.76, 164.3] from the truncated-normal quantiles of rho (0.99256 against
    0.99087 in rho, 2 s.e.).  Its standard error is finite, 377 (seeds 0-4: 17905, 563, 13985, 588, 196):
    with a positive density of rho at the bound 1/(1 - rho) has no finite variance under the truncated
    normal, so the sample standard deviation is erratic and the percentile interval is the stable summary.
    The old clipping at 1 - 1e-6 gave a standard error of 4.8e5 and an upper percentile of 1.5e6, the
    point mass (b + t)/1e-6.
    """
    low, high = op.bounds
    rho, sd_rho, draws, seed = 0.9, 0.08, 4000, 5
    cov = _cov(sd_rho, fixed_coefficients=True)
    centre = np.r_[BETA, THETA, rho]
    with pytest.warns(UserWarning, match=r"1\d\.\d% of the parameter vectors .* rho inside the admissible "
                                         rf"interval \({low:.4f}, 1\.0000\) and were redrawn"):
        sample, share = admissible_draws(centre, cov, draws, seed, _inside(op),
                                         f"rho inside the admissible interval ({low:.4f}, {high:.4f})")
    assert ((sample[:, -1] > low) & (sample[:, -1] < high)).all() and sample.shape == (draws, 5)
    mass = st.norm.sf(high, rho, sd_rho) + st.norm.cdf(low, rho, sd_rho)
    used = draws / (1 - share)
    assert abs(share - mass) < 4 * np.sqrt(mass * (1 - mass) / used)
    with pytest.warns(UserWarning):
        table = impact_table(NAMES, BETA, THETA, rho, cov, op, draws, seed)
    assert table.attrs["rejected_share"] == share
    assert np.isfinite(table.filter(like="_se").to_numpy()).all()
    # percentile interval of the total effect = truncated-normal quantiles of rho mapped through (b + t)/(1 - rho)
    a, b = (low - rho) / sd_rho, (high - rho) / sd_rho
    for p, column in ((0.025, "total_lo"), (0.975, "total_hi")):
        q = st.truncnorm.ppf(p, a, b, loc=rho, scale=sd_rho)
        implied = 1.0 - (BETA[0] + THETA[0]) / table.loc["x1", column]
        density = st.truncnorm.pdf(q, a, b, loc=rho, scale=sd_rho)
        assert abs(implied - q) < 4 * np.sqrt(p * (1 - p) / draws) / density
    assert table.loc["x1", "total_hi"] < 250.0
    # the clipping this replaces: the point mass (b + t)/1e-6 at rho = 1 - 1e-6 is the upper percentile
    clipped = draw_parameters(centre, cov, draws, seed)
    clipped[:, -1] = np.clip(clipped[:, -1], low + 1e-6, high - 1e-6)
    old = effects(clipped[:, :2], clipped[:, 2:4], multipliers(op, clipped[:, -1], "auto"))["total"]
    assert np.percentile(old[:, 0], 97.5) == pytest.approx(1.5e6, rel=1e-3)
    assert old[:, 0].std(ddof=1) > 100 * table.loc["x1", "total_se"]


def test_the_percentile_interval_brackets_the_estimate(op):
    """Correlated coefficients and rho near the bound: each effect's (_lo, _hi) contains its estimate."""
    with pytest.warns(UserWarning):
        table = impact_table(NAMES, BETA, THETA, 0.9, _cov(0.08), op, 2000, 9)
    for key in ("direct", "indirect", "total"):
        assert (table[f"{key}_lo"] < table[key]).all() and (table[key] < table[f"{key}_hi"]).all()


def test_too_few_admissible_draws_are_refused(op):
    """rho = 1.3, sd 0.1: 0.13% of the normal is admissible (below the 1% floor)."""
    with pytest.raises(vagg.SpecificationError, match=r"only \d+ of 100000 parameter vectors .*fewer than 1%"):
        impact_table(NAMES, BETA, THETA, 1.3, _cov(0.1), op, 1000, 0)
    with pytest.raises(vagg.SpecificationError, match="at least 2 draws"):
        admissible_draws(np.zeros(5), _cov(0.1), 1, 0, _inside(op), "rho inside")


def test_the_regression_table_notes_the_rejected_share():
    class Sdm:
        params = pd.Series({"x": 0.5, "rho": 0.9})
        std_errors = pd.Series({"x": 0.1, "rho": 0.08})
        pvalues = pd.Series({"x": 1e-6, "rho": 1e-8})
        table_info = {"dependent": "y", "nobs": 210, "entity_effects": True, "time_effects": True}

    impacts = pd.DataFrame({"direct": [0.5], "indirect": [0.2], "total": [0.7], "direct_se": [0.1],
                            "indirect_se": [0.5], "total_se": [0.2]}, index=["x"])
    flagged = impacts.copy()
    flagged.attrs.update(rejected_share=0.104, admissible="rho inside the admissible interval (-1.4033, 1.0000)")
    notes = regression_table([Sdm(), Sdm()], effects=[flagged, impacts], model_names=["a", "b"]).notes
    assert [n for n in notes if "redrawn" in n] == [
        ("a: 10.4% of the simulated parameter vectors did not have rho inside the admissible interval "
         "(-1.4033, 1.0000) and were redrawn (effects from the truncated normal); its effects show their 95% "
         "simulated interval in brackets and take their stars from the draws (the share beyond zero), as their "
         "standard errors are dominated by the draws nearest the bound.")]


def test_effects_in_the_table_take_percentile_intervals_and_simulation_p_values_near_the_bound(op):
    """Near the bound the normal z of a heavy-tailed draw is replaced by the share of draws beyond zero."""
    cov = _cov(0.08)
    with pytest.warns(UserWarning, match="redrawn"):
        near = impact_table(NAMES, BETA, THETA, 0.9, cov, op, 4000, 0)
    far = impact_table(NAMES, BETA, THETA, 0.3, _cov(0.05), op, 4000, 0)

    class Sdm:
        params = pd.Series({"x1": 0.5, "rho": 0.9})
        std_errors = pd.Series({"x1": 0.1, "rho": 0.08})
        pvalues = pd.Series({"x1": 1e-6, "rho": 1e-8})
        table_info = {"dependent": "y", "nobs": 210, "entity_effects": True, "time_effects": True}

    table = regression_table([Sdm(), Sdm()], effects=[near, far], model_names=["near", "far"], digits=3)
    labels = list(table.body.index)
    row = labels.index(next(label for label in labels if "Direct" in label)) + 2  # heading, estimate, bracket
    assert table.body.iloc[row]["near"] == (f"[{near.loc['x1', 'direct_lo']:.3f}, "
                                            f"{near.loc['x1', 'direct_hi']:.3f}]")
    assert table.body.iloc[row]["far"] == f"({far.loc['x1', 'direct_se']:.3f})"
    data = table.data
    rows = data[data["panel"].isin(["direct", "indirect", "total"])].set_index(["model", "panel", "term"])
    for key in ("direct", "indirect", "total"):
        for model, table in (("near", near), ("far", far)):
            row = rows.loc[(model, key, NAMES[0])]
            assert (row["ci_low"], row["ci_high"]) == (table.loc[NAMES[0], f"{key}_lo"],
                                                      table.loc[NAMES[0], f"{key}_hi"])
        # far from the bound: the normal p of est / se; near it: the draws' own two-sided share
        assert rows.loc[("far", key, NAMES[0]), "p"] == pytest.approx(far.loc[NAMES[0], f"{key}_p"], rel=1e-12)
        draws_p = near.loc[NAMES[0], f"{key}_p_sim"]
        assert rows.loc[("near", key, NAMES[0]), "p"] == draws_p
    # the simulation p-value is the level at which the percentile interval just excludes zero
    assert ((near["total_p_sim"] < 0.05) == ((near["total_lo"] > 0) | (near["total_hi"] < 0))).all()


def test_an_effect_zero_in_every_draw_has_simulation_p_value_one(op):
    """The spillover of a regressor without W x (an SEM, or theta = 0 without rho) is 0 in every draw:
    its interval [0, 0] does not exclude zero, so p_sim = 1 (a share-of-draws rule gave 0 here)."""
    cov = _cov(0.1)
    cov[-1, :] = cov[:, -1] = 0.0  # no rho: the error-model case, direct = b, indirect = t
    cov[2:4, :] = cov[:, 2:4] = 0.0  # theta fixed at zero
    table = impact_table(NAMES, BETA, np.zeros(2), 0.0, cov, op, 300, 1)
    assert (table["indirect"] == 0).all() and (table["indirect_lo"] == 0).all() and (table["indirect_hi"] == 0).all()
    np.testing.assert_array_equal(table["indirect_p_sim"], 1.0)
    assert (table["direct_p_sim"] < 0.05).all()  # b / se(b) of 10 and 6


def test_ties_at_zero_count_on_both_sides():
    from vagg.models.spatial.impacts import impact_frame

    draws = np.r_[np.full(5, -1.0), np.zeros(90), np.full(5, 1.0)][:, None]
    frame = impact_frame(["x"], {k: np.zeros((1, 1)) for k in ("direct", "indirect", "total")},
                         {k: draws for k in ("direct", "indirect", "total")})
    assert frame.loc["x", "direct_p_sim"] == 1.0 and frame.loc["x", "direct_lo"] <= 0 <= frame.loc["x", "direct_hi"]


def test_bad_trace_and_impact_options_are_refused(op, guangdong_queen):
    with pytest.raises(vagg.SpecificationError, match="unknown impacts method 'eigen'"):
        impact_table(NAMES, BETA, THETA, 0.3, _cov(0.05), op, 10, 0, method="eigen")
    with pytest.raises(vagg.SpecificationError, match="converges for \\|rho\\| < 1.0000 only"):
        impact_table(NAMES, BETA, THETA, -1.2, _cov(0.01), op, 10, 0, method="traces")
    lu = SpatialOperator(op.w, "lu")
    lu.trace_method = "Exact"  # set after construction, as the SpatialPanel docstring suggests
    with pytest.raises(vagg.SpecificationError, match="unknown trace method 'Exact'"):
        lu.traces(0.3)
    lu.trace_method, lu.trace_probes = "hutchinson", 1
    with pytest.raises(vagg.SpecificationError, match="trace_probes must be an integer >= 2"):
        lu.traces(0.3)


def test_spatial_mediation_draws_redraw_rho_outside_its_interval(op):
    """The mediation's Monte Carlo draws of (b, t, rho) are truncated like the impacts' (no clipping)."""
    from types import SimpleNamespace

    from vagg.models.spatial_mediation import _draw_stage

    index = ["x", "W_x", "rho"]
    cov = pd.DataFrame(np.diag([0.01, 0.01, 0.1 ** 2]), index=index, columns=index)
    fit = SimpleNamespace(model="sdm", spatial_name="rho", params=pd.Series([0.5, 0.2, 0.93], index=index),
                          cov=cov, spec=SimpleNamespace(operator=op))
    low, high = op.bounds
    with pytest.warns(UserWarning, match="redrawn"):
        out = _draw_stage(fit, "x", np.random.default_rng(3), 2000)
    rho = out[1:, 2]
    assert np.all((rho > low) & (rho < high)) and not np.any(np.isclose(rho, high - 1e-6))
    # the kept draws are the truncated normal: their mean is that of N(0.93, 0.1^2) truncated at 1
    a = (high - 0.93) / 0.1
    truncated_mean = 0.93 - 0.1 * st.norm.pdf(a) / st.norm.cdf(a)
    assert abs(rho.mean() - truncated_mean) < 4 * rho.std() / np.sqrt(2000)
