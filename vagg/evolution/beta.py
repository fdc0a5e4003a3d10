r"""Beta convergence: panel regressions of growth on the lagged level.

With g_it = ln y_{i,t+1} - ln y_it the growth over one year,

.. math::

    g_{it} = \beta \ln y_{it} + x_{it}'\theta + \mu_i + \gamma_t + \varepsilon_{it}

and beta < 0 means convergence.  Since ln y_{i,t+1} = (1 + beta) ln y_it + ...,
the implied speed is lambda = -ln(1 + beta) per year (delta-method standard
error se(beta) / |1 + beta|) and the half-life ln 2 / lambda years (Barro and
Sala-i-Martin 1992, Journal of Political Economy 100: 223-251).

- *Absolute* convergence (one common steady state): time effects only, no
  controls.  Pooled over entities, the estimator is consistent as the number
  of entities grows.
- *Conditional* convergence (each entity its own steady state): entity and
  time effects (Islam, N. (1995), "Growth empirics: a panel data approach",
  Quarterly Journal of Economics 110: 1127-1170), optionally with controls.
  The within estimator of a dynamic panel is biased towards faster
  convergence when T is short (Nickell, S. (1981), Econometrica 49:
  1417-1426; plim of the bias about -(2 + beta)/(T - 1)): read the speed from
  a short panel as an upper bound.
- *Spatial* convergence: the same regression as a spatial Durbin model
  (Elhorst 2014, *Spatial Econometrics*, ch. 3), through
  :class:`vagg.models.SpatialPanel`.

The fixed-effects regression is :class:`vagg.models.PanelFE` (called in
:func:`_fit_fe` only): clustered intervals use the t distribution with G - 1
degrees of freedom.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from libpysal.weights import W

from vagg._errors import DataError, SpecificationError
from vagg.data.panel import _listing, check_columns, check_panel_index

EFFECTS = ("none", "entity", "time", "twoway")
KIND_EFFECTS = {"absolute": "time", "conditional": "twoway"}
COVARIANCES = ("clustered", "robust", "unadjusted", "driscoll-kraay")


class BetaConvergence:
    """A beta-convergence regression, in the shape of vagg's result objects.

    Attributes
    ----------
    params, std_errors, tstats, pvalues
        Series by regressor (the level regressor is ``ln_<column>``).
    nobs, kind, level_name, results
        Observations, "absolute" / "conditional" / "spatial", the name of the
        level regressor and the underlying fit (PanelFE or SpatialPanel results).
    beta, speed, speed_se, half_life
        The level coefficient, lambda = -ln(1 + beta), its delta-method
        standard error and ln 2 / lambda (NaN without convergence).
    table
        One-row DataFrame: kind, beta, std_error, pvalue, speed, speed_se,
        half_life, nobs (for plotting and reports).
    table_info
        The dict report tables read (see :mod:`vagg.models._results`).
    """

    def __init__(self, results: Any, level_name: str, kind: str, info: dict[str, object]) -> None:
        self.results = results
        self.level_name = level_name
        self.kind = kind
        self.params = results.params
        self.std_errors = results.std_errors
        self.tstats = results.tstats
        self.pvalues = results.pvalues
        self.nobs = int(results.nobs)
        self.beta = float(self.params[level_name])
        one_plus = 1.0 + self.beta
        self.speed = float(-np.log(one_plus)) if one_plus > 0 else np.nan
        self.speed_se = float(self.std_errors[level_name] / one_plus) if one_plus > 0 else np.nan
        self.half_life = float(np.log(2.0) / self.speed) if self.speed > 0 else np.nan
        info["extra"] = {**info.get("extra", {}), "speed (lambda)": self.speed, "half-life (years)": self.half_life}
        self.table_info = info

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals (columns ``lower``, ``upper``) from the fit."""
        return self.results.conf_int(level)

    @property
    def table(self) -> pd.DataFrame:
        """One row: kind, beta, std_error, pvalue, speed, speed_se, half_life, nobs."""
        return pd.DataFrame([{
            "kind": self.kind, "beta": self.beta, "std_error": float(self.std_errors[self.level_name]),
            "pvalue": float(self.pvalues[self.level_name]), "speed": self.speed, "speed_se": self.speed_se,
            "half_life": self.half_life, "nobs": self.nobs,
        }])

    @property
    def summary(self) -> str:
        """The convergence line followed by the regression's own summary."""
        return (f"{self.kind} beta convergence: beta = {self.beta:.6g}, speed = {self.speed:.6g} "
                f"(se {self.speed_se:.3g}), half-life = {self.half_life:.4g} years\n{self.results.summary}")

    def __repr__(self) -> str:
        return self.summary


def growth_frame(panel: pd.DataFrame, column: str, controls: Sequence[str] = ()) -> pd.DataFrame:
    """Growth g_it = ln y_{i,t+1} - ln y_it, the level ln y_it and controls at t.

    Rows are (entity, start year) with a next year t + 1 in the panel; the
    last year of each entity (and a year before a gap) has no growth.

    Raises
    ------
    DataError
        Absent, non-numeric or missing values (named), non-positive levels.
    """
    check_panel_index(panel)
    controls = list(controls)
    if column in controls:
        raise SpecificationError(f"{column!r} is the convergence variable and cannot also be a control")
    check_columns(panel, [column, *controls])
    data = panel.sort_index()
    y = data[column].astype(float)
    if (y <= 0).any():
        bad = y.index[(y <= 0).to_numpy()]
        raise DataError(f"beta convergence needs positive {column!r} (logs); not so at {_listing(list(bad))}")
    entities = data.index.get_level_values(0)
    years = pd.Series(data.index.get_level_values(1), index=data.index)
    log_y = np.log(y)
    next_log = log_y.groupby(entities).shift(-1)
    step = years.groupby(entities).shift(-1) - years
    keep = (step == 1).to_numpy()
    if not keep.any():
        raise DataError(f"no entity has {column!r} in two consecutive years; growth cannot be computed")
    level = f"ln_{column}"
    out = pd.DataFrame({f"growth_{column}": (next_log - log_y), level: log_y}, index=data.index)
    for c in controls:
        out[c] = data[c].astype(float)
    return out[keep]


def _fit_fe(frame: pd.DataFrame, dependent: str, regressors: list[str], effects: str, cov: str) -> Any:
    """Fixed-effects OLS through :class:`vagg.models.PanelFE` (a constant only without effects).

    PanelFE drops (with a warning) controls the effects absorb; losing the
    level itself is an error.
    """
    from vagg.models import PanelFE

    try:
        results = PanelFE(frame[dependent], frame[regressors], effects=effects).fit(cov=cov)
    except SpecificationError as exc:
        raise SpecificationError(f"the convergence regression on {regressors[0]!r} with {effects} effects "
                                 f"cannot be estimated: {exc}") from exc
    if regressors[0] not in results.params.index:
        raise SpecificationError(f"{regressors[0]!r} cannot be estimated with {effects} effects: "
                                 + "; ".join(results.notes))
    return results


def _check_options(kind: str, effects: str | None, cov: str) -> str:
    if kind not in KIND_EFFECTS:
        raise SpecificationError(f"kind must be 'absolute' or 'conditional', got {kind!r}")
    effects = KIND_EFFECTS[kind] if effects is None else effects
    if effects not in EFFECTS:
        raise SpecificationError(f"unknown effects {effects!r}; use one of {EFFECTS}")
    if cov not in COVARIANCES:
        raise SpecificationError(f"unknown cov {cov!r}; use one of {COVARIANCES}")
    return effects


def beta_convergence(panel: pd.DataFrame, column: str, controls: Sequence[str] = (),
                     kind: Literal["absolute", "conditional"] = "absolute", effects: str | None = None,
                     cov: str = "clustered") -> BetaConvergence:
    """Absolute or conditional beta convergence of ``column`` (module docstring).

    Parameters
    ----------
    panel
        Panel indexed (entity, time) with positive ``column`` and the controls.
    controls
        Columns measured at the start year t (conditional convergence).
    kind
        ``"absolute"`` (default effects "time", no controls allowed) or
        ``"conditional"`` (default effects "twoway").
    effects
        Override: ``"none"``, ``"entity"``, ``"time"`` or ``"twoway"``.
    cov
        ``"clustered"`` (by entity, default), ``"robust"``, ``"unadjusted"`` or
        ``"driscoll-kraay"`` (as :meth:`vagg.models.PanelFE.fit`).

    Returns
    -------
    BetaConvergence
        ``beta``, ``speed``, ``speed_se``, ``half_life``, ``params`` ... and a
        one-row ``table``.
    """
    effects = _check_options(kind, effects, cov)
    if kind == "absolute" and len(controls):
        raise SpecificationError("absolute beta convergence takes no controls; use kind='conditional'")
    frame = growth_frame(panel, column, controls)
    level = f"ln_{column}"
    results = _fit_fe(frame, f"growth_{column}", [level, *controls], effects, cov)
    info = dict(results.table_info)
    info["model"] = f"beta ({kind})"
    return BetaConvergence(results, level, kind, info)


def spatial_beta_convergence(panel: pd.DataFrame, column: str, w: W | tuple[sp.spmatrix, Sequence[object]],
                             controls: Sequence[str] = (), effects: str = "twoway",
                             **model_options: object) -> BetaConvergence:
    """Spatial beta convergence: the growth regression as a spatial Durbin panel.

    g_it = rho (W g)_it + beta ln y_it + theta (W ln y)_it + x_it'b + (W x)_it'd
    + mu_i + gamma_t + e_it, estimated by :class:`vagg.models.SpatialPanel`
    (``model="sdm"``; ``model_options`` such as ``lee_yu`` pass through).
    The speed and half-life use the own coefficient beta; the direct and
    spillover effects of the level are in ``.results.impacts()``.

    Parameters
    ----------
    panel
        Balanced panel indexed (entity, time) with consecutive years.
    w
        libpysal W (or (sparse, ids)) over the entities, refused by id when it
        does not match.

    Raises
    ------
    NotImplementedError
        When ``vagg.models.SpatialPanel`` (the spatial Durbin model) is not
        available in this installation.
    """
    try:
        from vagg.models import SpatialPanel
    except (ImportError, AttributeError) as exc:
        raise NotImplementedError(
            "spatial beta convergence needs the spatial Durbin model vagg.models.SpatialPanel, "
            "which is not available"
        ) from exc
    if effects not in EFFECTS:
        raise SpecificationError(f"unknown effects {effects!r}; use one of {EFFECTS}")
    frame = growth_frame(panel, column, controls)
    level = f"ln_{column}"
    exog = frame[[level, *controls]]
    results = SpatialPanel(frame[f"growth_{column}"], exog, w, model="sdm", effects=effects,
                           **model_options).fit()
    info = dict(results.table_info)
    info["model"] = "beta (spatial SDM)"
    return BetaConvergence(results, level, "spatial", info)
