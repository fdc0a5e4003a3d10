"""Composite indices of a panel from an indicator system: overall score and dimension sub-indices."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vagg._errors import SpecificationError
from vagg.data.panel import check_columns, check_panel_index
from vagg.mechanisms._matrix import constant_columns, minmax, warn_constant
from vagg.mechanisms.indicators import IndicatorSystem, as_system
from vagg.mechanisms.pca import pca_index
from vagg.mechanisms.topsis import topsis_closeness
from vagg.mechanisms.weighting import critic_from_normalised, entropy_from_normalised

__all__ = ["IndexResult", "composite_index", "METHODS"]

METHODS = ("entropy", "critic", "topsis", "pca", "equal")
_BASES = ("pooled", "yearly")


@dataclass(frozen=True)
class IndexResult:
    """A composite index of a panel.

    Attributes
    ----------
    scores
        Overall index on 0-100, indexed by (entity, time), named after the system.
    weights
        DataFrame indexed by indicator: ``dimension``, ``direction``, ``weight``
        (sums to 1 over all indicators) and ``weight_in_dimension`` (sums to 1
        within each dimension).  With ``base="yearly"`` the weights are the
        means over years; see ``weights_by_year``.
    dimension_weights
        Series: the summed weight of each dimension.
    dimensions
        DataFrame of the dimension sub-indices (0-100), one column per dimension.
    method, base
        How the index was built.
    weights_by_year
        Year x indicator weights (``base="yearly"``), else None.
    diagnostics
        Method-specific checks: for PCA, ``kmo``, ``bartlett`` (chi2, df, p),
        ``eigenvalues`` and ``n_components``.
    system
        The :class:`IndicatorSystem` used.
    """

    scores: pd.Series
    weights: pd.DataFrame
    dimension_weights: pd.Series
    dimensions: pd.DataFrame
    method: str
    base: str
    system: IndicatorSystem
    weights_by_year: pd.DataFrame | None = None
    diagnostics: dict[str, object] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The overall index and the dimension sub-indices side by side."""
        return pd.concat([self.scores, self.dimensions], axis=1)


def _linear_scores(z: np.ndarray, w: np.ndarray, cols: np.ndarray, method: str) -> np.ndarray:
    """Index (0-1) of the columns ``cols`` of z with weights renormalised inside them."""
    wd = w[cols]
    if wd.sum() <= 0:
        return np.zeros(len(z))
    wd = wd / wd.sum()
    if method == "topsis":
        return topsis_closeness(z[:, cols], wd, np.ones(cols.sum()))
    return np.clip(z[:, cols] @ wd, 0.0, 1.0)  # a weighted mean of [0, 1] values; clip rounding


def _weigh(z: np.ndarray, method: str, shift: float, topsis_weights: str) -> np.ndarray:
    rule = topsis_weights if method == "topsis" else method
    if rule == "entropy":
        return entropy_from_normalised(z, shift)
    if rule == "critic":
        return critic_from_normalised(z)
    live = ~constant_columns(z)  # equal weights over the indicators that vary
    return live / live.sum()


def composite_index(
    panel: pd.DataFrame,
    system: IndicatorSystem | str | os.PathLike[str] = "default",
    method: str = "entropy",
    base: str = "pooled",
    shift: float = 1e-4,
    topsis_weights: str = "entropy",
) -> IndexResult:
    r"""Build a composite index, its weights and dimension sub-indices from a panel.

    Every indicator is min-max normalised with its direction (z in [0, 1]).
    Then, by ``method``:

    - ``"entropy"``: entropy weights w (:func:`vagg.mechanisms.entropy_weights`),
      index = 100 sum_j w_j z_ij;
    - ``"critic"``: CRITIC weights (:func:`vagg.mechanisms.critic_weights`), same sum;
    - ``"equal"``: w_j = 1/m over the m indicators that vary;
    - ``"topsis"``: index = 100 x TOPSIS closeness of z with the weights
      named by ``topsis_weights`` (entropy by default; Hwang and Yoon 1981);
    - ``"pca"``: :func:`vagg.mechanisms.pca_index` (z-scores, components with
      eigenvalue > 1 weighted by explained variance), KMO and Bartlett in
      ``diagnostics``.

    A dimension sub-index applies the same rule to the dimension's indicators
    with their weights renormalised to sum to one inside the dimension (for
    entropy this equals the entropy index of the dimension alone; for PCA each
    dimension gets its own components).  Every score is on 0-100.

    Parameters
    ----------
    panel
        DataFrame indexed by (entity, time) holding the system's columns.
    system
        An :class:`IndicatorSystem`, a bundled name (``"default"`` is the
        virtual-agglomeration system) or the path of a TOML file.
    method
        One of ``"entropy"``, ``"critic"``, ``"topsis"``, ``"pca"``, ``"equal"``.
    base
        ``"pooled"`` normalises and weighs over all city-years (the time-fixed
        base that keeps years comparable); ``"yearly"`` does it year by year.
    shift
        The entropy translation (0.0001).
    topsis_weights
        Weights used by TOPSIS: ``"entropy"``, ``"critic"`` or ``"equal"``.

    Returns
    -------
    IndexResult

    Raises
    ------
    SpecificationError
        For an unknown method or base, or a system column absent from the data.
    DataError
        For a malformed panel, or a missing, infinite or text value (naming
        column, city and year).
    """
    if method not in METHODS:
        raise SpecificationError(f"unknown index method {method!r}; use one of {METHODS}")
    if base not in _BASES:
        raise SpecificationError(f"unknown base {base!r}; use 'pooled' or 'yearly'")
    if topsis_weights not in ("entropy", "critic", "equal"):
        raise SpecificationError(f"unknown topsis_weights {topsis_weights!r}; use 'entropy', 'critic' or 'equal'")
    if method == "pca" and base == "yearly":
        raise SpecificationError("the PCA index is pooled only; use base='pooled'")
    system = as_system(system)
    check_panel_index(panel)
    system.check(panel)
    columns = system.columns
    check_columns(panel, columns)
    values = panel[columns].to_numpy(dtype=float)
    signs = np.array([system.directions[c] for c in columns], dtype=float)
    dim_names = system.dimensions
    dim_of = np.array([i.dimension for i in system.indicators])
    dim_masks = [dim_of == d for d in dim_names]
    if method == "pca":
        return _pca_result(panel, system, dim_masks)

    time = panel.index.get_level_values(1).to_numpy()
    groups = [(None, np.ones(len(panel), bool))] if base == "pooled" else [(t, time == t) for t in np.unique(time)]
    overall = np.empty(len(panel))
    dims = np.empty((len(panel), len(dim_names)))
    by_year = {}
    for label, rows in groups:  # one pass (pooled) or one a year
        part = values[rows]
        where = "" if label is None else f" in {label}"
        warn_constant(columns, constant_columns(part), where=where)
        z = minmax(part, signs)
        w = _weigh(z, method, shift, topsis_weights)
        overall[rows] = _linear_scores(z, w, np.ones(len(w), bool), method)
        dims[rows] = np.column_stack([_linear_scores(z, w, m, method) for m in dim_masks])
        by_year[label] = w
    weights_by_year = None
    if base == "yearly":
        weights_by_year = pd.DataFrame.from_dict(by_year, orient="index", columns=columns)
        weights_by_year = weights_by_year.rename_axis(panel.index.names[1])
        w = weights_by_year.mean().to_numpy()
    return _result(panel, system, method, base, w, 100 * overall, 100 * dims, weights_by_year, {})


def _result(panel, system, method, base, w, overall, dims, weights_by_year, diagnostics) -> IndexResult:
    columns = system.columns
    table = system.to_frame()[["dimension", "direction"]].copy()
    table["weight"] = w
    dim_weight = table.groupby("dimension", sort=False)["weight"].transform("sum")
    inside = table["weight"] / dim_weight.where(dim_weight != 0, 1.0)
    table["weight_in_dimension"] = inside.where(dim_weight != 0, 0.0)
    table.index = pd.Index(columns, name="indicator")
    return IndexResult(
        scores=pd.Series(overall, index=panel.index, name=system.name),
        weights=table,
        dimension_weights=table.groupby("dimension", sort=False)["weight"].sum().rename("weight"),
        dimensions=pd.DataFrame(dims, index=panel.index, columns=system.dimensions),
        method=method,
        base=base,
        system=system,
        weights_by_year=weights_by_year,
        diagnostics=diagnostics,
    )


def _pca_result(panel: pd.DataFrame, system: IndicatorSystem, dim_masks: list[np.ndarray]) -> IndexResult:
    X = panel[system.columns]
    full = pca_index(X, system.directions)
    dims = np.column_stack([
        pca_index(X.loc[:, mask], {c: system.directions[c] for c in X.columns[mask]}).scores.to_numpy()
        for mask in dim_masks
    ])
    diagnostics = {"kmo": full.kmo, "bartlett": full.bartlett, "eigenvalues": full.eigenvalues,
                   "n_components": full.n_components, "notes": list(full.notes)}
    return _result(panel, system, "pca", "pooled", full.weights.to_numpy(), full.scores.to_numpy(), dims, None,
                   diagnostics)
