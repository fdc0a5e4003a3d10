r"""Gaussian kernel densities of a panel variable, year by year, on one grid.

For year t with values y_1..y_n and bandwidth h_t,

.. math::

    \hat f_t(x) = \frac{1}{n h_t} \sum_i \phi\!\left(\frac{x - y_i}{h_t}\right)

with phi the standard normal density.  Bandwidth rules (per year):

- ``"silverman"``: h = 0.9 A n^{-1/5}, A = min(s, IQR / 1.349), s the sample
  standard deviation (ddof = 1); A = s when the IQR is zero.  Silverman, B. W.
  (1986), *Density Estimation for Statistics and Data Analysis*, Chapman &
  Hall, eq. 3.31.
- ``"scott"``: h = 1.059 A n^{-1/5} (Scott, D. W. (1992), *Multivariate
  Density Estimation*, Wiley).
- a number: the same h in every year, so the curves differ only by the data.

These match statsmodels' ``bw_silverman`` and ``bw_scott``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from vagg._errors import DataError, SpecificationError
from vagg.evolution._inputs import panel_series, time_name

_RULE_FACTOR = {"silverman": 0.9, "scott": 1.059}


def _bandwidths(series: pd.Series, rule: str | float) -> pd.Series:
    """Bandwidth by year for ``rule`` (see the module docstring)."""
    years = series.groupby(level=1)
    if not isinstance(rule, str):
        if not np.isfinite(rule) or rule <= 0:
            raise SpecificationError(f"a fixed bandwidth must be positive, got {rule}")
        return years.size() * 0.0 + float(rule)
    if rule not in _RULE_FACTOR:
        raise SpecificationError(f"unknown bandwidth rule {rule!r}; use 'silverman', 'scott' or a number")
    sd = years.std(ddof=1)
    iqr = (years.quantile(0.75) - years.quantile(0.25)) / 1.349
    spread = iqr.where(iqr > 0, sd).combine(sd, min)
    h = _RULE_FACTOR[rule] * spread * years.size() ** -0.2
    bad = h.index[~(h > 0)]
    if len(bad):
        raise DataError(f"{series.name!r} has no spread (or one value) in {time_name(series)} {bad[0]}; "
                        "no bandwidth can be chosen; pass a number")
    return h


def kernel_density(panel: pd.DataFrame | pd.Series, column: str | None = None,
                   bandwidth: Literal["silverman", "scott"] | float = "silverman",
                   grid: np.ndarray | None = None, n_grid: int = 200, cut: float = 3.0) -> pd.DataFrame:
    """Gaussian kernel density of ``column`` for every year on a common grid.

    Parameters
    ----------
    panel
        Panel DataFrame indexed (entity, time) with ``column``, or a Series
        with that index.
    bandwidth
        ``"silverman"`` (default), ``"scott"`` or a fixed positive number; see
        the module docstring for the formulas.
    grid
        Points at which to evaluate; by default ``n_grid`` equally spaced
        points from min(y) - cut h_max to max(y) + cut h_max over all years.

    Returns
    -------
    DataFrame
        Tidy, one row per year x grid point: columns ``<time>`` (the panel's
        time level name), ``x``, ``density`` and ``bandwidth`` (that year's h).
        Pivot with ``df.pivot(index="x", columns="year", values="density")``
        for a ridge or 3-D plot.
    """
    series, _ = panel_series(panel, column)
    h = _bandwidths(series, bandwidth)
    values = series.to_numpy()
    if grid is None:
        pad = cut * float(h.max())
        grid = np.linspace(values.min() - pad, values.max() + pad, int(n_grid))
    grid = np.asarray(grid, dtype=float)
    years = series.index.get_level_values(1)
    codes = pd.Index(h.index).get_indexer(years)
    h_obs = h.to_numpy()[codes]
    kernel = np.exp(-0.5 * ((grid[None, :] - values[:, None]) / h_obs[:, None]) ** 2)
    kernel /= np.sqrt(2.0 * np.pi) * h_obs[:, None]
    by_year = sp.csr_matrix((np.ones(len(values)), (codes, np.arange(len(values)))), shape=(len(h), len(values)))
    counts = np.asarray(by_year.sum(axis=1)).ravel()
    density = (by_year @ kernel) / counts[:, None]
    time = time_name(series)
    return pd.DataFrame({
        time: np.repeat(h.index.to_numpy(), len(grid)),
        "x": np.tile(grid, len(h)),
        "density": density.ravel(),
        "bandwidth": np.repeat(h.to_numpy(), len(grid)),
    })
