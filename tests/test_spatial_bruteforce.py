"""Every spatial fast path against a dense brute-force maximum likelihood (tests/spatial_reference.py).

Grid: SAR, SDM, SEM, SDEM, SLX x no / entity / time / two-way effects x the
direct approach / Lee-Yu x W row-standardised, spectrally normalised,
binary, economic-distance-like (asymmetric, rows and columns summing to
different values) and row-standardised with an island kept; N = 10, T = 5,
data simulated with strong entity and time effects (so a W whose rows do not
sum to one meets time effects that do not cancel).  Beside it: partial
Durbin lists, the sparse-LU path, the simulated impact draws, random
effects, and the full cigarette panel with explicit dummy columns.

References (two different likelihoods, as they should be):

* direct approach: the maximum likelihood with explicit entity / time dummy
  columns, stacked NT vectors, kron(W, I_T), slogdet and lstsq; information
  from the general Gaussian Fisher formula over every parameter including
  the dummies;
* Lee-Yu: the likelihood of the data transformed by the dense orthonormal
  F_{T,T-1} (entity effects) and F_{N,N-1} (time effects, W* = F_N' W F_N),
  which is not the dummy likelihood (n* = N* T* observations).  With time
  effects it needs W 1 = 1; on the other matrices SpatialPanel must refuse,
  naming the property and the alternative.

Random effects (SAR): the joint dense maximum over (rho, phi) of the
random effects likelihood, with its Gaussian Fisher information.

Checked: estimates to 1e-6, log-likelihood to 1e-6, information-matrix
standard errors to 1e-6 (relative), the four LM tests (the reference's
scores are central differences, so 1e-5 relative), the LeSage-Pace
impacts at the estimates and the recovered fixed effects (the maximum
likelihood dummy coefficients given the other estimates: OLS for lag models
and SLX, GLS on the filtered dummies for error models).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from spatial_reference import dense_random_effects, reference, simulate, weights
from vagg import SpecificationError
from vagg.models import SpatialPanel

MODELS = ["sar", "sdm", "sem", "sdem", "slx"]
W_KINDS = ["rowstd", "spectral", "binary", "economic", "island"]
CASES = [("none", False)] + [(e, ly) for e in ("entity", "time", "twoway") for ly in (False, True)]
N, T = 10, 5


def _spec(y, x, w, model, effects, lee_yu, logdet="auto", durbin=None):
    ids = [f"c{i:02d}" for i in range(N)]
    index = pd.MultiIndex.from_product([ids, range(2001, 2001 + T)], names=["city", "year"])
    exog = pd.DataFrame(x.reshape(N * T, -1), index=index, columns=["x1", "x2"])
    dep = pd.Series(y.ravel(), index=index, name="y")
    return SpatialPanel(dep, exog, (sp.csr_matrix(w), ids), model=model, effects=effects, lee_yu=lee_yu,
                        allow_islands=True, logdet=logdet, durbin=durbin)


@pytest.fixture(scope="module")
def data():
    cache = {}

    def get(kind, model):
        if (kind, model) not in cache:
            w = weights(kind, N)
            seed = W_KINDS.index(kind) * 10 + MODELS.index(model)
            cache[(kind, model)] = (w, *simulate(w, model, T, seed))
        return cache[(kind, model)]

    return get


@pytest.mark.parametrize("kind", W_KINDS)
@pytest.mark.parametrize("effects,lee_yu", CASES)
@pytest.mark.parametrize("model", MODELS)
def test_equals_dense_maximum_likelihood(data, model, effects, lee_yu, kind):
    w, y, x = data(kind, model)
    if lee_yu and effects in ("time", "twoway") and kind != "rowstd":
        with pytest.raises(SpecificationError, match=r"W 1 = 1.*lee_yu=False"):
            _spec(y, x, w, model, effects, lee_yu)
        return
    res = _spec(y, x, w, model, effects, lee_yu).fit()
    ref = reference(y, x, w, model, effects, lee_yu)
    scale = np.maximum(1.0, np.abs(ref["params"]))
    np.testing.assert_allclose(res.params.to_numpy() / scale, ref["params"] / scale, rtol=0, atol=1e-6)
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-6)
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref["se"], rtol=1e-6)
    np.testing.assert_allclose(res.spec.lm_tests()["statistic"].to_numpy(), ref["lm"], rtol=1e-5, atol=1e-7)
    imp = res.impacts(draws=0)[["direct", "indirect", "total"]].to_numpy()
    np.testing.assert_allclose(imp, ref["impacts"], rtol=1e-6, atol=1e-8)
    if effects != "none":
        fe = np.zeros((N, T)) + (res.intercept if effects == "twoway" else 0.0)
        if res.entity_effects is not None:
            fe = fe + res.entity_effects.to_numpy()[:, None]
        if res.time_effects is not None:
            fe = fe + res.time_effects.to_numpy()[None, :]
        np.testing.assert_allclose(fe, ref["effects"], rtol=0, atol=1e-6)


@pytest.mark.parametrize("kind", ["spectral", "island"])
@pytest.mark.parametrize("effects", ["time", "twoway"])
@pytest.mark.parametrize("model", ["sdm", "sdem"])
def test_sparse_lu_path_equals_dense_maximum_likelihood(data, model, effects, kind):
    """logdet="lu" (the large-N path: sparse LU log-determinants, spectral-radius bounds) on the same grid."""
    w, y, x = data(kind, model)
    res = _spec(y, x, w, model, effects, False, logdet="lu").fit()
    assert res.logdet_method.startswith("sparse LU")
    ref = reference(y, x, w, model, effects, False)
    np.testing.assert_allclose(res.params.to_numpy(), ref["params"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref["se"], rtol=1e-6)
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-6)
    imp = res.impacts(draws=0, method="traces")[["direct", "indirect", "total"]].to_numpy()
    np.testing.assert_allclose(imp, ref["impacts"], rtol=1e-3)


@pytest.mark.parametrize("effects,lee_yu", [("time", False), ("twoway", False), ("entity", True)])
@pytest.mark.parametrize("model", ["sdm", "sdem", "slx"])
def test_partial_durbin_equals_dense_maximum_likelihood(data, model, effects, lee_yu):
    """durbin=["x2"]: only x2's lag enters; x1's effects are those of a lag / error model without theta."""
    w, y, x = data("binary", model)
    res = _spec(y, x, w, model, effects, lee_yu, durbin=["x2"]).fit()
    assert list(res.params.index[:3]) == ["x1", "x2", "W_x2"]
    ref = reference(y, x, w, model, effects, lee_yu, lagged=[1])
    np.testing.assert_allclose(res.params.to_numpy(), ref["params"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref["se"], rtol=1e-6)
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-6)
    np.testing.assert_allclose(res.spec.lm_tests()["statistic"].to_numpy(), ref["lm"], rtol=1e-5)
    imp = res.impacts(draws=0)[["direct", "indirect", "total"]].to_numpy()
    np.testing.assert_allclose(imp, ref["impacts"], rtol=1e-6, atol=1e-8)


def test_time_effects_on_spectral_w_are_not_the_demeaned_lag(data):
    """Issue 13's defect: Q W Q y (lag of the demeaned outcome) for Q W y moved rho away from the dummy ML.

    On these data the two lags differ by far more than the tolerance, so the grid above tells them apart.
    """
    w, y, x = data("spectral", "sar")
    res = _spec(y, x, w, "sar", "time", False).fit()
    ref = reference(y, x, w, "sar", "time", False)
    assert res.params["rho"] == pytest.approx(ref["params"][2], abs=1e-6)
    qy = y - y.mean(axis=0)
    qwqy = w @ qy - (w @ qy).mean(axis=0)
    qwy = w @ y - (w @ y).mean(axis=0)
    assert np.abs(qwqy - qwy).max() > 0.1


@pytest.fixture(scope="module")
def cigar_dummies(reference_dir):
    """The cigarette panel with explicit year and state dummy columns, and its spectrally normalised contiguity."""
    from test_spatial_peers import load_cigar

    df, raw, codes = load_cigar(reference_dir)
    binary = sp.csr_matrix(raw).toarray()
    w = (sp.csr_matrix(binary / np.abs(np.linalg.eigvals(binary)).max()), codes)
    frame = df.set_index(["state", "year"]).sort_index()
    years = sorted(df["year"].unique())
    dummies = {f"yr{y}": (frame.index.get_level_values(1) == y).astype(float) for y in years[1:]}
    dummies |= {f"st{s}": (frame.index.get_level_values(0) == s).astype(float) for s in codes[1:]}
    return frame.assign(**dummies), w, [f"yr{y}" for y in years[1:]], [f"st{s}" for s in codes[1:]]


@pytest.mark.parametrize("model,effects,spatial", [
    ("sar", "time", -0.012), ("sar", "twoway", 0.185), ("sem", "time", 0.240),
    ("sem", "twoway", None), ("sdm", "time", None), ("sdm", "twoway", None),
])
def test_effects_equal_explicit_dummies_on_the_cigarette_panel(cigar_dummies, model, effects, spatial):
    """Full size (46 states x 30 years), a spectrally normalised W: time / two-way effects equal the pooled
    model with the dummy columns as regressors (the pooled path is checked against spreg and the dense ML).

    ``spatial``: the exact values issue 13 measured with explicit dummies (rho -0.012 and 0.185 for the SAR,
    lambda 0.240 for the SEM with time effects), where demeaning before lagging gave 0.161, 0.303 and 0.236.
    """
    frame, w, years, states = cigar_dummies
    kw = {"durbin": ["lprice", "lndi"]} if model == "sdm" else {}
    dummies = years + (states if effects == "twoway" else [])
    res = SpatialPanel(frame["lsales"], frame[["lprice", "lndi"]], w, model=model, effects=effects, lee_yu=False,
                       **kw).fit()
    pooled_spec = SpatialPanel(frame["lsales"], frame[["lprice", "lndi"] + dummies], w, model=model,
                               effects="none", **kw)
    pooled = pooled_spec.fit()
    keys = list(res.params.index)
    np.testing.assert_allclose(res.params.to_numpy(), pooled.params[keys].to_numpy(), rtol=0, atol=1e-7)
    np.testing.assert_allclose(res.std_errors.to_numpy(), pooled.std_errors[keys].to_numpy(), rtol=1e-7)
    assert res.loglik == pytest.approx(pooled.loglik, abs=1e-8)
    lm = res.spec.lm_tests()["statistic"]
    np.testing.assert_allclose(lm.to_numpy(), pooled_spec.lm_tests()["statistic"].to_numpy(), rtol=1e-8)
    if (model, effects) == ("sar", "twoway"):
        assert lm["LM lag"] == pytest.approx(26.4, abs=0.05)  # issue 13's explicit-dummy value (71.3 before)
    if spatial is not None:
        assert res.params[res.spatial_name] == pytest.approx(spatial, abs=5e-4)


@pytest.mark.parametrize("kind", ["spectral", "economic"])
def test_simulated_impact_draws_equal_dense_effects_per_draw(data, kind):
    """The simulated impact SEs: the same parameter draws (N(estimate, inverse information), seed 5) pushed
    through the dense S_r = (I - rho W)^{-1} (b_r I + t_r W) one draw at a time, not the eigenvalue multipliers."""
    w, y, x = data(kind, "sdm")
    res = _spec(y, x, w, "sdm", "twoway", False).fit()
    draws = 200
    imp = res.impacts(draws=draws, seed=5)
    keys = ["x1", "x2", "W_x1", "W_x2", "rho"]
    centre = res.params[keys].to_numpy()
    cov = res.cov.loc[keys, keys].to_numpy()
    vals, vecs = np.linalg.eigh(cov)
    sample = centre + np.random.default_rng(5).standard_normal((draws, 5)) @ (vecs * np.sqrt(vals)).T
    sims = np.empty((draws, 2, 3))
    for d, (b1, b2, t1, t2, rho) in enumerate(sample):
        inv = np.linalg.inv(np.eye(N) - rho * w)
        for r, (b, t) in enumerate([(b1, t1), (b2, t2)]):
            s = inv @ (b * np.eye(N) + t * w)
            sims[d, r] = [np.trace(s) / N, (s.sum() - np.trace(s)) / N, s.sum() / N]
    for j, key in enumerate(["direct", "indirect", "total"]):
        np.testing.assert_allclose(imp[f"{key}_se"].to_numpy(), sims[:, :, j].std(axis=0, ddof=1), rtol=1e-8)
        np.testing.assert_allclose(imp[f"{key}_lo"].to_numpy(), np.percentile(sims[:, :, j], 2.5, axis=0),
                                   rtol=1e-8)


@pytest.mark.parametrize("kind", ["rowstd", "spectral", "economic"])
def test_random_effects_sar_equals_joint_dense_maximum_likelihood(kind):
    """effects="random": the alternating estimator (b, rho given phi; phi given b, rho) and its closed-form
    information against the joint maximum over (rho, phi) of the dense likelihood and the Gaussian Fisher
    information with Var(u) = s^2 (Q + P/phi^2) (tests/spatial_reference.dense_random_effects)."""
    w = weights(kind, N)
    rng = np.random.default_rng(7)
    rho = 0.4 / np.linalg.eigvals(w).real.max()
    x = rng.standard_normal((N, T, 2))
    mu = 1.5 * rng.standard_normal(N)
    y = np.linalg.inv(np.eye(N) - rho * w) @ (1.0 + x @ np.array([1.0, -0.5]) + mu[:, None]
                                              + rng.standard_normal((N, T)))
    res = _spec(y, x, w, "sar", "random", False).fit()
    ref = dense_random_effects(y, x, w)
    assert list(res.params.index) == ["const", "x1", "x2", "rho", "phi", "sigma2"]
    assert 0.05 < res.params["phi"] < 0.95  # an interior optimum, so the comparison is of a maximum
    np.testing.assert_allclose(res.params.to_numpy(), ref["params"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref["se"], rtol=1e-6)
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-8)
