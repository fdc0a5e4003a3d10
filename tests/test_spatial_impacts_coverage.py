"""Do the simulated impact intervals cover?  A Monte Carlo study with known truth.

Panels from a known SDM, y_t = (I - rho W)^{-1}(x_t b + W x_t t + mu + a_t + e_t), one regressor,
e ~ N(0, 1), on the bundled Guangdong queen W (N = 21, row-standardised), drawn by
``simulate_arrays``; each replication is fitted once by ``SpatialPanel(model="sdm",
effects="twoway")`` (Lee-Yu) and ``impacts(draws=500, seed=r)``.  The truth is the dense
LeSage-Pace formula at the true parameters (:func:`true_effects`).  Two designs:

* ``far``:  rho = 0.30, b = 1, t = 0.5, T = 10 (se of rho-hat about 0.09, no draw rejected);
* ``near``: rho = 0.85, b = 0.1, t = 0.05, T = 3 (se of rho-hat about 0.10; about 5% of the rho
  draws fall beyond the bound 1 and are redrawn, in 97% of the fits).  Weak regressors alone do
  not make rho imprecise: at T = 10 with b = 0.1 the se of rho-hat stays 0.042 and 0.03% of the
  draws are rejected, so the near design uses T = 3 (two periods left after Lee-Yu).

Coverage of the truth by the percentile interval (_lo, _hi) and by est +- 1.96 se, +- the Monte
Carlo s.e. sqrt(p(1 - p)/R), R = 400 (the seeds of ``DESIGNS``; "width" is the median length):

    design  effect    percentile      Wald            width pct  width Wald
    far     direct    0.907 +- 0.014  0.912 +- 0.014      0.307       0.311
    far     indirect  0.950 +- 0.011  0.958 +- 0.010      0.834       0.841
    far     total     0.955 +- 0.010  0.965 +- 0.009      0.990       1.002
    near    direct    0.905 +- 0.015  0.983 +- 0.007      1.696       3.248
    near    indirect  0.897 +- 0.015  0.998 +- 0.002     15.599      54.724
    near    total     0.892 +- 0.015  0.995 +- 0.004     17.162      57.736

    ML (information) intervals of b, t, rho in the same fits:
    far     0.912 +- 0.014, 0.945 +- 0.011, 0.955 +- 0.010
    near    0.917 +- 0.014, 0.917 +- 0.014, 0.932 +- 0.013
    rejected share of the draws: far 0 in every fit; near mean 0.048, max 0.342, > 0 in 97.3%
    of the fits; all 400 fits converged in both designs (with other seeds the near design's
    likelihood occasionally peaks at rho = 1, which the fit refuses; such fits are counted and
    skipped, at most 2% allowed).

With more replications (same code, other seeds; exploratory runs, not in the suite):

    far,  R = 2000: percentile 0.954 / 0.952 / 0.946, Wald 0.958 / 0.958 / 0.954
          (direct / indirect / total; +- 0.005); pooled over 4,200 replications in five seeds the
          direct effect's percentile coverage is 0.943: the R = 400 seed above is a low draw that
          tracks its own beta interval (0.912).
    near, R = 2000: percentile 0.924 / 0.914 / 0.916, Wald 0.984 / 0.998 / 0.998 (+- 0.006);
          ML intervals of b, t, rho 0.931 / 0.924 / 0.936; pooled over 3,200 replications in
          four seeds the percentile coverage is 0.924 / 0.916 / 0.916.

Findings.  Far from the bound both intervals are the same interval (median widths within 2%) and
cover close to 95% (pooled direct 0.943 +- 0.004, about 2 Monte Carlo s.e. low).  Near the bound (rho = 0.85, T = 3) the percentile interval
UNDER-COVERS, about 0.92 instead of 0.95 (5-7 Monte Carlo s.e. at R = 3,200), as do the ML
intervals of the parameters themselves in that small sample (0.92-0.94): the shortfall comes
with the estimates' normal approximation at N T = 63, not from the truncated simulation.  The
Wald interval est +- 1.96 se is clearly worse there: the simulated se is inflated by the heavy
tail of 1/(1 - rho), so it over-covers (0.98-1.00) with intervals 1.7 (direct) to 3.5 (indirect,
total) times as long as the percentile interval; the ordering (Wald coverage >= percentile,
median width ratio > 2 for indirect and total, > 1.3 for direct) held in all four seeds tried
and is asserted.  ``_p_sim`` inverts the same interpolated percentile function as the interval, so
``_p_sim`` < 0.05 exactly when the percentile interval excludes zero, asserted in every replication
(a share-of-draws p-value disagreed once in 1,200 effects of the near design: 13 of 500 draws beyond
zero give 0.052 while the interpolated 2.5% point lies past zero).
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd
import pytest

import vagg
from vagg.models import SpatialPanel
from vagg.models.spatial.impacts import impact_frame
from vagg.simulate.spatial import simulate_arrays

KINDS = ("direct", "indirect", "total")
DRAWS = 500
#: design -> (rho, beta, theta, periods, replications, seed)
DESIGNS = {
    "far": (0.30, 1.0, 0.5, 10, 400, 20261),
    "near": (0.85, 0.1, 0.05, 3, 400, 20262),
}


def true_effects(w: np.ndarray, rho: float, beta: float, theta: float) -> dict[str, float]:
    """LeSage-Pace effects at the true parameters, densely: S = (I - rho W)^{-1}(b I + t W),
    direct = tr(S)/N, total = 1'S1/N, indirect = total - direct."""
    n = w.shape[0]
    s = np.linalg.solve(np.eye(n) - rho * w, beta * np.eye(n) + theta * w)
    direct, total = np.trace(s) / n, s.sum() / n
    return {"direct": direct, "indirect": total - direct, "total": total}


@functools.cache
def study(design: str) -> dict[str, object]:
    """Simulate, fit SDM two-way (Lee-Yu) and simulate the impacts (500 draws, seed = replication)
    once per replication; every test reads the same fits."""
    rho, beta, theta, periods, replications, seed = DESIGNS[design]
    w = vagg.weights.guangdong("queen")
    ids = [str(i) for i in w.id_order]
    matrix = vagg.weights.to_sparse(w, ids)
    truth = true_effects(matrix.toarray(), rho, beta, theta)
    y, x = simulate_arrays(matrix, periods, [beta], [theta], rho, "twoway", "sdm", 1.0, replications, seed)
    index = pd.MultiIndex.from_product([ids, range(periods)], names=["entity", "time"])
    tables, params, failed = [], [], 0
    names, values = ["x1", "W_x1", "rho"], np.array([beta, theta, rho])
    for r in range(replications):
        model = SpatialPanel(pd.Series(y[r].ravel(), index=index, name="y"),
                             pd.DataFrame({"x1": x[r].ravel()}, index=index), w, model="sdm", effects="twoway")
        try:
            fit = model.fit()
        except vagg.SpecificationError as err:  # likelihood maximised at rho = 1 (near design only)
            assert "boundary" in str(err)
            failed += 1
            continue
        ci = fit.conf_int().loc[names]
        params.append((ci["lower"].to_numpy() <= values) & (values <= ci["upper"].to_numpy()))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the rejected-draws warning, recorded in attrs
            tables.append(fit.impacts(draws=DRAWS, seed=r))
    frame = pd.concat(tables, ignore_index=True)
    target = np.array([truth[k] for k in KINDS])
    est = frame[list(KINDS)].to_numpy()
    se = frame[[f"{k}_se" for k in KINDS]].to_numpy()
    lo = frame[[f"{k}_lo" for k in KINDS]].to_numpy()
    hi = frame[[f"{k}_hi" for k in KINDS]].to_numpy()
    return {
        "truth": target, "replications": replications, "failed": failed,
        "rejected": np.array([t.attrs["rejected_share"] for t in tables]),
        "percentile": (lo <= target) & (target <= hi),
        "wald": np.abs(est - target) <= 1.96 * se,
        "width_percentile": hi - lo, "width_wald": 2 * 1.96 * se,
        "excludes_zero": (lo > 0) | (hi < 0),
        "parameters": np.array(params),
        "p_sim": frame[[f"{k}_p_sim" for k in KINDS]].to_numpy(),
    }


def coverage(hits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coverage per effect and its Monte Carlo standard error sqrt(p(1 - p)/R)."""
    p = hits.mean(axis=0)
    return p, np.sqrt(p * (1 - p) / hits.shape[0])


def table(design: str) -> str:
    s = study(design)
    rows = []
    for kind, (pct, pct_se), (wald, wald_se), wp, ww in zip(
            KINDS, zip(*coverage(s["percentile"])), zip(*coverage(s["wald"])),
            np.median(s["width_percentile"], axis=0), np.median(s["width_wald"], axis=0)):
        rows.append(f"{design:5s} {kind:9s} {pct:.3f} +- {pct_se:.3f}   {wald:.3f} +- {wald_se:.3f}   "
                    f"{wp:8.3f} {ww:8.3f}")
    p, p_se = coverage(s["parameters"])
    rows.append(f"{design:5s} ML intervals of b, t, rho: " + ", ".join(f"{a:.3f} +- {b:.3f}" for a, b in zip(p, p_se)))
    rows.append(f"{design:5s} fits {len(s['rejected'])} of {s['replications']}, rejected share of draws: mean "
                f"{s['rejected'].mean():.4f}, max {s['rejected'].max():.3f}, fits with a rejection "
                f"{(s['rejected'] > 0).mean():.3f}")
    return "\n".join(rows)


def check_p_sim(s: dict[str, object]) -> float:
    """p_sim < 0.05 <=> (lo, hi) excludes 0, in every replication and effect (p_sim inverts the same
    interpolated percentile function).  Returns the share of (replication, effect) pairs with p_sim < 0.05."""
    significant = s["p_sim"] < 0.05
    assert np.array_equal(significant, s["excludes_zero"])
    return float(significant.mean())


@pytest.mark.slow
def test_far_from_bound_both_intervals_cover():
    """rho = 0.3, T = 10: no draw rejected; both intervals cover 90-99% (R = 400: the Monte Carlo
    s.e. at 95% is 0.011; pooled over 4,200 replications the direct effect covers 0.943, and this
    seed's 0.907 follows its own beta interval, 0.912, see the module docstring) and are the same
    interval (median widths within 3%)."""
    s = study("far")
    print(table("far"))
    assert s["failed"] == 0 and np.all(s["rejected"] == 0)
    for name in ("percentile", "wald"):
        p, _ = coverage(s[name])
        assert np.all((p >= 0.90) & (p <= 0.99)), (name, p)
    ratio = np.median(s["width_wald"], axis=0) / np.median(s["width_percentile"], axis=0)
    assert np.all(np.abs(ratio - 1) < 0.03), ratio
    assert check_p_sim(s) > 0.99  # effects far from zero: the check is trivial here, not in "near"


@pytest.mark.slow
def test_near_bound_percentile_interval_undercovers_and_wald_is_wide():
    """rho = 0.85, T = 3: rho imprecise (s.e. about 0.1), draws rejected in nearly every replication;
    the percentile interval under-covers (about 0.92, asserted >= 0.85), Wald over-covers with
    intervals more than twice as long (indirect, total)."""
    s = study("near")
    print(table("near"))
    print("failed fits", s["failed"], "mean rejected share", s["rejected"].mean(),
          "share of fits with a rejection", (s["rejected"] > 0).mean())
    assert s["rejected"].mean() > 0.02 and (s["rejected"] > 0).mean() > 0.8
    assert s["failed"] <= 0.02 * s["replications"]
    pct, _ = coverage(s["percentile"])
    # measured under-coverage (module docstring: 0.92 pooled over 3,200 replications, like the ML
    # intervals of b, t and rho themselves); 0.85 guards against worse, it is not a validity claim
    assert np.all((pct >= 0.85) & (pct <= 0.99)), pct
    # the simulated se is inflated by the heavy tail of 1/(1 - rho): Wald over-covers with intervals
    # more than twice as wide (median) for the indirect and total effects
    wald, _ = coverage(s["wald"])
    assert np.all(wald >= pct) and np.all(wald[1:] >= 0.98), wald
    ratio = np.median(s["width_wald"], axis=0) / np.median(s["width_percentile"], axis=0)
    assert np.all(ratio[1:] > 2.0) and ratio[0] > 1.3, ratio
    assert 0.05 < check_p_sim(s) < 0.95  # both outcomes occur: the equivalence is tested


def test_p_sim_inverts_the_percentile_interval_where_counting_draws_would_not():
    """Exactly 13 of 500 draws <= 0: the share beyond zero gives 0.052, yet np.percentile's linear
    interpolation puts the 2.5% point (rank 12.475 of 0..499) between draw 13 (negative) and 14
    (positive) above 0; p_sim is the level at which that interval reaches zero, h/(D-1) with zero at
    rank h = 12 + 0.001/1.001, brute force: np.percentile at p_sim/2 is zero."""
    draws = np.r_[np.full(13, -0.001), np.linspace(1.0, 2.0, 487)][:, None]
    table_ = impact_frame(["x"], {k: np.ones((1, 1)) for k in KINDS}, {k: draws for k in KINDS})
    expected = 2 * (12 + 0.001 / 1.001) / 499
    assert table_.loc["x", "direct_p_sim"] == pytest.approx(expected, rel=1e-12)
    assert table_.loc["x", "direct_p_sim"] < 0.05 and table_.loc["x", "direct_lo"] > 0
    assert np.percentile(draws, 100 * expected / 2) == pytest.approx(0.0, abs=1e-12)
    # a random grid of samples: the interval at level p_sim just reaches zero, and none or all below zero
    rng = np.random.default_rng(4)
    sample = rng.normal(loc=rng.uniform(-3, 3, size=40), size=(300, 40))
    frame = impact_frame([f"x{i}" for i in range(40)], {k: np.ones((1, 40)) for k in KINDS},
                         {k: sample for k in KINDS})
    p = frame["direct_p_sim"].to_numpy()
    inside = (p > 0) & (p < 1)
    lower = np.percentile(sample, 50 * p, axis=0).diagonal()  # column i at its own level p_i / 2
    upper = np.percentile(sample, 100 - 50 * p, axis=0).diagonal()
    np.testing.assert_allclose(np.minimum(np.abs(lower), np.abs(upper))[inside], 0.0, atol=1e-12)
    assert 0.2 < inside.mean() and (p < 0.05).any() and (p > 0.5).any()
    assert ((p < 0.05) == ((frame["direct_lo"] > 0) | (frame["direct_hi"] < 0))).all()
    one_side = impact_frame(["x"], {k: np.ones((1, 1)) for k in KINDS}, {k: np.full((50, 1), 2.0) + np.arange(50)[:, None]
                                                                       for k in KINDS})
    assert one_side.loc["x", "direct_p_sim"] == 0.0
