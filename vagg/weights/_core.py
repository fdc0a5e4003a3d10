"""The W object every builder returns: checks, standardisation, alignment to a panel.

Standardisation (recorded on the W as ``w.vagg_standardise`` and described by
:func:`describe`, so tables can report it):

* ``"row"``: :math:`w_{ij} / \\sum_k w_{ik}` (rows sum to one; libpysal's
  ``transform="r"``);
* ``"spectral"``: :math:`W / |\\lambda_{max}(W)|`, the largest absolute
  eigenvalue, which keeps the ratios between all weights (Kelejian and Prucha
  2010, "Specification and estimation of spatial autoregressive models with
  autoregressive and heteroskedastic disturbances", J. Econometrics 157, sec. 2;
  Elhorst 2014, *Spatial Econometrics*, sec. 2.4);
* ``"none"``: the weights as built (binary contiguity, raw inverse distance).

``True`` and ``False`` are accepted for ``"row"`` and ``"none"``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from libpysal.weights import WSP, W

from vagg._errors import DataError, SpecificationError

STANDARDISATIONS = ("row", "spectral", "none")
ISLAND_RULES = ("raise", "keep", "nearest")


def _listing(items: Sequence[object], limit: int = 10) -> str:
    items = list(items)
    more = len(items) - limit
    return ", ".join(map(str, items[:limit])) + (f" (and {more} more)" if more > 0 else "")


def standardisation(standardise: str | bool) -> str:
    """The standardisation's name from ``"row"``/``"spectral"``/``"none"`` or a bool."""
    if standardise is True:
        return "row"
    if standardise is False or standardise is None:
        return "none"
    if standardise not in STANDARDISATIONS:
        raise SpecificationError(f"standardise must be one of {STANDARDISATIONS}, got {standardise!r}")
    return str(standardise)


def spectral_radius(mat: sp.spmatrix) -> float:
    """Largest absolute eigenvalue of a square matrix (dense below 500 rows, ARPACK above)."""
    n = mat.shape[0]
    if n < 500:
        return float(np.abs(np.linalg.eigvals(mat.toarray())).max())
    from scipy.sparse.linalg import eigs

    value = eigs(sp.csr_matrix(mat, dtype=float), k=1, which="LM", return_eigenvectors=False, tol=1e-12)
    return float(np.abs(value).max())


def islands_of(mat: sp.spmatrix, ids: Sequence[str]) -> list[str]:
    """Ids whose row has no positive weight."""
    row_sums = np.asarray(abs(mat).sum(axis=1)).ravel()
    return [ids[i] for i in np.flatnonzero(row_sums == 0)]


def from_matrix(
    matrix: np.ndarray | sp.spmatrix,
    ids: Sequence[object],
    standardise: str | bool = "row",
    allow_islands: bool = False,
    kind: str = "user matrix",
) -> W:
    """Build a W from a square matrix whose rows and columns follow ``ids``.

    The diagonal is set to zero.  Refuses non-square, non-finite or negative
    matrices and, unless ``allow_islands``, rows without any neighbour (their
    rows stay zero when allowed, with a warning).

    Parameters
    ----------
    matrix
        (n x n) weights, dense or sparse; row i, column j is the weight of j
        in i's spatial lag.
    ids
        The n unit ids (stored as text).
    standardise
        ``"row"``, ``"spectral"`` or ``"none"`` (see the module notes).
    kind
        A short description kept on the W (``w.vagg_kind``) for table footers.
    """
    how = standardisation(standardise)
    ids = [str(i) for i in ids]
    mat = sp.csr_matrix(matrix, dtype=float)
    if mat.shape[0] != mat.shape[1]:
        raise DataError(f"a weights matrix must be square, got shape {mat.shape}")
    if mat.shape[0] != len(ids):
        raise DataError(f"a weights matrix of size {mat.shape[0]} needs as many ids, got {len(ids)}")
    if len(set(ids)) != len(ids):
        seen = pd.Series(ids)
        raise DataError(f"duplicate weights ids: {_listing(sorted(set(seen[seen.duplicated()])))}")
    if not np.all(np.isfinite(mat.data)):
        raise DataError("the weights matrix has non-finite entries (NaN or inf)")
    if (mat.data < 0).any():
        raise DataError("the weights matrix has negative entries")
    mat.setdiag(0.0)
    mat.eliminate_zeros()
    islands = islands_of(mat, ids)
    if islands:
        message = f"the weights matrix has islands (units with no neighbour): {_listing(islands)}"
        if not allow_islands:
            raise DataError(message + "; pass islands='keep' (allow_islands=True) to keep them with zero rows, "
                            "or islands='nearest' to join each to its nearest unit")
        warnings.warn(message, stacklevel=2)
    if how == "spectral":
        mat = mat / spectral_radius(mat)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libpysal warns about islands we already reported
        w = WSP(sp.csr_matrix(mat), id_order=ids).to_W(silence_warnings=True)
        if how == "row":
            w.transform = "r"
    w.vagg_standardise = how
    w.vagg_kind = kind
    return w


def describe(w: W) -> str:
    """A footer line: the kind of matrix and its standardisation, e.g. ``"queen contiguity, row-standardised"``."""
    kind = getattr(w, "vagg_kind", "weights")
    how = getattr(w, "vagg_standardise", {"R": "row", "O": "none"}.get(str(w.transform).upper(), str(w.transform)))
    words = {"row": "row-standardised", "spectral": "spectral-normalised (divided by the largest |eigenvalue|)",
             "none": "not standardised"}
    return f"{kind}, {words.get(how, how)}"


def relabel(w: W, mapping: dict[str, object]) -> W:
    """The same W with ids renamed through ``mapping`` (e.g. adcodes back to the panel's ids)."""
    mat, order = w.sparse, [str(i) for i in w.id_order]
    missing = [i for i in order if i not in mapping]
    if missing:
        raise DataError(f"no new id for weights ids: {_listing(missing)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = WSP(sp.csr_matrix(mat), id_order=[str(mapping[i]) for i in order]).to_W(silence_warnings=True)
    out.vagg_standardise = getattr(w, "vagg_standardise", "none")
    out.vagg_kind = getattr(w, "vagg_kind", "weights")
    return out


def to_sparse(w: W | tuple[sp.spmatrix, Sequence[object]], ids: Sequence[object]) -> sp.csr_matrix:
    """The weights as a CSR matrix ordered like ``ids`` (a panel's entities).

    Accepts a libpysal W or a ``(matrix, ids)`` pair.  Raises DataError naming
    the ids found on one side only.
    """
    ids = [str(i) for i in ids]
    if isinstance(w, W):
        matrix, w_ids = w.sparse, [str(i) for i in w.id_order]
    elif isinstance(w, tuple) and len(w) == 2:
        matrix, w_ids = sp.csr_matrix(w[0]), [str(i) for i in w[1]]
    else:
        raise SpecificationError("weights must be a libpysal W or a (sparse matrix, ids) pair")
    only_panel = sorted(set(ids) - set(w_ids))
    only_w = sorted(set(w_ids) - set(ids))
    if only_panel or only_w:
        parts = []
        if only_panel:
            parts.append(f"in the panel but not the weights: {_listing(only_panel)}")
        if only_w:
            parts.append(f"in the weights but not the panel: {_listing(only_w)}")
        raise DataError("weights ids do not match the panel's entities; " + "; ".join(parts))
    _check_entries(sp.csr_matrix(matrix), w_ids)
    position = {i: k for k, i in enumerate(w_ids)}
    order = np.array([position[i] for i in ids])
    return sp.csr_matrix(matrix)[order][:, order].tocsr()


def _check_entries(matrix: sp.csr_matrix, ids: list[str]) -> None:
    """Refuse missing, infinite or negative weights, naming the (row id, column id) pair."""
    coo = matrix.tocoo()
    for bad, what in ((~np.isfinite(coo.data), "missing or infinite"), (coo.data < 0, "negative")):
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise DataError(f"weights matrix has {int(bad.sum())} {what} weight(s), e.g. {float(coo.data[k])} at "
                            f"(row {ids[coo.row[k]]}, column {ids[coo.col[k]]}); spatial weights must be finite and "
                            ">= 0")
