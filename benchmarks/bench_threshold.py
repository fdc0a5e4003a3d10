"""Panel threshold speed and Hansen (1999) parity: vagg against pyxthreg, same run.

Design (issue 16): a 21-city x 10-year panel with one regime regressor, one
control and a planted threshold; every distinct value of q inside 5 %
trimming is a candidate (exhaustive grid); 1, 2 and 3 thresholds, 300
bootstrap draws for each F test.

* vagg: ``PanelThreshold(...).fit(n_boot=300)`` -- the SSR of every candidate
  and every draw in batched linear algebra.
* pyxthreg 0.0.3 (PyPI; Numba, replicates Stata's xthreg): ``fit(grid=0,
  bs=300, n_jobs=1)``, timed after a warm-up run that compiles it.

With ``--hansen PATH`` (Stata's ``hansen1999.dta``, the investment panel of
Hansen 1999 as shipped with ``xthreg``, Wang 2015: 565 firms x 14 years) it
also fits Hansen's model ``i ~ q1 q2 q3 d1 qd1`` with regime variable c1 and
threshold d1 over the exhaustive grid (1 % trimming), one to three thresholds
with 300 draws per F test, and prints the estimates beside the single
threshold 0.0157 published by Hansen (1999, section 5).
Run: ``python benchmarks/bench_threshold.py [--hansen hansen1999.dta]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from vagg.models import PanelThreshold
from _timing import best_of


def panel(n: int = 21, t: int = 10, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    q = rng.uniform(0, 1, n * t)
    x = rng.normal(size=n * t)
    z = rng.normal(size=n * t)
    y = np.repeat(rng.normal(size=n), t) + np.where(q <= 0.4, 1.0, 2.0) * x + 0.5 * z + rng.normal(size=n * t)
    return pd.DataFrame({"id": np.repeat(np.arange(1, n + 1), t), "year": np.tile(np.arange(2011, 2011 + t), n),
                         "y": y, "x": x, "z": z, "q": q})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hansen", default=None, help="path of hansen1999.dta")
    args = parser.parse_args()
    d = panel()
    indexed = d.set_index(["id", "year"])
    print("21 x 10 panel, exhaustive grid, 300 bootstrap draws per F test (best of", args.repeat, "runs)")
    print(f"{'thresholds':>10} {'vagg s':>8} {'pyxthreg s':>11}")
    from pyxthreg import ThresholdPanel

    for k in (1, 2, 3):
        model = PanelThreshold.from_formula("y ~ x + z", indexed, threshold="q", regime="x", n_thresholds=k)
        t_vagg = best_of(lambda: model.fit(n_boot=300, seed=0, progress=False), args.repeat)[0]

        def peer():
            ThresholdPanel(d, dep="y", rx=["x"], qx="q", indep=["z"], entity_col="id", time_col="year").fit(
                thnum=k, trim=0.05, grid=0, bs=300, nobslog=True, n_jobs=1)

        peer()  # compile
        t_peer = best_of(peer, args.repeat)[0]
        print(f"{k:>10} {t_vagg:>8.3f} {t_peer:>11.3f}")
    if args.hansen:
        h = pd.read_stata(args.hansen)
        h["year"] = pd.to_datetime(h["year"]).dt.year
        h = h.set_index(["id", "year"]).astype(float)
        start = time.perf_counter()
        res = PanelThreshold.from_formula("i ~ q1 + q2 + q3 + d1 + qd1", h, threshold="d1", regime="c1",
                                          n_thresholds=3, trim=0.01).fit(n_boot=300, seed=0, progress=False)
        print(f"\nHansen (1999) investment panel, 1-3 thresholds, exhaustive grid, 300 draws per test: "
              f"{time.perf_counter() - start:.1f} s")
        print(f"SSR with one threshold: {res.f_tests['ssr_alt'].iloc[0]:.4f}")
        single = PanelThreshold.from_formula("i ~ q1 + q2 + q3 + d1 + qd1", h, threshold="d1", regime="c1",
                                             trim=0.01).fit(n_boot=0)
        print(f"single-threshold model: {single.thresholds[0]:.4f} (Hansen 1999: 0.0157)")
        print(res.threshold_ci.to_string())
        print(res.f_tests.to_string())
        print(res.fe.coefficient_table())


if __name__ == "__main__":
    main()
