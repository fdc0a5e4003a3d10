"""Callaway-Sant'Anna numbers of vagg (diff-diff) against an independent implementation.

The reference is ``moderndid`` (PyPI), a port of the authors' R package ``did``
(``att_gt``, ``aggte``; DRDID's panel estimators), run here on the same panels:
ATT(g, t), the event-time ("dynamic") aggregation and the simple overall ATT,
point estimates and analytic standard errors, never-treated and not-yet-treated
controls, without controls (outcome regression) and with one (doubly robust).
The R package itself enters through the numbers it prints for its ``mpdta``
example (README of github.com/bcallaway11/did), on the same data shipped with
moderndid.  Importing moderndid takes about 1-2 s (polars); each of its fits
here takes well under 0.1 s after the first.
"""

from __future__ import annotations

import warnings

import moderndid as md
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from test_event_study import YEARS, staggered_panel

from vagg.models import robust_event_study

LEADS, LAGS = 7, 6  # every event time of the test panel (years 2009-2020, cohorts 2014-2016)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """The staggered panel with a binary time-invariant control and a binary time-varying one."""
    df = staggered_panel()
    rng = np.random.default_rng(11)
    cities = df.index.get_level_values(0)
    coastal = pd.Series(rng.integers(0, 2, cities.nunique()), index=cities.unique())
    df["coastal"] = coastal.reindex(cities).to_numpy(dtype=float)
    df["platform"] = rng.integers(0, 2, len(df)).astype(float)
    return df


def _peer(df: pd.DataFrame, control_group: str, covariate: str | None, outcome: str = "y") -> dict[str, object]:
    """moderndid's att_gt and aggte on vagg's panel (universal base period, analytic standard errors)."""
    long = df.reset_index()
    long["unit"] = pd.factorize(long[df.index.names[0]])[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mp = md.att_gt(long, yname=outcome, tname="year", idname="unit", gname="cohort",
                       xformla=f"~{covariate}" if covariate else None, est_method="dr" if covariate else "reg",
                       control_group=control_group.replace("_", ""), base_period="universal", boot=False,
                       cband=False)
        dynamic = md.aggte(mp, type="dynamic", boot=False, cband=False)
        simple = md.aggte(mp, type="simple", boot=False, cband=False)
    cells = pd.DataFrame({"estimate": mp.att_gt, "se": mp.se_gt},
                         index=pd.MultiIndex.from_arrays([np.asarray(mp.groups, dtype=int),
                                                          np.asarray(mp.times, dtype=int)], names=["cohort", "year"]))
    events = pd.DataFrame({"estimate": dynamic.att_by_event, "se": dynamic.se_by_event},
                          index=pd.Index(np.asarray(dynamic.event_times, dtype=int), name="event_time"))
    n = dynamic.influence_func.shape[0]
    vcov = dynamic.influence_func.T @ dynamic.influence_func / n**2
    return {"cells": cells.sort_index(), "events": events, "simple": (simple.overall_att, simple.overall_se),
            "vcov": pd.DataFrame(vcov, index=events.index, columns=events.index)}


def _vagg(df: pd.DataFrame, control_group: str, covariate: str | None, **kw):
    return robust_event_study(df, "y", method="callaway-santanna", leads=LEADS, lags=LAGS,
                              controls=[covariate] if covariate else (), control_group=control_group, **kw)


@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
@pytest.mark.parametrize("covariate", [None, "coastal"])
def test_cells_event_times_and_errors_equal_moderndid(panel, control_group, covariate) -> None:
    """Exact agreement: outcome regression without controls; doubly robust with a binary control, whose logit
    is saturated, so that the two normalisations of the weights coincide (see the test below)."""
    res = _vagg(panel, control_group, covariate)
    ref = _peer(panel, control_group, covariate)
    cells, peer_cells = res.group_time, ref["cells"]
    assert list(cells.index) == list(peer_cells.index) and len(cells) == 3 * (len(YEARS) - 1) + 3
    np.testing.assert_allclose(cells["estimate"], peer_cells["estimate"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(cells["se"], peer_cells["se"], rtol=1e-10)  # NaN at the references (g, g-1)
    est, peer = res.estimates, ref["events"].loc[res.estimates.index]
    np.testing.assert_allclose(est["estimate"], peer["estimate"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(est["se"], peer["se"], rtol=1e-10)
    assert np.isnan(est.loc[-1, "se"]) and est.loc[-1, "estimate"] == 0.0
    # the overall ATT is R's simple aggregation
    assert res.att["estimate"] == pytest.approx(ref["simple"][0], abs=1e-12)
    assert res.att["se"] == pytest.approx(ref["simple"][1], rel=1e-10)
    # the pre-trend Wald test uses the leads' joint covariance: the peer's from its influence function
    leads = [k for k in range(-LEADS, -1)]
    b, v = peer.loc[leads, "estimate"].to_numpy(), ref["vcov"].loc[leads, leads].to_numpy()
    assert res.pretrend["statistic"] == pytest.approx(b @ np.linalg.solve(v, b), rel=1e-8)
    assert res.pretrend["df"] == len(leads)


@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
def test_time_varying_control_is_taken_at_the_base_period(panel, control_group) -> None:
    """vagg conditions every cell on the control at g-1; R's did on the earlier of the two periods. Post cells
    agree as they are; a lead (g, t < g-1) equals the peer's on a panel whose control is frozen at year g-1."""
    cells = _vagg(panel, control_group, "platform").group_time
    peer = _peer(panel, control_group, "platform")["cells"]
    post = cells.index.get_level_values("year") >= cells.index.get_level_values("cohort")
    np.testing.assert_allclose(cells.loc[post, "estimate"], peer.loc[post, "estimate"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(cells.loc[post, "se"], peer.loc[post, "se"], rtol=1e-10)
    years = panel.index.get_level_values(1)
    leads_differ = 0
    for g in (2014, 2015, 2016):
        frozen = panel.copy()
        frozen["platform"] = panel["platform"].xs(g - 1, level=1).reindex(panel.index.get_level_values(0)).to_numpy()
        peer_g = _peer(frozen, control_group, "platform")["cells"].xs(g, level="cohort")
        mine = cells.xs(g, level="cohort")
        lead = mine.index < g - 1
        np.testing.assert_allclose(mine.loc[lead, "estimate"], peer_g.loc[lead, "estimate"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(mine.loc[lead, "se"], peer_g.loc[lead, "se"], rtol=1e-10)
        leads_differ += int((np.abs(mine.loc[lead, "estimate"] - peer.xs(g, level="cohort").loc[lead, "estimate"])
                             > 1e-3).sum())
    assert leads_differ > 0 and set(np.unique(years)) == set(YEARS)  # the convention matters on this panel


def _dr_by_hand(df: pd.DataFrame, g: int, t: int) -> tuple[float, float]:
    """Doubly robust ATT(g, t), never-treated controls, control x at g-1: logit p(x), OLS of the change on x in
    the controls; the control weights p/(1-p) normalised by the number treated (Horvitz-Thompson) and by their
    sum (Hajek, DRDID::drdid_panel; Sant'Anna and Zhao 2020, eq. 3.1)."""
    wide_y, wide_x = df["y"].unstack(), df["x"].unstack()
    cohort = df["cohort"].groupby(level=0).first()
    keep = (cohort == g) | (cohort == 0)
    d = (cohort[keep] == g).to_numpy(dtype=float)
    dy = (wide_y[t] - wide_y[g - 1])[keep].to_numpy()
    x = sm.add_constant(wide_x[g - 1][keep].to_numpy())
    p = sm.GLM(d, x, family=sm.families.Binomial()).fit(tol=1e-14).fittedvalues
    control = d == 0
    m = x @ np.linalg.lstsq(x[control], dy[control], rcond=None)[0]
    w = p[control] / (1 - p[control])
    treated_part = np.mean(dy[~control] - m[~control])
    resid = dy[control] - m[control]
    return treated_part - w @ resid / d.sum(), treated_part - w @ resid / w.sum()


def test_continuous_control_differs_only_by_the_weights_normalisation(panel) -> None:
    """With a continuous control the two packages differ by O(1/n): diff-diff's Horvitz-Thompson weights against
    R's Hajek weights, shown by hand on two cells; on this panel the gap stays below 0.5% of a standard error in
    every post-treatment cell and event time, and the standard errors agree to 1%."""
    res = _vagg(panel, "never_treated", "x")
    ref = _peer(panel, "never_treated", "x")
    for g, t in [(2014, 2016), (2016, 2019)]:
        horvitz_thompson, hajek = _dr_by_hand(panel, g, t)
        assert res.group_time.loc[(g, t), "estimate"] == pytest.approx(horvitz_thompson, abs=1e-9)
        assert ref["cells"].loc[(g, t), "estimate"] == pytest.approx(hajek, abs=1e-9)
        assert abs(horvitz_thompson - hajek) > 1e-6
    cells, peer = res.group_time, ref["cells"]
    post = cells.index.get_level_values("year") >= cells.index.get_level_values("cohort")
    gap = (cells.loc[post, "estimate"] - peer.loc[post, "estimate"]).abs() / peer.loc[post, "se"]
    assert gap.max() < 5e-3
    np.testing.assert_allclose(cells.loc[post, "se"], peer.loc[post, "se"], rtol=1e-2)
    events = res.estimates.loc[0:LAGS]
    peer_events = ref["events"].loc[0:LAGS]
    assert ((events["estimate"] - peer_events["estimate"]).abs() / peer_events["se"]).max() < 5e-3
    np.testing.assert_allclose(events["se"], peer_events["se"], rtol=1e-2)


def test_mpdta_matches_the_r_package() -> None:
    """mpdta (teen employment, 500 US counties, 2003-2007; the did package's example data, as shipped with
    moderndid). Published: README.md of github.com/bcallaway11/did (did 2.x), ``att_gt(yname="lemp",
    gname="first.treat", idname="countyreal", tname="year", xformla=~1, data=mpdta, est_method="reg")`` and
    ``aggte(out, type="dynamic")``, printed to 4 decimals; its standard errors come from R's multiplier
    bootstrap (1000 draws, interquartile-range based: about 4% Monte Carlo error), hence rel=0.15. R's default
    base period is "varying", which leaves the post-treatment cells and event times compared here unchanged."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mpdta = md.load_mpdta().to_pandas()
    df = mpdta.rename(columns={"first.treat": "cohort"}).set_index(["countyreal", "year"])
    res = robust_event_study(df, "lemp", method="callaway-santanna", leads=3, lags=3)
    published = {(2004, 2004): (-0.0105, 0.0241), (2004, 2005): (-0.0704, 0.0313), (2004, 2006): (-0.1373, 0.0380),
                 (2004, 2007): (-0.1008, 0.0337), (2006, 2006): (-0.0046, 0.0188), (2006, 2007): (-0.0412, 0.0202),
                 (2007, 2007): (-0.0261, 0.0182)}
    for cell, (att, se) in published.items():
        assert res.group_time.loc[cell, "estimate"] == pytest.approx(att, abs=5.1e-5)
        assert res.group_time.loc[cell, "se"] == pytest.approx(se, rel=0.15)
    dynamic = {0: (-0.0199, 0.0115), 1: (-0.0510, 0.0174), 2: (-0.1373, 0.0356), 3: (-0.1008, 0.0354)}
    for e, (att, se) in dynamic.items():
        assert res.estimates.loc[e, "estimate"] == pytest.approx(att, abs=5.1e-5)
        assert res.estimates.loc[e, "se"] == pytest.approx(se, rel=0.15)
    # R's "dynamic" overall: the mean of the event-time effects 0..3
    assert res.estimates.loc[0:3, "estimate"].mean() == pytest.approx(-0.0772, abs=5.1e-5)
    # doubly robust on log population (time-invariant, continuous): only the weights' normalisation differs from
    # the peer, by at most 1.4e-4 of a standard error on these 500 counties
    dr = robust_event_study(df, "lemp", method="callaway-santanna", leads=3, lags=3, controls=["lpop"])
    peer = _peer(df, "never_treated", "lpop", outcome="lemp")["events"].loc[dr.estimates.index]
    assert ((dr.estimates["estimate"] - peer["estimate"]).abs() / peer["se"]).max() < 1e-3
    np.testing.assert_allclose(dr.estimates["se"], peer["se"], rtol=1e-3)


@pytest.mark.parametrize("covariate", [None, "x"])
def test_multiplier_bootstrap_matches_the_analytic_errors(panel, covariate) -> None:
    """The bootstrap draws are sums of the cities' influence functions times Rademacher weights, whose variance
    is the analytic one; with B = 1999 draws the standard deviation's Monte Carlo error is 1/sqrt(2B) = 1.6%,
    so 6.5% is four of them. The draws repeat for a seed and change with it."""
    analytic = _vagg(panel, "not_yet_treated", covariate)
    boot = _vagg(panel, "not_yet_treated", covariate, n_boot=1999, seed=5)
    again = _vagg(panel, "not_yet_treated", covariate, n_boot=1999, seed=5)
    other = _vagg(panel, "not_yet_treated", covariate, n_boot=1999, seed=6)
    pd.testing.assert_frame_equal(boot.estimates, again.estimates)
    pd.testing.assert_frame_equal(boot.group_time, again.group_time)
    assert not np.allclose(boot.estimates["se"].dropna(), other.estimates["se"].dropna(), rtol=1e-6)
    np.testing.assert_allclose(boot.estimates["estimate"], analytic.estimates["estimate"], atol=1e-12)
    ratio = boot.estimates["se"].dropna() / analytic.estimates["se"].dropna()
    assert np.abs(ratio - 1).max() < 0.065
    cell_ratio = (boot.group_time["se"] / analytic.group_time["se"]).dropna()
    assert len(cell_ratio) == 33 and np.abs(cell_ratio - 1).max() < 0.065
    assert boot.att["se"] == pytest.approx(analytic.att["se"], rel=0.065)
    assert boot.cov_type.startswith("multiplier bootstrap (1999")
