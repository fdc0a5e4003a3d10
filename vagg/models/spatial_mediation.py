"""Spatial mediation: mediator and outcome equations that are spatial Durbin panels.

With treatment X, mediators :math:`M_j`, controls C, fixed effects and a
weights matrix W, every stage is an SDM (or SLX, SAR):

.. math::

    M_j &= \\rho_j W M_j + a_j X + \\vartheta_j W X + \\dots\\\\
    Y &= \\rho W Y + c' X + \\theta_c W X + \\textstyle\\sum_j (b_j M_j + \\phi_j W M_j) + \\dots

The N x N matrices of partial derivatives are
:math:`S_{M_j X} = (I - \\rho_j W)^{-1}(a_j I + \\vartheta_j W)` and
:math:`S_{Y M_j} = (I - \\rho W)^{-1}(b_j I + \\phi_j W)`, so the effect of X
on Y through :math:`M_j` is the matrix :math:`S_{Y M_j} S_{M_j X}`, and its
LeSage-Pace summaries split the indirect (mediated) effect into a direct part
(the mediated effect of a city's X on its own Y, mean of the diagonal) and a
spillover part (on the other cities, mean row sum minus the diagonal;
LeSage and Pace 2009, ch. 2.7; the decomposition of PLOS ONE e0277245 and
地理研究 41(7):1826).  Both matrices are functions of W: with
:math:`W = V\\Lambda V^{-1}`,

.. math::  \\tfrac1N\\mathrm{tr}\\,S = \\tfrac1N\\textstyle\\sum_i f(\\lambda_i), \\qquad
           \\tfrac1N \\mathbf 1'S\\mathbf 1 = \\tfrac1N \\textstyle\\sum_i (\\mathbf 1'V)_i f(\\lambda_i)(V^{-1}\\mathbf 1)_i,

:math:`f(\\lambda) = \\frac{(b + \\phi\\lambda)(a + \\vartheta\\lambda)}{(1 - \\rho\\lambda)(1 - \\rho_j\\lambda)}`,
evaluated for all draws at once.

Inference is a **parametric (Monte Carlo) draw of the ML estimates**, not a
city bootstrap (resampling cities breaks the neighbour structure): each
stage's (coefficients, rho) are drawn from the normal with its ML
information covariance, the stages independently (their errors are taken as
uncorrelated), and the effects are recomputed per draw (Preacher and Selig
2012, "Advantages of Monte Carlo confidence intervals for indirect effects",
*Commun. Methods Meas.* 6: 77-98; LeSage and Pace 2009, sec. 2.7.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from vagg._errors import SpecificationError
from vagg.data.panel import check_columns, check_panel_index
from vagg.models.spatial import SpatialPanel
from vagg.models.spatial.impacts import admissible_draws, draw_parameters

_PARTS = ("direct", "spillover", "total")


def _spectrum(w: Any) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of W and the weights (1'V)_i (V^-1 1)_i / N of the total-effect sum."""
    dense = w.toarray() if hasattr(w, "toarray") else np.asarray(w)
    lam, vec = np.linalg.eig(dense)
    ones = np.ones(dense.shape[0])
    weights = (ones @ vec) * np.linalg.solve(vec, ones) / dense.shape[0]
    return lam, weights


def _path(params: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """(B x N) (beta + theta lambda) / (1 - rho lambda) from (B x 3) columns beta, theta, rho."""
    beta, theta, rho = (params[:, i:i + 1] for i in range(3))
    return (beta + theta * lam[None, :]) / (1.0 - rho * lam[None, :])


def _summaries(f: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(B x 3) direct, spillover, total of the matrix function with values f(lambda)."""
    direct = f.mean(axis=1).real
    total = (f @ weights).real
    return np.column_stack([direct, total - direct, total])


def _draw_stage(fit: Any, name: str, rng: np.random.Generator, draws: int) -> np.ndarray:
    """(1 + draws) x 3 values of (beta, theta, rho) of regressor ``name``: the estimate, then normal draws.

    theta is zero when ``name`` has no spatial lag, rho when the model has none.  The draws come from
    ``rng``'s stream, truncated to rho inside the model's admissible interval by rejection
    (:func:`~vagg.models.spatial.impacts.admissible_draws`), as the impacts of the outcome equation.
    """
    spatial = fit.spatial_name if fit.model in ("sar", "sdm") else None
    keys = [name, f"W_{name}", spatial]
    idx = [i for i, k in enumerate(keys) if k is not None and k in fit.params.index]
    names = [keys[i] for i in idx]
    out = np.zeros((draws + 1, 3))
    out[:, idx] = fit.params[names].to_numpy(dtype=float)
    if draws:
        cov = fit.cov.loc[names, names].to_numpy()
        if spatial is None:
            out[1:, idx] = draw_parameters(out[0, idx], cov, draws, rng)
        else:  # rho outside its interval is redrawn, never clipped (see admissible_draws)
            low, high = fit.spec.operator.bounds
            at = idx.index(2)
            out[1:, idx] = admissible_draws(out[0, idx], cov, draws, rng,
                                            lambda s: (s[:, at] > low) & (s[:, at] < high),
                                            f"rho inside the admissible interval ({low:.4f}, {high:.4f})")[0]
    return out


class SpatialMediationResults:
    """Mediated effects split into direct and spillover parts, with Monte Carlo intervals.

    Attributes
    ----------
    indirect
        DataFrame indexed by mediator and "total": direct, spillover, total
        (the mediated effect of X on Y) with ``_se``, ``_lo``, ``_hi``
        (percentile interval of the draws) and ``_p`` (normal).
    direct_effect
        Impacts of X in the outcome equation (the effect not through the
        mediators): direct, indirect, total with their simulated se.
    stages
        SpatialPanelResults of each mediator equation and the outcome ("outcome").
    draws
        DataFrame of the Monte Carlo draws (mediator, part).
    """

    def __init__(self, indirect: pd.DataFrame, direct_effect: pd.Series, stages: dict[str, Any],
                 draws: pd.DataFrame, level: float, n_draws: int) -> None:
        self.indirect, self.direct_effect, self.stages = indirect, direct_effect, stages
        self.draws, self.level, self.n_draws = draws, level, n_draws

    @property
    def summary(self) -> str:
        fmt = {"float_format": lambda v: f"{v:.4f}"}
        cols = [c for p in _PARTS for c in (p, f"{p}_se")]
        return "\n".join([
            f"Spatial mediation ({self.stages['outcome'].model.upper()} stages); Monte Carlo draws of the ML "
            f"estimates: {self.n_draws}",
            "mediated effects (direct = own city, spillover = other cities):",
            self.indirect[cols].to_string(**fmt),
            "effect not through the mediators (outcome-equation impacts of the treatment):",
            self.direct_effect.to_string(**fmt)])

    def __repr__(self) -> str:
        return self.summary


class SpatialMediation:
    """Mediation whose stages are spatial panels (SDM by default).

    Parameters
    ----------
    data
        Balanced panel indexed by (entity, time).
    outcome, treatment, mediators, controls
        Column names (parallel mediators).
    w
        Spatial weights (libpysal W or (matrix, ids)).
    model
        "sdm" (default), "slx" or "sar" for every stage.
    effects
        Fixed effects in every stage ("twoway" by default).
    """

    def __init__(self, data: pd.DataFrame, outcome: str, treatment: str, mediators: str | Sequence[str], w: Any,
                 controls: Sequence[str] = (), model: str = "sdm", effects: str = "twoway") -> None:
        if model not in ("sdm", "slx", "sar"):
            raise SpecificationError(f"spatial mediation stages are SDM, SLX or SAR, got model={model!r}")
        check_panel_index(data)
        mediators = [mediators] if isinstance(mediators, str) else list(mediators)
        controls = list(controls)
        if not mediators:
            raise SpecificationError("at least one mediator is needed")
        check_columns(data, [outcome, treatment, *mediators, *controls], numeric=True)
        for m in mediators:
            if m in (outcome, treatment, *controls):
                raise SpecificationError(f"mediator {m!r} is also the outcome, the treatment or a control")
        self.data, self.outcome, self.treatment, self.mediators = data, outcome, treatment, mediators
        self.controls, self.w, self.model, self.effects = controls, w, model, effects

    def stages(self) -> dict[str, Any]:
        """Fit every stage: each mediator on X and controls, the outcome on X, mediators and controls."""
        fits = {}
        for name, (dep, rhs) in {**{m: (m, [self.treatment, *self.controls]) for m in self.mediators},
                                 "outcome": (self.outcome, [self.treatment, *self.mediators, *self.controls])}.items():
            fits[name] = SpatialPanel(self.data[dep], self.data[rhs], self.w, model=self.model,
                                      effects=self.effects).fit()
        return fits

    def fit(self, draws: int = 2000, seed: int = 0, level: float = 0.95) -> SpatialMediationResults:
        """Fit the stages and simulate the mediated effects (see the module notes)."""
        fits = self.stages()
        out = fits["outcome"]
        lam, weights = _spectrum(out.spec.w)
        rng = np.random.default_rng(seed)
        b_draws = {m: _draw_stage(out, m, rng, draws) for m in self.mediators}
        parts = {}
        for m in self.mediators:
            a_draws = _draw_stage(fits[m], self.treatment, rng, draws)
            parts[m] = _summaries(_path(a_draws, lam) * _path(b_draws[m], lam), weights)
        parts["total"] = sum(parts[m] for m in self.mediators)
        alpha = 1 - level
        rows = {}
        for name, values in parts.items():
            row = {}
            for j, part in enumerate(_PARTS):
                point, sim = values[0, j], values[1:, j]
                row[part] = point
                if draws:
                    se = sim.std(ddof=1)
                    row[f"{part}_se"] = se
                    row[f"{part}_lo"], row[f"{part}_hi"] = np.quantile(sim, [alpha / 2, 1 - alpha / 2])
                    row[f"{part}_p"] = 2 * stats.norm.sf(abs(point / se)) if se > 0 else np.nan
                else:
                    row.update({f"{part}_{s}": np.nan for s in ("se", "lo", "hi", "p")})
            rows[name] = row
        indirect = pd.DataFrame.from_dict(rows, orient="index").rename_axis("mediator")
        columns = pd.MultiIndex.from_product([list(parts), _PARTS], names=["mediator", "part"])
        sims = pd.DataFrame(np.column_stack([parts[k][1:] for k in parts]), columns=columns)
        direct = out.impacts(draws=draws, seed=seed).loc[self.treatment]
        return SpatialMediationResults(indirect, direct, fits, sims, level, draws)
