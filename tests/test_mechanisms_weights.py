"""Entropy, CRITIC and TOPSIS against pymcdm, a hand-worked example and invariances.

References
----------
- pymcdm (Kizielewicz, Shekhovtsov and Salabun 2023, SoftwareX 22, 101368),
  run in the tests: ``pymcdm.weights.entropy_weights``, ``critic_weights``,
  ``pymcdm.methods.TOPSIS`` and ``pymcdm.normalizations``.
- Hand-worked example: the entropy formula of Shannon (1948) written out
  term by term with ``math.log`` on a 3 x 2 matrix.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import vagg
from vagg.mechanisms import critic_weights, entropy_weights, normalise, topsis

import pymcdm
from pymcdm.methods import TOPSIS  # noqa: E402
from pymcdm.normalizations import minmax_normalization, vector_normalization  # noqa: E402


@pytest.fixture(scope="module")
def va():
    """Pooled virtual-agglomeration indicators of the demo panel and their directions."""
    system = vagg.mechanisms.IndicatorSystem.default()
    panel = vagg.data.load_demo_panel()
    return panel[system.columns], system.directions


def _pymcdm_minmax(X: pd.DataFrame, directions: dict[str, int]) -> np.ndarray:
    """Directional min-max by pymcdm, column by column."""
    return np.column_stack([minmax_normalization(X[c].to_numpy(float), cost=directions[c] < 0) for c in X.columns])


def test_entropy_matches_pymcdm(va):
    X, directions = va
    shift = 1e-4
    ours = entropy_weights(X, directions, shift=shift)
    ref = pymcdm.weights.entropy_weights(_pymcdm_minmax(X, directions) + shift)
    np.testing.assert_allclose(ours.to_numpy(), ref, rtol=0, atol=1e-10)
    assert list(ours.index) == list(X.columns)


def test_critic_matches_pymcdm(va):
    X, directions = va
    ours = critic_weights(X, directions)
    ref = pymcdm.weights.critic_weights(_pymcdm_minmax(X, directions))
    np.testing.assert_allclose(ours.to_numpy(), ref, rtol=0, atol=1e-10)


@pytest.mark.parametrize("norm, peer_norm", [("minmax", minmax_normalization), ("vector", vector_normalization)])
def test_topsis_matches_pymcdm(va, norm, peer_norm):
    X, directions = va
    w = entropy_weights(X, directions)
    ours = topsis(X, w, directions, normalisation=norm)
    types = np.array([directions[c] for c in X.columns])
    ref = TOPSIS(normalization_function=peer_norm)(X.to_numpy(float), w.to_numpy(), types)
    np.testing.assert_allclose(ours.to_numpy(), ref, rtol=0, atol=1e-10)
    assert ours.index.equals(X.index)


def test_entropy_hand_worked_example():
    # x1 benefit [1, 2, 5] -> z = [0, 1/4, 1]; x2 cost [10, 30, 20] -> z = [1, 0, 1/2]
    X = pd.DataFrame({"x1": [1.0, 2.0, 5.0], "x2": [10.0, 30.0, 20.0]})
    z = normalise(X, {"x1": 1, "x2": -1})
    np.testing.assert_allclose(z.to_numpy(), [[0, 1], [0.25, 0], [1, 0.5]], atol=1e-15)
    # shift 0: p1 = [0, .2, .8], p2 = [2/3, 0, 1/3]; 0 ln 0 = 0; k = 1 / ln 3
    e1 = -(0.2 * math.log(0.2) + 0.8 * math.log(0.8)) / math.log(3)
    e2 = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)) / math.log(3)
    expected = np.array([1 - e1, 1 - e2]) / (2 - e1 - e2)
    w = entropy_weights(X, {"x1": 1, "x2": -1}, shift=0.0)
    np.testing.assert_allclose(w.to_numpy(), expected, atol=1e-14)
    # with the usual shift s: p = (z + s) / sum(z + s)
    s = 1e-4
    p1 = np.array([s, 0.25 + s, 1 + s]) / (1.25 + 3 * s)
    p2 = np.array([1 + s, s, 0.5 + s]) / (1.5 + 3 * s)
    d = [1 + sum(p * math.log(p) for p in col) / math.log(3) for col in (p1, p2)]
    np.testing.assert_allclose(entropy_weights(X, {"x1": 1, "x2": -1}).to_numpy(), np.array(d) / sum(d), atol=1e-14)


def test_pooled_versus_yearly_normalisation():
    # two years of two cities; pooled min-max uses the min and max over all four rows
    idx = pd.MultiIndex.from_tuples([("a", 1), ("b", 1), ("a", 2), ("b", 2)], names=["id", "year"])
    X = pd.DataFrame({"x": [1.0, 3.0, 5.0, 9.0], "y": [2.0, 1.0, 4.0, 8.0]}, index=idx)
    np.testing.assert_allclose(normalise(X)["x"].to_numpy(), [0, 0.25, 0.5, 1.0])
    yearly = entropy_weights(X, by="year")
    assert list(yearly.index) == [1, 2]
    for year in (1, 2):
        part = X.xs(year, level="year")
        np.testing.assert_allclose(yearly.loc[year].to_numpy(), entropy_weights(part).to_numpy(), atol=1e-15)
    # pooled weights are not the average of yearly ones: the pool keeps the level shift between years
    pooled = entropy_weights(X)
    assert not np.allclose(pooled.to_numpy(), yearly.mean().to_numpy(), atol=1e-3)


def test_constant_indicator_gets_zero_weight_with_warning():
    X = pd.DataFrame({"a": [1.0, 2.0, 4.0], "flat": [3.0, 3.0, 3.0], "b": [5.0, 1.0, 2.0]})
    for func in (entropy_weights, critic_weights):
        with pytest.warns(UserWarning, match="flat"):
            w = func(X)
        assert w["flat"] == 0.0 and np.isfinite(w.to_numpy()).all()
        assert w.sum() == pytest.approx(1.0, abs=1e-14)


def test_critic_of_perfectly_correlated_indicators_warns():
    X = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [3.0, 5.0, 9.0]})  # b = 2a + 1: C_j = 0 for both
    with pytest.warns(UserWarning, match="perfectly correlated"):
        w = critic_weights(X)
    np.testing.assert_array_equal(w.to_numpy(), [0.5, 0.5])


def test_all_constant_is_refused():
    X = pd.DataFrame({"a": [1.0, 1.0], "b": [2.0, 2.0]})
    with pytest.raises(vagg.DataError, match="every indicator is constant"):
        entropy_weights(X)


def test_bad_input_named():
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [1.0, 2.0, 3.0]})
    with pytest.raises(vagg.DataError, match="'a'"):
        entropy_weights(X)
    ok = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 2.0, 3.0]})
    with pytest.raises(vagg.SpecificationError, match="'b'.*unknown direction"):
        critic_weights(ok, {"a": 1, "b": 2})
    with pytest.raises(vagg.SpecificationError, match="weight"):
        topsis(ok, {"a": 1.0})
    with pytest.raises(vagg.SpecificationError, match="'a'"):
        topsis(ok, {"a": -1.0, "b": 1.0})


# ---------------------------------------------------------------- invariances

def _matrices():
    return st.integers(4, 25).flatmap(
        lambda n: st.integers(2, 5).flatmap(
            lambda m: arrays(np.float64, (n, m), elements=st.floats(-1e3, 1e3, allow_nan=False, width=64))
        )
    )


def _varied(x: np.ndarray) -> bool:
    spread = np.ptp(x, axis=0)
    return bool((spread > 1e-3 * (1 + np.abs(x).max(axis=0))).all())


@pytest.mark.filterwarnings("ignore:CRITIC is undefined")  # hypothesis finds collinear matrices too
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(x=_matrices(), signs=st.lists(st.sampled_from([1, -1]), min_size=5, max_size=5))
def test_weights_sum_to_one(x, signs):
    assume(_varied(x))
    d = signs[: x.shape[1]]
    for w in (entropy_weights(x, d), critic_weights(x, d)):
        assert w.sum() == pytest.approx(1.0, abs=1e-12)
        assert (w.to_numpy() >= -1e-15).all()


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(x=_matrices(), scale=st.floats(0.01, 100.0), offset=st.floats(-1e3, 1e3), col=st.integers(0, 4))
def test_scaling_or_shifting_an_indicator_keeps_weights(x, scale, offset, col):
    assume(_varied(x))
    col = col % x.shape[1]
    y = x.copy()
    y[:, col] = scale * y[:, col] + offset
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no numerical trouble; a degenerate-CRITIC notice is fine
        warnings.simplefilter("ignore", UserWarning)
        for func in (entropy_weights, critic_weights):
            np.testing.assert_allclose(func(y).to_numpy(), func(x).to_numpy(), rtol=1e-7, atol=1e-9)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(x=_matrices(), col=st.integers(0, 4))
def test_reversing_a_direction_mirrors_normalised_values(x, col):
    assume(_varied(x))
    col = col % x.shape[1]
    signs = [1] * x.shape[1]
    flipped = signs.copy()
    flipped[col] = -1
    z, zf = normalise(x, signs).to_numpy(), normalise(x, flipped).to_numpy()
    np.testing.assert_allclose(zf[:, col], 1.0 - z[:, col], atol=1e-12)
    np.testing.assert_array_equal(np.delete(zf, col, axis=1), np.delete(z, col, axis=1))
    assert z.min() >= 0.0 and z.max() <= 1.0
