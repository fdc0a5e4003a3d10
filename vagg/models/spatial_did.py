"""Spatial difference-in-differences: the policy and its spatial lag in an SLX or SDM panel.

Delgado and Florax (2015, "Difference-in-differences techniques for spatial
data: local autocorrelation and spatial interaction", *Economics Letters* 137:
123-126) add the neighbours' treatment to the DID regression,

.. math::

    y_{it} = \\rho\\,(Wy)_{it} + \\beta D_{it} + \\theta\\,(WD)_{it} + x_{it}'\\delta
             + \\alpha_i + \\gamma_t + \\varepsilon_{it},

so that an untreated city whose neighbours are treated is not a clean
control.  With the SLX (:math:`\\rho = 0`) the direct effect on a treated city
is :math:`\\beta` and the spillover on its neighbours :math:`\\theta`; in the
SDM the LeSage-Pace impacts of D give the average direct effect (on treated
cities, feedback included) and the indirect effect (spillover to neighbours)
with simulated standard errors (see :mod:`vagg.models.spatial.impacts`).

The event-study variant replaces :math:`D_{it}` by event-time dummies
:math:`D^k_{it}` (binned, reference period omitted, as in
:class:`~vagg.models.event_study.EventStudy`) and adds every
:math:`WD^k`: the share of a city's neighbours that are :math:`k` periods
from their adoption.  The impacts of each dummy trace the direct effect and
the spillover by event time; spillovers before adoption test for anticipation
among neighbours.

:func:`exposure_effects` evaluates the fitted model on the observed treatment
pattern: the own effect on treated cities and the spillover received by
untreated cities next to treated ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from vagg._errors import SpecificationError
from vagg.data.panel import check_columns, check_panel_index
from vagg.models.event_study import EventStudy
from vagg.models.spatial import SpatialPanel
from vagg.models.spatial_mediation import _draw_stage

_IMPACT_COLUMNS = ["direct", "direct_se", "direct_p", "indirect", "indirect_se", "indirect_p", "total", "total_se",
                   "total_p"]


def _check_model(model: str) -> None:
    if model not in ("sdm", "slx"):
        raise SpecificationError(f"spatial DID uses the SDM or the SLX (W x treatment), got model={model!r}")


def spatial_did(data: pd.DataFrame, outcome: str, w: Any, treatment: str = "treated", controls: Sequence[str] = (),
                model: str = "sdm", effects: str = "twoway", lag_controls: bool = False, draws: int = 1000,
                seed: int = 0) -> tuple[pd.Series, Any]:
    """Direct effect on treated cities and spillover on their neighbours.

    Parameters
    ----------
    data
        Balanced panel indexed by (entity, time) with the outcome, the
        treatment dummy (see :func:`vagg.models.policy_timing`) and controls.
    outcome, treatment, controls
        Column names.
    w
        Spatial weights (libpysal W or (matrix, ids)).
    model
        "sdm" (default) or "slx".
    effects
        Fixed effects, "twoway" by default.
    lag_controls
        Put the controls' spatial lags in the model too.
    draws, seed
        Simulated parameter vectors for the impact standard errors.

    Returns
    -------
    (impacts of the treatment, SpatialPanelResults): a Series with direct,
    indirect (spillover), total and their ``_se``, ``_p``, ``_lo``, ``_hi``;
    and the fitted model (coefficients ``treated``, ``W_treated``, ``rho``).
    """
    _check_model(model)
    check_panel_index(data)
    controls = list(controls)
    check_columns(data, [outcome, treatment, *controls], numeric=True)
    durbin = [treatment, *(controls if lag_controls else [])]
    fit = SpatialPanel(data[outcome], data[[treatment, *controls]], w, model=model, effects=effects,
                       durbin=durbin).fit()
    return fit.impacts(draws=draws, seed=seed).loc[treatment], fit


def spatial_event_study(data: pd.DataFrame, outcome: str, w: Any, cohort: str = "cohort", leads: int = 4,
                        lags: int = 4, reference: int = -1, controls: Sequence[str] = (), model: str = "slx",
                        effects: str = "twoway", draws: int = 1000, seed: int = 0) -> tuple[pd.DataFrame, Any]:
    """Direct effect and spillover by event time (binned end points).

    Parameters
    ----------
    data, outcome, cohort, leads, lags, reference, controls
        As :class:`~vagg.models.event_study.EventStudy` (the end points are binned).
    w
        Spatial weights.
    model
        "slx" (default: direct = coefficient of the dummy, spillover = of its
        lag) or "sdm".
    effects, draws, seed
        As :func:`spatial_did`.

    Returns
    -------
    (DataFrame indexed by event_time with direct, indirect (spillover),
    total and their ``_se`` and ``_p``; the reference period is a row of
    zeros), and the fitted SpatialPanelResults.
    """
    _check_model(model)
    controls = list(controls)
    es = EventStudy(data, outcome, cohort=cohort, leads=leads, lags=lags, reference=reference, bin_ends=True,
                    controls=controls, effects="twoway")
    dummies, _ = es.dummies()
    fit = SpatialPanel(data[outcome], pd.concat([dummies, data[controls]], axis=1), w, model=model,
                       effects=effects, durbin=list(dummies.columns)).fit()
    impacts = fit.impacts(draws=draws, seed=seed).loc[list(dummies.columns), _IMPACT_COLUMNS]
    impacts.index = pd.Index(es.window, name="event_time")
    impacts.loc[reference] = [0.0, float("nan"), float("nan")] * 3
    return impacts.sort_index(), fit


def exposure_effects(fit: Any, treatment: str = "treated", draws: int = 1000, seed: int = 0,
                     level: float = 0.95) -> pd.DataFrame:
    """Effects of the observed treatment pattern: on treated cities and on their untreated neighbours.

    With :math:`S = (I - \\rho W)^{-1}(\\beta I + \\theta W)` and the treatment
    vector :math:`D_t` of year t, the effect of the policy on city i in year t
    is :math:`(S D_t)_i`.  Reported, averaged over city-years:

    - ``direct on treated``: :math:`S_{ii}` over treated city-years (own
      effect, feedback through neighbours included);
    - ``spillover on treated``: :math:`(S D_t)_i - S_{ii}` over treated
      city-years (from other treated cities);
    - ``spillover on untreated``: :math:`(S D_t)_i` over untreated city-years
      with a treated neighbour (:math:`(WD_t)_i > 0`).

    Parameters
    ----------
    fit
        SpatialPanelResults of :func:`spatial_did` (SDM or SLX).
    treatment
        The treatment regressor.
    draws, seed, level
        Parametric draws of (beta, theta, rho) from their ML covariance for
        the standard errors and percentile intervals.

    Returns
    -------
    DataFrame indexed by the three quantities: estimate, se, ci_low, ci_high, n (city-years).
    """
    spec = fit.spec
    dense = spec.w.toarray()
    lam, vec = np.linalg.eig(dense)
    inv = np.linalg.inv(vec)
    d = spec.x[:, :, spec.exog_names.index(treatment)]
    if not np.isin(d, (0.0, 1.0)).all():
        raise SpecificationError(f"{treatment!r} must be a 0/1 treatment dummy")
    params = _draw_stage(fit, treatment, np.random.default_rng(seed), draws)
    g = (params[:, :1] + params[:, 1:2] * lam[None, :]) / (1.0 - params[:, 2:3] * lam[None, :])
    own = (g @ (vec * inv.T).T).real  # (B x N) diagonal of S
    effect = np.einsum("ik,bk,kt->bit", vec, g, inv @ d).real  # (B x N x T) S D_t
    treated = d == 1
    exposed = (d == 0) & (dense @ d > 0)
    own_t = np.broadcast_to(own[:, :, None], effect.shape)
    values = {"direct on treated": own_t[:, treated].mean(axis=1),
              "spillover on treated": (effect - own_t)[:, treated].mean(axis=1),
              "spillover on untreated": effect[:, exposed].mean(axis=1) if exposed.any()
              else np.full(len(g), np.nan)}
    alpha = 1 - level
    rows = {}
    for name, v in values.items():
        sim = v[1:]
        low, high = np.quantile(sim, [alpha / 2, 1 - alpha / 2]) if draws else (np.nan, np.nan)
        rows[name] = {"estimate": v[0], "se": sim.std(ddof=1) if draws > 1 else np.nan, "ci_low": low,
                      "ci_high": high, "n": int((exposed if name == "spillover on untreated" else treated).sum())}
    return pd.DataFrame.from_dict(rows, orient="index")
