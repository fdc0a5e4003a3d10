"""Coupling coordination, location quotients, co-agglomeration and structure similarity.

References
----------
- Wang, Kong, Ren, Zhi and Dai (2021), Journal of Natural Resources 36(3),
  793-810: the corrected coupling degree; its two-system case
  sqrt((1 - |U1 - U2|) min/max) and a three-system case worked by hand.
- The classic coupling degree n [prod U / (sum U)^n]^(1/n) is the ratio of the
  geometric to the arithmetic mean (2 sqrt(U1 U2) / (U1 + U2) for two
  systems); checked against ``scipy.stats.gmean``.
- Location quotients (Isard 1960) and the co-agglomeration index worked by hand
  on a two-city example; structure similarity against
  ``scipy.spatial.distance.cdist(metric="cosine")``.
- The demo data-generating process: synergy is planted to rise with the
  latent virtual-agglomeration path.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import cdist

import vagg
from vagg.mechanisms import (
    COORDINATION_LEVELS,
    coagglomeration,
    composite_index,
    coupling_coordination,
    location_quotient,
    structure_similarity,
    synergy_outcome,
)

levels = st.floats(0.001, 1.0, allow_nan=False)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(u1=levels, u2=levels)
def test_two_system_corrected_and_classic(u1, u2):
    U = pd.DataFrame({"m": [u1], "s": [u2]})
    corrected = coupling_coordination(U).iloc[0]
    assert corrected["C"] == pytest.approx(math.sqrt((1 - abs(u1 - u2)) * min(u1, u2) / max(u1, u2)), abs=1e-12)
    classic = coupling_coordination(U, corrected=False).iloc[0]
    assert classic["C"] == pytest.approx(2 * math.sqrt(u1 * u2) / (u1 + u2), abs=1e-12)
    for row in (corrected, classic):
        assert row["T"] == pytest.approx((u1 + u2) / 2, abs=1e-15)
        assert row["D"] == pytest.approx(math.sqrt(row["C"] * row["T"]), abs=1e-15)
        assert 0 <= row["C"] <= 1 + 1e-12


@settings(max_examples=50, deadline=None, derandomize=True)
@given(u=st.lists(levels, min_size=3, max_size=6))
def test_classic_coupling_is_geometric_over_arithmetic_mean(u):
    C = coupling_coordination(np.array([u]), corrected=False)["C"].iloc[0]
    assert C == pytest.approx(stats.gmean(u) / np.mean(u), rel=1e-10)


def test_three_system_corrected_by_hand():
    U = pd.DataFrame({"a": [0.2], "b": [0.4], "c": [0.8]})
    spread = (0.2 + 0.6 + 0.4) / (1 + 2)
    ratio = (0.2 / 0.8 * 0.4 / 0.8 * 1.0) ** (1 / 2)
    out = coupling_coordination(U, weights={"a": 0.5, "b": 0.25, "c": 0.25}).iloc[0]
    assert out["C"] == pytest.approx(math.sqrt((1 - spread) * ratio), abs=1e-14)
    assert out["T"] == pytest.approx(0.5 * 0.2 + 0.25 * 0.4 + 0.25 * 0.8, abs=1e-15)


def test_levels_and_edge_cases():
    U = pd.DataFrame({"a": [0.0, 0.0, 1.0, 0.95], "b": [0.0, 0.5, 1.0, 0.95]})
    out = coupling_coordination(U)
    np.testing.assert_allclose(out["C"], [0.0, 0.0, 1.0, 1.0], atol=1e-15)
    assert list(out["level"].astype(str)) == [COORDINATION_LEVELS[0], COORDINATION_LEVELS[0],
                                              COORDINATION_LEVELS[9], COORDINATION_LEVELS[9]]
    D = pd.DataFrame({"a": [0.25, 0.36], "b": [0.25, 0.36]})  # C = 1, D = sqrt(T) = 0.5, 0.6
    assert list(coupling_coordination(D)["level"].astype(str)) == ["barely coordinated", "primary coordination"]


def test_bad_levels_named():
    with pytest.raises(vagg.DataError, match="'b'.*42.*divide a 0-100 index by 100"):
        coupling_coordination(pd.DataFrame({"a": [0.3], "b": [42.0]}))
    with pytest.raises(vagg.SpecificationError, match="at least two"):
        coupling_coordination(pd.DataFrame({"a": [0.3]}))
    with pytest.raises(vagg.SpecificationError, match="sum to 1"):
        coupling_coordination(pd.DataFrame({"a": [0.3], "b": [0.2]}), weights=[0.7, 0.7])


def _two_cities() -> pd.DataFrame:
    idx = pd.MultiIndex.from_tuples([("A", 2020), ("B", 2020)], names=["id", "year"])
    return pd.DataFrame({"mfg": [20.0, 30.0], "srv": [10.0, 60.0], "total": [100.0, 300.0]}, index=idx)


def test_location_quotient_and_coagglomeration_by_hand():
    df = _two_cities()
    # manufacturing: shares 0.2 and 0.1 against 50/400 = 0.125 -> 1.6, 0.8
    np.testing.assert_allclose(location_quotient(df, "mfg", "total"), [1.6, 0.8])
    # services: shares 0.1 and 0.2 against 70/400 = 0.175
    lq_s = np.array([0.1, 0.2]) / 0.175
    np.testing.assert_allclose(location_quotient(df, "srv", "total"), lq_s)
    lq_m = np.array([1.6, 0.8])
    expected = 1 - np.abs(lq_m - lq_s) / (lq_m + lq_s) + (lq_m + lq_s)
    np.testing.assert_allclose(coagglomeration(df, "mfg", "srv", "total"), expected)
    bad = df.assign(mfg=[20.0, 400.0])
    with pytest.raises(vagg.DataError, match="'mfg' exceeds 'total'.*B"):
        location_quotient(bad, "mfg", "total")


def test_structure_similarity_against_scipy():
    rng = np.random.default_rng(3)
    shares = pd.DataFrame(rng.dirichlet(np.ones(4), size=6), index=list("abcdef"), columns=list("wxyz"))
    S = structure_similarity(shares)
    np.testing.assert_allclose(S.to_numpy(), 1 - cdist(shares, shares, metric="cosine"), atol=1e-12)
    assert S.loc["a", "a"] == pytest.approx(1.0)
    idle = shares.copy()
    idle.loc["c"] = 0.0
    with pytest.raises(vagg.DataError, match="'c'"):
        structure_similarity(idle)


def test_synergy_outcome_is_coupling_of_subsystem_indices():
    panel = vagg.data.load_demo_panel()
    out = synergy_outcome(panel)
    dims = composite_index(panel, "industrial_synergy").dimensions / 100
    np.testing.assert_allclose(out[["U_specialised_manufacturing", "U_productive_services"]], dims, atol=1e-12)
    cc = coupling_coordination(dims)
    np.testing.assert_allclose(out[["C", "T", "D"]], cc[["C", "T", "D"]], atol=1e-12)
    assert out.index.equals(panel.index)


def test_synergy_outcome_tracks_planted_virtual_agglomeration():
    """In the demo DGP synergy rises with the latent index (beta_va > 0): D must rank with it."""
    sim, truth = vagg.simulate.simulate_demo_panel()
    D = synergy_outcome(sim)["D"]
    assert stats.spearmanr(D, truth.latent_index.reindex(D.index)).statistic > 0.9  # measured 0.97
