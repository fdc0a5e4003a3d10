"""Stochastic traces of the information matrix: Hutchinson estimates and their stated error.

Known truth: the exact traces of G = W (I - rho W)^{-1} from the dense G
(numpy) on a k-nearest-neighbour W of 500 random points.  Over 40
independent probe sets the Hutchinson estimates must be unbiased (mean within
4 Monte Carlo standard errors of the truth) and the per-set standard error
sd_p(u_p'B u_p)/sqrt(P) that vagg reports must match the spread of the
estimates across sets (Hutchinson 1990, Comm. Stat. Simul. 19:433-450).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.spatial import cKDTree

from vagg._errors import SpecificationError
from vagg.models.spatial.logdet import SpatialOperator

N, K, RHO, SETS = 500, 6, 0.45, 40
KEYS = ("trG", "trG2", "trGtG")


@pytest.fixture(scope="module")
def knn_w() -> sp.csr_matrix:
    points = np.random.default_rng(3).uniform(size=(N, 2))
    _, idx = cKDTree(points).query(points, K + 1)
    rows = np.repeat(np.arange(N), K)
    return sp.csr_matrix((np.full(N * K, 1.0 / K), (rows, idx[:, 1:].ravel())), shape=(N, N))


def test_dense_traces_equal_numpy(knn_w):
    g = knn_w.toarray() @ np.linalg.inv(np.eye(N) - RHO * knn_w.toarray())
    exact = SpatialOperator(knn_w, "lu", trace_method="exact").traces(RHO)
    np.testing.assert_allclose([exact[k] for k in KEYS], [np.trace(g), np.trace(g @ g), np.sum(g * g)], rtol=1e-10)


def test_hutchinson_is_unbiased_and_its_stated_error_is_its_spread(knn_w):
    exact = SpatialOperator(knn_w, "lu", trace_method="exact").traces(RHO)
    runs = []
    for seed in range(SETS):
        op = SpatialOperator(knn_w, "lu", trace_method="hutchinson", trace_seed=seed)
        runs.append(op.traces(RHO))
        assert op.trace_error == pytest.approx(max(runs[-1][f"{k}_mcse"] / runs[-1][k] for k in KEYS))
    for key in KEYS:
        estimates = np.array([r[key] for r in runs])
        stated = np.array([r[f"{key}_mcse"] for r in runs])
        spread = estimates.std(ddof=1)
        assert abs(estimates.mean() - exact[key]) < 4 * spread / np.sqrt(SETS), key
        assert 0.65 < np.median(stated) / spread < 1.5, key  # sd over 40 sets is known to about 11%
        assert np.all(np.abs(estimates - exact[key]) < 5 * stated), key
        assert 0 < np.median(stated) / exact[key] < 0.05, key


def test_describe_states_the_method_and_error(knn_w):
    op = SpatialOperator(knn_w, "lu", trace_method="hutchinson")
    op.traces(RHO)
    text = op.describe()
    assert text.startswith("sparse LU; information-matrix traces Hutchinson, 100 probes (largest relative")
    assert f"{op.trace_error:.2%}" in text
    exact = SpatialOperator(knn_w, "eigen")
    exact.traces(RHO)
    assert exact.describe() == "eigenvalues; information-matrix traces exact"
    fewer = SpatialOperator(knn_w, "lu", trace_method="hutchinson", trace_probes=37)
    assert fewer.traces(RHO)["trG_mcse"] > 1.3 * op.traces(RHO)["trG_mcse"]  # about sqrt(100/37) = 1.64
    assert "Hutchinson, 37 probes" in fewer.describe()
    with pytest.raises(SpecificationError, match="unknown trace method 'dense'"):
        SpatialOperator(knn_w, trace_method="dense")


def test_impact_series_traces_carry_their_monte_carlo_error(knn_w, monkeypatch):
    """m0 = tr((I - rho W)^{-1})/N, m1 = tr((I - rho W)^{-1} W)/N by the power series with Monte Carlo
    traces of W^k (Barry and Pace 1999): unbiased over 30 probe sets, stated error equal to their spread."""
    from vagg.models.spatial import impacts as impacts_module

    inverse = np.linalg.inv(np.eye(N) - RHO * knn_w.toarray())
    truth = {"m0": np.trace(inverse) / N, "m1": np.trace(inverse @ knn_w.toarray()) / N}
    op = SpatialOperator(knn_w, "lu")
    runs = []
    for seed in range(30):
        monkeypatch.setattr(impacts_module, "POWER_SEED", seed)
        runs.append(impacts_module.multipliers(op, np.array([RHO]), "traces"))
    for key in ("m0", "m1"):
        estimates = np.array([r[key][0] for r in runs])
        stated = np.array([r[f"{key}_probes"][:, 0].std(ddof=1) / np.sqrt(impacts_module.POWER_PROBES)
                           for r in runs])
        np.testing.assert_allclose([r[f"{key}_probes"][:, 0].mean() for r in runs], estimates, rtol=1e-12)
        assert abs(estimates.mean() - truth[key]) < 4 * estimates.std(ddof=1) / np.sqrt(30), key
        assert 0.6 < np.median(stated) / estimates.std(ddof=1) < 1.6, key
        assert np.all(np.abs(estimates - truth[key]) < 5 * stated), key


def test_impact_table_one_pass_equals_separate_calls_on_the_trace_path(knn_w):
    """impact_table evaluates the series once for the estimate and every draw (column 0 the estimate);
    twin: the estimate alone (draws=0) and the draws' multipliers computed in a call of their own."""
    from vagg.models.spatial.impacts import admissible_draws, effects, impact_table, multipliers

    op = SpatialOperator(knn_w, "lu")
    names, beta, theta = ["x1", "x2"], np.array([1.0, -0.5]), np.array([0.5, 0.2])
    cov = np.diag([0.01, 0.01, 0.02, 0.02, 0.05 ** 2])
    table = impact_table(names, beta, theta, RHO, cov, op, 200, 7, method="traces")
    alone = impact_table(names, beta, theta, RHO, cov, op, 0, 7, method="traces")
    for key in ("direct", "indirect", "total"):
        np.testing.assert_allclose(table[key], alone[key], rtol=1e-9)
    centre = np.concatenate([beta, theta, [RHO]])
    sample, _ = admissible_draws(centre, cov, 200, 7, lambda s: np.abs(s[:, -1]) < 1, "rho inside (-1, 1)")
    sim = effects(sample[:, :2], sample[:, 2:4], multipliers(op, sample[:, -1], "traces"))
    for key in ("direct", "indirect", "total"):
        np.testing.assert_allclose(table[f"{key}_se"], sim[key].std(axis=0, ddof=1), rtol=1e-9)
