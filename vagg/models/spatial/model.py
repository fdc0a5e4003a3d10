"""SpatialPanel: the specification object of the spatial panel models.

Models (Elhorst 2014, *Spatial Econometrics*, ch. 2-3):

======  ===================================================
``sar``   y = rho W y + X b + e
``sdm``   y = rho W y + X b + W X_D t + e
``sem``   y = X b + u,  u = lambda W u + e
``sdem``  y = X b + W X_D t + u,  u = lambda W u + e
``slx``   y = X b + W X_D t + e
======  ===================================================

with entity, time, two-way or no fixed effects (the exact maximum likelihood
with explicit dummies, computed without forming them; see
:mod:`vagg.models.spatial.likelihood` for what is exact for each model and
for the Lee-Yu correction) and X_D the regressors listed in ``durbin`` (all by default).
``dynamic="time"`` or ``"spacetime"`` adds y_{t-1} (and W y_{t-1}) to a SAR
or SDM with entity or two-way effects (:mod:`vagg.models.spatial.dynamic`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Union

import numpy as np
import pandas as pd

from vagg._errors import DataError, SpecificationError
from vagg.data.panel import check_panel_index, validate_panel
from vagg.models._guards import check_balanced_outcome_varies, check_scale
from vagg.models._within import absorbed_columns, collinear_columns
from vagg.models.spatial import dynamic as dyn
from vagg.models.spatial import likelihood as ml
from vagg.models.spatial.logdet import SpatialOperator
from vagg.weights import to_sparse

if TYPE_CHECKING:
    import scipy.sparse as sp
    from libpysal.weights import W

    from vagg.models.spatial.results import SpatialPanelResults

    WeightsLike = Union[W, tuple[sp.spmatrix, Sequence[object]]]

MODELS = ("sar", "sem", "sdm", "sdem", "slx")
EFFECTS = ("none", "entity", "time", "twoway", "random")
_LAG_MODELS = ("sar", "sdm")
_ERROR_MODELS = ("sem", "sdem")
_DURBIN_MODELS = ("sdm", "sdem", "slx")


def _listing(items: Sequence[object], limit: int = 10) -> str:
    items = list(items)
    more = len(items) - limit
    return ", ".join(map(str, items[:limit])) + (f" (and {more} more)" if more > 0 else "")


def _formula_frames(formula: str, data: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """Dependent Series and regressor DataFrame (no intercept) from 'y ~ x1 + x2'."""
    from formulaic import model_matrix

    if "~" not in formula:
        raise SpecificationError(f"a formula needs 'y ~ x1 + ...', got {formula!r}")
    try:
        mm = model_matrix(formula, data, na_action="ignore")
    except Exception as exc:  # formulaic raises several types for unknown names
        raise DataError(f"cannot evaluate formula {formula!r} on the data: {exc}") from exc
    lhs, rhs = mm.lhs, mm.rhs
    if lhs.shape[1] != 1:
        raise SpecificationError(f"the formula must have one dependent variable, got {list(lhs.columns)}")
    rhs = rhs.drop(columns=[c for c in rhs.columns if c == "Intercept"])
    if rhs.shape[1] == 0:
        raise SpecificationError(f"the formula {formula!r} has no regressors")
    return lhs.iloc[:, 0].rename(str(lhs.columns[0])), pd.DataFrame(rhs, index=data.index)


class SpatialPanel:
    """A spatial panel model: SAR, SEM, SDM, SDEM or SLX, estimated by ML.

    Parameters
    ----------
    dependent
        Series indexed by (entity, time).
    exog
        DataFrame of regressors with the same index (no constant: the fixed
        effects absorb it; with ``effects="none"`` one is added).
    w
        libpysal W or (sparse matrix, ids); aligned to the entities by id.
    model
        ``"sar"``, ``"sem"``, ``"sdm"``, ``"sdem"`` or ``"slx"``.
    effects
        ``"none"``, ``"entity"``, ``"time"``, ``"twoway"`` (fixed effects) or
        ``"random"`` (random entity effects, SAR only; see
        :mod:`~vagg.models.spatial.random_effects`).
    lee_yu
        Lee and Yu (2010) transformation approach; default True for
        two-way effects, False otherwise.  Requires a row-standardised W
        (W 1 = 1) when time effects are present; on any other W (spectrally
        normalised, binary, distance weights, islands kept) pass
        ``lee_yu=False``: the direct approach is the exact maximum likelihood
        with explicit dummies for every W.
    durbin
        Regressors whose spatial lag enters (SDM, SDEM, SLX); default all.
    allow_islands
        Keep units without neighbours (their W rows stay zero).
    logdet
        ``"auto"``, ``"eigen"`` or ``"lu"`` (see :mod:`~vagg.models.spatial.logdet`).
        Beyond N = 5,000 the traces in the information matrix are Hutchinson
        estimates with 100 probes; ``results.logdet_method`` states their
        largest relative Monte Carlo standard error.  For more probes or exact
        traces set ``model.operator.trace_probes`` or
        ``model.operator.trace_method = "exact"`` before :meth:`fit`.
    dynamic
        ``None`` (static), ``"time"`` (adds y_{t-1}, parameter ``L_y``) or
        ``"spacetime"`` (also W y_{t-1}, ``W_L_y``): the dynamic SAR / SDM of
        Yu, de Jong and Lee (2008), estimated conditional on the first period
        with entity or two-way effects.  Entity effects are concentrated out
        directly; ``lee_yu`` then applies to the time effects only (default
        True with two-way effects).  See :mod:`~vagg.models.spatial.dynamic`.
    bias_correction
        Dynamic models: apply the Yu-de Jong-Lee correction of the O(1/T) bias
        (default True; with two-way effects it needs ``lee_yu=True``).

    Raises
    ------
    DataError
        Gaps in the panel (naming the missing city-years), missing values,
        weights ids that differ from the entities (naming both sides),
        islands.
    SpecificationError
        Unknown model or effects, a regressor absorbed by the fixed effects,
        Lee-Yu with time effects on a W that is not row-standardised.
    """

    def __init__(
        self,
        dependent: pd.Series,
        exog: pd.DataFrame,
        w: WeightsLike,
        model: str = "sdm",
        effects: str = "twoway",
        lee_yu: bool | None = None,
        durbin: Sequence[str] | None = None,
        allow_islands: bool = False,
        logdet: str = "auto",
        dynamic: str | None = None,
        bias_correction: bool = True,
    ) -> None:
        if model not in MODELS:
            raise SpecificationError(f"unknown model {model!r}; use one of {MODELS}")
        if effects not in EFFECTS:
            raise SpecificationError(f"unknown effects {effects!r}; use one of {EFFECTS}")
        if effects == "random" and (model != "sar" or lee_yu):
            raise SpecificationError("random effects are available for the SAR model without the Lee-Yu correction")
        self.model, self.effects = model, effects
        self.dynamic, self.bias_correction = dynamic, bool(bias_correction) and dynamic is not None
        self._check_dynamic(lee_yu)
        self.lee_yu = (effects == "twoway") if lee_yu is None else bool(lee_yu)
        self.dependent_name = str(dependent.name or "y")
        exog = pd.DataFrame(exog).copy()
        exog.columns = [str(c) for c in exog.columns]
        if self.dependent_name in exog.columns:
            raise SpecificationError(f"{self.dependent_name!r} is both the dependent variable and a regressor")
        frame = exog.assign(**{self.dependent_name: dependent})
        frame = validate_panel(frame, balanced=True, required=list(frame.columns))
        self.exog_names = list(exog.columns)
        self.entities = list(frame.index.get_level_values(0).unique())
        self.periods = list(frame.index.get_level_values(1).unique())
        n, t = len(self.entities), len(self.periods)
        if t < 2 and effects in ("entity", "twoway"):
            raise DataError(f"entity effects need at least two periods; the panel has {self.periods}")
        if dynamic and t < 3:
            raise DataError(f"a dynamic model needs at least three periods (the first is conditioned on); "
                            f"the panel has {self.periods}")
        if dynamic and set(dyn.lag_names(self.dependent_name, dynamic)) & set(self.exog_names):
            raise SpecificationError(f"regressor names {dyn.lag_names(self.dependent_name, dynamic)} are reserved "
                                     "for the lags of the dependent variable in a dynamic model; rename them")
        self.w = to_sparse(w, self.entities)
        self._check_islands(allow_islands)
        self.durbin = self._durbin_list(durbin)
        self.operator = SpatialOperator(self.w, logdet)
        if self.lee_yu and effects in ("time", "twoway") and not self.operator.row_standardised:
            raise SpecificationError(
                "the Lee-Yu correction with time effects needs a row-standardised W (W 1 = 1, every row summing "
                "to 1); this W's rows do not all sum to 1 (a spectrally normalised, binary or distance matrix, or "
                "islands kept); row-standardise W, or pass lee_yu=False for the direct approach (exact maximum "
                "likelihood with explicit time dummies)"
            )
        values = frame[[self.dependent_name, *self.exog_names]].to_numpy(dtype=float)
        check_scale(values, [self.dependent_name, *self.exog_names], frame.index)
        self.y = values[:, 0].reshape(n, t)
        check_balanced_outcome_varies(self.y, self.dependent_name, effects)
        self.x = values[:, 1:].reshape(n, t, len(self.exog_names))
        self.index = frame.index

    def _check_dynamic(self, lee_yu: bool | None) -> None:
        if self.dynamic is None:
            return
        if self.dynamic not in dyn.DYNAMIC:
            raise SpecificationError(f"unknown dynamic {self.dynamic!r}; use None, 'time' or 'spacetime'")
        if self.model not in _LAG_MODELS:
            raise SpecificationError(f"dynamic models are spatial lag models (sar, sdm), not {self.model!r}")
        if self.effects not in ("entity", "twoway"):
            raise SpecificationError(f"dynamic models take entity or two-way fixed effects, not {self.effects!r}")
        if self.bias_correction and self.effects == "twoway" and lee_yu is False:
            raise SpecificationError(
                "the bias correction of a dynamic model with two-way effects removes the time effects by the "
                "Lee-Yu transformation (Lee and Yu 2010); pass lee_yu=True (row-standardised W), or "
                "bias_correction=False for the uncorrected maximum likelihood with explicit time dummies"
            )

    # ------------------------------------------------------------- building
    @classmethod
    def from_formula(cls, formula: str, data: pd.DataFrame, w: WeightsLike, **kwargs: object) -> SpatialPanel:
        """Build from a formula such as ``"y ~ x1 + np.log(x2)"`` (formulaic syntax).

        Keyword arguments are those of :class:`SpatialPanel`.
        """
        check_panel_index(data)
        dependent, exog = _formula_frames(formula, data)
        return cls(dependent, exog, w, **kwargs)

    def _check_islands(self, allow: bool) -> None:
        sums = np.asarray(abs(self.w).sum(axis=1)).ravel()
        islands = [self.entities[i] for i in np.flatnonzero(sums == 0)]
        if islands and not allow:
            raise DataError(
                f"the weights matrix has islands (units with no neighbour): {_listing(islands)}; "
                "their spatial lag is zero, which the model cannot tell from a true zero; "
                "pass allow_islands=True to keep them"
            )

    def _durbin_list(self, durbin: Sequence[str] | None) -> list[str]:
        if self.model not in _DURBIN_MODELS:
            if durbin:
                raise SpecificationError(f"durbin= applies to sdm, sdem and slx, not {self.model!r}")
            return []
        if durbin is None:
            return list(self.exog_names)
        durbin = [str(d) for d in durbin]
        unknown = [d for d in durbin if d not in self.exog_names]
        if unknown:
            raise SpecificationError(f"durbin names regressors not in the model: {_listing(unknown)}; "
                                     f"regressors are {_listing(self.exog_names)}")
        return [c for c in self.exog_names if c in durbin]

    @property
    def has_constant(self) -> bool:
        return self.effects in ("none", "random")

    def regressor_names(self, durbin: Sequence[str] | None = None) -> list[str]:
        """Names of the columns of X~: constant, dynamic lags, regressors, W_ lags."""
        durbin = self.durbin if durbin is None else list(durbin)
        lags = dyn.lag_names(self.dependent_name, self.dynamic) if self.dynamic else []
        return (["const"] if self.has_constant else []) + lags + self.exog_names + [f"W_{c}" for c in durbin]

    @property
    def estimation_periods(self) -> list[object]:
        """The periods the likelihood uses (all but the first in a dynamic model)."""
        return self.periods[1:] if self.dynamic else self.periods

    @property
    def estimation_index(self) -> pd.MultiIndex:
        """The (entity, time) index of the observations the likelihood uses."""
        if not self.dynamic:
            return self.index
        return self.index[self.index.get_level_values(1) != self.periods[0]]

    def estimation_data(self, durbin: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The outcome (N x T') and regressors (N x T' x k, named by :meth:`regressor_names`) of the likelihood."""
        raw = self._regressors(self.durbin if durbin is None else list(durbin))
        if self.dynamic:
            return dyn.augment(self.y, raw, self.w, self.dynamic)
        return self.y, raw

    def _regressors(self, durbin: Sequence[str]) -> np.ndarray:
        n, t, _ = self.x.shape
        parts = [np.ones((n, t, 1))] if self.has_constant else []
        parts.append(self.x)
        if durbin:
            cols = [self.exog_names.index(c) for c in durbin]
            parts.append(ml.lag(self.w, self.x[:, :, cols]))
        return np.concatenate(parts, axis=2)

    def design(self, durbin: Sequence[str] | None = None) -> ml.Design:
        """The transformed data for the likelihood (with the model's lags by default)."""
        durbin = self.durbin if durbin is None else list(durbin)
        effects = "none" if self.effects == "random" else self.effects
        y, raw = self.estimation_data(durbin)
        d = ml.make_design(y, raw, self.w, effects, self.lee_yu)
        if self.dynamic:
            d = dyn.entity_direct(d)
        self._check_rank(raw.reshape(d.x.shape), d.x, self.regressor_names(durbin))
        return d

    def _check_rank(self, raw: np.ndarray, x: np.ndarray, names: list[str]) -> None:
        """Refuse absorbed or collinear regressors, by name, with PanelFE's relative rules.

        A column is absorbed when the fixed effects leave ||Q x|| <= 1e-9 max(||x||, 1)
        (:func:`vagg.models._within.absorbed_columns`), so the scale of a variable
        (an area in square metres) does not decide it.
        """
        absorbed = absorbed_columns(raw, x) if self.effects not in ("none", "random") else np.zeros(len(names), bool)
        if absorbed.any():
            raise SpecificationError(
                f"regressor(s) {_listing([n for n, a in zip(names, absorbed) if a])} have no variation left after "
                f"the {self.effects} fixed effects (absorbed by them); drop them"
            )
        collinear = collinear_columns(x)
        if collinear.any():
            raise SpecificationError(
                f"the regressor(s) {_listing([n for n, c in zip(names, collinear) if c])} are collinear with the "
                f"earlier regressors {_listing(names)} after the fixed effects; drop them"
            )

    # ------------------------------------------------------------- fitting
    def _estimate(self, model: str, durbin: Sequence[str]) -> dict[str, object]:
        d = self.design(durbin)
        if self.effects == "random":
            from vagg.models.spatial.random_effects import fit_lag_re

            return fit_lag_re(self.y, self._regressors(durbin), self.operator)
        if model in _LAG_MODELS:
            est = ml.fit_lag(d, self.operator)
        elif model in _ERROR_MODELS:
            est = ml.fit_error(d, self.operator)
        else:
            est = ml.fit_ols(d)
        est["design"] = d
        return est

    def fit(self) -> SpatialPanelResults:
        """Maximum likelihood; returns :class:`~vagg.models.spatial.results.SpatialPanelResults`.

        Dynamic models: the bias-corrected estimates (if ``bias_correction``)
        in a :class:`~vagg.models.spatial.results.DynamicSpatialPanelResults`;
        an unstable fit (see :func:`~vagg.models.spatial.dynamic.check_stability`)
        raises SpecificationError.
        """
        from vagg.models.spatial.results import DynamicSpatialPanelResults, SpatialPanelResults

        est = self._estimate(self.model, self.durbin)
        if not self.dynamic:
            return SpatialPanelResults(self, est)
        def lags(fit: dict[str, object]) -> tuple[float, float, float]:
            beta = np.asarray(fit["beta"])
            return float(beta[0]), float(fit["spatial"]), float(beta[1]) if self.dynamic == "spacetime" else 0.0

        note = ""
        if self.bias_correction:
            radius = dyn.spectral_radius(dyn.eigenvalues_of(self.operator), *lags(est))[0]
            note = (f" (the uncorrected ML estimates tau = {lags(est)[0]:.4f}, rho = {lags(est)[1]:.4f}, eta = "
                    f"{lags(est)[2]:.4f} have radius {radius:.4f}; the bias correction moves them by O(1/T))")
            est = dyn.correct(est, est["design"], self.operator, self.dynamic)
        what = "bias-corrected" if self.bias_correction else "estimated"
        est["radius"] = dyn.check_stability(self.operator, *lags(est), what, note)
        return DynamicSpatialPanelResults(self, est)

    def loglik_of(self, model: str, durbin: Sequence[str]) -> float:
        """Maximised log-likelihood of another model on the same data (for LR tests)."""
        return float(self._estimate(model, durbin)["loglik"])

    def lm_tests(self) -> pd.DataFrame:
        """LM lag / error tests and their robust forms on the non-spatial panel.

        Score tests of the likelihood the model is estimated by: with explicit
        dummies (direct approach) or of the Lee-Yu transformed data.  The
        regressors are the model's (with its W X terms for a Durbin model);
        see :func:`vagg.models.spatial.spectests.lm_tests`.
        """
        from vagg.models.spatial.spectests import lm_tests

        return lm_tests(self.design(), self.w)

    def __repr__(self) -> str:
        return (f"SpatialPanel(model={self.model!r}, effects={self.effects!r}, lee_yu={self.lee_yu}, "
                f"dynamic={self.dynamic!r}, "
                f"N={len(self.entities)}, T={len(self.periods)}, regressors={self.regressor_names()})")
