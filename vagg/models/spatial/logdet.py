"""The spatial operator I - rho W: log-determinant, admissible interval, traces.

Two paths, chosen by the size of W (``method="auto"``) and overridable:

``"eigen"`` (N <= :data:`EIGEN_LIMIT`)
    The eigenvalues lambda_i of W once (Ord 1975, JASA 70:120-126), then
    log|I - rho W| = sum_i log(1 - rho lambda_i) for any rho at O(N) cost.
    The eigenvalues are cached by the content of W, so refits on the same W
    (a robustness battery) pay for them once.
``"lu"`` (larger N)
    A sparse LU factorisation of I - rho W for each rho (SuperLU; Pace and
    Barry 1997, Geographical Analysis 29:232-247): log|I - rho W| = sum_i
    log|u_ii|.  Nothing of size N x N is stored for the search.

The traces of G = W (I - rho W)^{-1} needed once by the information matrix
are exact from the dense G for N <= :data:`TRACE_DENSE_LIMIT` (one dense
solve), and beyond that Hutchinson estimates (Hutchinson 1990, Comm. Stat.
Simul. 19:433-450) with :data:`TRACE_PROBES` Rademacher vectors from a fixed
seed, so the standard errors are reproducible: tr B is estimated by the mean
of u_p'B u_p over the probes u_p (unbiased, with variance
2 (||B||_F^2 - sum_i b_ii^2) / P for a symmetric B), and its Monte Carlo
standard error, the standard deviation of the u_p'B u_p over sqrt(P), is
returned with it and stated by :meth:`SpatialOperator.describe`.

The admissible interval for rho is (1/lambda_min, 1/lambda_max) from the
real eigenvalues (eigen path); on the LU path it is (-1/r, 1/r) with r the
spectral radius (r = 1 for a row-standardised W), a sub-interval of the
admissible one that keeps I - rho W invertible.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from vagg._errors import SpecificationError

#: largest N for which the eigenvalue path is chosen automatically
EIGEN_LIMIT = 1000
#: largest N for which the information-matrix traces are computed from a dense G
TRACE_DENSE_LIMIT = 5000
#: Rademacher probes for stochastic traces on the LU path
TRACE_PROBES = 100
TRACE_SEED = 20100301

_CHUNK = 32  # columns per sparse-LU solve; SuperLU slows down on very wide right-hand sides

_EIGEN_CACHE: dict[str, np.ndarray] = {}
_CACHE_SIZE = 16


def _fingerprint(w: sp.csr_matrix) -> str:
    """A hash of W's sparsity pattern and values (for the eigenvalue cache)."""
    digest = hashlib.sha1()
    for part in (np.asarray(w.shape), w.indptr, w.indices, w.data):
        digest.update(np.ascontiguousarray(part).tobytes())
    return digest.hexdigest()


def eigenvalues(w: sp.csr_matrix) -> np.ndarray:
    """Eigenvalues of W, cached by content: a robustness battery refits on the same W."""
    key = _fingerprint(w)
    if key not in _EIGEN_CACHE:
        if len(_EIGEN_CACHE) >= _CACHE_SIZE:
            _EIGEN_CACHE.pop(next(iter(_EIGEN_CACHE)))
        dense = w.toarray()
        symmetric = np.allclose(dense, dense.T)
        values = la.eigvalsh(dense) if symmetric else la.eigvals(dense)
        _EIGEN_CACHE[key] = np.asarray(values, dtype=complex)
    return _EIGEN_CACHE[key]


@dataclass
class SpatialOperator:
    """I - rho W for one aligned sparse W.

    Parameters
    ----------
    w
        N x N CSR matrix in the panel's entity order.
    method
        ``"auto"`` (eigen for N <= EIGEN_LIMIT, else lu), ``"eigen"`` or ``"lu"``.
    trace_method
        Information-matrix traces: ``"auto"`` (exact for N <= TRACE_DENSE_LIMIT,
        else Hutchinson), ``"exact"`` or ``"hutchinson"``.
    trace_probes, trace_seed
        Rademacher probes and their seed on the Hutchinson path.

    Attributes
    ----------
    trace_error
        After :meth:`traces` on the Hutchinson path: the largest Monte Carlo
        standard error of tr G, tr G^2 and tr G'G relative to the trace
        (None on the exact path).
    """

    w: sp.csr_matrix
    method: str = "auto"
    trace_method: str = "auto"
    trace_probes: int = TRACE_PROBES
    trace_seed: int = TRACE_SEED
    trace_error: float | None = field(default=None, init=False)
    eigenvalues: np.ndarray | None = field(default=None, init=False)
    row_standardised: bool = field(default=False, init=False)
    bounds: tuple[float, float] = field(default=(-1.0, 1.0), init=False)

    def __post_init__(self) -> None:
        if self.method not in ("auto", "eigen", "lu"):
            raise SpecificationError(f"unknown log-determinant method {self.method!r}; use 'auto', 'eigen' or 'lu'")
        self._check_trace_options()
        self.w = sp.csr_matrix(self.w, dtype=float)
        self.n = self.w.shape[0]
        if self.method == "auto":
            self.method = "eigen" if self.n <= EIGEN_LIMIT else "lu"
        self.row_standardised = bool(np.allclose(np.asarray(self.w.sum(axis=1)).ravel(), 1.0))
        self._identity = sp.identity(self.n, format="csc")
        self._factor = None
        if self.method == "eigen":
            self.eigenvalues = eigenvalues(self.w)
            real = self.eigenvalues[np.abs(self.eigenvalues.imag) < 1e-10].real
            radius = float(np.abs(self.eigenvalues).max())
            low = 1.0 / real.min() if real.min() < 0 else -1.0 / radius
            self.bounds = (low, 1.0 / real.max())
        else:
            radius = 1.0 if self.row_standardised else self._spectral_radius()
            self.bounds = (-1.0 / radius, 1.0 / radius)

    def _spectral_radius(self) -> float:
        value = spla.eigs(self.w, k=1, which="LM", return_eigenvectors=False, tol=1e-8)
        return float(np.abs(value[0]))

    # ------------------------------------------------------------------ log|A|
    def logdet(self, rho: float) -> float:
        """log|I - rho W|."""
        if self.method == "eigen":
            return float(np.sum(np.log(1.0 - rho * self.eigenvalues)).real)
        lu = spla.splu((self._identity - rho * self.w).tocsc())
        return float(np.sum(np.log(np.abs(lu.U.diagonal()))))

    # ------------------------------------------------------------------ solves
    def factor(self, rho: float):
        """A callable z -> (I - rho W)^{-1} z (its transpose with ``trans=True``), by sparse LU.

        The factorisation of the last rho is kept: the information matrix
        asks for several solves at the estimate.
        """
        if self._factor is None or self._factor[0] != rho:
            self._factor = (rho, spla.splu((self._identity - rho * self.w).tocsc()))
        lu = self._factor[1]
        return lambda z, trans=False: lu.solve(np.asarray(z, dtype=float), trans="T" if trans else "N")

    @property
    def exact_traces(self) -> bool:
        """Whether :meth:`traces` computes the dense G (else Hutchinson estimates).

        Checks ``trace_method`` and ``trace_probes`` again: they may be set after construction.
        """
        self._check_trace_options()
        return self.trace_method == "exact" or (self.trace_method == "auto" and self.n <= TRACE_DENSE_LIMIT)

    def _check_trace_options(self) -> None:
        if self.trace_method not in ("auto", "exact", "hutchinson"):
            raise SpecificationError(f"unknown trace method {self.trace_method!r}; use 'auto', 'exact' or "
                                     "'hutchinson'")
        if isinstance(self.trace_probes, bool) or not isinstance(self.trace_probes, (int, np.integer)) \
                or self.trace_probes < 2:
            raise SpecificationError(f"trace_probes must be an integer >= 2 (the Monte Carlo s.e. needs two), "
                                     f"got {self.trace_probes!r}")

    def traces(self, rho: float) -> dict[str, float]:
        """tr G, tr G^2, tr G'G and ||G'1||^2 / N for G = W (I - rho W)^{-1}.

        Exact (dense G) when :attr:`exact_traces`, else Hutchinson estimates
        from ``trace_probes`` Rademacher probes u_p: tr B ~ mean_p u_p'B u_p,
        with Monte Carlo standard errors sd_p(u_p'B u_p)/sqrt(P) returned as
        ``trG_mcse``, ``trG2_mcse`` and ``trGtG_mcse`` (||G'1||^2 is exact).
        """
        solve = self.factor(rho)
        ones = np.ones(self.n)
        gt_ones = solve(self.w.T @ ones, trans=True)  # G'1 = A^{-T} W' 1
        if self.exact_traces:
            self.trace_error = None
            g = np.empty((self.n, self.n))
            for start in range(0, self.n, _CHUNK):  # A^{-1} W = W A^{-1}, in cache-sized column blocks
                g[:, start : start + _CHUNK] = solve(self.w[:, start : start + _CHUNK].toarray())
            return {
                "trG": float(np.trace(g)),
                "trG2": float(np.sum(g * g.T)),
                "trGtG": float(np.sum(g * g)),
                "Gt1": float(gt_ones @ gt_ones) / self.n,
            }
        rng = np.random.default_rng(self.trace_seed)
        probes = rng.choice([-1.0, 1.0], size=(self.n, self.trace_probes))
        g_u = self.w @ solve(probes)
        gt_u = solve(self.w.T @ probes, trans=True)
        quadratic = {  # u_p'B u_p for each probe p
            "trG": np.sum(probes * g_u, axis=0),
            "trG2": np.sum(gt_u * g_u, axis=0),
            "trGtG": np.sum(g_u * g_u, axis=0),
        }
        out = {key: float(values.mean()) for key, values in quadratic.items()}
        scale = np.sqrt(self.trace_probes)
        out.update({f"{key}_mcse": float(values.std(ddof=1) / scale) for key, values in quadratic.items()})
        self.trace_error = max(out[f"{key}_mcse"] / abs(out[key]) if out[key] else np.inf for key in quadratic)
        out["Gt1"] = float(gt_ones @ gt_ones) / self.n
        return out

    def describe(self) -> str:
        """The log-determinant and trace methods, for the results' record."""
        logdet = "eigenvalues" if self.method == "eigen" else "sparse LU"
        traces = "exact" if self.exact_traces else f"Hutchinson, {self.trace_probes} probes"
        if not self.exact_traces and self.trace_error is not None:
            traces += f" (largest relative Monte Carlo s.e. of a trace {self.trace_error:.2%})"
        return f"{logdet}; information-matrix traces {traces}"
