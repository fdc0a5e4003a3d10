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
times (seeded, vectorised) and is the folded pseudo p-value of esda,
(min(#{sim >= stat}, #{sim <= stat}) + 1) / (P + 1), ties counting on both sides.

Local Moran (Anselin 1995, "Local indicators of spatial association - LISA",
Geographical Analysis 27: 93-115), in esda's scaling:
I_i = (n - 1) z_i (W z)_i / sum_j z_j^2.  Its pseudo p-value comes from
conditional permutations: unit i keeps y_i while its neighbours get values
drawn at random (without replacement) from the other n - 1 units.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp
from libpysal.weights import W
from scipy import stats

from vagg._errors import DataError, SpecificationError
from vagg.evolution._inputs import aligned_weights, panel_series, wide

#: largest (units x draws x neighbours) array the LISA permutations build at once
_LISA_CELLS = 4_000_000


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


def _moran(Z: np.ndarray, W: sp.csr_matrix) -> np.ndarray:
    """Moran's I of each row of Z (centred rows: permutations or years)."""
    n, s0 = Z.shape[1], W.sum()
    return n / s0 * np.einsum("ij,ij->i", Z, Z @ W.T) / np.einsum("ij,ij->i", Z, Z)


def _geary(Z: np.ndarray, W: sp.csr_matrix) -> np.ndarray:
    """Geary's C of each row of Z (centred rows); sum_ij w_ij (z_i - z_j)^2 expanded."""
    n, s0 = Z.shape[1], W.sum()
    degree = np.asarray(W.sum(axis=1)).ravel() + np.asarray(W.sum(axis=0)).ravel()
    squares = (Z * Z) @ degree - 2.0 * np.einsum("ij,ij->i", Z, Z @ W.T)
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
    Z = Y - Y.mean(axis=1, keepdims=True)  # permuting deviations keeps their mean at 0
    value = statistic(Z, W)
    expected, var_norm, var_rand = moments(W, Z)
    out = pd.DataFrame({name: value, "expected": expected}, index=table.columns)
    out["z"] = (value - expected) / np.sqrt(var_norm)
    out["p"] = 2.0 * stats.norm.sf(np.abs(out["z"]))
    out["z_rand"] = (value - expected) / np.sqrt(var_rand)
    out["p_rand"] = 2.0 * stats.norm.sf(np.abs(out["z_rand"]))
    if permutations:
        p_sim, z_sim = [], []
        for z, observed, rng in zip(Z, value, _year_seeds(seed, table.columns), strict=True):
            sims = statistic(rng.permuted(np.tile(z, (permutations, 1)), axis=1), W)
            p_sim.append(float(_folded_p(sims[None, :], observed)[0]))
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


def _local_moran(y: np.ndarray, W: sp.csr_matrix, permutations: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local I, spatial lag and conditional-permutation pseudo p-values of one year.

    Each unit keeps its value; its k_i neighbours' values are drawn without
    replacement from the other n - 1 (the same P draws of positions serve
    every unit, as in esda), in arrays of shape (units, P, max k).
    """
    n = len(y)
    z = y - y.mean()
    den = z @ z
    lag = W @ y
    local = (n - 1) * z * (W @ z) / den
    degree = np.diff(W.indptr)
    k_max = int(degree.max())
    padded = np.zeros((n, k_max))  # each unit's neighbour weights, left-aligned
    padded[np.repeat(np.arange(n), degree), np.arange(W.nnz) - np.repeat(W.indptr[:-1], degree)] = W.data
    draws = rng.permuted(np.tile(np.arange(n - 1), (permutations, 1)), axis=1)[:, :k_max]
    sims = np.empty((n, permutations))
    block = max(1, _LISA_CELLS // (permutations * max(k_max, 1)))
    for start in range(0, n, block):  # blocks of units bound the memory; the draws are shared, so same result
        units = np.arange(start, min(start + block, n))
        others = draws[None, :, :] + (draws[None, :, :] >= units[:, None, None])  # skip unit i itself
        sims[units] = (n - 1) * z[units, None] * np.einsum("ipk,ik->ip", z[others], padded[units]) / den
    return local, lag, _folded_p(sims, local)


def _folded_p(sims: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """(min(#{sim >= obs}, #{sim <= obs}) + 1) / (P + 1) per row, ties (to
    rounding) counting on both sides: a unit with few neighbours has few
    distinct draws, one of which equals the observed lag."""
    observed = np.asarray(observed, dtype=float).reshape(-1, 1)
    tie = np.isclose(sims, observed, rtol=1e-10, atol=0.0)
    upper = ((sims > observed) | tie).sum(axis=1)
    lower = ((sims < observed) | tie).sum(axis=1)
    return (np.minimum(upper, lower) + 1.0) / (sims.shape[1] + 1.0)


def lisa(panel: pd.DataFrame | pd.Series, column: str | None, w: W | tuple[sp.spmatrix, list],
         permutations: int = 999, seed: int | None = 0, alpha: float = 0.05) -> pd.DataFrame:
    """Local Moran's I (LISA) clusters per entity and year, seeded.

    Parameters
    ----------
    panel, column, w, permutations, seed
        As :func:`moran`.  p-values come from conditional permutations
        (Anselin 1995): each unit keeps its value while its neighbours' values
        are redrawn from the other units; each year has its own seeded stream.
    alpha
        Significance level of the pseudo p-value for a cluster label.

    Returns
    -------
    DataFrame
        Indexed (entity, time): ``value``, ``lag`` (W y), ``Ii`` (local I,
        (n - 1) z_i (W z)_i / sum z^2 as in esda), ``p_sim`` (folded one-sided
        pseudo p-value as esda's, ties counting on both sides), ``quadrant``
        (HH, LH, LL, HL: own deviation from the mean vs the neighbours'; zero
        counts as low, as in esda) and ``cluster`` (the quadrant when p_sim <=
        alpha, else "ns").
    """
    if not 0 < alpha < 1:
        raise SpecificationError(f"alpha must be in (0, 1), got {alpha}")
    if not isinstance(permutations, (int, np.integer)) or permutations < 1:
        raise SpecificationError(f"permutations must be a positive integer, got {permutations!r}")
    table, W = _panel_and_weights(panel, column, w)
    frames = []
    for year, rng in zip(table.columns, _year_seeds(seed, table.columns), strict=True):
        y = table[year].to_numpy()
        local, lag, p_sim = _local_moran(y, W, int(permutations), rng)
        high, high_lag = y > y.mean(), W @ (y - y.mean()) > 0
        quadrant = np.select([high & high_lag, ~high & high_lag, ~high & ~high_lag], ["HH", "LH", "LL"], "HL")
        frames.append(pd.DataFrame({
            "value": y, "lag": lag, "Ii": local, "p_sim": p_sim,
            "quadrant": quadrant, "cluster": np.where(p_sim <= alpha, quadrant, "ns"),
        }, index=pd.MultiIndex.from_product([table.index, [year]], names=[table.index.name, table.columns.name])))
    return pd.concat(frames).sort_index()
