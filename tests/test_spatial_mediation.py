"""Spatial mediation: mediated effects against dense N x N derivative matrices, recovery of a planted
mediated spillover, the Monte Carlo draws against a loop over explicit dense products, and seeding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from libpysal.weights import lat2W

import vagg
from vagg.models.spatial_mediation import SpatialMediation

TRUE = {"rho_m": 0.3, "a": 0.8, "theta_a": 0.4, "rho_y": 0.2, "b": 0.6, "phi": 0.3, "c": 0.2}


@pytest.fixture(scope="module")
def lattice():
    w = lat2W(7, 7, rook=True)
    w.transform = "r"
    return w


def _dense_effects(dense: np.ndarray, rho_m, a, theta_a, rho_y, b, phi) -> tuple[float, float, float]:
    n = dense.shape[0]
    eye = np.eye(n)
    s = (np.linalg.inv(eye - rho_y * dense) @ (b * eye + phi * dense)
         @ np.linalg.inv(eye - rho_m * dense) @ (a * eye + theta_a * dense))
    direct, total = np.trace(s) / n, s.sum() / n
    return direct, total - direct, total


@pytest.fixture(scope="module")
def panel(lattice) -> pd.DataFrame:
    rng = np.random.default_rng(8)
    dense = lattice.full()[0]
    n, t = dense.shape[0], 15
    ids = [str(i) for i in lattice.id_order]
    x = rng.normal(size=(n, t)) + rng.normal(size=(n, 1))
    c = rng.normal(size=(n, t))
    eye = np.eye(n)
    m = np.linalg.solve(eye - TRUE["rho_m"] * dense, TRUE["a"] * x + TRUE["theta_a"] * dense @ x + 0.3 * c
                        + rng.normal(size=(n, 1)) + rng.normal(scale=0.4, size=(n, t)))
    y = np.linalg.solve(eye - TRUE["rho_y"] * dense, TRUE["c"] * x + TRUE["b"] * m + TRUE["phi"] * dense @ m
                        + 0.2 * c + rng.normal(size=(n, 1)) + rng.normal(scale=0.4, size=(n, t)))
    idx = pd.MultiIndex.from_product([ids, range(2006, 2006 + t)], names=["city", "year"])
    return pd.DataFrame({"y": y.ravel(), "x": x.ravel(), "m": m.ravel(), "c": c.ravel()}, index=idx)


@pytest.fixture(scope="module")
def result(panel, lattice):
    return SpatialMediation(panel, "y", "x", "m", lattice, controls=["c"], effects="entity").fit(draws=300, seed=4)


def test_point_effects_equal_dense_product(result, lattice) -> None:
    dense = lattice.full()[0]
    pm, po = result.stages["m"].params, result.stages["outcome"].params
    direct, spill, total = _dense_effects(dense, pm["rho"], pm["x"], pm["W_x"], po["rho"], po["m"], po["W_m"])
    row = result.indirect.loc["m"]
    assert row["direct"] == pytest.approx(direct, rel=1e-8)
    assert row["spillover"] == pytest.approx(spill, rel=1e-8)
    assert row["total"] == pytest.approx(total, rel=1e-8)
    assert result.indirect.loc["total", "total"] == pytest.approx(total, rel=1e-12)  # one mediator


def test_planted_mediated_spillover_is_recovered(result, lattice) -> None:
    truth = _dense_effects(lattice.full()[0], TRUE["rho_m"], TRUE["a"], TRUE["theta_a"], TRUE["rho_y"], TRUE["b"],
                           TRUE["phi"])
    row = result.indirect.loc["m"]
    for part, value in zip(("direct", "spillover", "total"), truth):
        assert abs(row[part] - value) < 3 * row[f"{part}_se"], part
        assert row[f"{part}_lo"] < value < row[f"{part}_hi"] or abs(row[part] - value) < 0.1
    assert truth[1] > 0.5 and row["spillover_p"] < 0.01  # a sizeable planted spillover, detected


def test_draws_equal_a_loop_over_dense_products(panel, lattice) -> None:
    """Re-draw the same normal vectors and recompute each draw with dense matrices."""
    res = SpatialMediation(panel, "y", "x", "m", lattice, controls=["c"], effects="entity").fit(draws=5, seed=9)
    rng = np.random.default_rng(9)
    out, med = res.stages["outcome"], res.stages["m"]

    def draws(fit, name):
        keys = [name, f"W_{name}", "rho"]
        cov = fit.cov.loc[keys, keys].to_numpy()
        vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
        z = rng.standard_normal((5, 3))
        return fit.params[keys].to_numpy() + z @ (vecs * np.sqrt(np.clip(vals, 0, None))).T

    b = draws(out, "m")
    a = draws(med, "x")
    dense = lattice.full()[0]
    for r in range(5):
        expected = _dense_effects(dense, a[r, 2], a[r, 0], a[r, 1], b[r, 2], b[r, 0], b[r, 1])
        np.testing.assert_allclose(res.draws.loc[r, "m"].to_numpy(), expected, rtol=1e-8)


def test_two_mediators_add_up(panel, lattice) -> None:
    data = panel.assign(m2=panel["m"] * 0.5 + np.random.default_rng(1).normal(size=len(panel)))
    res = SpatialMediation(data, "y", "x", ["m", "m2"], lattice, model="slx", effects="entity").fit(draws=50)
    for part in ("direct", "spillover", "total"):
        assert res.indirect.loc["total", part] == pytest.approx(res.indirect.loc[["m", "m2"], part].sum(), rel=1e-12)
    # SLX: no feedback, the mediated direct part is a b + theta_a phi tr(W^2)/N
    pm, po = res.stages["m"].params, res.stages["outcome"].params
    dense = lattice.full()[0]
    expected = pm["x"] * po["m"] + pm["W_x"] * po["W_m"] * np.trace(dense @ dense) / dense.shape[0]
    assert res.indirect.loc["m", "direct"] == pytest.approx(expected, rel=1e-8)


def test_seeded_and_refusals(panel, lattice, result) -> None:
    again = SpatialMediation(panel, "y", "x", "m", lattice, controls=["c"], effects="entity").fit(draws=300, seed=4)
    pd.testing.assert_frame_equal(again.indirect, result.indirect)
    assert "spillover" in result.summary
    with pytest.raises(vagg.SpecificationError, match="SDM, SLX or SAR"):
        SpatialMediation(panel, "y", "x", "m", lattice, model="sem")
    with pytest.raises(vagg.SpecificationError, match="mediator 'c'"):
        SpatialMediation(panel, "y", "x", "c", lattice, controls=["c"])
