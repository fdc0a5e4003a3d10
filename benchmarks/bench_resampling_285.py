"""Placebo permutations and the mediation bootstrap at N = 285 cities x T = 10: vectorised against refit loops.

Issue 19, item 4 (the FE parts).  Data: ``vagg.simulate.simulate_mediation_panel(285, 10, seed=0)``
(two mediators, two controls ``w1``, ``w2``), two-way fixed effects.

* FE placebo: ``placebo_test(..., n_perm=1000)`` (all permutations of a chunk
  demeaned and projected as one matrix) against a plain loop of
  ``PanelFE.from_arrays(...).fit()`` refits on the *same* 1,000 permuted
  treatments (the fastest loop vagg offers; max |diff| of the estimates
  reported) and a loop of linearmodels ``PanelOLS`` fits (``--peer-draws``
  draws, scaled linearly to 1,000).
* Mediation: ``Mediation(...).fit(n_boot=999)`` (city-cluster bootstrap by
  cross-product algebra) against a plain loop that resamples cities and
  refits the three equations with ``PanelFE.from_arrays`` (``--loop-draws``
  draws, scaled linearly to 999).

* SDM placebo: ``spatial_placebo_test(..., method="batched")`` (two design
  columns replaced per permutation, only the concentrated likelihood
  maximised) against ``method="refit"`` (a full ``SpatialPanel`` fit per
  permutation) on the same ``--sdm-draws`` permutations, W the 6 nearest
  neighbours of random city locations (row-standardised); the draws are
  compared (max |diff|).

Run:  PYTHONPATH=$PWD python benchmarks/bench_resampling_285.py
Results are appended to ``benchmarks/bench_resampling_285.txt``.
"""

from __future__ import annotations

import argparse
import os
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from vagg.models import Mediation, PanelFE
from vagg.models._within import Groups
from vagg.robustness.placebo import _placebo_draws, partial_out, permuted_paths, placebo_test
from vagg.simulate.mediation import simulate_mediation_panel
from _timing import record, timed

OUT = Path(__file__).with_suffix(".txt")
N, T, P, B = 285, 10, 1000, 999


def placebo_case(df, peer_draws: int) -> list[str]:
    groups = Groups.from_index(df.index)
    city, year = df.index.get_level_values(0).to_numpy(), df.index.get_level_values(1).to_numpy()
    y, x, w = df["y"].to_numpy(), df["x"].to_numpy(), df[["w1", "w2"]].to_numpy()
    _, t_vagg = timed(placebo_test, df, "y", "x", controls=["w1", "w2"], n_perm=P, seed=0)
    y_t, q = partial_out(df, ["y"], ["w1", "w2"], groups, "twoway")
    vec = _placebo_draws(x.reshape(N, T), y_t[:, 0], q, groups, "twoway", "entity", np.random.default_rng(1), P)
    paths = permuted_paths(x.reshape(N, T), "entity", np.random.default_rng(1), P)

    def loop():
        return np.array([PanelFE.from_arrays(y, np.column_stack([p.ravel(), w]), city, year).fit(cov="unadjusted")
                         .params_array[0] for p in paths])

    refit, t_loop = timed(loop)
    from linearmodels import PanelOLS

    def peer():
        for p in paths[:peer_draws]:
            d = df.assign(x=p.ravel())
            PanelOLS(d["y"], d[["x", "w1", "w2"]], entity_effects=True, time_effects=True).fit()

    _, t_peer = timed(peer)
    t_peer *= P / peer_draws
    return [f"  FE placebo, {P} permutations across cities: vagg placebo_test {t_vagg:7.3f} s | "
            f"PanelFE.from_arrays refit loop {t_loop:7.2f} s (ratio {t_loop / t_vagg:6.1f}x) | linearmodels "
            f"PanelOLS loop {t_peer:7.1f} s ({peer_draws} draws scaled; ratio {t_peer / t_vagg:6.1f}x) | "
            f"max |vectorised - refit| {np.max(np.abs(vec - refit)):.1e}"]


def sdm_placebo_case(df, draws: int) -> list[str]:
    import pandas as pd

    import vagg
    from vagg.robustness.placebo import spatial_placebo_test

    cities = df.index.get_level_values(0).unique()
    rng = np.random.default_rng(3)
    coords = pd.DataFrame(rng.uniform([110.0, 21.0], [117.0, 25.0], size=(len(cities), 2)), index=cities,
                          columns=["lon", "lat"])
    w = vagg.weights.knn(coords, k=6)
    kw = dict(controls=["w1"], n_perm=draws, seed=0)
    fast, t_fast = timed(spatial_placebo_test, df, "y", "x", w, **kw)
    slow, t_slow = timed(spatial_placebo_test, df, "y", "x", w, method="refit", **kw)
    return [f"  SDM placebo (two-way, Lee-Yu), {draws} permutations: batched {t_fast:7.2f} s | refit per draw "
            f"{t_slow:7.2f} s | ratio {t_slow / t_fast:5.1f}x | max |diff| {np.max(np.abs(fast.draws - slow.draws)):.1e}"]


def mediation_case(df, loop_draws: int) -> list[str]:
    med = Mediation(df, "y", "x", ["m1", "m2"], controls=["w1", "w2"])
    res, t_vagg = timed(med.fit, n_boot=B, seed=0, progress=False)
    values = df[["y", "x", "m1", "m2", "w1", "w2"]].to_numpy().reshape(N, T, 6)
    year = np.tile(np.arange(T), N)
    rng = np.random.default_rng(0)

    def loop():
        out = []
        for _ in range(loop_draws):
            v = values[rng.integers(0, N, N)].reshape(N * T, 6)
            city = np.repeat(np.arange(N), T)                      # a resampled city is a new entity
            fit = lambda y, x: PanelFE.from_arrays(y, x, city, year).fit(cov="unadjusted").params_array  # noqa: E731
            a1, a2 = fit(v[:, 2], v[:, [1, 4, 5]])[0], fit(v[:, 3], v[:, [1, 4, 5]])[0]
            b = fit(v[:, 0], v[:, [1, 2, 3, 4, 5]])
            out.append(a1 * b[1] + a2 * b[2])
        return np.array(out)

    loop_total, t_loop = timed(loop)
    t_loop *= B / loop_draws
    sd = float(res.indirect.loc["total", "se"])
    return [f"  mediation cluster bootstrap, {B} draws, 3 equations: vagg Mediation.fit {t_vagg:7.3f} s | "
            f"PanelFE.from_arrays refit loop {t_loop:7.2f} s ({loop_draws} draws scaled; ratio "
            f"{t_loop / t_vagg:6.1f}x) | bootstrap se of the total indirect effect: vagg {sd:.4f}, loop "
            f"{np.std(loop_total, ddof=1):.4f} (different draws)"]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer-draws", type=int, default=50)
    parser.add_argument("--loop-draws", type=int, default=200)
    parser.add_argument("--sdm-draws", type=int, default=100)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    df, _ = simulate_mediation_panel(N, T, seed=0)
    lines = [f"[{datetime.now(timezone.utc):%Y-%m-%d %H:%M}] N = {N} x T = {T}, two-way FE, 2 cores shared, "
             f"load average {os.getloadavg()[0]:.1f}"]
    lines += placebo_case(df, args.peer_draws)
    lines += mediation_case(df, args.loop_draws)
    lines += sdm_placebo_case(df, args.sdm_draws)
    record(OUT, lines)
