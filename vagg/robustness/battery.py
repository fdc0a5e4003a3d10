"""Robustness battery: one baseline specification, many declared variants, one tidy row each.

A :class:`Spec` says everything that defines an estimate of the effect of a
key regressor (the *treatment*) on an outcome: the model (two-way FE, FE
mediation, spatial Durbin, FE-2SLS), controls, fixed effects, clustering,
weights matrix, sample, lag, winsorising, and columns that replace those of
the data (the treatment built by another index method, the outcome by another
synergy measure).  A *variant* is a dict of the fields that change, e.g.
``{"lag": 1}`` or ``{"sample": drop_entities(["440100", "440300"])}``; the
battery applies each to the baseline with :func:`dataclasses.replace` and
estimates it.  A variant that cannot be estimated (too few observations, a
collinear or absorbed key regressor, a weak instrument) stays in the table
with ``status="failed"`` and the reason.

The checks are those referees of this literature ask for: 2SLS with a
historical instrument (Angrist and Pischke 2009, *Mostly Harmless
Econometrics*, ch. 4; weak instruments: Staiger and Stock 1997,
*Econometrica* 65:557), few clusters (Cameron and Miller 2015, *J. Human
Resources* 50:317), alternative weights matrices (Elhorst 2014, *Spatial
Econometrics*, ch. 2), lags, subsamples and winsorising.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from vagg._errors import DataError, SpecificationError
from vagg.data.panel import check_columns, check_panel_index

MODELS = ("fe", "mediation", "sdm", "iv")
ROW_COLUMNS = ("variant", "estimate", "se", "pvalue", "ci_low", "ci_high", "nobs", "status", "reason")
#: fewer clusters than this makes clustered inference unreliable (Cameron and Miller 2015); noted
FEW_CLUSTERS = 10
#: first-stage F below this: the 2SLS estimate is not reported (Staiger and Stock 1997)
WEAK_F = 10.0
#: simulated parameter draws behind the standard errors of SDM impacts
IMPACT_DRAWS = 1000

Sample = Callable[[pd.DataFrame], "pd.Series | np.ndarray"]


@dataclass(frozen=True)
class Spec:
    """One specification of the effect of ``treatment`` on ``outcome``.

    Attributes
    ----------
    outcome, treatment
        Column names; the reported estimate is the treatment's coefficient
        (FE, 2SLS), its direct impact (SDM; :func:`robustness` adds a row
        with the total impact) or the total indirect effect (mediation).
    controls
        Control columns.
    model
        ``"fe"`` (:class:`~vagg.models.PanelFE`), ``"mediation"``
        (:class:`~vagg.models.Mediation`), ``"sdm"``
        (:class:`~vagg.models.SpatialPanel`, direct impact of the treatment) or
        ``"iv"`` (:class:`~vagg.models.PanelIV`, FE-2SLS).
    effects
        ``"entity"``, ``"time"``, ``"twoway"`` or ``"none"``.
    cluster
        Cluster of the standard errors: None for the entity, or a column name.
    w
        Weights matrix (libpysal W) for ``"sdm"``.
    mediators
        Mediator columns for ``"mediation"``.
    instrument
        Excluded instrument column(s) for ``"iv"``.
    sample
        Function of the data returning a boolean mask of the rows to keep.
    lag
        Lag the treatment this many periods within entity.
    winsor
        (low, high) quantiles at which every variable of the model is clipped
        (pooled), e.g. (0.01, 0.99).
    columns
        Columns that replace or extend the data before anything else.
    n_boot
        Bootstrap draws of the mediation variants.
    """

    outcome: str
    treatment: str
    controls: tuple[str, ...] = ()
    model: str = "fe"
    effects: str = "twoway"
    cluster: str | None = None
    w: Any = None
    mediators: tuple[str, ...] = ()
    instrument: tuple[str, ...] = ()
    sample: Sample | None = None
    lag: int = 0
    winsor: tuple[float, float] | None = None
    columns: Mapping[str, pd.Series] = field(default_factory=dict)
    n_boot: int = 999

    def __post_init__(self) -> None:
        for name in ("controls", "mediators", "instrument"):  # one name given as a string is one column
            value = getattr(self, name)
            object.__setattr__(self, name, (value,) if isinstance(value, str) else tuple(value))

    def variables(self) -> list[str]:
        """Every data column the specification uses, outcome and treatment first."""
        names = [self.outcome, self.treatment, *self.controls, *self.mediators, *self.instrument]
        if self.cluster is not None:
            names.append(self.cluster)
        return list(dict.fromkeys(names))

    def check(self) -> None:
        """Refuse an impossible specification before any data are touched."""
        if self.model not in MODELS:
            raise SpecificationError(f"model must be one of {MODELS}, got {self.model!r}")
        if self.model == "sdm" and self.w is None:
            raise SpecificationError("an 'sdm' specification needs a weights matrix w")
        if self.model == "mediation" and not self.mediators:
            raise SpecificationError("a 'mediation' specification needs mediators")
        if self.model == "iv" and not self.instrument:
            raise SpecificationError("an 'iv' specification needs an instrument column")
        if self.lag < 0:
            raise SpecificationError(f"lag must be 0 or positive, got {self.lag}")
        if self.winsor is not None and not 0 <= self.winsor[0] < self.winsor[1] <= 1:
            raise SpecificationError(f"winsor must be two quantiles 0 <= low < high <= 1, got {self.winsor}")


# -- samples --------------------------------------------------------------------------
def drop_entities(entities: Sequence[object]) -> Sample:
    """A sample rule that drops the given entities (e.g. Guangzhou 440100, Shenzhen 440300)."""
    drop = {str(e) for e in entities}
    return lambda df: ~df.index.get_level_values(0).astype(str).isin(drop)


def drop_groups(column: str, groups: Sequence[str]) -> Sample:
    """A sample rule that drops rows whose ``column`` is in ``groups`` (e.g. one region)."""
    def rule(df: pd.DataFrame) -> np.ndarray:
        if column not in df.columns:
            raise SpecificationError(f"sample column {column!r} is not in the data")
        return ~df[column].isin(list(groups)).to_numpy()
    return rule


def period(first: int | None = None, last: int | None = None) -> Sample:
    """A sample rule that keeps the periods ``first`` to ``last`` (inclusive)."""
    def rule(df: pd.DataFrame) -> np.ndarray:
        t = df.index.get_level_values(1)
        return ((t >= first) if first is not None else True) & ((t <= last) if last is not None else True)
    return rule


# -- data preparation -------------------------------------------------------------------
def lagged(values: pd.Series, lag: int) -> pd.Series:
    """``values`` of period t - ``lag`` of the same entity, by index lookup (NaN where that period is absent).

    Looks the lagged period up by its value, so unsorted rows and gaps in
    the years never shift a value onto the wrong year.
    """
    time = values.index.get_level_values(1)
    if not pd.api.types.is_numeric_dtype(time):
        raise SpecificationError(f"a lag needs a numeric time index, got dtype {time.dtype}")
    source = pd.MultiIndex.from_arrays([values.index.get_level_values(0), time - lag])
    return pd.Series(values.reindex(source).to_numpy(), index=values.index, name=values.name)


def _replacements(spec: Spec, data: pd.DataFrame) -> dict[str, object]:
    """The replacement columns aligned to the data; refuses one whose index matches no row."""
    out: dict[str, object] = {}
    for name, values in spec.columns.items():
        if isinstance(values, pd.Series):
            aligned = values.reindex(data.index)
            if values.notna().any() and aligned.isna().all():
                raise DataError(f"replacement column {name!r} shares no (entity, time) pair with the data; "
                                f"its index starts {list(values.index[:2])}, the data's {list(data.index[:2])}")
            values = aligned
        out[name] = values
    return out


def prepare(spec: Spec, data: pd.DataFrame) -> pd.DataFrame:
    """The rows and columns ``spec`` is estimated on.

    Applies, in this order: replacement columns, the lag of the treatment
    (within entity, by period, on the full data so that a later sample keeps
    its first year), the sample rule, the dropping of incomplete rows (for
    ``"sdm"``, of incomplete periods, which keeps the panel balanced) and
    winsorising of every model variable at the pooled quantiles.
    """
    spec.check()
    check_panel_index(data)
    df = data.assign(**_replacements(spec, data)) if spec.columns else data
    cols = spec.variables()
    absent = [c for c in cols if c not in df.columns]
    if absent:
        raise DataError(f"column(s) not in the data: {', '.join(map(repr, absent))}")
    check_columns(df, [c for c in cols if c != spec.cluster], numeric=True, complete=False)
    if spec.cluster is not None:
        check_columns(df, [spec.cluster], numeric=False, complete=True)
    if spec.lag:
        df = df.assign(**{spec.treatment: lagged(df[spec.treatment], spec.lag)})
    keep = np.ones(len(df), dtype=bool) if spec.sample is None else np.asarray(spec.sample(df), dtype=bool)
    if keep.shape != (len(df),):
        raise SpecificationError(f"the sample rule returned {keep.shape[0]} values for {len(df)} rows")
    df = df.loc[keep, cols].copy()
    numeric = [c for c in cols if c != spec.cluster]
    complete = df[numeric].notna().all(axis=1)
    if spec.model == "sdm":
        complete = complete.groupby(level=1).transform("all")
    df = df.loc[complete]
    if spec.winsor is not None and len(df):
        low, high = df[numeric].quantile(spec.winsor[0]), df[numeric].quantile(spec.winsor[1])
        df[numeric] = df[numeric].clip(low, high, axis=1)
    return df


# -- estimation -------------------------------------------------------------------------
def _row(estimate: float, se: float, pvalue: float, ci: tuple[float, float], nobs: int,
         notes: Sequence[str] = ()) -> dict[str, object]:
    return {"estimate": float(estimate), "se": float(se), "pvalue": float(pvalue), "ci_low": float(ci[0]),
            "ci_high": float(ci[1]), "nobs": int(nobs), "status": "note" if notes else "ok",
            "reason": "; ".join(notes)}


def failed_row(reason: str, nobs: int = 0) -> dict[str, object]:
    """The row of a variant that could not be estimated."""
    nan = float("nan")
    return {"estimate": nan, "se": nan, "pvalue": nan, "ci_low": nan, "ci_high": nan, "nobs": int(nobs),
            "status": "failed", "reason": reason}


def _cluster_notes(n_clusters: object) -> list[str]:
    g = min(n_clusters) if isinstance(n_clusters, tuple) else n_clusters
    return [f"only {g} clusters: clustered inference unreliable"] if g is not None and g < FEW_CLUSTERS else []


def fit_fe(spec: Spec, df: pd.DataFrame) -> tuple[Any, list[str]]:
    """Fit the FE model of a prepared frame: the PanelFEResults and the notes (warnings, few clusters)."""
    from vagg.models.panel_fe import PanelFE

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = PanelFE(df[spec.outcome], df[[spec.treatment, *spec.controls]], effects=spec.effects,
                      data=df).fit(cov="clustered", cluster=spec.cluster)
    if spec.treatment not in res.params.index:
        raise SpecificationError(f"the key regressor {spec.treatment!r} was dropped: "
                                 + "; ".join(str(w.message) for w in caught))
    return res, [str(w.message) for w in caught] + _cluster_notes(res.n_clusters)


def _coefficient_row(res: Any, x: str, notes: Sequence[str] = ()) -> dict[str, object]:
    ci = res.conf_int().loc[x]
    return _row(res.params[x], res.std_errors[x], res.pvalues[x], (ci["lower"], ci["upper"]), res.nobs, notes)


def _estimate_fe(spec: Spec, df: pd.DataFrame, seed: int | None) -> tuple[dict[str, object], Any]:
    res, notes = fit_fe(spec, df)
    return _coefficient_row(res, spec.treatment, notes), res


def _estimate_mediation(spec: Spec, df: pd.DataFrame, seed: int | None) -> tuple[dict[str, object], Any]:
    from vagg.models.mediation import Mediation

    res = Mediation(df, spec.outcome, spec.treatment, list(spec.mediators), controls=list(spec.controls),
                    effects=spec.effects, cluster=spec.cluster).fit(n_boot=spec.n_boot, seed=seed,
                                                                       progress=False)
    total = res.indirect.loc["total"]
    p = 2 * stats.norm.sf(abs(total["estimate"] / total["se"]))
    return _row(total["estimate"], total["se"], p, (total["ci_low"], total["ci_high"]), len(df),
                ["total indirect effect; se, p (normal) and interval from the cluster bootstrap"]), res


def impact_rows(res: Any, treatment: str, nobs: int, seed: int | None) -> dict[str, dict[str, object]]:
    """The direct and total impact rows of ``treatment`` in a fitted spatial Durbin model.

    In an SDM the coefficient :math:`\\beta` of the treatment is not its
    marginal effect: a change in :math:`x` moves the city's own outcome by the
    average direct impact :math:`N^{-1}\\operatorname{tr}[(I-\\rho W)^{-1}
    (\\beta I + \\theta W)]` and all outcomes by the average total impact
    :math:`N^{-1}\\mathbf 1'(I-\\rho W)^{-1}(\\beta I + \\theta W)\\mathbf 1`
    (LeSage and Pace 2009, *Introduction to Spatial Econometrics*, ch. 2;
    :mod:`vagg.models.spatial.impacts`).  The direct impact is the one comparable with
    an FE coefficient.  Standard errors, normal p-values and 95% intervals
    come from :data:`IMPACT_DRAWS` parameter vectors drawn from the
    estimates' asymptotic distribution (``SpatialPanelResults.impacts``).
    """
    table = res.impacts(draws=IMPACT_DRAWS, seed=seed).loc[treatment]
    rows = {}
    for kind in ("direct", "total"):
        note = (f"{kind} impact of {treatment} in the spatial Durbin model (average over cities, LeSage and Pace "
                f"2009), not the coefficient; se, p (normal) and 95% interval from {IMPACT_DRAWS} simulated "
                "parameter draws")
        rows[kind] = _row(table[kind], table[f"{kind}_se"], table[f"{kind}_p"],
                          (table[f"{kind}_lo"], table[f"{kind}_hi"]), nobs, [note])
    return rows


def _estimate_sdm(spec: Spec, df: pd.DataFrame, seed: int | None) -> tuple[dict[str, object], Any]:
    from vagg.models.spatial import SpatialPanel

    res = SpatialPanel(df[spec.outcome], df[[spec.treatment, *spec.controls]], spec.w, model="sdm",
                       effects=spec.effects).fit()
    return impact_rows(res, spec.treatment, len(df), seed)["direct"], res


def _estimate_iv(spec: Spec, df: pd.DataFrame, seed: int | None) -> tuple[dict[str, object], Any]:
    from vagg.models.iv import PanelIV

    res = PanelIV(df, spec.outcome, [spec.treatment], list(spec.controls), list(spec.instrument),
                  effects=spec.effects).fit(cov="clustered", cluster=spec.cluster)
    f_stat = float(res.first_stage_f.min())
    if not f_stat >= WEAK_F:
        reason = f"instrument too weak to report: first-stage F = {f_stat:.2f} < {WEAK_F:g}"
        return failed_row(reason, res.nobs), None
    notes = [f"first-stage F = {f_stat:.1f}", *_cluster_notes(res.n_clusters)]
    return _coefficient_row(res, spec.treatment, notes), res


_ESTIMATORS = {"fe": _estimate_fe, "mediation": _estimate_mediation, "sdm": _estimate_sdm, "iv": _estimate_iv}


def estimate_with_results(spec: Spec, data: pd.DataFrame, seed: int | None = None) -> tuple[dict[str, object], Any]:
    """:func:`estimate` and the fitted results object (None when the variant failed)."""
    df = prepare(spec, data)
    if len(df) == 0:
        return failed_row("no complete observations in this sample"), None
    try:
        return _ESTIMATORS[spec.model](spec, df, seed)
    except (DataError, SpecificationError, np.linalg.LinAlgError) as exc:
        return failed_row(str(exc), len(df)), None


def estimate(spec: Spec, data: pd.DataFrame, seed: int | None = None) -> dict[str, object]:
    """Estimate one specification; a tidy row (see :data:`ROW_COLUMNS`, without ``variant``).

    Errors that make a variant impossible (no complete rows, no residual
    degrees of freedom, an absorbed or collinear key regressor, a singular
    design, a weak instrument) become ``status="failed"`` with the reason; a
    specification that names a column the data lack raises, because that is
    a mistake, not a finding.
    """
    return estimate_with_results(spec, data, seed)[0]


# -- the battery --------------------------------------------------------------------------
def index_variants(panel: pd.DataFrame, column: str, system: object = "virtual_agglomeration",
                   methods: Sequence[str] = ("entropy", "critic", "topsis", "pca", "equal")) -> dict[str, dict]:
    """Variants whose ``column`` is the composite index of ``system`` built by each method.

    Uses :func:`vagg.mechanisms.composite_index` (overall score, 0-100).
    """
    from vagg.mechanisms import composite_index

    return {f"index: {m}": {"columns": {column: composite_index(panel, system, method=m).scores}} for m in methods}


def outcome_variants(column: str, measures: Mapping[str, pd.Series]) -> dict[str, dict]:
    """Variants whose ``column`` (the outcome) is each of the named ``measures``."""
    return {f"outcome: {name}": {"columns": {column: values}} for name, values in measures.items()}


def weights_variants(matrices: Mapping[str, Any]) -> dict[str, dict]:
    """Variants with each named weights matrix (for ``model="sdm"``)."""
    return {f"W: {name}": {"w": w} for name, w in matrices.items()}


def standard_variants(
    baseline: Spec,
    core: tuple[str, str] | None = ("region", "Pearl River Delta Core"),
    drop: Sequence[object] = ("440100", "440300"),
    first_year: int | None = None,
    instrument: str | None = None,
) -> dict[str, dict]:
    """The sample, lag, winsorising and 2SLS variants of the battery.

    Parameters
    ----------
    baseline
        The baseline specification (its sample rule is combined with each new one).
    core
        (column, value) of the core group to drop, or None.
    drop
        Entities to drop together (default Guangzhou and Shenzhen).
    first_year
        Start of the shorter period, or None for none.
    instrument
        Column of the excluded instrument of the 2SLS variant, or None.
    """
    def both(rule: Sample) -> Sample:
        if baseline.sample is None:
            return rule
        return lambda df: np.asarray(baseline.sample(df), dtype=bool) & np.asarray(rule(df), dtype=bool)

    out: dict[str, dict] = {}
    if core is not None:
        out[f"sample: without {core[1]}"] = {"sample": both(drop_groups(core[0], [core[1]]))}
    if drop:
        out[f"sample: without {', '.join(map(str, drop))}"] = {"sample": both(drop_entities(drop))}
    if first_year is not None:
        out[f"sample: from {first_year}"] = {"sample": both(period(first_year))}
    out["treatment lagged one period"] = {"lag": 1}
    out["winsorised 1% / 99%"] = {"winsor": (0.01, 0.99)}
    if instrument is not None:
        out["FE-2SLS"] = {"model": "iv", "instrument": (instrument,)}
    return out


def _variant_rows(name: str, spec: Spec, data: pd.DataFrame, seed: int | None) -> list[dict[str, object]]:
    """The row of a variant; two for a spatial Durbin model: ``<name>: direct impact`` and ``<name>: total impact``."""
    row, res = estimate_with_results(spec, data, seed)
    if spec.model != "sdm" or res is None:
        return [{"variant": name, **row}]
    both = impact_rows(res, spec.treatment, row["nobs"], seed)
    return [{"variant": f"{name}: {kind} impact", **both[kind]} for kind in ("direct", "total")]


@dataclass
class RobustnessResults:
    """The battery: ``table`` (one row per variant) and the ``placebo`` result (or None)."""

    table: pd.DataFrame
    placebo: Any = None

    def __repr__(self) -> str:
        return self.table.to_string(float_format=lambda v: f"{v:.4g}")


def robustness(
    data: pd.DataFrame,
    baseline: Spec,
    variants: Mapping[str, Mapping[str, object]],
    placebo: int = 0,
    placebo_within: str = "entity",
    seed: int | None = 0,
) -> RobustnessResults:
    """Re-estimate ``baseline`` under each variant.

    Parameters
    ----------
    data
        Panel indexed by (entity, time).
    baseline
        The baseline :class:`Spec`.
    variants
        Name -> fields of :class:`Spec` that change, e.g. from
        :func:`index_variants`, :func:`outcome_variants`,
        :func:`weights_variants` and :func:`standard_variants`.
    placebo
        Number of placebo permutations of the treatment (0: none; 500-1,000
        is usual), for FE baselines (:func:`vagg.robustness.placebo_test`,
        vectorised) and SDM baselines (:func:`vagg.robustness.spatial_placebo_test`,
        one ML fit per draw).
    placebo_within
        "entity" permutes the treatment paths across cities; "time" permutes
        years within each city.
    seed
        Seed of the mediation bootstraps and of the placebo.

    Examples
    --------
    >>> panel = vagg.data.load_demo_panel()
    >>> data = panel.assign(va=composite_index(panel, "virtual_agglomeration").scores,
    ...                     D=synergy_outcome(panel)["D"],
    ...                     iv=panel.post_offices_1984_per10k * panel.internet_users_national)
    >>> base = Spec("D", "va", ("tertiary_share", "fdi_gdp"))
    >>> variants = {**index_variants(panel, "va"),
    ...             **outcome_variants("D", {"D (CRITIC)": synergy_outcome(panel, method="critic")["D"]}),
    ...             **standard_variants(base, first_year=2014, instrument="iv")}
    >>> robustness(data, base, variants, placebo=1000, seed=0).table   # doctest: +SKIP

    Returns
    -------
    :class:`RobustnessResults`; ``table`` has the columns :data:`ROW_COLUMNS`,
    first the baseline, then the variants in the given order, then the placebo
    (its ``pvalue`` is the permutation p-value).  A spatial Durbin
    specification gives two rows, ``<name>: direct impact`` and ``<name>:
    total impact`` (:func:`impact_rows`), never its coefficient, which is not
    a marginal effect; its placebo permutes the treatment and reads the SDM
    coefficient, a valid statistic for the null of no effect at all.
    """
    unknown = {k for v in variants.values() for k in v} - {f.name for f in dataclasses.fields(Spec)}
    if unknown:
        raise SpecificationError(f"variants change unknown fields: {sorted(unknown)}")
    specs = {"baseline": baseline, **{name: dataclasses.replace(baseline, **changes)
                                      for name, changes in variants.items()}}
    rows = [row for name, spec in specs.items() for row in _variant_rows(name, spec, data, seed)]
    result = None
    if placebo:
        from vagg.robustness.placebo import placebo_test, spatial_placebo_test

        name = f"placebo ({placebo} permutations, {placebo_within})"
        df = prepare(baseline, data)
        common = dict(controls=list(baseline.controls), effects=baseline.effects, n_perm=placebo,
                      within=placebo_within, seed=seed)
        if baseline.model == "fe":
            result = placebo_test(df, baseline.outcome, baseline.treatment, **common)
        elif baseline.model == "sdm":
            result = spatial_placebo_test(df, baseline.outcome, baseline.treatment, baseline.w, **common)
        if result is None:
            rows.append({"variant": name, **failed_row(f"no placebo for a {baseline.model!r} baseline (FE or SDM)")})
        else:
            rows.append({"variant": name,
                         **_row(result.estimate, float(np.std(result.draws)), result.pvalue,
                                tuple(np.quantile(result.draws, [0.025, 0.975])), result.nobs,
                                ["pvalue: share of placebo estimates at least as large in absolute value; "
                                 f"se and interval: of the {len(result.draws)} placebo draws"
                                 + ("; estimate: the SDM coefficient, not an impact" if baseline.model == "sdm"
                                    else "")])})
    return RobustnessResults(pd.DataFrame(rows, columns=list(ROW_COLUMNS)), result)
