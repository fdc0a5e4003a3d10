"""Every spatial fast path against a dense brute-force maximum likelihood (tests/spatial_reference.py).

Grid: SAR, SDM, SEM, SDEM, SLX x no / entity / time / two-way effects x the
direct approach / Lee-Yu x W row-standardised, spectrally normalised,
binary, and row-standardised with an island kept; N = 10, T = 5, data
simulated with strong entity and time effects (so a W whose rows do not sum
to one meets time effects that do not cancel).

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

Checked: estimates to 1e-6, log-likelihood to 1e-6, information-matrix
standard errors to 1e-6 (relative), the four LM tests (the reference's
scores are central differences, so 1e-5 relative) and the LeSage-Pace
impacts at the estimates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from spatial_reference import reference, simulate, weights
from vagg import SpecificationError
from vagg.models import SpatialPanel

MODELS = ["sar", "sdm", "sem", "sdem", "slx"]
W_KINDS = ["rowstd", "spectral", "binary", "island"]
CASES = [("none", False)] + [(e, ly) for e in ("entity", "time", "twoway") for ly in (False, True)]
N, T = 10, 5


def _spec(y, x, w, model, effects, lee_yu):
    ids = [f"c{i:02d}" for i in range(N)]
    index = pd.MultiIndex.from_product([ids, range(2001, 2001 + T)], names=["city", "year"])
    exog = pd.DataFrame(x.reshape(N * T, -1), index=index, columns=["x1", "x2"])
    dep = pd.Series(y.ravel(), index=index, name="y")
    return SpatialPanel(dep, exog, (sp.csr_matrix(w), ids), model=model, effects=effects, lee_yu=lee_yu,
                        allow_islands=True)


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
