"""Simulated city-year panels with a planted mediation mechanism.

The data-generating process, for cities :math:`i` and years :math:`t`:

.. math::

    X_{it} &= 0.5\\,\\alpha_i + \\gamma_t + 0.3\\,W_{it}'\\mathbf 1 + \\nu_{it}\\\\
    M_{j,it} &= a_j X_{it} [+ d_{21} M_{1,it}] + 0.2\\,W_{it}'\\mathbf 1
                + 0.5\\,\\alpha_i + 0.5\\,\\gamma_t + u_{j,it}\\\\
    Y_{it} &= c' X_{it} + \\textstyle\\sum_j b_j M_{j,it} + 0.2\\,W_{it}'\\mathbf 1
              + \\alpha_i + \\gamma_t + e_{it}

with city effects :math:`\\alpha_i \\sim N(0,1)` correlated with X (pooled
OLS is biased, two-way fixed effects are not), year effects
:math:`\\gamma_t \\sim N(0, 0.5^2)`, controls :math:`W \\sim N(0,1)`, and
stationary AR(1) errors within each city (:math:`\\rho`, unit innovation
variance), so that observations of a city are correlated and inference must
cluster by city.  The true indirect effects are :math:`a_j b_j` (and
:math:`a_1 d_{21} b_2` for the serial chain); the total effect is
:math:`c' + \\sum` of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.signal import lfilter


@dataclass(frozen=True)
class MediationTruth:
    """Parameters planted by :func:`simulate_mediation_panel`."""

    a: tuple[float, ...]
    b: tuple[float, ...]
    direct: float
    d21: float | None
    indirect: dict[str, float]
    total: float


def _ar1(rng: np.random.Generator, shape: tuple[int, int], rho: float) -> np.ndarray:
    """(N x T) stationary AR(1) series along the rows, innovation sd 1."""
    shocks = rng.standard_normal(shape)
    shocks[:, 0] /= np.sqrt(1 - rho**2)
    return lfilter([1.0], [1.0, -rho], shocks, axis=1)


def simulate_mediation_panel(
    n_entities: int = 21,
    n_periods: int = 10,
    a: tuple[float, ...] = (0.5, 0.4),
    b: tuple[float, ...] = (0.4, 0.3),
    direct: float = 0.2,
    d21: float | None = None,
    n_controls: int = 2,
    rho: float = 0.5,
    seed: int | None = 0,
) -> tuple[pd.DataFrame, MediationTruth]:
    """Simulate a balanced panel with known mediation paths.

    Parameters
    ----------
    n_entities, n_periods
        Cities and years.
    a, b
        Paths X -> M_j and M_j -> Y, one per mediator.
    direct
        Direct effect :math:`c'`.
    d21
        If given (two mediators only), the serial path M1 -> M2.
    n_controls
        Number of control columns ``w1, w2, ...``.
    rho
        AR(1) coefficient of every error within a city.
    seed
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    DataFrame indexed by (city, year) with columns x, m1..mk, y, w1..,
    and the :class:`MediationTruth`.
    """
    if len(a) != len(b) or not a:
        raise ValueError("a and b need one entry per mediator")
    if d21 is not None and len(a) != 2:
        raise ValueError("the serial path d21 needs exactly two mediators")
    rng = np.random.default_rng(seed)
    shape = (n_entities, n_periods)
    alpha = rng.standard_normal(n_entities)[:, None]
    gamma = 0.5 * rng.standard_normal(n_periods)[None, :]
    w = rng.standard_normal((n_controls, *shape))
    wsum = w.sum(axis=0)
    x = 0.5 * alpha + gamma + 0.3 * wsum + _ar1(rng, shape, rho)
    mediators = []
    for j, aj in enumerate(a):
        m = aj * x + 0.2 * wsum + 0.5 * alpha + 0.5 * gamma + _ar1(rng, shape, rho)
        if j == 1 and d21 is not None:
            m = m + d21 * mediators[0]
        mediators.append(m)
    y = direct * x + sum(bj * m for bj, m in zip(b, mediators)) + 0.2 * wsum + alpha + gamma
    y = y + _ar1(rng, shape, rho)
    index = pd.MultiIndex.from_product([[f"c{i + 1:02d}" for i in range(n_entities)], range(2011, 2011 + n_periods)],
                                       names=["city", "year"])
    columns = {"y": y, "x": x, **{f"m{j + 1}": m for j, m in enumerate(mediators)},
               **{f"w{k + 1}": w[k] for k in range(n_controls)}}
    frame = pd.DataFrame({k: v.ravel() for k, v in columns.items()}, index=index)
    indirect = {f"m{j + 1}": aj * bj for j, (aj, bj) in enumerate(zip(a, b))}
    if d21 is not None:
        indirect["m1 -> m2"] = a[0] * d21 * b[1]
    indirect["total"] = sum(indirect.values())
    truth = MediationTruth(tuple(a), tuple(b), direct, d21, indirect, direct + indirect["total"])
    return frame, truth
