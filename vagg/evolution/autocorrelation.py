r"""Spatial autocorrelation year by year: global Moran's I, Geary's C, LISA.

For year t, values y, deviations z = y - ybar, weights W (used as given; vagg's
builders row-standardise), S0 = sum_ij w_ij, S1 = 1/2 sum_ij (w_ij + w_ji)^2,
S2 = sum_i (w_i. + w_.i)^2 and kurtosis b2 = n sum z^4 / (sum z^2)^2:

.. math::

    I = \frac{n}{S_0} \frac{z' W z}{z' z}, \qquad E[I] = -\frac{1}{n-1}

    C = \frac{(n-1) \sum_{ij} w_{ij} (y_i - y_j)^2}{2 S_0 \sum_i z_i^2}, \qquad E[C] = 1

with variances under normality and under randomisation from Cliff and Ord
(1981), *Spatial Processes*, Pion, ch. 1-2 (the formulas esda uses).  The
permutation p-value reshuffles the values over the units ``permutations``
times (seeded, vectorised) and is esda's folded pseudo p-value
(min(#{sim >= stat}, P - #{sim >= stat}) + 1) / (P + 1).

Local Moran (Anselin 1995, "Local indicators of spatial association - LISA",
Geographical Analysis 27: 93-115): I_i = (z_i / m2) sum_j w_ij z_j,
m2 = sum z^2 / n, with conditional-permutation p-values from esda.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp
from esda.moran import Moran_Local
from libpysal.weights import W
from scipy import stats

from vagg._errors import DataError, SpecificationError
from vagg.evolution._inputs import aligned_libpysal, aligned_weights, panel_series, time_name, wide

#: esda's quadrant codes -> labels (HH: high value, high neighbours)
QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


def _panel_and_weights(panel, column, w) -> tuple[pd.DataFrame, sp.csr_matrix]:
    series, cross_section = panel_series(panel, column)
    if cross_section:
        raise DataError("spatial autocorrelation needs a panel indexed (entity, time)")
    table = wide(series)
    if table.shape[0] < 4:
        raise DataError(f"spatial autocorrelation needs at least 4 entities, got {table.shape[0]}")
    flat = table.std(axis=0, ddof=0)
    if (flat == 0).any():
        raise DataError(f"{series.name!r} is constant across entities in {flat.index[flat == 0][0]}; "
                        "spatial autocorrelation is undefined")
    return table, aligned_weights(w, table.index)


def _year_seeds(seed: int | None, years: pd.Index) -> list[np.random.Generator]:
    """One generator per year, keyed by (seed, year): a year's draws do not
    depend on which other years are analysed with it."""
    keys = [int(y) if isinstance(y, (int, np.integer)) else k for k, y in enumerate(years)]
    return [np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,))) for key in keys]


def _moran(Y: np.ndarray, W: sp.csr_matrix) -> np.ndarray:
    """Moran's I of each row of Y (rows: permutations or years)."""
    Z = Y - Y.mean(axis=1, keepdims=True)
    n, s0 = Y.shape[1], W.sum()
    return n / s0 * np.einsum("ij,ij->i", Z, (W @ Z.T).T) / np.einsum("ij,ij->i", Z, Z)


def _geary(Y: np.ndarray, W: sp.csr_matrix) -> np.ndarray:
    """Geary's C of each row of Y."""
    Z = Y - Y.mean(axis=1, keepdims=True)
    n, s0 = Y.shape[1], W.sum()
    degree = np.asarray(W.sum(axis=1)).ravel() + np.asarray(W.sum(axis=0)).ravel()
    squares = (Z * Z) @ degree - 2.0 * np.einsum("ij,ij->i", Z, (W @ Z.T).T)
    return (n - 1) * squares / (2.0 * s0 * np.einsum("ij,ij->i", Z, Z))


def _moments(W: sp.csr_matrix, Z: np.ndarray) -> tuple[int, float, float, float, np.ndarray]:
    """n, S0, S1, S2 and the kurtosis b2 of each row of Z (deviations)."""
    n = Z.shape[1]
    s0 = W.sum()
    s1 = 0.5 * (W + W.T).power(2).sum()
    s2 = float(((np.asarray(W.sum(axis=1)).ravel() + np.asarray(W.sum(axis=0)).ravel()) ** 2).sum())
    b2 = n * (Z**4).sum(axis=1) / (Z**2).sum(axis=1) ** 2
    return n, s0, s1, s2, b2


def _moran_moments(W: sp.csr_matrix, Z: np.ndarray) -> tuple[float, float, np.ndarray]:
    """E[I], Var[I] under normality and under randomisation (Cliff and Ord 1981)."""
    n, s0, s1, s2, b2 = _moments(W, Z)
    expected = -1.0 / (n - 1)
    var_norm = (n * n * s1 - n * s2 + 3 * s0 * s0) / ((n * n - 1) * s0 * s0) - expected**2
    a = n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0)
    b = b2 * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0 * s0)
    var_rand = (a - b) / ((n - 1) * (n - 2) * (n - 3) * s0 * s0) - expected**2
    return expected, var_norm, var_rand


def _geary_moments(W: sp.csr_matrix, Z: np.ndarray) -> tuple[float, float, np.ndarray]:
    """E[C], Var[C] under normality and under randomisation (Cliff and Ord 1981)."""
    n, s0, s1, s2, b2 = _moments(W, Z)
    var_norm = ((2 * s1 + s2) * (n - 1) - 4 * s0 * s0) / (2 * (n + 1) * s0 * s0)
    a = (n - 1) * s1 * (n * n - 3 * n + 3 - (n - 1) * b2)
    b = 0.25 * (n - 1) * s2 * (n * n + 3 * n - 6 - (n * n - n + 2) * b2)
    c = s0 * s0 * (n * n - 3 - (n - 1) ** 2 * b2)
    var_rand = (a - b + c) / (n * (n - 2) * (n - 3) * s0 * s0)
    return 1.0, var_norm, var_rand


def _global(panel, column, w, permutations: int, seed: int | None, name: str,
            statistic: Callable[[np.ndarray, sp.csr_matrix], np.ndarray],
            moments: Callable[[sp.csr_matrix, np.ndarray], tuple[float, float, np.ndarray]]) -> pd.DataFrame:
    """A global statistic per year with analytic and permutation inference."""
    if not isinstance(permutations, (int, np.integer)) or permutations < 0:
        raise SpecificationError(f"permutations must be a non-negative integer, got {permutations!r}")
    table, W = _panel_and_weights(panel, column, w)
    Y = table.to_numpy().T  # years x entities
    value = statistic(Y, W)
    expected, var_norm, var_rand = moments(W, Y - Y.mean(axis=1, keepdims=True))
    out = pd.DataFrame({name: value, "expected": expected}, index=table.columns)
    out["z"] = (value - expected) / np.sqrt(var_norm)
    out["p"] = 2.0 * stats.norm.sf(np.abs(out["z"]))
    out["z_rand"] = (value - expected) / np.sqrt(var_rand)
    out["p_rand"] = 2.0 * stats.norm.sf(np.abs(out["z_rand"]))
    if permutations:
        p_sim, z_sim = [], []
        for y, observed, rng in zip(Y, value, _year_seeds(seed, table.columns), strict=True):
            sims = statistic(rng.permuted(np.tile(y, (permutations, 1)), axis=1), W)
            larger = int((sims >= observed).sum())
            p_sim.append((min(larger, permutations - larger) + 1.0) / (permutations + 1.0))
            z_sim.append((observed - sims.mean()) / sims.std())
        out["p_sim"], out["z_sim"] = p_sim, z_sim
    out.index.name = table.columns.name
    return out


def moran(panel: pd.DataFrame | pd.Series, column: str | None, w: W | tuple[sp.spmatrix, list],
          permutations: int = 999, seed: int | None = 0) -> pd.DataFrame:
    """Global Moran's I of ``column`` year by year.

    Parameters
    ----------
    panel
        Balanced panel indexed (entity, time) (or a Series with that index,
        then ``column=None``).
    w
        libpysal W (or (sparse, ids)) whose ids are the panel's entities, used
        as given; ids on one side only are refused by name.
    permutations
        Random permutations for the pseudo p-value (0 to skip).
    seed
        Seed; the same seed gives the same p-values.

    Returns
    -------
    DataFrame
        One row per year: ``I``, ``expected`` (-1/(n-1)), ``z`` and ``p``
        (two-sided, normality), ``z_rand`` and ``p_rand`` (two-sided,
        randomisation), ``p_sim`` and ``z_sim`` (permutation).  Formulas in the
        module docstring (Moran 1950, Biometrika 37: 17-23; Cliff and Ord 1981).
    """
    return _global(panel, column, w, permutations, seed, "I", _moran, _moran_moments)


def geary(panel: pd.DataFrame | pd.Series, column: str | None, w: W | tuple[sp.spmatrix, list],
          permutations: int = 999, seed: int | None = 0) -> pd.DataFrame:
    """Global Geary's C of ``column`` year by year (C < 1: positive autocorrelation).

    Parameters and returns as :func:`moran`, with the statistic in column
    ``C`` and ``expected`` = 1 (Geary 1954, The Incorporated Statistician 5:
    115-145; Cliff and Ord 1981).
    """
    return _global(panel, column, w, permutations, seed, "C", _geary, _geary_moments)


def lisa(panel: pd.DataFrame | pd.Series, column: str | None, w: W | tuple[sp.spmatrix, list],
         permutations: int = 999, seed: int | None = 0, alpha: float = 0.05) -> pd.DataFrame:
    """Local Moran's I (LISA) clusters per entity and year (esda, seeded).

    Parameters
    ----------
    panel, column, w, permutations, seed
        As :func:`moran`.  Each year's conditional permutations use their own
        seed spawned from ``seed`` (esda's ``Moran_Local``, serial).
    alpha
        Significance level of the pseudo p-value for a cluster label.

    Returns
    -------
    DataFrame
        Indexed (entity, time): ``value``, ``lag`` (W y), ``Ii`` (local I),
        ``p_sim``, ``quadrant`` (HH, LH, LL, HL: own value vs neighbours'
        relative to the mean) and ``cluster`` (the quadrant when p_sim <=
        alpha, else "ns").
    """
    if not 0 < alpha < 1:
        raise SpecificationError(f"alpha must be in (0, 1), got {alpha}")
    if not isinstance(permutations, (int, np.integer)) or permutations < 1:
        raise SpecificationError(f"permutations must be a positive integer, got {permutations!r}")
    table, _ = _panel_and_weights(panel, column, w)
    weights = aligned_libpysal(w, table.index)
    frames = []
    for year, rng in zip(table.columns, _year_seeds(seed, table.columns), strict=True):
        y = table[year].to_numpy()
        local = Moran_Local(y, weights, transformation="O", permutations=permutations, n_jobs=1,
                            keep_simulations=False, seed=int(rng.integers(2**31 - 1)))
        quadrant = pd.Series(local.q).map(QUADRANTS).to_numpy()
        frames.append(pd.DataFrame({
            "value": y, "lag": weights.sparse @ y, "Ii": local.Is, "p_sim": local.p_sim,
            "quadrant": quadrant, "cluster": np.where(local.p_sim <= alpha, quadrant, "ns"),
        }, index=pd.MultiIndex.from_product([table.index, [year]], names=[table.index.name, table.columns.name])))
    return pd.concat(frames).sort_index()
