"""Spatial DID (Delgado and Florax 2015): impacts of the treatment against a dense computation, recovery of
a planted spillover in the SDM and SLX, and the event-study spillover by event time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from libpysal.weights import lat2W

import vagg
from vagg.models import policy_timing
from vagg.models.spatial_did import exposure_effects, spatial_did, spatial_event_study

YEARS = range(2010, 2022)


@pytest.fixture(scope="module")
def lattice():
    w = lat2W(8, 8, rook=True)
    w.transform = "r"
    return w


def _panel(w, rho: float, beta: float, theta: float, seed: int, spill_from: int | None = None) -> pd.DataFrame:
    """Staggered adoption on a lattice; y = (I - rho W)^-1 (beta D + theta W S + alpha + gamma + e).

    S is D (spillover of any treated neighbour), or, with ``spill_from`` = k, the indicator of event time >= k.
    """
    rng = np.random.default_rng(seed)
    dense = w.full()[0]
    n = dense.shape[0]
    ids = [str(i) for i in w.id_order]
    adoption = pd.Series(rng.choice([2013.0, 2015.0, 2017.0, np.nan], size=n), index=ids)
    idx = pd.MultiIndex.from_product([ids, YEARS], names=["city", "year"])
    df = policy_timing(pd.DataFrame(index=idx), adoption)
    t = len(YEARS)
    d = df["treated"].to_numpy(dtype=float).reshape(n, t)
    s = d if spill_from is None else (np.nan_to_num(df["event_time"].to_numpy(), nan=-99).reshape(n, t)
                                       >= spill_from).astype(float)
    alpha = rng.normal(size=(n, 1))
    gamma = np.linspace(0, 1, t)[None, :]
    x = rng.normal(size=(n, t))
    rhs = beta * d + theta * dense @ s + 0.5 * x + alpha + gamma + rng.normal(scale=0.5, size=(n, t))
    df["x"] = x.ravel()
    df["y"] = np.linalg.solve(np.eye(n) - rho * dense, rhs).ravel()
    return df


def test_sdm_impacts_against_dense_and_planted_spillover(lattice) -> None:
    df = _panel(lattice, rho=0.3, beta=1.0, theta=0.6, seed=1)
    impacts, fit = spatial_did(df, "y", lattice, controls=["x"], draws=500, seed=2)
    dense = lattice.full()[0]
    n = dense.shape[0]
    s = np.linalg.inv(np.eye(n) - fit.params["rho"] * dense) @ (
        fit.params["treated"] * np.eye(n) + fit.params["W_treated"] * dense)
    assert impacts["direct"] == pytest.approx(np.trace(s) / n, rel=1e-8)
    assert impacts["indirect"] == pytest.approx((s.sum() - np.trace(s)) / n, rel=1e-8)
    # planted: beta 1.0, theta 0.6, rho 0.3 -> total (1.0 + 0.6) / 0.7
    assert abs(fit.params["treated"] - 1.0) < 0.15 and abs(fit.params["W_treated"] - 0.6) < 0.25
    assert abs(fit.params["rho"] - 0.3) < 0.08
    assert abs(impacts["total"] - 1.6 / 0.7) < 0.5
    assert impacts["indirect_p"] < 0.01 and impacts["indirect_se"] > 0


def test_exposure_effects_against_dense(lattice) -> None:
    df = _panel(lattice, rho=0.3, beta=1.0, theta=0.6, seed=1)
    _, fit = spatial_did(df, "y", lattice, controls=["x"], draws=0)
    table = exposure_effects(fit, draws=300, seed=1)
    dense = lattice.full()[0]
    n = dense.shape[0]
    s = np.linalg.inv(np.eye(n) - fit.params["rho"] * dense) @ (
        fit.params["treated"] * np.eye(n) + fit.params["W_treated"] * dense)
    order = [str(i) for i in lattice.id_order]
    d = df["treated"].unstack().loc[order].to_numpy(dtype=float)
    effect = s @ d
    own = np.repeat(np.diag(s)[:, None], d.shape[1], axis=1)
    treated, exposed = d == 1, (d == 0) & (dense @ d > 0)
    assert table.loc["direct on treated", "estimate"] == pytest.approx(own[treated].mean(), rel=1e-8)
    assert table.loc["spillover on treated", "estimate"] == pytest.approx((effect - own)[treated].mean(), rel=1e-8)
    assert table.loc["spillover on untreated", "estimate"] == pytest.approx(effect[exposed].mean(), rel=1e-8)
    assert table.loc["spillover on untreated", "n"] == exposed.sum()
    assert (table["se"] > 0).all() and (table["ci_low"] < table["estimate"]).all()


def test_slx_direct_and_spillover_are_the_coefficients(lattice) -> None:
    df = _panel(lattice, rho=0.0, beta=1.0, theta=0.6, seed=3)
    impacts, fit = spatial_did(df, "y", lattice, controls=["x"], model="slx", draws=200)
    assert impacts["direct"] == pytest.approx(fit.params["treated"], rel=1e-12)
    assert impacts["indirect"] == pytest.approx(fit.params["W_treated"], rel=1e-12)
    assert abs(fit.params["W_treated"] - 0.6) < 0.2


def test_spillover_event_study_recovers_onset(lattice) -> None:
    df = _panel(lattice, rho=0.0, beta=1.0, theta=0.8, seed=5, spill_from=0)
    table, fit = spatial_event_study(df, "y", lattice, leads=3, lags=3, controls=["x"], draws=200)
    assert list(table.index) == [-3, -2, -1, 0, 1, 2, 3]
    assert table.loc[-1, "indirect"] == 0.0 and np.isnan(table.loc[-1, "indirect_se"])
    leads, lags = table.loc[[-3, -2]], table.loc[0:3]
    # each event time within 3 simulated se of the truth (0 before adoption, 0.8 from adoption on)
    assert (leads["indirect"].abs() < 3 * leads["indirect_se"]).all()
    assert ((lags["indirect"] - 0.8).abs() < 3 * lags["indirect_se"]).all()
    assert ((lags["direct"] - 1.0).abs() < 3 * lags["direct_se"]).all()
    assert lags["indirect"].mean() > 0.6 and leads["indirect"].abs().mean() < 0.3
    assert table.loc[2, "direct"] == pytest.approx(fit.params["event_+2"], rel=1e-12)


def test_spatial_did_refuses_other_models(lattice) -> None:
    df = _panel(lattice, rho=0.0, beta=1.0, theta=0.0, seed=6)
    with pytest.raises(vagg.SpecificationError, match="SDM or the SLX"):
        spatial_did(df, "y", lattice, model="sar")
