"""Run many independent tasks serially, with joblib or on dask.distributed, with the same numbers.

Task ``i`` of a run receives the generator
``numpy.random.default_rng(SeedSequence(entropy, spawn_key=(i,)))`` -- the
``i``-th child of ``SeedSequence(seed).spawn`` -- which depends on the master
seed and the task's *index* only, never on the worker that runs it or on the
order in which tasks finish.  Serial, joblib and dask runs therefore give
identical results for the same seed (NumPy ``SeedSequence``; O'Neill 2015,
PCG).  Tasks are shipped in batches to keep scheduling overhead small; the
batching does not touch the seeds.

Where :func:`vagg.models._resampling.run_chunks` splits *one* bootstrap into
chunks of draws, :func:`run_tasks` maps a function over a list of *different*
items (specifications, subsamples).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

#: items per batch sent to a worker
BATCH = 25


def task_rng(entropy: int, index: int) -> np.random.Generator:
    """The generator of task ``index`` under master entropy ``entropy``."""
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(int(index),)))


def _run_batch(fn: Callable[..., Any], items: Sequence[Any], indices: Sequence[int], entropy: int,
               context: Any) -> list[Any]:
    return [fn(item, task_rng(entropy, i), context) for item, i in zip(items, indices)]


def _client(client: Any) -> tuple[Any, bool]:
    """A dask Client from a Client, ``"local"`` or a scheduler address; True when we opened it."""
    if client is None or not isinstance(client, str):
        return client, False
    from dask.distributed import Client

    if client == "local":  # a LocalCluster of worker processes on this machine, closed with the client
        return Client(processes=True, dashboard_address=None), True
    return Client(client), True


def run_tasks(
    fn: Callable[[Any, np.random.Generator, Any], Any],
    items: Sequence[Any],
    seed: int | None = None,
    context: Any = None,
    n_jobs: int = 1,
    client: Any = None,
    progress: bool | None = None,
    desc: str = "tasks",
) -> list[Any]:
    """``[fn(item_i, rng_i, context) for i, item_i in enumerate(items)]``, possibly in parallel.

    Parameters
    ----------
    fn
        Module-level function (picklable) of an item, its generator and the
        shared ``context``.
    items
        The tasks, e.g. specifications.
    seed
        Master seed; None draws fresh entropy once for the whole run.
    context
        Shared read-only data (a panel, weights); sent to dask workers once
        with ``scatter``.
    n_jobs
        joblib workers when no client is given (1 = serial, -1 = all cores);
        a run of a single batch is serial.
    client
        A ``dask.distributed.Client``; ``"local"`` for a local cluster of
        worker processes started (and closed) for this run; or a scheduler
        address such as ``"tcp://10.0.0.1:8786"`` (e.g. a dask-jobqueue
        Slurm / PBS cluster's ``cluster.scheduler_address``).
    progress
        Show a tqdm bar; None shows one for more than 100 items.

    Returns
    -------
    The results in the order of ``items``.
    """
    from tqdm.auto import tqdm

    items = list(items)
    entropy = np.random.SeedSequence(seed).entropy
    starts = range(0, len(items), BATCH)
    batches = [(items[s:s + BATCH], list(range(s, min(s + BATCH, len(items))))) for s in starts]
    show = len(items) > 100 if progress is None else bool(progress)
    bar = tqdm(total=len(batches), desc=desc, disable=not show)
    client, opened = _client(client)
    try:
        if client is not None:
            from dask.distributed import as_completed

            shared = client.scatter(context, broadcast=True) if context is not None else None
            futures = [client.submit(_run_batch, fn, b, i, entropy, shared, pure=False) for b, i in batches]
            for _ in as_completed(futures):
                bar.update()
            parts = client.gather(futures)
        elif n_jobs != 1 and len(batches) > 1:
            from joblib import Parallel, delayed

            jobs = (delayed(_run_batch)(fn, b, i, entropy, context) for b, i in batches)
            parts = []
            for part in Parallel(n_jobs=n_jobs, return_as="generator")(jobs):
                parts.append(part)
                bar.update()
        else:
            parts = []
            for b, i in batches:
                parts.append(_run_batch(fn, b, i, entropy, context))
                bar.update()
    finally:
        bar.close()
        if opened:
            client.close()
    return [result for part in parts for result in part]
