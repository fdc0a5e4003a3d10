"""Moderation: conditional effects, the Johnson-Neyman interval, conditional spatial impacts.

A model with the mean-centred interaction ``x * z`` (see
:func:`vagg.models.panel_fe.centred_product`),

.. math::  y_{it} = \\beta_x x_{it} + \\beta_z z_{it} + \\beta_{xz}(x_{it} - \\bar x)(z_{it} - \\bar z)
           + \\dots + \\alpha_i + \\gamma_t + \\varepsilon_{it},

has the conditional effect of x at :math:`z = z_0`

.. math::  \\theta(z_0) = \\beta_x + \\beta_{xz}(z_0 - \\bar z), \\qquad
           \\mathrm{Var}\\,\\theta(z_0) = V_{xx} + 2(z_0 - \\bar z)V_{x,xz} + (z_0 - \\bar z)^2 V_{xz,xz}

(Aiken and West 1991; Hayes 2022, ch. 7-8, PROCESS model 1: values at the
mean and +/- 1 sd, or the 16th, 50th and 84th percentiles).  The
Johnson-Neyman points are the moderator values where
:math:`\\theta(z_0)^2 = c^2\\,\\mathrm{Var}\\,\\theta(z_0)` (:math:`c` the critical t or
z value), the roots of a quadratic in :math:`u = z_0 - \\bar z`
(Johnson and Neyman 1936; Bauer and Curran 2005, *Multivariate Behav. Res.*
40: 373-400).

In a spatial Durbin model with ``x``, ``x:z`` and their spatial lags the
derivative of y with respect to x when every city has moderator value
:math:`z_0` is :math:`(I - \\rho W)^{-1}[\\beta(z_0) I + \\theta(z_0) W]`, with
:math:`\\beta(z_0) = \\beta_x + \\beta_{xz}(z_0 - \\bar z)` and
:math:`\\theta(z_0) = \\theta_x + \\theta_{xz}(z_0 - \\bar z)`, so the conditional
direct, indirect and total impacts are the LeSage-Pace summaries of those
coefficients (simulated standard errors from the joint ML covariance;
Sci Rep 15:25771 reports them for a moderated SDM).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from vagg._errors import SpecificationError
from vagg.models.panel_fe import PanelFEResults, centring_means, parse_formula
from vagg.models.spatial import SpatialPanel
from vagg.models.spatial.impacts import impact_table


def spatial_from_formula(formula: str, data: pd.DataFrame, w: Any, **kwargs: Any) -> SpatialPanel:
    """:class:`SpatialPanel` from a formula parsed like PanelFE's: ``x * z`` is a centred interaction.

    Keyword arguments are those of :class:`SpatialPanel` (``model="sdm"``,
    ``effects``, ``durbin``, ...); the product's spatial lag is ``W_x:z``.
    """
    dependent, exog = parse_formula(formula, data)
    return SpatialPanel(dependent, exog, w, **kwargs)


def _product_name(params: pd.Index, x: str, moderator: str) -> str:
    for name in (f"{x}:{moderator}", f"{moderator}:{x}"):
        if name in params:
            return name
    raise SpecificationError(f"the model has no interaction of {x!r} and {moderator!r}; write '{x} * {moderator}' "
                             "in the formula")


def _moderator_sample(result: Any, moderator: str, data: pd.DataFrame | None) -> tuple[pd.DataFrame, np.ndarray]:
    """The data that defined the centring, and the moderator over the estimation sample."""
    model = getattr(result, "model", None)
    keep = None
    if data is None:
        data = getattr(model, "data", None)
        if data is None:
            raise SpecificationError("pass data=: the result does not hold the data its formula was built from")
        keep = model._keep
    if moderator not in data.columns:
        raise SpecificationError(f"moderator {moderator!r} is not a column of the data")
    values = data[moderator].to_numpy(dtype=float)
    values = values[keep] if keep is not None else values
    return data, values[~np.isnan(values)]


def moderator_values(values: np.ndarray, at: Sequence[float] | str | None) -> np.ndarray:
    """None -> mean - sd, mean, mean + sd; "percentiles" -> 16th, 50th, 84th; else the values given."""
    if at is None:
        m, s = values.mean(), values.std(ddof=1)
        return np.array([m - s, m, m + s])
    if isinstance(at, str):
        if at != "percentiles":
            raise SpecificationError(f"at must be None, 'percentiles' or a list of values, got {at!r}")
        return np.percentile(values, [16, 50, 84])
    return np.atleast_1d(np.asarray(at, dtype=float))


def _critical(result: Any, level: float) -> tuple[float, Any]:
    df = getattr(result, "df_t", None)
    dist = stats.t(df) if df is not None else stats.norm()
    return float(dist.ppf(0.5 + level / 2)), dist


@dataclass
class _Linear:
    """theta(z0) = b_x + b_xz u and its variance pieces, u = z0 - zbar."""

    b: np.ndarray
    v: np.ndarray
    center: float

    def at(self, z0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u = np.asarray(z0, dtype=float) - self.center
        g = np.column_stack([np.ones_like(u), u])
        return g @ self.b, np.sqrt(np.einsum("ij,jk,ik->i", g, self.v, g))


def _product_centre(result: Any, product: str, moderator: str, data: pd.DataFrame) -> float:
    """The value of the moderator at which the product term vanishes, read off the fitted design.

    The product column is checked against the centred product of
    :func:`centred_product` (``x * z`` in a vagg formula) and the raw product
    (``x:z`` in formulaic syntax); the model is refused when it is neither.
    """
    left, right = product.split(":")
    spec = getattr(result, "spec", None)
    if spec is not None:  # spatial: x is (N x T x k), rows in spec.index order
        column = spec.x[:, :, spec.exog_names.index(product)].ravel()
        index = spec.index
    else:
        model = result.model
        column = model.x[:, model.exog_names.index(product)]
        index = model.index
    rows = data[[left, right]].reindex(index).to_numpy(dtype=float)
    centred = centring_means(data, left, right)
    for centre in (centred, (0.0, 0.0)):
        if np.allclose(column, (rows[:, 0] - centre[0]) * (rows[:, 1] - centre[1]), rtol=1e-9, atol=1e-12):
            return centre[(left, right).index(moderator)]
    raise SpecificationError(f"the column {product!r} of the model is neither the centred nor the raw product of "
                             f"{left!r} and {right!r} in the data given")


def _linear(result: Any, x: str, moderator: str, data: pd.DataFrame | None) -> tuple[_Linear, np.ndarray]:
    product = _product_name(result.params.index, x, moderator)
    data, values = _moderator_sample(result, moderator, data)
    names = [x, product]
    b = result.params[names].to_numpy(dtype=float)
    v = result.cov.loc[names, names].to_numpy(dtype=float)
    return _Linear(b, v, _product_centre(result, product, moderator, data)), values


def conditional_effects(result: PanelFEResults | Any, x: str, moderator: str, at: Sequence[float] | str | None = None,
                        data: pd.DataFrame | None = None, level: float = 0.95) -> pd.DataFrame:
    """Effect of ``x`` at values of ``moderator`` in a model with ``x * moderator``.

    The product may be vagg's centred one (``x * z``) or the raw ``x:z`` of
    formulaic; which one is read off the fitted design.

    Parameters
    ----------
    result
        A fitted PanelFE (or any result with ``params``, ``cov`` and, for t
        intervals, ``df_t``; normal intervals otherwise).
    x, moderator
        The focal regressor and the moderator.
    at
        None (mean and +/- 1 sd), "percentiles" or a list of values.
    data
        The data the formula was evaluated on (PanelFE results hold it).
    level
        Confidence level.

    Returns
    -------
    DataFrame indexed by the moderator value: estimate, se, t, pvalue, ci_low, ci_high.
    """
    lin, values = _linear(result, x, moderator, data)
    z0 = moderator_values(values, at)
    est, se = lin.at(z0)
    crit, dist = _critical(result, level)
    t = est / se
    return pd.DataFrame({"estimate": est, "se": se, "t": t, "pvalue": 2 * dist.sf(np.abs(t)),
                         "ci_low": est - crit * se, "ci_high": est + crit * se},
                        index=pd.Index(z0, name=moderator))


@dataclass
class JohnsonNeyman:
    """Johnson-Neyman points and the conditional-effect curve.

    Attributes
    ----------
    points
        Moderator values where the effect's interval just touches zero (0, 1
        or 2 real roots, sorted), whether inside the observed range or not.
    observed_range
        (min, max) of the moderator in the estimation sample.
    significant
        Intervals (low, high) of the observed range on which the effect is
        significant at ``level``.
    curve
        DataFrame over a grid of the observed range: estimate, ci_low, ci_high.
    """

    x: str
    moderator: str
    points: np.ndarray
    observed_range: tuple[float, float]
    significant: list[tuple[float, float]]
    curve: pd.DataFrame
    level: float

    @property
    def summary(self) -> str:
        regions = ", ".join(f"[{lo:.4f}, {hi:.4f}]" for lo, hi in self.significant) or "nowhere"
        pts = ", ".join(f"{p:.4f}" for p in self.points) or "none"
        return (f"Johnson-Neyman: effect of {self.x} by {self.moderator}; points {pts}; significant at "
                f"{self.level:.0%} on {regions} of the observed range "
                f"[{self.observed_range[0]:.4f}, {self.observed_range[1]:.4f}]")

    def __repr__(self) -> str:
        return self.summary


def johnson_neyman(result: PanelFEResults | Any, x: str, moderator: str, data: pd.DataFrame | None = None,
                   level: float = 0.95, grid: int = 201) -> JohnsonNeyman:
    """Johnson-Neyman points of significance of the effect of ``x`` across ``moderator`` (see module notes)."""
    lin, values = _linear(result, x, moderator, data)
    crit, _ = _critical(result, level)
    (b0, b1), v = lin.b, lin.v
    c2 = crit ** 2
    coef = [b1 ** 2 - c2 * v[1, 1], 2 * (b0 * b1 - c2 * v[0, 1]), b0 ** 2 - c2 * v[0, 0]]
    roots = np.roots(coef) if abs(coef[0]) > 1e-300 else np.array([-coef[2] / coef[1]])
    points = np.sort(roots[np.abs(roots.imag) < 1e-12].real) + lin.center
    lo, hi = float(values.min()), float(values.max())
    cuts = np.unique(np.concatenate([[lo], points[(points > lo) & (points < hi)], [hi]]))
    significant = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        est, se = lin.at(np.array([(a + b) / 2]))
        if abs(est[0]) > crit * se[0]:
            significant.append((float(a), float(b)))
    z = np.linspace(lo, hi, grid)
    est, se = lin.at(z)
    curve = pd.DataFrame({"estimate": est, "ci_low": est - crit * se, "ci_high": est + crit * se},
                         index=pd.Index(z, name=moderator))
    return JohnsonNeyman(x, moderator, points, (lo, hi), significant, curve, level)


def conditional_impacts(result: Any, x: str, moderator: str, data: pd.DataFrame,
                        at: Sequence[float] | str | None = None, draws: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Direct, indirect and total impacts of ``x`` at values of the moderator in a spatial model.

    Parameters
    ----------
    result
        A fitted :class:`SpatialPanel` (SDM, SAR, SLX, SDM ...) whose
        regressors include ``x`` and ``x:moderator`` (and, for Durbin models,
        their ``W_`` lags), built by :func:`spatial_from_formula` (centred
        product) or ``SpatialPanel.from_formula`` with ``x:z`` (raw product).
    data
        The data the formula was evaluated on (for the centring and the values).
    at
        None (mean and +/- 1 sd), "percentiles" or a list of values.
    draws, seed
        Simulated parameter vectors for the standard errors.

    Returns
    -------
    DataFrame indexed by the moderator value with the columns of
    :meth:`SpatialPanelResults.impacts`.
    """
    product = _product_name(result.params.index, x, moderator)
    center = _product_centre(result, product, moderator, data)
    z0 = moderator_values(data[moderator].dropna().to_numpy(dtype=float), at)
    u = z0 - center
    spatial = result.spatial_name if result.model in ("sar", "sdm") else None
    keys = [x, product, f"W_{x}", f"W_{product}"] + ([spatial] if spatial else [])
    present = [k for k in keys if k in result.params.index]
    sigma = result.cov.loc[present, present].to_numpy()
    pos = {k: i for i, k in enumerate(present)}
    v = len(z0)
    lmap = np.zeros((2 * v + 1, len(present)))
    for i, ui in enumerate(u):
        for row, (main, inter) in ((i, (x, product)), (v + i, (f"W_{x}", f"W_{product}"))):
            if main in pos:
                lmap[row, pos[main]] = 1.0
            if inter in pos:
                lmap[row, pos[inter]] = ui
    if spatial:
        lmap[-1, pos[spatial]] = 1.0
    values = result.params[present].to_numpy(dtype=float)
    mapped = lmap @ values
    cov = lmap @ sigma @ lmap.T
    rho = float(result.params[spatial]) if spatial else 0.0
    names = [f"{x} at {moderator}={z:.4g}" for z in z0]
    table = impact_table(names, mapped[:v], mapped[v:2 * v], rho, cov, result.spec.operator, draws, seed)
    return table.set_axis(pd.Index(z0, name=moderator), axis=0)
