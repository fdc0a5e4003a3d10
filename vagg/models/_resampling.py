"""Seeded bootstrap draws in fixed chunks: serial, joblib or dask, same numbers.

Draws are made in chunks of :data:`CHUNK` replications.  Chunk ``c`` uses the
generator ``numpy.random.default_rng(SeedSequence(seed).spawn(n_chunks)[c])``,
which depends only on ``seed`` and ``c`` -- not on how many workers run the
chunks or in which order they finish -- so serial, joblib and
dask.distributed runs give identical results for the same seed (O'Neill 2015,
PCG; NumPy's ``SeedSequence`` spawning).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats

from vagg._errors import SpecificationError

#: replications per chunk; fixed so results do not depend on the worker count
CHUNK = 1000


def chunk_sizes(n_draws: int) -> list[int]:
    """Sizes of the chunks that make up ``n_draws`` replications."""
    full, rest = divmod(int(n_draws), CHUNK)
    return [CHUNK] * full + ([rest] if rest else [])


def _run_one(fn: Callable[[np.random.Generator, int], np.ndarray], seed_seq: np.random.SeedSequence,
             size: int) -> np.ndarray:
    return fn(np.random.default_rng(seed_seq), size)


def run_chunks(
    fn: Callable[[np.random.Generator, int], np.ndarray],
    n_draws: int,
    seed: int | None,
    n_jobs: int = 1,
    client: Any = None,
    progress: bool | None = None,
    desc: str = "bootstrap",
) -> np.ndarray:
    """Evaluate ``fn(rng, size)`` on every chunk and stack the rows.

    Parameters
    ----------
    fn
        Takes a generator and a chunk size, returns an array with ``size`` rows.
        Must be picklable for joblib and dask (a module-level function or a
        ``functools.partial`` of one).
    n_draws
        Total replications.
    seed
        Seed of the ``SeedSequence``; None draws fresh entropy.
    n_jobs
        joblib workers (1 runs serially).
    client
        A ``dask.distributed.Client``; when given, chunks run on its workers.
    progress
        Show a tqdm bar; None shows it when there are more than 5 chunks.
    """
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise SpecificationError(f"the number of {desc} draws must be a positive integer, got {n_draws!r}")
    sizes = chunk_sizes(n_draws)
    seqs = np.random.SeedSequence(seed).spawn(len(sizes))
    show = len(sizes) > 5 if progress is None else bool(progress)
    if client is not None:
        futures = client.map(_run_one, [fn] * len(sizes), seqs, sizes, pure=False)
        parts = client.gather(futures)
    elif n_jobs != 1:
        from joblib import Parallel, delayed

        parts = Parallel(n_jobs=n_jobs)(delayed(_run_one)(fn, s, z) for s, z in zip(seqs, sizes))
    else:
        from tqdm.auto import tqdm

        parts = [_run_one(fn, s, z) for s, z in tqdm(list(zip(seqs, sizes)), desc=desc, disable=not show)]
    return np.concatenate(parts, axis=0)


#: draws within this relative distance of the estimate are ties in the bias correction
TIE_TOL = 1e-9


def bias_corrected_interval(draws: np.ndarray, estimates: np.ndarray, level: float) -> np.ndarray:
    """Bias-corrected (BC) bootstrap interval of every column (Efron 1987).

    With :math:`\\hat p` the share of draws below the estimate,
    :math:`z_0 = \\Phi^{-1}(\\hat p)` and the bounds are the quantiles of the
    draws at :math:`\\Phi(2z_0 \\pm z_{1-\\alpha/2})` (Efron and Tibshirani
    1993, *An Introduction to the Bootstrap*, sec. 14.3).

    Ties.  With few clusters some resamples reproduce the sample (all
    clusters drawn once: :math:`G!/G^G` of the draws, 3.8% for G = 5), and
    their statistic equals the estimate up to rounding, so whether they count
    as below it would be decided by the last bit.  A draw within
    :data:`TIE_TOL` (relative to the estimate) of the estimate is a tie, and
    ties count half below and half above:
    :math:`\\hat p = (\\#\\{\\text{below}\\} + \\#\\{\\text{ties}\\}/2)/B`,
    the mid-rank convention that makes :math:`z_0 = 0` when every draw ties.
    :math:`\\hat p` is clipped to :math:`[10^{-12}, 1-10^{-12}]`.

    Parameters
    ----------
    draws
        (B x s) bootstrap draws.
    estimates
        (s,) estimates on the sample.
    level
        Confidence level.

    Returns
    -------
    (2 x s) lower and upper bounds.
    """
    tol = TIE_TOL * np.abs(estimates)
    ties = np.abs(draws - estimates) <= tol
    below = (draws < estimates) & ~ties
    share = np.clip(below.mean(axis=0) + 0.5 * ties.mean(axis=0), 1e-12, 1 - 1e-12)
    z0 = stats.norm.ppf(share)
    alpha = 1 - level
    probs = stats.norm.cdf(2 * z0[None, :] + stats.norm.ppf([alpha / 2, 1 - alpha / 2])[:, None])
    return np.array([[np.quantile(draws[:, j], probs[i, j]) for j in range(draws.shape[1])] for i in range(2)])
