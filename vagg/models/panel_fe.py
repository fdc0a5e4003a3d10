"""Fixed-effects panel regression: none, entity, time or two-way effects.

The model is

.. math::  y_{it} = x_{it}'\\beta + \\alpha_i + \\gamma_t + \\varepsilon_{it},

estimated by OLS on the within-transformed data (see :mod:`vagg.models._within`;
Wooldridge 2010, ch. 10; Baltagi 2021, ch. 3).  The array core,
:func:`within_ols`, takes arrays and group codes and is what bootstraps,
placebo permutations and specification curves call; :class:`PanelFE` is a thin
layer that reads a formula or DataFrames, drops missing rows (with a note),
refuses or drops regressors the effects absorb (by name), and computes the
covariance (:mod:`vagg.models._covariance`).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats

from vagg._errors import DataError, SpecificationError
from vagg.data.panel import check_columns, check_panel_index
from vagg.models._covariance import sandwich
from vagg.models._guards import MAX_ABS, check_scale
from vagg.models._results import table_info
from vagg.models._within import (
    ABSORBED_TOL,
    EFFECTS,
    Groups,
    absorbed_columns,
    absorbed_df,
    collinear_columns,
    demean,
)

COV_TYPES = ("unadjusted", "robust", "clustered", "driscoll-kraay", "conley")
_EFFECT_WORDS = {"entity": "entity", "time": "time", "twoway": "entity and time"}


def within_ols(
    y: np.ndarray, x: np.ndarray, groups: Groups, effects: str = "twoway"
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fixed-effects OLS on arrays.

    Parameters
    ----------
    y, x
        (n,) outcome and (n x k) regressors, rows matching ``groups``; no
        missing values, no absorbed columns (see :class:`PanelFE` for checks).
    groups
        Entity and time codes, e.g. ``Groups.from_index(df.index)``.
    effects
        "none", "entity", "time" or "twoway".

    Returns
    -------
    params, residuals, demeaned y, demeaned x
        :math:`\\hat\\beta = (\\ddot X'\\ddot X)^{-1}\\ddot X'\\ddot y`.
    """
    both = demean(np.column_stack([y, x]), groups, effects)
    y_dm, x_dm = both[:, 0], both[:, 1:]
    params = np.linalg.solve(x_dm.T @ x_dm, x_dm.T @ y_dm)
    return params, y_dm - x_dm @ params, y_dm, x_dm


def _unique_pairs(groups: Groups) -> bool:
    """True when no (entity, time) pair occurs twice."""
    pairs = groups.entity * groups.n_periods + groups.time
    return bool(np.bincount(pairs, minlength=groups.n_entities * groups.n_periods).max(initial=0) <= 1)


def nested_df(groups: Groups, effects: str, df_absorbed: int, clusters: np.ndarray) -> int:
    """Effect parameters not nested in any cluster variable (the reghdfe rule, Correia 2017).

    ``df_absorbed`` less the entity (or else the time) effects when every
    entity (period) lies within one cluster of some column of ``clusters``
    (n x 1 or n x 2 codes).
    """
    def nested(codes: np.ndarray, n_groups: int) -> bool:
        for c in clusters.T:
            if np.array_equal(c, codes) or np.unique(codes * (int(c.max()) + 1) + c).size == n_groups:
                return True
        return False

    if effects in ("entity", "twoway") and nested(groups.entity, groups.n_entities):
        return df_absorbed - groups.n_entities
    if effects in ("time", "twoway") and nested(groups.time, groups.n_periods):
        return df_absorbed - groups.n_periods
    return df_absorbed


def _check_effects(effects: str) -> str:
    if effects not in EFFECTS:
        raise SpecificationError(f"effects must be one of {EFFECTS}, got {effects!r}")
    return effects


_PRODUCT = re.compile(r"^(\w+)\s*\*\s*(\w+)$")


def centring_means(data: pd.DataFrame, left: str, right: str) -> tuple[float, float]:
    """Means of two columns over the rows where both are present (the centring of ``left * right``)."""
    both = data[[left, right]].notna().all(axis=1)
    means = data.loc[both, [left, right]].astype(float).mean()
    return float(means[left]), float(means[right])


def centred_product(data: pd.DataFrame, left: str, right: str) -> pd.Series:
    """:math:`(x - \\bar x)(z - \\bar z)`, named ``"x:z"``, means from :func:`centring_means`.

    With the main effects x and z in the model, the coefficient of x is then
    the effect of x at the mean of z (Aiken and West 1991, *Multiple
    Regression: Testing and Interpreting Interactions*, ch. 3).
    """
    mean_left, mean_right = centring_means(data, left, right)
    product = (data[left].astype(float) - mean_left) * (data[right].astype(float) - mean_right)
    return product.rename(f"{left}:{right}")


def parse_formula(formula: str, data: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """Split ``"y ~ x1 + x2"`` into the dependent Series and regressor DataFrame.

    Terms that are column names are taken as they are; ``x * z`` (two column
    names) gives x, z and their mean-centred product ``x:z`` (see
    :func:`centred_product`); other terms (``np.log(x)``, ``x1:x2``) are built
    by formulaic.  An intercept term ("1" or "0") is ignored: the effects
    decide whether there is a constant.
    """
    if not isinstance(formula, str) or formula.count("~") != 1:
        raise SpecificationError(f"a formula needs one '~', as in 'y ~ x1 + x2'; got {formula!r}")
    lhs, rhs = (part.strip() for part in formula.split("~"))
    if lhs not in data.columns:
        raise SpecificationError(f"dependent variable {lhs!r} is not a column of the data")
    terms = [t.strip() for t in rhs.split("+") if t.strip() not in ("", "1", "0")]
    if not terms:
        raise SpecificationError(f"formula {formula!r} has no regressors")
    products: dict[str, tuple[str, str]] = {}
    expanded: list[str] = []
    for term in terms:
        match = _PRODUCT.match(term)
        if match is None:
            expanded.append(term)
            continue
        pair = match.group(1), match.group(2)
        expanded += [*pair, f"{pair[0]}:{pair[1]}"]
        products[f"{pair[0]}:{pair[1]}"] = pair
    expanded = list(dict.fromkeys(expanded))
    if not products and all(t in data.columns for t in expanded):
        if data.columns.is_unique:  # positions and iloc: about half the time of data[terms] on a wide frame
            return data[lhs], data.iloc[:, [data.columns.get_loc(t) for t in expanded]]
        return data[lhs], data[expanded]
    unknown = [t for t in expanded if re.fullmatch(r"\w+", t) and t not in data.columns]
    if unknown:
        raise SpecificationError(f"regressor(s) not in the data: {', '.join(map(repr, unknown))}")
    plain = [t for t in expanded if t not in products]
    if all(t in data.columns for t in plain):
        built = data[plain]
    else:
        from formulaic import model_matrix

        exog = model_matrix("0 + " + " + ".join(plain), data, na_action="ignore")
        built = pd.DataFrame(np.asarray(exog, dtype=float), index=data.index, columns=list(exog.columns))
    if not products:
        return data[lhs], built
    parts = [centred_product(data, *pair) for pair in products.values()]
    return data[lhs], pd.concat([built, *parts], axis=1)


def _cross_section_groups(n: int) -> Groups:
    """Every observation its own entity, one period (a cross-section or pooled data)."""
    return Groups(np.arange(n), np.zeros(n, dtype=np.intp), np.arange(n), np.zeros(1, dtype=np.intp))


def _numeric_values(dependent: pd.Series, exog: pd.DataFrame) -> np.ndarray | None:
    """(n x (1+k)) float values of the outcome and regressors, or None if a column is not numeric."""
    for dtype in (dependent.dtype, *exog.dtypes):
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            return None
    values = np.empty((len(exog), exog.shape[1] + 1))
    values[:, 0] = dependent.to_numpy(dtype=float, na_value=np.nan)
    values[:, 1:] = exog.to_numpy(dtype=float, na_value=np.nan)
    return values


def _missing_note(missing: np.ndarray, names: Sequence[str]) -> str:
    """The note on dropped rows: their number and the missing count of each column."""
    counts = missing.sum(axis=0)
    which = ", ".join(f"{c} ({int(v)})" for c, v in zip(names, counts) if v > 0)
    return f"{int(missing.any(axis=1).sum())} row(s) with missing values dropped: {which}"


class PanelFE:
    """Linear panel regression with fixed effects.

    Parameters
    ----------
    dependent
        Outcome, a Series indexed like ``exog``.
    exog
        Regressors, a DataFrame indexed by (entity, time); any index when
        ``effects="none"``.
    effects
        "none" (pooled OLS with a constant), "entity", "time" or "twoway".
    data
        Optional frame holding cluster columns named in :meth:`fit`.

    Notes
    -----
    Rows with a missing outcome or regressor are dropped and counted in
    ``results.notes``.  A regressor the effects absorb (constant within
    entity under entity effects, within period under time effects) or one
    collinear with earlier regressors is dropped with a warning naming it.
    :meth:`from_arrays` builds the same model from arrays and entity / time
    labels, without pandas, for code that fits many small models.
    """

    def __init__(
        self,
        dependent: pd.Series,
        exog: pd.DataFrame,
        effects: str = "twoway",
        data: pd.DataFrame | None = None,
    ) -> None:
        self.effects = _check_effects(effects)
        if not isinstance(exog, pd.DataFrame) or not isinstance(dependent, pd.Series):
            raise DataError("PanelFE needs the outcome as a Series and the regressors as a DataFrame")
        if effects != "none" or isinstance(exog.index, pd.MultiIndex):
            check_panel_index(exog)  # also refuses a (time, entity) index, which would cluster by year
        self.dependent_name = str(dependent.name)
        names = [self.dependent_name, *map(str, exog.columns)]
        if not (dependent.index is exog.index or dependent.index.equals(exog.index)):
            frame = pd.concat([dependent.rename(self.dependent_name), exog], axis=1)  # align on the index
            dependent, exog = frame[self.dependent_name], frame.drop(columns=self.dependent_name)
        index = exog.index
        is_panel = effects != "none" or isinstance(index, pd.MultiIndex)
        groups = Groups.from_index(index) if is_panel and isinstance(index, pd.MultiIndex) else None
        if groups is not None and min(groups.entity.min(initial=0), groups.time.min(initial=0)) < 0:
            raise DataError("the (entity, time) index has missing entity or time labels")
        values = _numeric_values(dependent, exog)
        if values is None or np.isinf(values).any():
            frame = pd.concat([dependent.rename(self.dependent_name), exog], axis=1)
            check_columns(frame, frame.columns, numeric=True, complete=False)  # raises, naming the column
        missing = np.isnan(values)
        keep = ~missing.any(axis=1)
        notes = [] if keep.all() else [_missing_note(missing, names)]
        if not keep.all():
            index = index[keep]
            groups = groups.subset(keep) if groups is not None else None
        self._index = index
        self._setup(values[keep], names[1:], keep, groups if is_panel else _cross_section_groups(int(keep.sum())),
                    is_panel, notes, data)

    @classmethod
    def from_arrays(
        cls,
        y: np.ndarray,
        x: np.ndarray,
        entity: np.ndarray,
        time: np.ndarray,
        effects: str = "twoway",
        exog_names: Sequence[str] | None = None,
        dependent_name: str = "y",
    ) -> PanelFE:
        """The model of arrays: outcome ``y`` (n,), regressors ``x`` (n x k), entity and time labels (n,).

        The same model as the DataFrame constructor on a frame indexed by
        ``(entity, time)`` (the same checks, notes and results), without
        pandas on the way: what a loop of many small fits should call.
        Clusters in :meth:`fit` are then ``None``, ``"entity"``, ``"time"``
        or an array.
        """
        self = cls.__new__(cls)
        self.effects = _check_effects(effects)
        y = np.asarray(y, dtype=float).ravel()
        x = np.asarray(x, dtype=float)
        x = x[:, None] if x.ndim == 1 else x
        n = len(y)
        entity, time = np.asarray(entity).ravel(), np.asarray(time).ravel()
        if x.shape[0] != n or len(entity) != n or len(time) != n:
            raise DataError(f"y has {n} rows but x has {x.shape[0]}, entity {len(entity)} and time {len(time)}")
        names = [f"x{j}" for j in range(x.shape[1])] if exog_names is None else [str(c) for c in exog_names]
        if len(names) != x.shape[1]:
            raise SpecificationError(f"{len(names)} exog_names for {x.shape[1]} regressors")
        self.dependent_name = str(dependent_name)
        groups = Groups.from_labels(entity, time)
        if not _unique_pairs(groups):
            pairs = np.column_stack([groups.entity, groups.time])
            first = np.unique(pairs, axis=0, return_counts=True)
            e, t = first[0][first[1] > 1][0]
            raise DataError(f"duplicate (entity, time) pair: ({groups.entity_labels[e]}, {groups.time_labels[t]})")
        values = np.column_stack([y, x])
        bad = np.isinf(values)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise DataError(f"column {([self.dependent_name, *names])[c]!r} has an infinite value at "
                            f"({entity[r]}, {time[r]}) ({int(bad.sum())} in all)")
        missing = np.isnan(values)
        keep = ~missing.any(axis=1)
        notes = [] if keep.all() else [_missing_note(missing, [self.dependent_name, *names])]
        self._index = None
        self._setup(values[keep], names, keep, groups if keep.all() else groups.subset(keep), True, notes, None)
        return self

    def _setup(self, values: np.ndarray, names: list[str], keep: np.ndarray, groups: Groups, is_panel: bool,
               notes: list[str], data: pd.DataFrame | None) -> None:
        """Store the complete rows (outcome first), demean them and drop absorbed or collinear regressors."""
        if len(values) == 0:
            raise DataError("no complete rows: every row has a missing outcome or regressor")
        self.notes = notes
        self.data = data
        self._keep = keep
        self.groups = groups
        self._is_panel = is_panel
        self.y = values[:, 0]
        raw = values[:, 1:]
        if self.effects == "none":
            raw = np.column_stack([np.ones(len(raw)), raw])
            names = ["const", *names]
        self._prepare(raw, names)

    @property
    def index(self) -> pd.Index:
        """The (entity, time) index of the rows used (built on first use for :meth:`from_arrays` models)."""
        if self._index is None:
            g = self.groups
            self._index = pd.MultiIndex.from_arrays([g.entity_labels[g.entity], g.time_labels[g.time]],
                                                    names=["entity", "time"])
        return self._index

    @cached_property
    def names_index(self) -> pd.Index:
        """The regressor names as an Index (built once, shared by the results' Series)."""
        return pd.Index(self.exog_names)

    def _prepare(self, raw: np.ndarray, names: list[str]) -> None:
        both = np.column_stack([self.y, raw])
        if np.abs(both).max(initial=0.0) > MAX_ABS:  # only then is the row named (and the index built)
            check_scale(both, [self.dependent_name, *names], self.index)
        both = demean(both, self.groups, self.effects)
        y_dm, x_dm = both[:, 0], both[:, 1:]
        if np.linalg.norm(y_dm) <= ABSORBED_TOL * max(np.linalg.norm(self.y), 1.0):
            where = "constant" if self.effects == "none" else (
                f"constant within the {_EFFECT_WORDS[self.effects]} fixed effects")
            raise SpecificationError(f"outcome {self.dependent_name!r} is {where}{self._degenerate()}: nothing to "
                                     "explain")
        absorbed = absorbed_columns(raw, x_dm) if self.effects != "none" else np.zeros(len(names), dtype=bool)
        if absorbed.any():
            which = [n for n, a in zip(names, absorbed) if a]
            msg = (f"regressor(s) {', '.join(which)} absorbed by the {_EFFECT_WORDS[self.effects]} fixed "
                   "effects (no variation left after removing them); dropped")
            warnings.warn(msg, stacklevel=5)
            self.notes.append(msg)
        collinear = np.zeros(len(names), dtype=bool)
        collinear[~absorbed] = collinear_columns(x_dm[:, ~absorbed])
        if collinear.any():
            which = [n for n, c in zip(names, collinear) if c]
            msg = f"regressor(s) {', '.join(which)} collinear with the other regressors; dropped"
            warnings.warn(msg, stacklevel=5)
            self.notes.append(msg)
        keep = ~(absorbed | collinear)
        if not keep.any():
            raise SpecificationError(f"no regressor left after removing those the fixed effects absorb"
                                     f"{self._degenerate()}")
        self.exog_names = [n for n, k in zip(names, keep) if k]
        self.x = raw[:, keep]
        self.y_dm, self.x_dm = y_dm, x_dm[:, keep]
        self.df_absorbed = absorbed_df(self.groups, self.effects)

    def _degenerate(self) -> str:
        """Why fixed effects leave nothing: a single entity or a single period, named."""
        if self.effects in ("time", "twoway") and self.groups.n_entities < 2:
            return f" (the data hold a single entity, {self.index.get_level_values(0)[0]})"
        if self.effects in ("entity", "twoway") and self.groups.n_periods < 2:
            return f" (the data hold a single period, {self.index.get_level_values(1)[0]})"
        return ""

    @classmethod
    def from_formula(cls, formula: str, data: pd.DataFrame, effects: str = "twoway") -> PanelFE:
        """``PanelFE.from_formula("y ~ x1 + x2", data, effects="twoway")``."""
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"data must be a pandas DataFrame, not {type(data).__name__}")
        dependent, exog = parse_formula(formula, data)
        return cls(dependent, exog, effects=effects, data=data)

    # -- clusters -----------------------------------------------------------------
    def _cluster_codes(self, cluster: object) -> np.ndarray:
        """(n x 1) or (n x 2) cluster codes from a name, names or an array."""
        if cluster is None:
            return self.groups.entity[:, None]
        if isinstance(cluster, (list, tuple)) and all(isinstance(c, str) for c in cluster):
            if len(cluster) not in (1, 2):
                raise SpecificationError(f"clustering takes one or two dimensions, got {len(cluster)}")
            return np.column_stack([self._one_cluster(c) for c in cluster])
        return self._one_cluster(cluster)[:, None]

    def _one_cluster(self, cluster: object) -> np.ndarray:
        if isinstance(cluster, str):
            levels = list(self.index.names) if self._is_panel and cluster not in ("entity", "time") else []
            if cluster == "entity" or (levels and cluster == levels[0]):
                return self.groups.entity
            if cluster == "time" or (levels and cluster == levels[1]):
                return self.groups.time
            if self.data is None or cluster not in self.data.columns:
                raise SpecificationError(f"cluster variable {cluster!r} is not a column of the data")
            values = self.data[cluster].to_numpy()[self._keep]
        else:
            values = np.asarray(cluster)
            if values.shape[0] == len(self._keep):
                values = values[self._keep]
            if values.shape[0] != len(self.y):
                raise DataError(f"cluster array has {values.shape[0]} entries for {len(self.y)} observations")
        if pd.isna(values).any():
            raise DataError(f"cluster variable {cluster if isinstance(cluster, str) else 'array'!r} has missing values")
        return pd.factorize(values, sort=True)[0]

    def _nested_df(self, clusters: np.ndarray) -> int:
        """Effect parameters not nested in any cluster variable (Correia 2017)."""
        return nested_df(self.groups, self.effects, self.df_absorbed, clusters)

    # -- fit ----------------------------------------------------------------------
    def fit(
        self,
        cov: str = "clustered",
        cluster: str | Sequence[str] | np.ndarray | None = None,
        bandwidth: int | None = None,
        coords: object = None,
        cutoff_km: float | None = None,
        kernel: str = "bartlett",
        lag: int = 0,
    ) -> PanelFEResults:
        """Estimate the coefficients and their covariance.

        Parameters
        ----------
        cov
            "unadjusted", "robust", "clustered" (default), "driscoll-kraay" or "conley".
        cluster
            For "clustered": None (the entity), "entity", "time", a column of
            ``data``, an array, or two names for two-way clustering.
        bandwidth
            Bartlett bandwidth for "driscoll-kraay" (default
            :math:`\\lfloor 4(T/100)^{2/9}\\rfloor`).
        coords, cutoff_km, kernel, lag
            For "conley" (spatial HAC, :mod:`vagg.models._conley`): the units'
            locations (a GeoDataFrame or DataFrame with ``lon``/``lat`` indexed
            by entity, or two column names of ``data``), the distance cut-off
            in km, the kernel ("bartlett" or "uniform") and the serial lag
            within units (0: spatial correlation only).

        Notes
        -----
        Degrees of freedom: :math:`n-k-D` with :math:`D` the rank of the effect
        dummies; under clustering, effects nested in a cluster variable are not
        counted (the reghdfe rule, Correia 2017), so entity effects with
        entity clusters give Stata's ``xtreg, fe vce(cluster id)`` factor
        :math:`\\frac{G}{G-1}\\frac{n-1}{n-k}`.  Clustered p-values and
        intervals use the t distribution with :math:`G-1` degrees of freedom
        (the smaller G for two-way clustering), others :math:`n-k-D`.
        """
        if cov not in COV_TYPES:
            raise SpecificationError(f"cov must be one of {COV_TYPES}, got {cov!r}")
        params = np.linalg.solve(self.x_dm.T @ self.x_dm, self.x_dm.T @ self.y_dm)
        resid = self.y_dm - self.x_dm @ params
        n, k = self.x_dm.shape
        clusters = self._cluster_codes(cluster) if cov == "clustered" else None
        if clusters is not None:
            single = [j for j in range(clusters.shape[1]) if np.unique(clusters[:, j]).size < 2]
            if single:
                name = "entity" if cluster is None else cluster if isinstance(cluster, (str, list, tuple)) else "codes"
                raise SpecificationError(f"clustered standard errors need at least two clusters; the data hold one "
                                         f"cluster ({name}); use cov='robust'")
        d = self._nested_df(clusters) if clusters is not None else self.df_absorbed
        df_resid = n - k - d
        if df_resid <= 0:
            raise SpecificationError(f"no residual degrees of freedom: {n} observations, {k} regressors, "
                                     f"{d} fixed-effect parameters")
        if cov == "driscoll-kraay":
            if not self._is_panel:
                raise SpecificationError("Driscoll-Kraay standard errors need a panel indexed by (entity, time)")
            limit = self.groups.n_periods
            if bandwidth is not None and not 0 <= bandwidth < limit:
                raise SpecificationError(f"Driscoll-Kraay bandwidth must be in [0, {limit - 1}], got {bandwidth}")
        if clusters is not None and min(len(np.unique(c)) for c in clusters.T) < 2:
            raise SpecificationError("clustered standard errors need at least two clusters")
        if cov == "conley":
            vcov, info = self._conley(resid, df_resid, coords, cutoff_km, kernel, lag)
        else:
            vcov, info = sandwich(self.x_dm, resid, cov, df_resid, clusters=clusters, time=self.groups.time,
                                  bandwidth=bandwidth)
        if clusters is not None:
            g = info["n_clusters"]
            df_t = (min(g) if isinstance(g, tuple) else g) - 1
        else:
            df_t = df_resid
        return PanelFEResults(self, params, vcov, resid, cov, info, df_t, df_resid, clusters, cluster)

    def _conley(self, resid: np.ndarray, df_resid: int, coords: object, cutoff_km: float | None, kernel: str,
                lag: int) -> tuple[np.ndarray, dict[str, object]]:
        from vagg.models._conley import conley_covariance, unit_coordinates

        if coords is None:
            raise SpecificationError("Conley standard errors need coords= (unit locations) and cutoff_km=")
        labels = self.groups.entity_labels if self._is_panel else np.asarray(self.index)
        points = unit_coordinates(coords, labels, self.data, self.index)
        return conley_covariance(self.x_dm, resid, self.groups.entity, self.groups.time, points, cutoff_km,
                                 kernel, lag, df_resid)


class CoefficientTable:
    """Shared by result objects with ``params``, ``std_errors``, ``tstats``,
    ``pvalues`` and ``df_t``: t-based intervals and the coefficient table."""

    params: pd.Series
    std_errors: pd.Series
    tstats: pd.Series
    pvalues: pd.Series
    df_t: int

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals from the t distribution with ``df_t`` degrees of freedom."""
        q = stats.t.ppf(0.5 + level / 2, self.df_t)
        return pd.DataFrame({"lower": self.params - q * self.std_errors, "upper": self.params + q * self.std_errors})

    def coefficient_table(self) -> str:
        ci = self.conf_int()
        table = pd.DataFrame({"coef": self.params, "std err": self.std_errors, "t": self.tstats,
                              "P>|t|": self.pvalues, "[0.025": ci["lower"], "0.975]": ci["upper"]})
        return table.to_string(float_format=lambda v: f"{v:.4f}")

    def __repr__(self) -> str:
        return self.summary  # type: ignore[attr-defined]


class PanelFEResults(CoefficientTable):
    """Estimates of a :class:`PanelFE` model, in the linearmodels shape.

    The pandas views (``params``, ``std_errors``, ``tstats``, ``pvalues``,
    ``cov``, ``resid``) and ``rsquared`` are built on first access, so a
    loop that reads one number of many fits pays for no others; the arrays
    are ``params_array``, ``std_errors_array``, ``cov_array`` and
    ``resid_array``.
    """

    def __init__(self, model: PanelFE, params: np.ndarray, vcov: np.ndarray, resid: np.ndarray, cov_type: str,
                 info: dict[str, object], df_t: int, df_resid: int, clusters: np.ndarray | None,
                 cluster_spec: object) -> None:
        self.model = model
        self.params_array = params
        self.cov_array = vcov
        self.std_errors_array = np.sqrt(np.diag(vcov))
        self.resid_array = resid
        self.df_t = int(df_t)
        self.df_resid = int(df_resid)
        self.nobs = len(resid)
        self.effects = model.effects
        self.entity_effects = model.effects in ("entity", "twoway")
        self.time_effects = model.effects in ("time", "twoway")
        self.n_clusters = info["n_clusters"]
        self.bandwidth = info["bandwidth"]
        self.clusters = clusters
        self.cov_type = _cov_label(cov_type, cluster_spec, info)
        self.cov_kind = cov_type
        self.notes = list(model.notes)
        ss_res = float(resid @ resid)
        y_dm = model.y_dm
        y_centered = y_dm if model.effects != "none" else y_dm - y_dm.mean()
        self.rsquared_within = 1 - ss_res / float(y_centered @ y_centered)

    @cached_property
    def params(self) -> pd.Series:
        return pd.Series(self.params_array, index=self.model.names_index, name="parameter")

    @cached_property
    def cov(self) -> pd.DataFrame:
        names = self.model.names_index
        return pd.DataFrame(self.cov_array, index=names, columns=names)

    @cached_property
    def std_errors(self) -> pd.Series:
        return pd.Series(self.std_errors_array, index=self.model.names_index, name="std_error")

    @cached_property
    def tstats(self) -> pd.Series:
        return (self.params / self.std_errors).rename("tstat")

    @cached_property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values from the t distribution with ``df_t`` degrees of freedom."""
        t = self.params_array / self.std_errors_array
        return pd.Series(2 * stats.t.sf(np.abs(t), self.df_t), index=self.model.names_index, name="pvalue")

    @cached_property
    def resid(self) -> pd.Series:
        return pd.Series(self.resid_array, index=self.model.index, name="residual")

    @cached_property
    def rsquared(self) -> float:
        """Squared correlation of the outcome and the fitted :math:`x'\\hat\\beta` (the "overall" R-squared)."""
        xb = self.model.x @ self.params_array
        return float(np.corrcoef(self.model.y, xb)[0, 1] ** 2) if np.std(xb) > 0 else 0.0

    def wild_bootstrap(self, param: str, **kwargs: object) -> object:
        """Wild cluster bootstrap of one coefficient, reported beside the clustered p-value.

        See :func:`vagg.models.wild_bootstrap.wild_cluster_bootstrap` for the
        keyword arguments (``null``, ``n_boot``, ``weights``, ``level``, ``seed``).
        """
        from vagg.models.wild_bootstrap import wild_cluster_bootstrap

        return wild_cluster_bootstrap(self, param, **kwargs)

    @property
    def table_info(self) -> dict[str, object]:
        g = self.n_clusters
        return table_info(
            dependent=self.model.dependent_name,
            model="FE" if self.effects != "none" else "OLS",
            entity_effects=self.entity_effects,
            time_effects=self.time_effects,
            cov_type=self.cov_type,
            n_clusters=min(g) if isinstance(g, tuple) else g,
            nobs=self.nobs,
            rsquared_within=self.rsquared_within if self.effects != "none" else None,
            rsquared=self.rsquared,
        )

    @property
    def summary(self) -> str:
        head = [
            f"Fixed-effects regression: {self.model.dependent_name}",
            f"effects: {self.effects}   observations: {self.nobs}   covariance: {self.cov_type}",
            f"R-squared within: {self.rsquared_within:.4f}   overall: {self.rsquared:.4f}",
        ]
        return "\n".join(head + [self.coefficient_table()] + self.notes)


def _cov_label(kind: str, cluster: object, info: dict[str, object]) -> str:
    if kind == "clustered":
        if cluster is None:
            what = "entity"
        elif isinstance(cluster, (list, tuple)):
            what = " and ".join(map(str, cluster))
        else:
            what = str(cluster) if isinstance(cluster, str) else "user"
        return f"clustered ({what})"
    if kind == "driscoll-kraay":
        return f"Driscoll-Kraay (bandwidth {info['bandwidth']})"
    if kind == "conley":
        serial = f", lag {info['lag']}" if info["lag"] else ""
        return f"Conley ({info['kernel']}, {info['cutoff_km']:g} km{serial})"
    return kind

