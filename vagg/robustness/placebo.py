"""Placebo (permutation) test of a fixed-effects coefficient, vectorised across permutations.

The key regressor x is randomly reassigned -- whole city paths across cities
(``within="entity"``: x*_{it} = x_{pi(i) t}) or years within each city
(``within="time"``: x*_{it} = x_{i pi_i(t)}) -- and the FE model is
re-estimated on the placebo regressor.  With the outcome and controls fixed,
the Frisch-Waugh-Lovell theorem gives every placebo estimate in closed form,

.. math::  \\hat b^*_p = \\frac{\\tilde x_p^{*\\prime} \\tilde y}{\\tilde x_p^{*\\prime} \\tilde x^*_p},
   \\qquad \\tilde a = M_{\\ddot C}\\, \\ddot a,

where the double dot is the within transformation and :math:`M_{\\ddot C}`
the residual maker of the within-transformed controls: y and the controls are
transformed once, and all P placebo regressors of a chunk are transformed and
projected together as one (n x P) matrix.  The permutation p-value is
:math:`(1 + \\#\\{|\\hat b^*_p| \\ge |\\hat b|\\})/(1 + P)`, exact under the null
that x has no effect and cities (or years) are exchangeable (Fisher 1935,
*The Design of Experiments*; Phipson and Smyth 2010, *Stat. Appl. Genet. Mol.
Biol.* 9:39, for the +1; the random-assignment placebo of Li, Lu and Wang
2016, *J. Development Economics* 123:18, is its common use with Chinese city
panels).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from vagg._errors import DataError, SpecificationError
from vagg.data.panel import validate_panel
from vagg.models._resampling import run_chunks
from vagg.models._within import Groups, demean
from vagg.weights import to_sparse

WITHIN = ("entity", "time")


@dataclass(frozen=True)
class PlaceboResult:
    """A placebo test.

    Attributes
    ----------
    estimate
        The real FE coefficient of the key regressor.
    draws
        The placebo estimates, one per permutation.
    pvalue
        (1 + number of |placebo| >= |real|) / (1 + permutations).
    share_beyond
        Share of placebo estimates at least as large in absolute value as the real one.
    nobs, within
        Observations; what was permuted ("entity" or "time").
    """

    estimate: float
    draws: np.ndarray
    pvalue: float
    share_beyond: float
    nobs: int
    within: str

    def density(self, points: int = 200) -> pd.DataFrame:
        """Gaussian kernel density of the placebo estimates (Scott's bandwidth), for a figure.

        Returns a DataFrame with columns ``value`` and ``density`` on an even
        grid covering the draws and the real estimate.
        """
        lo = min(self.draws.min(), self.estimate)
        hi = max(self.draws.max(), self.estimate)
        pad = 0.1 * (hi - lo)
        grid = np.linspace(lo - pad, hi + pad, points)
        return pd.DataFrame({"value": grid, "density": stats.gaussian_kde(self.draws)(grid)})


def partial_out(df: pd.DataFrame, columns: list[str], controls: list[str], groups: Groups,
                effects: str) -> tuple[np.ndarray, np.ndarray]:
    """Within-transformed ``columns`` with the controls partialled out (FWL), and the controls' basis.

    Returns the (n x len(columns)) residuals and an orthonormal basis q (n x r)
    of the within-transformed controls, r their rank (possibly 0), so that a
    new regressor a is partialled out as ``a - q @ (q.T @ a)``.
    """
    both = demean(df[[*columns, *controls]].to_numpy(dtype=float), groups, effects)
    c = both[:, len(columns):]
    if c.shape[1] == 0:
        q = np.zeros((len(df), 0))
    else:
        q, r = np.linalg.qr(c)
        q = q[:, np.abs(np.diag(r)) > 1e-10 * max(np.abs(np.diag(r)).max(), 1e-300)]
    a = both[:, :len(columns)]
    return a - q @ (q.T @ a), q


def _slopes(x: np.ndarray, y_t: np.ndarray, q: np.ndarray, groups: Groups, effects: str) -> np.ndarray:
    """FWL slopes of y on each column of x (n x P), controls q partialled out."""
    xd = demean(x, groups, effects)
    xt = xd - q @ (q.T @ xd)
    return (xt.T @ y_t) / np.einsum("ij,ij->j", xt, xt)


def permuted_paths(x: np.ndarray, within: str, rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` permutations of the (N x T) regressor: rows across entities, or periods within each row."""
    n_ent, n_per = x.shape
    if within == "entity":
        return x[np.argsort(rng.random((size, n_ent)), axis=1)]  # size x N x T
    order = np.argsort(rng.random((size, n_ent, n_per)), axis=2)
    return np.take_along_axis(np.broadcast_to(x, (size, n_ent, n_per)), order, axis=2)


def _placebo_draws(x: np.ndarray, y_t: np.ndarray, q: np.ndarray, groups: Groups, effects: str, within: str,
                   rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` placebo estimates; x is the (N x T) regressor of a balanced, sorted panel."""
    n_ent, n_per = x.shape
    xp = permuted_paths(x, within, rng, size)
    return _slopes(xp.reshape(size, n_ent * n_per).T, y_t, q, groups, effects)


def _check(within: str, effects: str, n_perm: int) -> None:
    if within not in WITHIN:
        raise SpecificationError(f"within must be one of {WITHIN}, got {within!r}")
    if effects not in ("entity", "time", "twoway"):
        raise SpecificationError(f"effects must be 'entity', 'time' or 'twoway', got {effects!r}")
    if n_perm < 2:
        raise SpecificationError(f"n_perm must be at least 2, got {n_perm}")


def _result(estimate: float, draws: np.ndarray, nobs: int, within: str) -> PlaceboResult:
    """p-value and share beyond over the finite draws."""
    draws = draws[np.isfinite(draws)]
    beyond = int(np.sum(np.abs(draws) >= np.abs(estimate) * (1 - 1e-12)))
    return PlaceboResult(estimate, draws, (1 + beyond) / (1 + len(draws)), beyond / len(draws), nobs, within)


def placebo_test(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    controls: list[str] | tuple[str, ...] = (),
    effects: str = "twoway",
    n_perm: int = 1000,
    within: str = "entity",
    seed: int | None = 0,
    n_jobs: int = 1,
    client: Any = None,
) -> PlaceboResult:
    """Permutation placebo test of the FE coefficient of ``treatment``.

    Parameters
    ----------
    data
        Balanced panel indexed by (entity, time) with complete columns.
    outcome, treatment, controls
        Column names.
    effects
        "entity", "time" or "twoway".
    n_perm
        Permutations (500-1,000 is usual).
    within
        "entity": permute the treatment paths across cities; "time": permute
        years within each city.
    seed
        Seed; identical results serially, with joblib or on dask.
    n_jobs, client
        Parallel chunks of 1,000 permutations (see
        :func:`vagg.models._resampling.run_chunks`).

    Returns
    -------
    :class:`PlaceboResult`.

    Raises
    ------
    DataError
        An unbalanced panel (naming the missing city-years) or missing values.
    SpecificationError
        Unknown ``within`` / ``effects``, fewer than two permutations, or a
        treatment the fixed effects absorb.
    """
    _check(within, effects, n_perm)
    controls = list(controls)
    df = validate_panel(data, balanced=True, required=[outcome, treatment, *controls])
    groups = Groups.from_index(df.index)
    if len(df) != groups.n_entities * groups.n_periods:
        raise DataError("the panel must be balanced for a placebo permutation")
    y_t, q = partial_out(df, [outcome], controls, groups, effects)
    y_t = y_t[:, 0]
    x = df[treatment].to_numpy(dtype=float)
    estimate = float(_slopes(x[:, None], y_t, q, groups, effects)[0])
    if not np.isfinite(estimate):
        raise SpecificationError(f"the treatment {treatment!r} has no variation left after the fixed effects "
                                 "and controls")
    fn = partial(_placebo_draws, x.reshape(groups.n_entities, groups.n_periods), y_t, q, groups, effects, within)
    draws = run_chunks(fn, n_perm, seed, n_jobs=n_jobs, client=client, desc="placebo")
    return _result(estimate, draws, len(df), within)


def _sdm_coefficient(y: pd.Series, exog: pd.DataFrame, treatment: str, w: Any, effects: str) -> float:
    """The SDM coefficient of ``treatment``; NaN when the likelihood has no interior maximum."""
    from vagg.models.spatial import SpatialPanel

    try:
        return float(SpatialPanel(y, exog, w, model="sdm", effects=effects).fit().params[treatment])
    except (DataError, SpecificationError, np.linalg.LinAlgError):
        return float("nan")


def _sdm_draws(y: pd.Series, exog: pd.DataFrame, treatment: str, w: Any, effects: str, within: str,
               rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` SDM placebo estimates: one maximum-likelihood fit per permutation."""
    n_ent = exog.index.get_level_values(0).nunique()
    paths = permuted_paths(exog[treatment].to_numpy(dtype=float).reshape(n_ent, -1), within, rng, size)
    return np.array([_sdm_coefficient(y, exog.assign(**{treatment: p.ravel()}), treatment, w, effects)
                     for p in paths])


def _sdm_draws_fwl(model: Any, treatment: str, within: str, rng: np.random.Generator, size: int) -> np.ndarray:
    r"""``size`` SDM placebo estimates without refitting the whole model.

    Only the treatment x and its lag Wx change between permutations: the
    lags of all permutations of the chunk are one sparse product, and each
    permutation's design is the real one with those two columns replaced
    (transformed as :func:`vagg.models.spatial.likelihood.make_design` does).  The concentrated
    likelihood depends on the data through :math:`e_0'e_0, e_0'e_1, e_1'e_1`
    only (the residuals of :math:`\tilde y` and :math:`\widetilde{Wy}` on the
    design; :func:`vagg.models.spatial.likelihood.fit_lag`), so each
    permutation costs two k x k solves and the one-dimensional maximisation
    over rho -- with the fit's own arithmetic and optimiser, so the estimates
    are those of a full refit -- but no information matrix, traces or
    results.  NaN where the maximum is on the boundary or the design is
    singular.
    """
    from vagg.models.spatial import likelihood as ml

    d = model.design()
    names = model.regressor_names()
    moving = [names.index(treatment), names.index(f"W_{treatment}")]
    paths = permuted_paths(model.x[:, :, model.exog_names.index(treatment)], within, rng, size)
    paths = paths.transpose(1, 2, 0)                                                  # N x T x size
    lags = ml.lag(model.w, paths)
    raw = model._regressors(model.durbin)
    y, wy = d.y.ravel(), d.wy.ravel()
    out = np.full(size, np.nan)
    for p in range(size):
        raw[:, :, moving[0]], raw[:, :, moving[1]] = paths[:, :, p], lags[:, :, p]
        x = ml.within(raw, d.effects).reshape(len(y), -1)  # as make_design, so the arithmetic is the fit's
        try:
            b0, b1 = ml._ols(x, y), ml._ols(x, wy)
        except np.linalg.LinAlgError:
            continue
        e0, e1 = y - x @ b0, wy - x @ b1
        a, b, c = e0 @ e0, e0 @ e1, e1 @ e1

        def conc(rho: float, a: float = a, b: float = b, c: float = c) -> float:  # as fit_lag's
            return -0.5 * d.n_eff * np.log((a - 2 * rho * b + rho * rho * c) / d.n_eff) + d.jacobian(model.operator,
                                                                                                   rho)
        try:
            rho = ml._maximise(conc, model.operator, "rho")
        except SpecificationError:
            continue
        out[p] = (b0 - rho * b1)[moving[0]]
    return out


def spatial_placebo_test(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    w: Any,
    controls: list[str] | tuple[str, ...] = (),
    effects: str = "twoway",
    n_perm: int = 500,
    within: str = "entity",
    seed: int | None = 0,
    n_jobs: int = 1,
    client: Any = None,
    method: str = "batched",
) -> PlaceboResult:
    """Placebo test of the coefficient of ``treatment`` in a spatial Durbin model.

    As :func:`placebo_test`, but each permutation is a maximum-likelihood SDM
    fit (:class:`~vagg.models.SpatialPanel`, no closed form).  With
    ``method="batched"`` (default) the regression algebra of all
    permutations of a chunk is done at once and only the one-dimensional
    maximisation over rho runs per permutation (:func:`_sdm_draws_fwl`);
    ``method="refit"`` fits the whole model on every permuted data set (the
    brute-force reference, one fit per draw).  Chunks run in parallel with
    ``n_jobs`` or a dask ``client``.  The treatment and its spatial lag are
    both permuted (the lag is rebuilt from the permuted treatment).  Draws
    whose likelihood has no interior maximum are dropped; ``draws`` holds the
    others and the p-value counts them only.
    """
    _check(within, effects, n_perm)
    if method not in ("batched", "refit"):
        raise SpecificationError(f"method must be 'batched' or 'refit', got {method!r}")
    controls = list(controls)
    df = validate_panel(data, balanced=True, required=[outcome, treatment, *controls])
    to_sparse(w, df.index.get_level_values(0).unique())  # bad weights are refused here, not read as a failed fit
    exog = df[[treatment, *controls]]
    estimate = _sdm_coefficient(df[outcome], exog, treatment, w, effects)
    if not np.isfinite(estimate):
        raise SpecificationError("the SDM cannot be estimated on the real data; no placebo")
    if method == "refit":
        fn = partial(_sdm_draws, df[outcome], exog, treatment, w, effects, within)
    else:
        from vagg.models.spatial import SpatialPanel

        fn = partial(_sdm_draws_fwl, SpatialPanel(df[outcome], exog, w, model="sdm", effects=effects), treatment,
                     within)
    draws = run_chunks(fn, n_perm, seed, n_jobs=n_jobs, client=client, desc="SDM placebo")
    return _result(estimate, draws, len(df), within)
