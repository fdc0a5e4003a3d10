"""Spatial Durbin panel at scale: vagg.models.SpatialPanel against spreg 1.9 in the same process.

Cases (``--case``):

``small``   the cigarette panel (N = 46, T = 30), SDM with entity effects fitted
            ``--repeat`` times by each package (the robustness-battery regime).
``3000``    N = 3,000 regions, T = 20, k = 6 nearest neighbours (row-standardised):
            vagg SDM fit + impacts with 1,000 simulated draws against spreg's
            ``ML_LagFE(slx_lags=1)`` fit alone (its impacts switched off), on the
            shared case (entity effects, no Lee-Yu).  Reports the time ratio, the
            peak-memory ratio and the largest difference in the estimates.
``20000``   N = 20,000, T = 10: vagg SDM fit + impacts alone (spreg would need
            ~T N^2 dense memory), against the 60 s / 4 GB target.
``county``  the bundled queen contiguity of China's 2,875 counties (its 7 islands
            joined to their nearest county), T = 20: vagg SDM with two-way effects
            and Lee-Yu, fit + 1,000 impact draws, against spreg's
            ``ML_LagFE(slx_lags=1)`` fit alone (spreg has entity effects only).
``100000``  N = 100,000, T = 10, two-way effects with Lee-Yu: fit + 1,000
            impact draws against the issue-19 target of 30 s and 4 GB, and the
            Monte Carlo error of its stochastic traces (see ``trace_error_lines``).
``traces``  N = 5,000, T = 10, two-way effects with Lee-Yu: the same stochastic
            traces against the exact ones (dense G and dense (I - rho W)^{-1}),
            so the stated Monte Carlo errors can be checked against the truth.

Peak memory is the largest resident set size sampled every 5 ms by a
background thread during the phase, minus the resident size before it.
Results are appended to ``benchmarks/bench_spatial_scale.txt``.

Run:  /tmp/venv/bin/python benchmarks/bench_spatial_scale.py --case 3000
"""

from __future__ import annotations

import argparse
import os
import contextlib
import gc
import io
import threading
import time
import timeit
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import scipy.sparse as sp
from scipy.spatial import cKDTree

from vagg.simulate.spatial import simulate_arrays
from vagg.models import SpatialPanel
from vagg.models.spatial.impacts import POWER_PROBES, multipliers
from vagg.models.spatial.likelihood import lag_information
from _timing import record

OUT = Path(__file__).with_suffix(".txt")


class PeakRSS:
    """Context manager: peak resident memory (bytes) above the starting level."""

    def __enter__(self):
        gc.collect()
        self._proc = psutil.Process()
        self.start = self._proc.memory_info().rss
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self.t0 = time.perf_counter()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            time.sleep(0.005)

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)
        self.bytes = self.peak - self.start


def knn_weights(n: int, k: int, seed: int) -> tuple[sp.csr_matrix, list[str]]:
    """Row-standardised k-nearest-neighbour W on uniform random points (KD-tree)."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform(size=(n, 2))
    _, nearest = cKDTree(pts).query(pts, k=k + 1)
    rows = np.repeat(np.arange(n), k)
    w = sp.csr_matrix((np.full(n * k, 1.0 / k), (rows, nearest[:, 1:].ravel())), shape=(n, n))
    return w, [f"r{i:05d}" for i in range(n)]


def panel(w: sp.csr_matrix, ids: list[str], periods: int, seed: int) -> pd.DataFrame:
    beta, theta = [1.0, -0.5, 0.3], [0.5, 0.2, 0.0]
    y, x = simulate_arrays(w, periods, beta, theta, 0.4, "entity", "sdm", 1.0, 1, seed)
    index = pd.MultiIndex.from_product([ids, range(periods)], names=["entity", "time"])
    frame = pd.DataFrame(x[0].reshape(-1, 3), index=index, columns=["x1", "x2", "x3"])
    frame.insert(0, "y", y[0].ravel())
    return frame


def run_vagg(df: pd.DataFrame, w, effects: str = "entity", lee_yu: bool = False):
    spec = SpatialPanel.from_formula("y ~ x1 + x2 + x3", df, w, model="sdm", effects=effects, lee_yu=lee_yu)
    res = spec.fit()
    return res, res.impacts(draws=1000, seed=0)


def run_spreg(df: pd.DataFrame, w_libpysal):
    import spreg

    long = df.reset_index().sort_values(["time", "entity"])  # spreg: time-major, units in W order
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return spreg.ML_LagFE(long[["y"]].to_numpy(), long[["x1", "x2", "x3"]].to_numpy(), w_libpysal,
                              slx_lags=1, spat_impacts=None)


def case_small(repeat: int) -> None:
    import libpysal

    import vagg

    ref = Path(__file__).parents[1] / "tests" / "reference" / "cigar.csv"
    df = pd.read_csv(ref)
    df = df.assign(y=np.log(df["sales"]), x1=np.log(df["price"] / df["cpi"]), x2=np.log(df["ndi"] / df["cpi"]))
    codes = sorted(df["state"].unique())
    raw = libpysal.io.open(libpysal.examples.get_path("spat-sym-us.wk1")).read()
    w = vagg.weights.from_matrix(raw.sparse, codes)
    frame = df.set_index(["state", "year"])
    long = df.sort_values(["year", "state"])
    import spreg

    def ours_once():
        SpatialPanel.from_formula("y ~ x1 + x2", frame, w, model="sdm", effects="entity", lee_yu=False).fit()

    def peer_once():
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            spreg.ML_LagFE(long[["y"]].to_numpy(), long[["x1", "x2"]].to_numpy(), w, slx_lags=1, spat_impacts=None)

    ours, peer = (min(timeit.repeat(f, number=1, repeat=repeat)) for f in (ours_once, peer_once))
    record(OUT, [f"[{time.strftime('%Y-%m-%d %H:%M')}] case small: cigarette panel N=46 T=30, SDM entity effects, "
            f"best of {repeat} fits each",
            f"  vagg SpatialPanel fit     {ours * 1e3:8.1f} ms",
            f"  spreg ML_LagFE(slx=1)     {peer * 1e3:8.1f} ms",
            f"  speed ratio spreg/vagg    {peer / ours:8.2f}"], separator="\n\n")


def case_3000() -> None:
    from libpysal.weights import WSP

    n, periods = 3000, 20
    w, ids = knn_weights(n, 6, seed=1)
    df = panel(w, ids, periods, seed=2)
    w_lp = WSP(w, id_order=ids).to_W(silence_warnings=True)
    with PeakRSS() as ours:
        res, imp = run_vagg(df, (w, ids))
    with PeakRSS() as peer:
        model = run_spreg(df, w_lp)
    names = ["x1", "x2", "x3", "W_x1", "W_x2", "W_x3", "rho"]
    diff = float(np.max(np.abs(res.params[names].to_numpy() - model.betas.ravel())))
    se_diff = float(np.max(np.abs(res.std_errors[names].to_numpy() - np.asarray(model.std_err).ravel())))
    record(OUT, [f"[{time.strftime('%Y-%m-%d %H:%M')}] case 3000: N=3000 T=20 knn k=6, SDM entity effects, no Lee-Yu",
            f"  vagg fit + impacts(1000 draws): {ours.seconds:8.2f} s, peak +{ours.bytes / 2**30:6.2f} GiB "
            f"({res.logdet_method})",
            f"  spreg ML_LagFE(slx_lags=1) fit: {peer.seconds:8.2f} s, peak +{peer.bytes / 2**30:6.2f} GiB",
            f"  time ratio spreg/vagg {peer.seconds / ours.seconds:6.2f}; memory ratio vagg/spreg "
            f"{ours.bytes / max(peer.bytes, 1):6.3f}",
            f"  max |estimate difference| {diff:.2e}; max |std error difference| {se_diff:.2e}",
            "  impacts:\n" + imp[["direct", "direct_se", "indirect", "indirect_se", "total", "total_se"]]
            .to_string(float_format=lambda v: f"{v:.5f}")], separator="\n\n")


def case_20000() -> None:
    n, periods = 20000, 10
    w, ids = knn_weights(n, 6, seed=3)
    df = panel(w, ids, periods, seed=4)
    with PeakRSS() as ours:
        res, imp = run_vagg(df, (w, ids))
    record(OUT, [f"[{time.strftime('%Y-%m-%d %H:%M')}] case 20000: N=20000 T=10 knn k=6, SDM entity effects",
            f"  vagg fit + impacts(1000 draws): {ours.seconds:8.2f} s, peak +{ours.bytes / 2**30:6.2f} GiB "
            f"({res.logdet_method}); target 60 s and 4 GB",
            "  estimates: " + ", ".join(f"{k}={v:.4f}" for k, v in res.params.items()),
            "  (spreg not run: its dense T x N^2 blocks do not fit this machine at this N)"], separator="\n\n")


def case_county() -> None:
    import vagg

    periods = 20
    w_lp = vagg.weights.china("county", islands="nearest")
    ids = [str(i) for i in w_lp.id_order]
    w = w_lp.sparse.tocsr()
    df = panel(w, ids, periods, seed=7)
    with PeakRSS() as ours:
        res, imp = run_vagg(df, w_lp, effects="twoway", lee_yu=True)
    with PeakRSS() as peer:
        model = run_spreg(df, w_lp)
    record(OUT, [f"[{time.strftime('%Y-%m-%d %H:%M')}] case county: bundled county queen W (N={len(ids)}, islands "
            f"joined to the nearest county), T={periods}",
            f"  vagg SDM two-way Lee-Yu fit + impacts(1000 draws): {ours.seconds:8.2f} s, peak "
            f"+{ours.bytes / 2**30:6.2f} GiB ({res.logdet_method})",
            f"  spreg ML_LagFE(slx_lags=1) fit (entity effects):  {peer.seconds:8.2f} s, peak "
            f"+{peer.bytes / 2**30:6.2f} GiB",
            f"  time ratio spreg/vagg {peer.seconds / ours.seconds:6.2f} (target >= 10); memory ratio vagg/spreg "
            f"{ours.bytes / max(peer.bytes, 1):6.3f} (target <= 0.1)",
            f"  rho: vagg {res.params['rho']:.4f}, spreg {float(model.rho):.4f} (different effects: two-way vs entity)"], separator="\n\n")


def _standard_errors(res) -> np.ndarray:
    """Standard errors of (beta, rho, sigma2) from the information matrix with the operator's current traces."""
    info = lag_information(res._design, res.spec.operator, res.rho, res._resid, res.sigma2)
    return np.sqrt(np.diag(np.linalg.inv(info)))


def _direct_probes(res) -> tuple[list[str], np.ndarray]:
    """Direct effects b m0_p + t m1_p evaluated with each tr(W^k) probe alone (P x k), at the estimates."""
    names, beta, theta, _ = res._beta_theta()
    mult = multipliers(res.spec.operator, np.array([res.rho]), "traces")
    return names, mult["m0_probes"][:, :1] * beta[None, :] + mult["m1_probes"][:, :1] * theta[None, :]


def trace_error_lines(res, imp: pd.DataFrame, sets: int = 10) -> list[str]:
    """The Monte Carlo error of a large-N fit's stochastic traces, stated three ways.

    1. Each Hutchinson trace of the information matrix with its Monte Carlo s.e.
       (sd of the probes' quadratic forms over sqrt(P)).
    2. The standard errors recomputed with ``sets`` independent probe sets:
       their relative spread is the Monte Carlo error of the reported SEs.
    3. The direct effects' Monte Carlo s.e. from the tr(W^k) probes of the
       power series, against their simulated (sampling) standard errors.
    """
    op = res.spec.operator
    tr = op.traces(res.rho)
    first = ", ".join(f"{k} {tr[k]:.1f} +- {tr[k + '_mcse']:.2f} ({tr[k + '_mcse'] / abs(tr[k]):.3%})"
                      for k in ("trG", "trG2", "trGtG"))
    seed = op.trace_seed
    ses = []
    for offset in range(1, sets + 1):
        op.trace_seed = seed + offset
        ses.append(_standard_errors(res))
    op.trace_seed = seed
    ses = np.array(ses)
    spread = ses.std(axis=0, ddof=1) / ses.mean(axis=0)
    labels = list(res.params.index)
    names, direct = _direct_probes(res)
    mcse = direct.std(axis=0, ddof=1) / np.sqrt(POWER_PROBES)
    ratio = mcse / imp.loc[names, "direct_se"].to_numpy()
    return [
        f"  information-matrix traces, Hutchinson with {op.trace_probes} probes (Monte Carlo s.e.): {first}",
        f"  standard errors over {sets} independent probe sets: relative sd at most {spread.max():.2e} "
        f"({labels[int(np.argmax(spread))]}); rho {spread[labels.index('rho')]:.2e}",
        f"  direct effects from {POWER_PROBES} tr(W^k) probes: Monte Carlo s.e. "
        + ", ".join(f"{n} {m:.1e}" for n, m in zip(names, mcse))
        + f"; at most {ratio.max():.3f} of the simulated (sampling) s.e.",
    ]


def case_traces() -> None:
    """The stochastic traces at N = 5,000 against the exact ones (dense G and dense inverse)."""
    n, periods = 5_000, 10
    w, ids = knn_weights(n, 6, seed=5)
    spec = SpatialPanel.from_formula("y ~ x1 + x2 + x3", panel(w, ids, periods, seed=6), (w, ids), model="sdm",
                                     effects="twoway", lee_yu=True)
    spec.operator.trace_method = "hutchinson"
    res = spec.fit()
    imp = res.impacts(draws=1000, seed=0, method="traces")
    spec.operator.trace_method = "exact"
    exact_se = _standard_errors(res)
    spec.operator.trace_method = "hutchinson"
    se_error = np.abs(res.std_errors.to_numpy() / exact_se - 1.0)
    inverse = np.linalg.inv(np.eye(n) - res.rho * w.toarray())
    m0, m1 = np.trace(inverse) / n, float((inverse * w.T.toarray()).sum()) / n  # tr(A^-1 W) = sum(A^-1 * W')
    names, beta, theta, _ = res._beta_theta()
    exact_direct = beta * m0 + theta * m1
    _, direct = _direct_probes(res)
    mcse = direct.std(axis=0, ddof=1) / np.sqrt(POWER_PROBES)
    error = imp.loc[names, "direct"].to_numpy() - exact_direct
    record(OUT, [f"[{time.strftime('%Y-%m-%d %H:%M')}] case traces: N=5000 T=10 knn k=6, SDM two-way, Lee-Yu; "
            "Hutchinson (100 probes) and power-series (50 probes) traces against exact ones",
            f"  standard errors from Hutchinson traces vs exact: largest relative error {se_error.max():.2e} "
            f"({res.params.index[int(np.argmax(se_error))]})",
            "  direct effects, traces path minus exact (in units of the stated Monte Carlo s.e.): "
            + ", ".join(f"{nm} {e:+.1e} ({e / m:+.2f})" for nm, e, m in zip(names, error, mcse)),
            *trace_error_lines(res, imp)], separator="\n\n")


def case_100000() -> None:
    """Issue 19, item 3 (synthetic part): N = 100,000, T = 10, k = 6 nearest neighbours, SDM two-way with
    Lee-Yu, fit + 1,000 impact draws; target 30 s and 4 GB.  The results record the log-determinant and
    trace methods (``logdet_method``), which carry their approximation error when they are stochastic."""
    n, periods = 100_000, 10
    w, ids = knn_weights(n, 6, seed=5)
    df = panel(w, ids, periods, seed=6)
    with PeakRSS() as ours:
        res, imp = run_vagg(df, (w, ids), effects="twoway", lee_yu=True)
    ok = "OK" if ours.seconds <= 30 and ours.bytes <= 4 * 2**30 else "MISSED"
    record(OUT, [f"[{time.strftime('%Y-%m-%d %H:%M')}] case 100000: N=100000 T=10 knn k=6, SDM two-way, Lee-Yu; "
            f"load average {os.getloadavg()[0]:.1f} on 2 cores",
            f"  vagg fit + impacts(1000 draws): {ours.seconds:8.2f} s, peak +{ours.bytes / 2**30:6.2f} GiB "
            f"({res.logdet_method}); target 30 s and 4 GB: {ok}",
            "  estimates: " + ", ".join(f"{k}={v:.4f}" for k, v in res.params.items()),
            "  impacts:\n" + imp[["direct", "direct_se", "indirect", "indirect_se", "total", "total_se"]]
            .to_string(float_format=lambda v: f"{v:.5f}"),
            *trace_error_lines(res, imp)], separator="\n\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=["small", "3000", "county", "20000", "100000", "traces"], default="small")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    {"small": lambda: case_small(args.repeat), "3000": case_3000, "20000": case_20000,
     "county": case_county, "100000": case_100000, "traces": case_traces}[args.case]()
