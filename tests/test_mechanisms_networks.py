"""Gravity flow networks, their centralities and the mediator panel.

References
----------
- The gravity formula R_ij = k_ij sqrt(P_i M_i) sqrt(P_j M_j) / D_ij^2 with
  k_ij = M_i / (M_i + M_j) (Liu, Liu and Sun 2015, China Industrial
  Economics): its identities k_ij + k_ji = 1 and R_ij / R_ji = M_i / M_j, and
  a zero-mass city sending nothing.
- networkx, run in the tests on graphs built here: strengths, betweenness,
  closeness, power-iteration eigenvector centrality and density.
- A planted core-periphery pattern a_ij = c_i c_j (Borgatti and Everett 1999)
  whose coreness c must be recovered.
- Distances: ``vagg.weights.great_circle_km`` on the bundled centroids.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import vagg
from vagg.mechanisms import centrality, coreness, flow_networks, gravity_network, network_mediators


@pytest.fixture(scope="module")
def distance():
    return vagg.mechanisms.great_circle_distances(vagg.data.load_guangdong()[["lon", "lat"]])


@pytest.fixture(scope="module")
def net2020(distance):
    panel = vagg.data.load_demo_panel()
    return flow_networks(panel, ["deposits", "loans"], distance=distance)[2020]


def _masses(distance, seed=0):
    rng = np.random.default_rng(seed)
    ids = list(distance.index)
    return (pd.Series(rng.uniform(1, 100, len(ids)), index=ids), pd.Series(rng.uniform(100, 2000, len(ids)), index=ids))


def test_gravity_identities(distance):
    M, P = _masses(distance)
    R = gravity_network(M, P, distance).to_numpy()
    D = distance.to_numpy()
    off = ~np.eye(len(M), dtype=bool)
    m, p = M.to_numpy(), P.to_numpy()
    gross = np.sqrt(np.outer(p * m, p * m)) / np.where(off, D, 1.0) ** 2
    # k_ij + k_ji = 1: the two directed flows add up to the undirected gravity term
    np.testing.assert_allclose((R + R.T)[off], gross[off], rtol=1e-12)
    np.testing.assert_allclose((R / np.where(off, R.T, 1.0))[off], np.divide.outer(m, m)[off], rtol=1e-12)
    assert np.all(np.diag(R) == 0)
    # symmetric masses: equal flows both ways, each half the gravity term
    R_eq = gravity_network(pd.Series(5.0, index=M.index), P, distance).to_numpy()
    np.testing.assert_allclose(R_eq, R_eq.T, rtol=1e-12)


def test_zero_mass_city_sends_nothing(distance):
    M, P = _masses(distance)
    M.iloc[3] = 0.0
    R = gravity_network(M, P, distance)
    city = M.index[3]
    assert (R.loc[city] == 0).all() and (R[city] == 0).all()
    assert np.isfinite(R.to_numpy()).all()
    stats = centrality(R)
    assert stats.loc[city, "out_strength"] == 0 and stats.loc[city, "out_degree"] == 0
    assert stats.loc[city, "eigenvector"] == pytest.approx(0.0, abs=1e-12)


def test_gravity_refuses_bad_input(distance):
    M, P = _masses(distance)
    with pytest.raises(vagg.DataError, match=M.index[2]):
        gravity_network(M.where(M.index != M.index[2], -1.0), P, distance)
    d = distance.copy()
    d.iloc[0, 1] = 0.0
    with pytest.raises(vagg.DataError, match=f"{d.index[0]} and {d.index[1]}"):
        gravity_network(M, P, d)
    with pytest.raises(vagg.DataError, match=f"duplicate city ids.*{M.index[0]}"):
        gravity_network(pd.concat([M, M.iloc[:1]]), P, distance)
    with pytest.raises(vagg.DataError, match="999999"):
        gravity_network(pd.concat([M, pd.Series({"999999": 1.0})]), pd.concat([P, pd.Series({"999999": 1.0})]),
                        distance)


def test_flow_networks_take_any_distance(distance):
    """An economic distance replaces the great-circle one: doubling every distance quarters every flow."""
    panel = vagg.data.load_demo_panel()
    base = flow_networks(panel, "rd_personnel", distance=distance)
    doubled = flow_networks(panel, "rd_personnel", distance=2 * distance)
    assert sorted(base) == list(range(2011, 2021))
    np.testing.assert_allclose(doubled[2013].to_numpy(), base[2013].to_numpy() / 4, rtol=1e-12)
    default = flow_networks(panel, "rd_personnel")  # bundled centroids, great-circle km
    pd.testing.assert_frame_equal(default[2013], base[2013])


def test_centralities_against_networkx(net2020):
    ours = centrality(net2020)
    R = net2020.to_numpy()
    ids = list(net2020.index)
    n = len(ids)
    weighted = nx.DiGraph()
    binary = nx.DiGraph()
    binary.add_nodes_from(ids)
    for i, a in enumerate(ids):  # the test builds both graphs edge by edge
        mean = sum(R[i, j] for j in range(n) if j != i) / (n - 1)
        for j, b in enumerate(ids):
            if i != j:
                weighted.add_edge(a, b, weight=R[i, j])
                if R[i, j] > mean:
                    binary.add_edge(a, b)
    np.testing.assert_allclose(ours["out_strength"], [weighted.out_degree(c, weight="weight") for c in ids], rtol=1e-12)
    np.testing.assert_allclose(ours["in_strength"], [weighted.in_degree(c, weight="weight") for c in ids], rtol=1e-12)
    np.testing.assert_array_equal(ours["out_degree"], [binary.out_degree(c) for c in ids])
    np.testing.assert_array_equal(ours["in_degree"], [binary.in_degree(c) for c in ids])
    bc = nx.betweenness_centrality(binary)
    np.testing.assert_allclose(ours["betweenness"], [bc[c] for c in ids], atol=1e-12)
    cc = nx.closeness_centrality(binary)
    np.testing.assert_allclose(ours["closeness"], [cc[c] for c in ids], atol=1e-12)
    ec = nx.eigenvector_centrality(weighted, weight="weight", max_iter=5000, tol=1e-12)
    np.testing.assert_allclose(ours["eigenvector"], [ec[c] for c in ids], atol=1e-6)
    np.testing.assert_allclose(ours["density"], nx.density(binary), atol=1e-15)


def test_coreness_recovers_planted_pattern():
    rng = np.random.default_rng(11)
    c = rng.uniform(0.05, 1.0, 15)
    A = np.outer(c, c)
    np.fill_diagonal(A, 0.0)
    np.testing.assert_allclose(coreness(A), c, atol=1e-8)
    star = np.zeros((6, 6))
    star[0, 1:] = star[1:, 0] = 1.0  # a hub with five spokes: the hub is the core
    core = coreness(star)
    assert core.argmax() == 0 and np.allclose(core[1:], core[1])


def test_mediator_panel_shape_and_alignment():
    panel = vagg.data.load_demo_panel()
    shuffled = panel.sample(frac=1.0, random_state=0)
    med = network_mediators(shuffled)
    assert med.index.equals(shuffled.index)
    assert {"innovation_betweenness", "finance_coreness", "finance_in_strength"} <= set(med.columns)
    one = med.xs(2016, level="year")
    R = flow_networks(panel, "invention_patents")[2016]
    ref = centrality(R)
    np.testing.assert_allclose(one["innovation_out_strength"].loc[ref.index], ref["out_strength"], rtol=1e-12)
    assert np.isfinite(med.to_numpy()).all()
    with pytest.raises(vagg.DataError, match="bank_assets"):
        network_mediators(panel, channels={"finance": "bank_assets"})
