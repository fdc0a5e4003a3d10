r"""Simulated spatial panels with known parameters (SAR, SDM, SEM).

For period t = 1..T and N units on the weights W (Elhorst 2014, *Spatial
Econometrics*, ch. 3):

    SDM / SAR:  y_t = (I - rho W)^{-1} (X_t b + W X_t t + mu + a_t 1 + e_t)
    SEM:        y_t = X_t b + mu + a_t 1 + (I - rho W)^{-1} e_t

(SAR is the SDM with t = 0; for the SEM ``rho`` is the error parameter
lambda.)  Regressors x_itk = 0.5 mu_i + z_itk with z ~ N(0, 1), so that they
are correlated with the entity effects and pooled and random effects
estimators are biased (``correlated=False`` drops the 0.5 mu_i: a random
effects design);
mu_i ~ N(0, 1) when entity effects are on, a_t ~ N(0, 1) when time effects
are on, e ~ N(0, sigma^2).  Everything is drawn from one numpy PCG64
generator seeded by ``seed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Union

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from vagg._errors import SpecificationError

if TYPE_CHECKING:
    from libpysal.weights import W

    WeightsLike = Union[W, tuple[sp.spmatrix, Sequence[object]]]


def _weights_and_ids(w: WeightsLike) -> tuple[sp.csr_matrix, list[str]]:
    from libpysal.weights import W

    from vagg.weights import to_sparse

    if isinstance(w, W):
        ids = [str(i) for i in w.id_order]
    elif isinstance(w, tuple) and len(w) == 2:
        ids = [str(i) for i in w[1]]
    else:
        raise SpecificationError("w must be a libpysal W or a (sparse matrix, ids) pair")
    return to_sparse(w, ids), ids


def simulate_arrays(
    w: sp.spmatrix,
    periods: int,
    beta: Sequence[float],
    theta: Sequence[float] | None = None,
    rho: float = 0.0,
    effects: str = "twoway",
    model: str = "sdm",
    sigma: float = 1.0,
    replications: int = 1,
    seed: int = 0,
    correlated: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``replications`` panels at once: y (R, N, T) and x (R, N, T, k).

    One sparse LU factorisation of I - rho W serves every period and
    replication.  Parameters as in :func:`simulate_spatial_panel`.
    """
    if model not in ("sar", "sdm", "sem"):
        raise SpecificationError(f"simulate model must be 'sar', 'sdm' or 'sem', got {model!r}")
    if effects not in ("none", "entity", "time", "twoway"):
        raise SpecificationError(f"unknown effects {effects!r}")
    w = sp.csr_matrix(w, dtype=float)
    n = w.shape[0]
    beta = np.asarray(beta, dtype=float)
    k = beta.size
    theta = np.zeros(k) if theta is None or model == "sar" else np.asarray(theta, dtype=float)
    if theta.size != k:
        raise SpecificationError(f"theta needs {k} values like beta, got {theta.size}")
    rng = np.random.default_rng(seed)
    r, t = int(replications), int(periods)
    mu = rng.standard_normal((r, n, 1)) if effects in ("entity", "twoway") else np.zeros((r, n, 1))
    alpha = rng.standard_normal((r, 1, t)) if effects in ("time", "twoway") else np.zeros((r, 1, t))
    x = 0.5 * correlated * mu[..., None] + rng.standard_normal((r, n, t, k))
    eps = sigma * rng.standard_normal((r, n, t))
    # W acts on the unit axis: move it first, flatten the rest
    wx = (w @ np.moveaxis(x, 1, 0).reshape(n, -1)).reshape(n, r, t, k)
    wx = np.moveaxis(wx, 0, 1)
    lu = spla.splu((sp.identity(n, format="csc") - rho * w).tocsc())

    def solve(z: np.ndarray) -> np.ndarray:
        out = lu.solve(np.ascontiguousarray(np.moveaxis(z, 1, 0).reshape(n, -1)))
        return np.moveaxis(out.reshape(n, r, t), 0, 1)

    signal = x @ beta + mu + alpha
    if model == "sem":
        y = signal + solve(eps)
    else:
        y = solve(signal + wx @ theta + eps)
    return y, x


def simulate_spatial_panel(
    w: WeightsLike,
    periods: int,
    beta: Sequence[float],
    theta: Sequence[float] | None = None,
    rho: float = 0.0,
    effects: str = "twoway",
    seed: int = 0,
    model: str = "sdm",
    sigma: float = 1.0,
    start: int = 2011,
    correlated: bool = True,
) -> pd.DataFrame:
    """A balanced panel from a known SAR, SDM or SEM (see the module docstring).

    Parameters
    ----------
    w
        libpysal W or (sparse matrix, ids); its ids become the entities.
    periods
        Number of periods T; years ``start`` .. ``start + T - 1``.
    beta, theta
        Coefficients of x1..xk and of their spatial lags (SDM only).
    rho
        Spatial lag (SAR, SDM) or error (SEM) parameter.
    effects
        ``"none"``, ``"entity"``, ``"time"`` or ``"twoway"``.
    seed
        Seed of the generator; the same seed gives the same panel.
    sigma
        Standard deviation of the disturbances.
    start
        First year.
    correlated
        Regressors correlated with the entity effects (fixed effects design).

    Returns
    -------
    DataFrame indexed by (entity, time) with columns y, x1..xk;
    ``attrs["truth"]`` holds the parameters and ``attrs["simulated"]`` is True.
    """
    matrix, ids = _weights_and_ids(w)
    y, x = simulate_arrays(matrix, periods, beta, theta, rho, effects, model, sigma, 1, seed, correlated)
    k = x.shape[-1]
    index = pd.MultiIndex.from_product([ids, range(start, start + int(periods))], names=["entity", "time"])
    frame = pd.DataFrame(x[0].reshape(-1, k), index=index, columns=[f"x{j + 1}" for j in range(k)])
    frame.insert(0, "y", y[0].ravel())
    frame.attrs.update(
        simulated=True,
        truth={"model": model, "beta": list(map(float, beta)), "rho": float(rho), "effects": effects,
               "theta": None if theta is None else list(map(float, theta)), "sigma": float(sigma), "seed": seed},
    )
    return frame
