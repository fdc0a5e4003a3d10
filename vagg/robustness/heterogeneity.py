"""Heterogeneity of the effect across region groups, with tests of the differences.

Three pieces, for a grouping of the entities (the five region groups of the
source study, or core vs periphery):

1. **by group**: the baseline FE model estimated in each group alone
   (:func:`vagg.robustness.battery.estimate`, one tidy row per group);
2. **interaction Wald test**: one FE model with common effects and controls
   and the treatment interacted with every group but the reference,
   :math:`y_{it} = b x_{it} + \\sum_{g \\ne r} d_g x_{it} 1[g(i)=g] + c_{it}'\\gamma
   + \\alpha_i + \\lambda_t + e_{it}`; :math:`H_0: d = 0` by a clustered Wald
   F test, :math:`F = \\hat d' \\hat V_d^{-1} \\hat d / q` on (q, G-1)
   degrees of freedom (Wooldridge 2010, sec. 4.2.3);
3. **permutation test of the differences** (the "Fisher permutation" test
   of this literature, Stata's ``bdiff``; Efron and Tibshirani 1993, *An
   Introduction to the Bootstrap*, ch. 15):
   the group labels are permuted across entities (group sizes kept), the
   interaction model is re-estimated, and the p-value of each
   :math:`d_g` is :math:`(1 + \\#\\{|d^*_g| \\ge |\\hat d_g|\\})/(1 + P)`; a joint
   p-value uses the sum of squares the interactions explain.  All P draws of a
   chunk are solved at once: the interactions of every draw are within-
   transformed together as one matrix, controls partialled out (FWL), and the
   small (G x G) normal equations of the draws solved as one batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from vagg._errors import DataError, SpecificationError
from vagg.data.panel import check_columns, validate_panel
from vagg.models._resampling import run_chunks
from vagg.models._within import Groups, demean
from vagg.robustness.placebo import partial_out
from vagg.robustness.battery import ROW_COLUMNS, Spec, estimate, fit_fe


@dataclass
class HeterogeneityResults:
    """Heterogeneity across groups.

    Attributes
    ----------
    by_group
        One row per group (index: group): estimate, se, pvalue, ci_low,
        ci_high, nobs, status, reason.
    differences
        One row per non-reference group: ``difference`` (its slope minus the
        reference's, from the interaction model), ``se``, ``wald_p``
        (clustered t test) and ``permutation_p``.
    wald
        Joint interaction test: ``F``, ``df_num``, ``df_den``, ``pvalue``.
    permutation_p
        Joint permutation p-value (sum of squares the interactions explain).
    reference
        The reference group.
    n_perm
        Permutations drawn.
    """

    by_group: pd.DataFrame
    differences: pd.DataFrame
    wald: pd.Series
    permutation_p: float
    reference: str
    n_perm: int


def core_periphery(data: pd.DataFrame, column: str = "region", core: str = "Pearl River Delta Core") -> pd.Series:
    """Labels "core" / "periphery" from a region column, for ``group_heterogeneity(groups=...)``."""
    if column not in data.columns:
        raise DataError(f"region column {column!r} is not in the data")
    if not (data[column] == core).any():
        raise DataError(f"no row of {column!r} is the core group {core!r}")
    return pd.Series(np.where(data[column] == core, "core", "periphery"), index=data.index, name="core_periphery")


def _entity_labels(df: pd.DataFrame, labels: pd.Series) -> pd.Series:
    """The group of each entity; refuses a group that changes within an entity, naming it."""
    if labels.isna().any():
        where = labels.index[labels.isna().to_numpy()][0]
        raise DataError(f"the group label is missing at {where}")
    per_entity = labels.groupby(level=0, sort=True).nunique()
    if (per_entity > 1).any():
        raise DataError(f"the group label changes over time within entity {per_entity.index[per_entity > 1][0]!r}; "
                        "groups must be fixed per entity")
    return labels.astype(str).groupby(level=0, sort=True).first()


def _interaction_fit(x: np.ndarray, inter: np.ndarray, y_t: np.ndarray, q: np.ndarray, groups: Groups,
                     effects: str) -> tuple[np.ndarray, np.ndarray]:
    """Interaction coefficients and explained sum of squares for a batch of designs.

    ``inter`` is (n x P x m): m interaction columns in each of P designs.
    Returns (P x m) coefficients and (P,) explained sums of squares of [x, interactions].
    """
    n, p, m = inter.shape
    z = demean(inter.reshape(n, p * m), groups, effects)
    z = (z - q @ (q.T @ z)).reshape(n, p, m)
    xz = np.concatenate([np.broadcast_to(x[:, None, None], (n, p, 1)), z], axis=2)  # n x P x (m+1)
    gram = np.einsum("npa,npb->pab", xz, xz)
    cross = np.einsum("npa,n->pa", xz, y_t)
    coef = np.linalg.solve(gram, cross[:, :, None])[:, :, 0]
    return coef[:, 1:], np.einsum("pa,pa->p", coef, cross)


def _permuted(x_raw: np.ndarray, x_t: np.ndarray, y_t: np.ndarray, q: np.ndarray, groups: Groups,
              effects: str, entity_group: np.ndarray, others: np.ndarray, rng: np.random.Generator,
              size: int) -> np.ndarray:
    """``size`` draws of [interaction coefficients..., explained SS] with permuted entity groups."""
    perm = np.argsort(rng.random((size, len(entity_group))), axis=1)
    labels = entity_group[perm][:, groups.entity]  # size x n: group of each observation in each draw
    inter = x_raw[:, None, None] * (labels.T[:, :, None] == others[None, None, :])
    coef, ess = _interaction_fit(x_t, inter, y_t, q, groups, effects)
    return np.column_stack([coef, ess])


def group_heterogeneity(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    controls: list[str] | tuple[str, ...] = (),
    groups: str | pd.Series = "region",
    reference: str | None = None,
    effects: str = "twoway",
    cluster: str | None = None,
    n_perm: int = 1000,
    seed: int | None = 0,
    n_jobs: int = 1,
    client: Any = None,
) -> HeterogeneityResults:
    """Estimate the baseline by group and test the differences in the treatment's slope.

    Parameters
    ----------
    data
        Panel indexed by (entity, time).
    outcome, treatment, controls
        Column names.
    groups
        Column of ``data``, a Series of entity-fixed group labels indexed
        like ``data`` (e.g. :func:`core_periphery`), or one indexed by entity.
    reference
        Group the others are compared with; default the largest group
        (first in sort order on ties).
    effects, cluster
        Fixed effects and cluster of the FE models (None: entity).
    n_perm
        Permutations of the group labels across entities (0: none).
    seed, n_jobs, client
        Seed and parallel chunks; identical results in every mode.

    Returns
    -------
    :class:`HeterogeneityResults`.
    """
    controls = list(controls)
    labels = data[groups] if isinstance(groups, str) and groups in data.columns else groups
    if isinstance(labels, str):
        raise DataError(f"group column {groups!r} is not in the data")
    labels = pd.Series(labels)
    if labels.index.nlevels == 1:  # one label per entity
        labels = pd.Series(labels.reindex(data.index.get_level_values(0)).to_numpy(), index=data.index)
    labels = labels.reindex(data.index)
    df = validate_panel(data.assign(_group=labels.astype("object")), balanced=False)
    check_columns(df, [outcome, treatment, *controls], numeric=True, complete=True)
    entity_group = _entity_labels(df, df["_group"])
    names = sorted(entity_group.unique())
    if len(names) < 2:
        raise SpecificationError(f"heterogeneity needs at least two groups, got {names}")
    sizes = entity_group.value_counts()
    reference = str(sizes.sort_index().idxmax()) if reference is None else str(reference)
    if reference not in names:
        raise SpecificationError(f"reference group {reference!r} is not one of {names}")
    others = np.array([g for g in names if g != reference])

    rows = [estimate(Spec(outcome, treatment, tuple(controls), effects=effects, cluster=cluster,
                          sample=lambda d, g=g: (d["_group"] == g).to_numpy()), df) for g in names]
    by_group = pd.DataFrame(rows, columns=list(ROW_COLUMNS[1:]), index=pd.Index(names, name="group"))

    inter_names = [f"{treatment} x {g}" for g in others]
    inter = pd.DataFrame({n: df[treatment] * (df["_group"] == g) for n, g in zip(inter_names, others)})
    spec = Spec(outcome, treatment, (*inter_names, *controls), effects=effects, cluster=cluster)
    fit, _ = fit_fe(spec, df.join(inter))
    missing = [n for n in inter_names if n not in fit.params.index]
    if missing:
        raise SpecificationError(f"the interaction(s) {missing} are absorbed or collinear; a group is too small")
    d, v = fit.params[inter_names].to_numpy(), fit.cov.loc[inter_names, inter_names].to_numpy()
    f_stat = float(d @ np.linalg.solve(v, d)) / len(d)
    wald = pd.Series({"F": f_stat, "df_num": len(d), "df_den": fit.df_t,
                      "pvalue": float(stats.f.sf(f_stat, len(d), fit.df_t))}, name="wald")
    differences = pd.DataFrame({"difference": d, "se": fit.std_errors[inter_names].to_numpy(),
                                "wald_p": fit.pvalues[inter_names].to_numpy(), "permutation_p": np.nan},
                               index=pd.Index(others, name="group"))
    joint_p = float("nan")
    if n_perm:
        joint_p = _permutation(df, outcome, treatment, controls, effects, entity_group, others, differences,
                               n_perm, seed, n_jobs, client)
    return HeterogeneityResults(by_group, differences, wald, joint_p, reference, int(n_perm))


def _permutation(df: pd.DataFrame, outcome: str, treatment: str, controls: list[str], effects: str,
                 entity_group: pd.Series, others: np.ndarray, differences: pd.DataFrame, n_perm: int,
                 seed: int | None, n_jobs: int, client: Any) -> float:
    """Fill ``differences.permutation_p`` and return the joint permutation p-value."""
    groups = Groups.from_index(df.index)
    parts, q = partial_out(df, [outcome, treatment], controls, groups, effects)
    y_t, x_t = parts[:, 0], parts[:, 1]
    x_raw = df[treatment].to_numpy(dtype=float)
    codes = entity_group.reindex(groups.entity_labels).to_numpy()
    real_inter = x_raw[:, None, None] * (codes[groups.entity][:, None, None] == others[None, None, :])
    real_coef, real_ess = _interaction_fit(x_t, real_inter, y_t, q, groups, effects)
    fn = partial(_permuted, x_raw, x_t, y_t, q, groups, effects, codes, others)
    draws = run_chunks(fn, n_perm, seed, n_jobs=n_jobs, client=client, desc="group permutations")
    tol = 1 - 1e-12
    beyond = np.sum(np.abs(draws[:, :-1]) >= np.abs(real_coef[0]) * tol, axis=0)
    differences["permutation_p"] = (1 + beyond) / (1 + n_perm)
    return float((1 + np.sum(draws[:, -1] >= real_ess[0] * tol)) / (1 + n_perm))
