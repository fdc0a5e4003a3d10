"""The within (fixed-effects) transformation on arrays.

Everything here works on plain numpy arrays and integer group codes, so that
estimators that refit thousands of times (bootstraps, placebo permutations,
specification curves) never go through formula parsing.

For entity effects the transformation subtracts entity means; for time
effects, time means; for two-way effects on a balanced panel
:math:`\\ddot a_{it} = a_{it} - \\bar a_{i\\cdot} - \\bar a_{\\cdot t} + \\bar a`,
and on an unbalanced panel the exact Frisch-Waugh-Lovell projection: entity
demeaning followed by the residual of a regression on the entity-demeaned time
dummies (Wooldridge 2010, *Econometric Analysis of Cross Section and Panel
Data*, 2nd ed., sections 10.5 and 17.7; Baltagi 2021, *Econometric Analysis of
Panel Data*, 6th ed., ch. 3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

EFFECTS = ("none", "entity", "time", "twoway")

#: a demeaned column whose norm falls below this share of its raw norm is absorbed
ABSORBED_TOL = 1e-9


@dataclass(frozen=True)
class Groups:
    """Integer codes of entities and periods for ``n`` observations."""

    entity: np.ndarray
    time: np.ndarray
    entity_labels: np.ndarray
    time_labels: np.ndarray

    @classmethod
    def from_index(cls, index: pd.MultiIndex) -> Groups:
        """Codes of the first two levels, numbered in sorted order of their labels.

        Reads the MultiIndex's own codes when its levels are sorted (the
        usual case, a few microseconds); otherwise factorizes the values.
        Either way the codes equal ``pd.factorize(level, sort=True)``.
        """
        entity, entity_labels = _level_codes(index, 0)
        time, time_labels = _level_codes(index, 1)
        return cls(entity, time, entity_labels, time_labels)

    @classmethod
    def from_labels(cls, entity: np.ndarray, time: np.ndarray) -> Groups:
        """Codes of entity and time label arrays, numbered in sorted label order."""
        entity_codes, entity_labels = pd.factorize(np.asarray(entity), sort=True)
        time_codes, time_labels = pd.factorize(np.asarray(time), sort=True)
        return cls(entity_codes, time_codes, np.asarray(entity_labels), np.asarray(time_labels))

    def subset(self, keep: np.ndarray) -> Groups:
        """The groups of the rows ``keep`` (boolean), renumbered over the groups still present."""
        entity, e_used = _renumber(self.entity[keep], self.n_entities)
        time, t_used = _renumber(self.time[keep], self.n_periods)
        return Groups(entity, time, self.entity_labels[e_used], self.time_labels[t_used])

    @property
    def n_entities(self) -> int:
        return len(self.entity_labels)

    @property
    def n_periods(self) -> int:
        return len(self.time_labels)

    @property
    def balanced(self) -> bool:
        return len(self.entity) == self.n_entities * self.n_periods

    def grid(self) -> bool:
        """True when the rows are the full entity x period grid in entity-major order (reshapeable to N x T)."""
        n, t = self.n_entities, self.n_periods
        return (self.balanced and np.array_equal(self.time, np.tile(np.arange(t), n))
                and np.array_equal(self.entity, np.repeat(np.arange(n), t)))


def _renumber(codes: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes renumbered 0..G'-1 over the groups present, keeping their order, and those groups."""
    used = np.bincount(codes, minlength=n_groups) > 0
    if used.all():
        return codes, used
    return (np.cumsum(used) - 1)[codes], used


def _level_codes(index: pd.MultiIndex, level: int) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(index.get_level_values(level), sort=True)``, from the index codes when possible."""
    labels = index.levels[level]
    codes = np.asarray(index.codes[level])
    try:
        sorted_levels = bool(labels.is_monotonic_increasing) and labels.is_unique
    except TypeError:  # labels of mixed types
        sorted_levels = False
    if not sorted_levels or (len(codes) and codes.min() < 0):
        values, uniques = pd.factorize(index.get_level_values(level), sort=True)
        return values, np.asarray(uniques)
    codes, used = _renumber(codes.astype(np.intp, copy=False), len(labels))
    return codes, np.asarray(labels)[used]


#: columns from which group sums go through a sparse indicator product instead of ``np.add.at``
WIDE = 32


def group_means(a: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Means of the rows of ``a`` (n x p) by group code, shape (n_groups, p).

    Sums by ``np.add.at`` for a few columns and by the product with the
    sparse (n_groups x n) indicator matrix for many (bootstrap draws), the
    faster of the two at either width.
    """
    counts = np.bincount(codes, minlength=n_groups).astype(float)
    if a.shape[1] >= WIDE:
        indicator = sp.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(n_groups, len(codes)))
        sums = np.asarray(indicator @ a)
    else:
        sums = np.zeros((n_groups, a.shape[1]))
        np.add.at(sums, codes, a)
    return sums / np.maximum(counts, 1.0)[:, None]


def time_dummies(groups: Groups) -> np.ndarray:
    """Dense (n x T) indicator matrix of the periods."""
    d = np.zeros((len(groups.time), groups.n_periods))
    d[np.arange(len(groups.time)), groups.time] = 1.0
    return d


def demean(a: np.ndarray, groups: Groups, effects: str) -> np.ndarray:
    """Remove the fixed effects ``effects`` from every column of ``a``.

    Parameters
    ----------
    a
        (n x p) array, rows matching ``groups``.
    groups
        Entity and time codes.
    effects
        "none" (returned unchanged), "entity", "time" or "twoway".

    Returns
    -------
    The (n x p) residual of ``a`` after projecting on the effect dummies.
    Rows that form the full grid in entity-major order (the usual sorted
    balanced panel) are demeaned as an N x T x p array; other rows by
    group sums.
    """
    a = np.asarray(a, dtype=float)
    if effects == "none":
        return a
    if a.ndim == 2 and groups.grid():  # rows are the N x T grid: means along the axes of an N x T x p view
        cube = a.reshape(groups.n_entities, groups.n_periods, a.shape[1])
        if effects in ("entity", "twoway"):
            cube = cube - cube.mean(axis=1, keepdims=True)
        if effects in ("time", "twoway"):
            cube = cube - cube.mean(axis=0, keepdims=True)
        return cube.reshape(a.shape)
    if effects == "entity":
        return a - group_means(a, groups.entity, groups.n_entities)[groups.entity]
    if effects == "time":
        return a - group_means(a, groups.time, groups.n_periods)[groups.time]
    ae = a - group_means(a, groups.entity, groups.n_entities)[groups.entity]
    if groups.balanced:
        return ae - group_means(ae, groups.time, groups.n_periods)[groups.time]
    d = time_dummies(groups)
    de = d - group_means(d, groups.entity, groups.n_entities)[groups.entity]
    coef = np.linalg.lstsq(de, ae, rcond=None)[0]
    return ae - de @ coef


def absorbed_df(groups: Groups, effects: str) -> int:
    """Number of parameters the fixed effects absorb (the rank of their dummies)."""
    if effects == "none":
        return 0
    if effects == "entity":
        return groups.n_entities
    if effects == "time":
        return groups.n_periods
    if groups.balanced:
        return groups.n_entities + groups.n_periods - 1
    d = time_dummies(groups)
    de = d - group_means(d, groups.entity, groups.n_entities)[groups.entity]
    return groups.n_entities + int(np.linalg.matrix_rank(de))


def absorbed_columns(raw: np.ndarray, transformed: np.ndarray) -> np.ndarray:
    """Boolean mask of columns that the transformation (nearly) annihilates."""
    raw_norm = np.linalg.norm(raw, axis=0)
    new_norm = np.linalg.norm(transformed, axis=0)
    return new_norm <= ABSORBED_TOL * np.maximum(raw_norm, 1.0)


def collinear_columns(x: np.ndarray) -> np.ndarray:
    """Boolean mask of columns that are linear combinations of earlier ones.

    Uses a pivot-free QR decomposition: a column whose diagonal element of R is
    negligible adds nothing to the columns before it.
    """
    if x.shape[1] == 0:
        return np.zeros(0, dtype=bool)
    r = np.linalg.qr(x, mode="r")
    diag = np.abs(np.diag(r))
    scale = np.linalg.norm(x, axis=0)
    return diag <= 1e-9 * np.maximum(scale, 1e-300)
