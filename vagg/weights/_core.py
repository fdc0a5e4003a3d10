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

Alignment (:func:`to_sparse`, :func:`id_positions`) pairs a panel's entities
with a W's ids as written and, when that leaves an id without partner, by the
one id rule :func:`vagg.data.ids.normalise_ids`: a panel built by hand whose
adcodes became floats (``440100.0``) or full-width text still meets the W ids
``"440100"``; ids written two ways on one side are refused, never merged.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from libpysal.weights import WSP, W

from vagg._errors import DataError, SpecificationError
from vagg.data.ids import normalise_id, normalise_ids

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

    Accepts a libpysal W or a ``(matrix, ids)`` pair.  Ids are matched by
    :func:`id_positions`: as written, then by the one id rule (a panel whose
    adcodes became floats, ``440100.0``, aligns with W ids ``"440100"``).
    Raises DataError naming the ids found on one side only, or two ids of
    one side that are the same id written two ways.
    """
    if isinstance(w, W):
        matrix, w_ids = w.sparse, w.id_order
    elif isinstance(w, tuple) and len(w) == 2:
        matrix, w_ids = w
    else:
        raise SpecificationError("weights must be a libpysal W or a (sparse matrix, ids) pair")
    order = id_positions(ids, w_ids)
    matrix = sp.csr_matrix(matrix)
    _check_entries(matrix, w_ids)
    return matrix[order][:, order].tocsr()


def id_positions(ids: Sequence[object], reference: Sequence[object], what: str = "weights",
                 every: bool = True, absent: str | None = None) -> np.ndarray:
    """Where each of a panel's entity ``ids`` sits in ``reference`` (a W's ids, coordinates, labels).

    The plain match, ``str(id) == str(reference id)``, is tried first and is all
    that runs when it pairs every id (the path of every model fit).  Otherwise
    both sides are read by the one id rule :func:`vagg.data.ids.normalise_ids`
    (``440100.0``, ``"440100.0"``, ``" ４４０１００ "`` are all ``"440100"``) and
    matched again, so ids that differ only in how they are written align.

    Parameters
    ----------
    ids
        The panel's entities, each once.
    reference
        The ids of the other object, each once.
    what
        What ``reference`` names, for messages (``"weights"``, ``"coordinates"``).
    every
        Whether every reference id must be one of ``ids`` too (a W is square
        in the panel's units; coordinates or labels may cover more units).
    absent
        With ``every=False``, the message before the panel ids without a
        partner; ``"no {what} for unit(s)"`` by default.

    Returns
    -------
    numpy.ndarray
        Integer positions into ``reference``, one per id, in the order of ``ids``.

    Raises
    ------
    DataError
        Ids without a partner (listed for each side); two ids of one side that
        are one id written twice (``440100`` and ``"440100.0"``), named as given.
    """
    text, ref = [str(i) for i in ids], [str(i) for i in reference]
    position = dict(zip(ref, range(len(ref))))
    found = [position.get(t, -1) for t in text]
    if (-1 not in found and len(position) == len(ref) and len(set(text)) == len(text)
            and (not every or len(text) == len(ref))):
        return np.array(found, dtype=np.intp)
    return _normalised_positions(list(ids), list(reference), what, every, absent or f"no {what} for unit(s)")


def _normalised_positions(ids: list[object], reference: list[object], what: str, every: bool,
                          absent: str) -> np.ndarray:
    """:func:`id_positions` after the plain match failed: both sides by the id rule."""
    key, note = _rule_keys(ids, "the panel's entity ids")
    ref_key, ref_note = _rule_keys(reference, f"the {what} ids")
    note = (note + ref_note) or ("; ids were compared as written and by vagg.data.ids.normalise_ids "
                                 "(440100.0 is '440100')")
    _refuse_collisions(ids, key, "the panel's entity ids")
    _refuse_collisions(reference, ref_key, f"the {what} ids")
    order = pd.Index(ref_key).get_indexer(key)
    unpaired = order < 0
    unused = np.ones(len(reference), dtype=bool)
    unused[order[~unpaired]] = False
    unused &= every
    if unpaired.any() or unused.any():
        panel_only = sorted(str(ids[i]) for i in np.flatnonzero(unpaired))
        if not every:
            raise DataError(f"{absent}: {_listing(panel_only)}{note}")
        parts = [f"in the panel but not the {what}: {_listing(panel_only)}"] if panel_only else []
        if unused.any():
            parts.append(f"in the {what} but not the panel: "
                         f"{_listing(sorted(str(reference[i]) for i in np.flatnonzero(unused)))}")
        raise DataError(f"{what} ids do not match the panel's entities; " + "; ".join(parts) + note)
    return order.astype(np.intp)


def _rule_keys(values: list[object], label: str) -> tuple[pd.Series, str]:
    """Each id by :func:`vagg.data.ids.normalise_ids`; an id the rule refuses (missing, ``440100.5``)
    is kept as written, so it pairs only with the same text, and the reason is returned for messages."""
    try:
        return normalise_ids(values, required=True, label=label), ""
    except DataError as exc:
        keys = pd.Series([_rule_key(v) for v in values], dtype=object)  # only when a cell is refused
        return keys, f"; ids the id rule refuses were compared as written ({exc})"


def _rule_key(value: object) -> str:
    """One id by the rule, or as written when the rule refuses it."""
    try:
        return normalise_id(value)
    except DataError:
        return str(value)


def _refuse_collisions(raw: list[object], key: pd.Series, label: str) -> None:
    """Refuse distinct ids (as given) that read as one id, naming each group (``440100, '440100.0'``)."""
    twice = key.duplicated(keep=False).to_numpy()
    if twice.any():
        groups = pd.Series([raw[i] for i in np.flatnonzero(twice)], dtype=object).groupby(key[twice].to_numpy())
        raise DataError(f"{label} name one unit more than once (the same id written twice or two ways): " + "; ".join(
            f"{', '.join(map(_shown, group))} are all {text!r}" for text, group in groups)
            + "; keep one spelling of each id")


def _shown(value: object) -> str:
    """An id as given: text quoted, numbers bare (``'440100.0'`` against ``440100``)."""
    return repr(value) if isinstance(value, str) else str(value)


def _check_entries(matrix: sp.csr_matrix, ids: Sequence[object]) -> None:
    """Refuse missing, infinite or negative weights, naming the (row id, column id) pair."""
    coo = matrix.tocoo()
    for bad, what in ((~np.isfinite(coo.data), "missing or infinite"), (coo.data < 0, "negative")):
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise DataError(f"weights matrix has {int(bad.sum())} {what} weight(s), e.g. {float(coo.data[k])} at "
                            f"(row {ids[coo.row[k]]}, column {ids[coo.col[k]]}); spatial weights must be finite and "
                            ">= 0")
