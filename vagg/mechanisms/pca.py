"""Principal-component index with the KMO and Bartlett adequacy checks."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from vagg._errors import DataError
from vagg.mechanisms._matrix import Directions, as_frame, constant_columns, direction_vector

__all__ = ["PCAIndex", "pca_index", "kmo", "bartlett_sphericity"]


@dataclass(frozen=True)
class PCAIndex:
    """Result of :func:`pca_index`.

    Attributes
    ----------
    scores
        Index on 0-100 (min-max of the weighted component scores), indexed as the data.
    weights
        Indicator weights c_j / sum c_j (see :func:`pca_index`); may be negative.
    eigenvalues
        All eigenvalues of the correlation matrix, largest first.
    n_components
        Number kept (eigenvalue > 1, at least one).
    kmo
        Kaiser-Meyer-Olkin measure of sampling adequacy.
    bartlett
        Bartlett's sphericity test: (chi2, df, p).
    notes
        Diagnostics in words, e.g. a singular correlation matrix (the
        Bartlett statistic is then infinite) naming the collinear indicators.
    """

    scores: pd.Series
    weights: pd.Series
    eigenvalues: np.ndarray
    n_components: int
    kmo: float
    bartlett: tuple[float, int, float]
    notes: tuple[str, ...] = ()


def _correlation(z: np.ndarray) -> np.ndarray:
    return np.atleast_2d(np.corrcoef(z, rowvar=False))


def kmo(R: np.ndarray) -> float:
    r"""Kaiser-Meyer-Olkin measure of sampling adequacy of a correlation matrix R.

    With the anti-image (partial) correlations a_jk = -q_jk / sqrt(q_jj q_kk),
    Q = R^{-1} (pseudo-inverse if singular),

    .. math:: KMO = \frac{\sum_{j\ne k} r_{jk}^2}{\sum_{j\ne k} r_{jk}^2 + \sum_{j\ne k} a_{jk}^2}.

    Kaiser, H. F. (1974). An index of factorial simplicity. *Psychometrika* 39, 31-36.
    """
    q = np.linalg.pinv(R)
    d = np.sqrt(np.abs(np.diag(q)))
    a = -q / np.outer(d, d)
    off = ~np.eye(len(R), dtype=bool)
    r2, a2 = (R[off] ** 2).sum(), (a[off] ** 2).sum()
    return float(r2 / (r2 + a2)) if r2 + a2 > 0 else float("nan")


def bartlett_sphericity(R: np.ndarray, n: int) -> tuple[float, int, float]:
    r"""Bartlett's test that a correlation matrix R (p x p, from n rows) is the identity.

    chi2 = -(n - 1 - (2p + 5) / 6) ln |R|, df = p (p - 1) / 2.

    Bartlett, M. S. (1950). Tests of significance in factor analysis.
    *British Journal of Psychology, Statistical Section* 3, 77-85.
    """
    p = R.shape[0]
    sign, logdet = np.linalg.slogdet(R)
    chi2 = float(-(n - 1 - (2 * p + 5) / 6) * logdet) if sign > 0 else float("inf")
    df = p * (p - 1) // 2
    return chi2, df, float(stats.chi2.sf(chi2, df)) if df else float("nan")


def pca_index(X: pd.DataFrame | np.ndarray, directions: Directions = None) -> PCAIndex:
    r"""Composite index from the principal components of the correlation matrix.

    Indicators are z-scored, multiplied by their direction, and the
    eigenvectors u_k of their correlation matrix with eigenvalue
    lambda_k > 1 (Kaiser's rule; at least one) are kept, each oriented so
    that its loadings sum to a positive number.  The component scores
    F_k = Z u_k are weighted by their share of the kept variance,

    .. math:: F = \sum_k \frac{\lambda_k}{\sum_{l} \lambda_l} F_k = Z c,\quad
              c_j = \sum_k \frac{\lambda_k}{\sum_l \lambda_l} u_{jk},

    and F is rescaled to 0-100 by min-max.  The reported indicator weights are
    c_j / sum_j c_j.

    References
    ----------
    Jolliffe, I. T. (2002). *Principal Component Analysis*, 2nd ed. Springer;
    Kaiser, H. F. (1960). The application of electronic computers to factor
    analysis. *Educational and Psychological Measurement* 20, 141-151.
    """
    frame = as_frame(X)
    columns = list(frame.columns)
    values = frame.to_numpy(dtype=float)
    flat = constant_columns(values)
    if flat.any():
        raise DataError(f"PCA needs varying indicators; constant: {[c for c, f in zip(columns, flat) if f]}")
    signs = direction_vector(columns, directions)
    z = (values - values.mean(axis=0)) / values.std(axis=0, ddof=1) * signs
    R = _correlation(z)
    eigenvalues, vectors = np.linalg.eigh(R)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, vectors = eigenvalues[order], vectors[:, order]
    vectors = vectors * np.where(vectors.sum(axis=0) < 0, -1.0, 1.0)
    k = max(1, int((eigenvalues > 1).sum()))
    share = eigenvalues[:k] / eigenvalues[:k].sum()
    c = vectors[:, :k] @ share
    raw = z @ c
    span = np.ptp(raw)
    scores = 100 * (raw - raw.min()) / span if span > 0 else np.zeros_like(raw)
    bartlett = bartlett_sphericity(R, len(values))
    singular = not np.isfinite(bartlett[0]) or eigenvalues[-1] < 1e-10
    notes = (_singular_note(R, columns),) if singular else ()
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    return PCAIndex(
        scores=pd.Series(scores, index=frame.index, name="index"),
        weights=pd.Series(c / c.sum(), index=columns, name="weight"),
        eigenvalues=eigenvalues,
        n_components=k,
        kmo=kmo(R),
        bartlett=bartlett,
        notes=notes,
    )


def _singular_note(R: np.ndarray, columns: list[object]) -> str:
    """The diagnostic for a singular correlation matrix, naming perfectly correlated pairs."""
    i, j = np.nonzero(np.triu(np.abs(R) >= 1 - 1e-10, k=1))
    pairs = ", ".join(f"{columns[a]} ~ {columns[b]}" for a, b in zip(i, j)) or "a linear combination of indicators"
    return ("the indicators' correlation matrix is singular (perfectly collinear: " + pairs + "); Bartlett's "
            "sphericity statistic is infinite and its p-value says nothing about adequacy; drop a redundant indicator")
