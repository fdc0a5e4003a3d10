"""Specification curve analysis (Simonsohn, Simmons and Nelson 2020, *Nature Human Behaviour* 4:1208).

Every combination of the chosen outcomes, key-regressor constructions (index
methods), control sets, samples, fixed effects, clustering and -- for spatial
Durbin models -- weights matrices is estimated (:func:`vagg.robustness.battery.estimate`);
the estimates are sorted with their intervals, and an indicator panel shows
which choice made each one.

Joint inference under the null follows the paper: the null of no effect is
imposed in every specification, :math:`y^* = y - \\hat b x`, new data are
drawn from it, every specification is re-estimated on the same draw, and the
observed curve is compared with the curves of the draws through three
statistics -- the median estimate, the number of specifications significant
(5%) in the dominant direction, and Stouffer's mean z of the one-sided
p-values.  Here a draw is a wild cluster bootstrap of the null-imposed model
(Cameron, Gelbach and Miller 2008): :math:`y^{**} = \\ddot X(0, \\hat\\gamma)' +
\\hat e\\, v_{g}` with Rademacher :math:`v_g` per entity, the *same* v in every
specification so that the dependence between specifications is kept (the
entity is the finest level common to every specification, so signs are drawn
per entity even where a specification clusters more coarsely).  With
:math:`c'` the treatment row of :math:`(\\ddot X'\\ddot X)^{-1}\\ddot X'`,
:math:`\\hat b^{**} = c'(\\hat e\\odot v)` for all draws at once, and the
clustered standard error of each draw comes from the residuals
:math:`M_{\\ddot X}\\,\\ddot{(\\hat e\\odot v)}` -- no loop over draws.  The null
bootstrap covers FE specifications with one-way clustering; other rows carry
their own inference only.

FE specifications that share their rows, fixed effects and clustering are
estimated as one block (:mod:`vagg.robustness._fe_batch`: one demeaning of
the block's columns, stacked solves, and the null bootstrap of every
specification from one (G x N)(N x B) product each); every other
specification (SDM, lags, winsorising, no entity or time effects) and any FE
specification whose fit drops a regressor or fails is estimated on its own
(:func:`vagg.robustness.battery.estimate_with_results`), which words its
notes and failures.  Blocks and single specifications run serially, with
joblib or on dask.distributed (:func:`vagg.models._parallel.run_tasks`); the
tasks are fixed by the choices, their seeds come from the master seed and
the task's index, and the bootstrap signs are drawn once from the master
seed, so the numbers are the same in every mode.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import special, stats
from threadpoolctl import threadpool_limits

from vagg._errors import DataError, SpecificationError
from vagg.data.panel import check_columns, check_panel_index
from vagg.models._parallel import run_tasks
from vagg.models._within import Groups, demean
from vagg.robustness._fe_batch import fit_block
from vagg.robustness.battery import ROW_COLUMNS, Sample, Spec, _cluster_notes, _row, estimate_with_results

DIMENSIONS = ("outcome", "treatment", "controls", "sample", "effects", "cluster", "weights")


def _named(values: Sequence[Any] | Mapping[str, Any], what: str) -> dict[str, Any]:
    """A name -> value dict from a mapping or a sequence of names."""
    out = dict(values) if isinstance(values, Mapping) else {str(v): v for v in values}
    if not out:
        raise SpecificationError(f"the specification curve needs at least one {what}")
    return out


def _columns(data: pd.DataFrame, named: dict[str, Any], what: str) -> tuple[dict[str, str], dict[str, pd.Series]]:
    """Map each choice to a column name; Series choices become new columns ``<what>:<name>``."""
    names, new = {}, {}
    for key, value in named.items():
        if isinstance(value, pd.Series):
            col = f"{what}:{key}"
            new[col] = value.reindex(data.index)
            names[key] = col
        elif isinstance(value, str):
            if value not in data.columns:
                raise DataError(f"{what} {key!r}: column {value!r} is not in the data")
            names[key] = value
        else:
            raise SpecificationError(f"{what} {key!r} must be a column name or a Series, not {type(value).__name__}")
    return names, new


def null_bootstrap(res: Any, treatment: str, signs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Estimates and t statistics of the treatment in wild-bootstrap draws under b = 0.

    Parameters
    ----------
    res
        A one-way clustered :class:`~vagg.models.PanelFEResults`.
    treatment
        The regressor whose null is imposed.
    signs
        (n x B) Rademacher signs of each observation's entity in each draw.

    Returns
    -------
    (B,) estimates and (B,) t statistics.
    """
    model = res.model
    x = model.x_dm
    j = res.params.index.get_loc(treatment)
    c = np.linalg.solve(x.T @ x, x.T)[j]
    resid = res.resid.to_numpy()
    b = c @ (resid[:, None] * signs)
    r = demean(resid[:, None] * signs, model.groups, model.effects)
    q = np.linalg.qr(x)[0]
    r -= q @ (q.T @ r)
    codes = res.clusters[:, 0]
    members = sp.csr_matrix((c, (codes, np.arange(len(c)))))
    scores, base = members @ r, members @ resid
    factor = float(res.std_errors[treatment] ** 2) / float(base @ base)
    return b, b / np.sqrt(factor * np.einsum("gb,gb->b", scores, scores))


def _one_spec(item: tuple[Spec, dict[str, str]], rng: np.random.Generator, context: dict[str, Any]) -> dict:
    """Estimate one specification (and its null bootstrap); a task of :func:`run_tasks`."""
    spec, labels = item
    data, signs, entities = context["data"], context["signs"], context["entities"]
    row, res = estimate_with_results(spec, data, seed=int(rng.integers(2**32)))
    row = {**labels, **row, "boot_b": None, "boot_t": None, "df_t": np.nan}
    if signs is not None and spec.model == "fe" and res is not None and res.clusters is not None \
            and res.clusters.shape[1] == 1:
        groups = res.model.groups
        rows = entities.get_indexer(groups.entity_labels)[groups.entity]
        row["boot_b"], row["boot_t"] = null_bootstrap(res, spec.treatment, signs[rows])
        row["df_t"] = res.df_t
    return row


def _batchable(spec: Spec, index_names: Sequence[object]) -> bool:
    """Whether a specification goes through the batched FE path (:mod:`vagg.robustness._fe_batch`)."""
    return (spec.model == "fe" and spec.effects in ("entity", "time", "twoway") and not spec.lag
            and spec.winsor is None and not spec.columns and spec.cluster not in index_names)


def _plan(items: list[tuple[Spec, dict[str, str]]], frame: pd.DataFrame) -> tuple[list[tuple], dict[str, Any]]:
    """Tasks and the shared arrays: blocks of FE specifications sharing rows, effects and clustering, and
    single specifications (every other model or option), in the order of their first item.

    Runs the checks of :func:`vagg.robustness.battery.prepare` once for the
    columns of all batched specifications, so a bad column raises the same
    error as on the one-by-one path.
    """
    index_names = list(frame.index.names)
    batch = [i for i, (spec, _) in enumerate(items) if _batchable(spec, index_names)]
    batchable = set(batch)
    if not batch:
        return [("one", [i], item) for i, item in enumerate(items)], {}
    check_panel_index(frame)
    numeric = list(dict.fromkeys(c for i in batch for c in items[i][0].variables() if c != items[i][0].cluster))
    cluster_cols = list(dict.fromkeys(items[i][0].cluster for i in batch if items[i][0].cluster is not None))
    check_columns(frame, numeric, numeric=True, complete=False)
    check_columns(frame, cluster_cols, numeric=False, complete=True)
    values = np.column_stack([frame[c].to_numpy(dtype=float, na_value=np.nan) for c in numeric])
    present = ~np.isnan(values)
    where = {c: j for j, c in enumerate(numeric)}
    masks: dict[int, np.ndarray | None] = {}
    blocks: dict[tuple, list[int]] = {}
    tasks: list[tuple] = []
    for i, (spec, _) in enumerate(items):
        rule = spec.sample
        if i in batchable and id(rule) not in masks:
            mask = np.ones(len(frame), dtype=bool) if rule is None else np.asarray(rule(frame), dtype=bool)
            masks[id(rule)] = mask if mask.shape == (len(frame),) else None
        if i not in batchable or masks[id(rule)] is None:
            tasks.append(("one", [i], items[i]))
            continue
        cols = [where[c] for c in (spec.outcome, spec.treatment, *spec.controls)]
        rows = masks[id(rule)] & present[:, cols].all(axis=1)
        key = (spec.effects, spec.cluster, rows.tobytes())
        if key not in blocks:
            blocks[key] = []
            tasks.append(("block", blocks[key], (rows, spec.effects, spec.cluster)))
        blocks[key].append(i)
    tasks = [(kind, idx, item if kind == "one" else (*item, [items[i] for i in idx])) for kind, idx, item in tasks]
    return tasks, {"values": values, "where": where, "groups": Groups.from_index(frame.index)}


def _run_task(task: tuple, rng: np.random.Generator, context: dict[str, Any]) -> list[dict]:
    """The rows of one task of :func:`_plan` (a task of :func:`run_tasks`)."""
    kind, _, payload = task
    if kind == "one":
        return [_one_spec(payload, rng, context)]
    rows, effects, cluster, members = payload
    if not rows.any():
        return [_one_spec(item, rng, context) for item in members]
    where = context["where"]
    groups = context["groups"].subset(rows)
    cols = list(dict.fromkeys(c for spec, _ in members for c in (spec.outcome, spec.treatment, *spec.controls)))
    local = {c: j for j, c in enumerate(cols)}
    values = context["values"][np.ix_(rows, [where[c] for c in cols])]
    codes = groups.entity if cluster is None else pd.factorize(context["data"][cluster].to_numpy()[rows], sort=True)[0]
    signs = context["signs"]
    if signs is not None:
        signs = signs[context["entities"].get_indexer(groups.entity_labels)]
    spec_cols = [(local[spec.outcome], [local[c] for c in (spec.treatment, *spec.controls)]) for spec, _ in members]
    with threadpool_limits(limits=1, user_api="blas"):  # as in joblib and dask workers: identical bits everywhere
        fits = fit_block(values, spec_cols, groups, effects, codes, signs)
    done = [f for f in fits if f is not None]
    if done:  # every fit of a block shares n, G and so df_t: the t quantile once, the p-values as one array
        df_t = done[0]["df_t"]
        q = stats.t.ppf(0.5 + 0.95 / 2, df_t)
        est, se = np.array([f["estimate"] for f in done]), np.array([f["se"] for f in done])
        pvalues = iter(2 * stats.t.sf(np.abs(est / se), df_t))
        notes = _cluster_notes(done[0]["n_clusters"])
    out = []
    for (spec, labels), fit in zip(members, fits):
        if fit is None:
            out.append(_one_spec((spec, labels), rng, context))
            continue
        est, se = fit["estimate"], fit["se"]
        row = _row(est, se, next(pvalues), (est - q * se, est + q * se), fit["nobs"], notes)
        boot = signs is not None
        out.append({**labels, **row, "boot_b": fit["boot_b"] if boot else None,
                    "boot_t": fit["boot_t"] if boot else None, "df_t": df_t if boot else np.nan})
    return out


def _curve_statistics(b: np.ndarray, t: np.ndarray, df_t: np.ndarray, alpha: float) -> np.ndarray:
    """The three curve statistics of each column of (specifications x draws) b and t.

    Each column is read in its own dominant direction s = sign(median b):
    |median b|, the number significant at ``alpha`` with sign s, and
    Stouffer's mean z of the one-sided p-values in direction s, so that a
    draw is "as extreme" as the data whichever the direction.
    """
    sign = np.where(np.median(b, axis=0) >= 0, 1.0, -1.0)
    crit = special.stdtrit(df_t, 1 - alpha / 2)[:, None]          # stats.t.ppf without its argument checks
    n_sig = np.sum((np.abs(t) > crit) & (np.sign(t) == sign), axis=0)
    p_one = special.stdtr(df_t[:, None], -(sign * t))             # stats.t.sf
    z = -special.ndtri(np.clip(p_one, 1e-300, 1 - 1e-16)).mean(axis=0)   # stats.norm.isf
    return np.vstack([np.abs(np.median(b, axis=0)), n_sig, z])


@dataclass
class SpecCurveResults:
    """A specification curve.

    Attributes
    ----------
    table
        One row per specification, sorted by estimate: the choices
        (:data:`DIMENSIONS`), ``estimate``, ``se``, ``pvalue``, ``ci_low``,
        ``ci_high``, ``nobs``, ``status``, ``reason`` and ``rank``.
    inference
        The joint test under the null: for ``median`` (the median
        estimate), ``n_significant`` (significant in the dominant direction)
        and ``stouffer_z`` (mean z of the one-sided p-values in that
        direction) the observed value, the bootstrap p-value (share of null
        draws at least as extreme, each read in its own dominant direction)
        and the number of specifications used; None without a bootstrap.
    draws
        (specifications x B) null-bootstrap estimates, rows as ``table``
        (NaN where no bootstrap applies), or None.
    """

    table: pd.DataFrame
    inference: pd.DataFrame | None
    draws: np.ndarray | None

    @property
    def varying(self) -> list[str]:
        """The dimensions (of :data:`DIMENSIONS`) with more than one choice."""
        return [d for d in DIMENSIONS if self.table[d].nunique() > 1] or ["outcome"]

    def indicators(self) -> pd.DataFrame:
        """Boolean indicator panel: one column per ``dimension: choice``, rows as ``table``.

        The figure (sorted estimates over this panel) is
        ``vagg.report.figures.specification_curve(result.table, result.varying)``.
        """
        return pd.get_dummies(self.table[self.varying].astype(str), prefix_sep=": ").astype(bool)


def specification_curve(
    data: pd.DataFrame,
    outcomes: Sequence[str] | Mapping[str, str | pd.Series],
    treatments: Sequence[str] | Mapping[str, str | pd.Series],
    controls: Mapping[str, Sequence[str]] | None = None,
    samples: Mapping[str, Sample | None] | None = None,
    effects: Sequence[str] = ("twoway",),
    clusters: Sequence[str | None] = (None,),
    weights: Mapping[str, Any] | None = None,
    model: str = "fe",
    n_boot: int = 500,
    alpha: float = 0.05,
    seed: int | None = 0,
    n_jobs: int = -1,
    client: Any = None,
    progress: bool | None = None,
) -> SpecCurveResults:
    """Estimate every combination of the choices and test the curve under the null.

    Parameters
    ----------
    data
        Panel indexed by (entity, time).
    outcomes, treatments
        Column names, or name -> column name / Series (e.g. the index built by
        each method with :func:`vagg.mechanisms.composite_index`).
    controls
        Name -> control columns; default one empty set ``{"none": ()}``.
    samples
        Name -> sample rule (see :mod:`vagg.robustness.battery`) or None for all.
    effects
        Fixed effects to try ("entity", "time", "twoway").
    clusters
        Cluster choices: None (entity) or column names.
    weights
        Name -> weights matrix, required for ``model="sdm"``.
    model
        "fe" or "sdm" (the direct impact of the treatment in a spatial Durbin model,
        :func:`vagg.robustness.battery.impact_rows`; not its coefficient).
    n_boot
        Null-bootstrap draws for the joint test (0 skips it).
    alpha
        Significance level of ``n_significant``.
    seed
        Master seed: identical results serially, with joblib or on dask.
    n_jobs
        joblib workers (default -1: all cores; 1: serial).  The tasks are
        the blocks of FE specifications sharing rows, effects and clustering
        and every other specification on its own; a curve whose tasks fit in
        one batch of :data:`vagg.models._parallel.BATCH` runs serially (1,000
        FE specifications over 4 samples and 2 effect sets are 8 blocks,
        well under a second).
    client
        A dask Client, ``"local"`` (a local cluster of worker processes for
        this run) or a scheduler address (e.g. a dask-jobqueue
        ``SLURMCluster(...).scheduler_address``); overrides ``n_jobs``.  See :func:`vagg.models._parallel.run_tasks`.
    progress
        tqdm progress bar (None: shown for more than 100 specifications).

    Returns
    -------
    :class:`SpecCurveResults`.
    """
    if model not in ("fe", "sdm"):
        raise SpecificationError(f"the specification curve supports model 'fe' or 'sdm', got {model!r}")
    if model == "sdm" and not weights:
        raise SpecificationError("model='sdm' needs at least one weights matrix in weights=")
    y_cols, new_y = _columns(data, _named(outcomes, "outcome"), "outcome")
    x_cols, new_x = _columns(data, _named(treatments, "treatment"), "treatment")
    frame = data.assign(**new_y, **new_x)
    control_sets = {"none": ()} if controls is None else {k: tuple(v) for k, v in controls.items()}
    sample_rules = {"all": None} if samples is None else dict(samples)
    w_sets = dict(weights) if model == "sdm" else {"none": None}
    items = []
    for (yk, yc), (xk, xc), (ck, cv), (sk, sv), fx, cl, (wk, wv) in itertools.product(
            y_cols.items(), x_cols.items(), control_sets.items(), sample_rules.items(), effects, clusters,
            w_sets.items()):
        spec = Spec(yc, xc, cv, model=model, effects=fx, cluster=cl, w=wv, sample=sv)
        labels = dict(zip(DIMENSIONS, (yk, xk, ck, sk, fx, "entity" if cl is None else cl, wk)))
        items.append((spec, labels))
    entities = pd.Index(frame.index.get_level_values(0).unique())
    signs = None
    if n_boot and model == "fe":
        signs = np.random.default_rng(np.random.SeedSequence(seed)).choice([-1.0, 1.0], (len(entities), n_boot))
    tasks, arrays = _plan(items, frame)
    parts = run_tasks(_run_task, tasks, seed=seed,
                      context={"data": frame, "signs": signs, "entities": entities, **arrays},
                      n_jobs=n_jobs, client=client, progress=len(items) > 100 if progress is None else progress,
                      desc="specification blocks")
    rows = [None] * len(items)
    for (_, idx, _), part in zip(tasks, parts):
        for i, row in zip(idx, part):
            rows[i] = row
    table = pd.DataFrame(rows)
    order = np.argsort(table["estimate"].to_numpy(), kind="stable")
    table = table.iloc[order].reset_index(drop=True)
    draws = inference = None
    if signs is not None:
        draws, inference = _joint_test(table, n_boot, alpha)
    table = table[[*DIMENSIONS, *ROW_COLUMNS[1:]]].assign(rank=np.arange(1, len(table) + 1))
    return SpecCurveResults(table, inference, draws)


def _joint_test(table: pd.DataFrame, n_boot: int, alpha: float) -> tuple[np.ndarray, pd.DataFrame]:
    """The three curve statistics, observed and under the null draws (Simonsohn et al. 2020, sec. 3)."""
    has = table["boot_b"].map(lambda v: v is not None).to_numpy()
    draws = np.full((len(table), n_boot), np.nan)
    if not has.any():
        return draws, None
    boot_b = np.vstack(table.loc[has, "boot_b"].to_list())
    boot_t = np.vstack(table.loc[has, "boot_t"].to_list())
    draws[has] = boot_b
    df_t = table.loc[has, "df_t"].to_numpy(dtype=float)
    obs_b = table.loc[has, "estimate"].to_numpy()
    obs_t = obs_b / table.loc[has, "se"].to_numpy()
    observed = _curve_statistics(obs_b[:, None], obs_t[:, None], df_t, alpha)[:, 0]
    null = _curve_statistics(boot_b, boot_t, df_t, alpha)
    p = np.mean(null >= observed[:, None] - 1e-12 * np.abs(observed[:, None]), axis=1)
    observed[0] = np.median(obs_b)
    inference = pd.DataFrame({"observed": observed, "pvalue": p, "n_specifications": int(has.sum())},
                             index=pd.Index(["median", "n_significant", "stouffer_z"], name="statistic"))
    return draws, inference


__all__ = ["SpecCurveResults", "specification_curve", "null_bootstrap"]
