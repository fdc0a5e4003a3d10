"""Year-by-year Moran's I, Geary's C and LISA: vagg.evolution against esda in the same run.

vagg computes the global permutation tests for all draws of a year in one
array operation and the LISA conditional permutations for all units at once
(numpy); esda loops over the draws of a global test in Python and runs LISA
permutations in numba (its compilation is excluded: one warm-up call first).
Each line times the whole panel (every year, 999 permutations) as the best of
``--repeat`` runs after a warm-up run, reports the ratio esda time / vagg time (above 1: vagg is
faster) and the largest difference of the statistic.  Results are appended to
``benchmarks/bench_evolution.txt``.

Run:  /tmp/venv/bin/python benchmarks/bench_evolution.py [--side 20] [--years 10] [--repeat 2]
"""

from __future__ import annotations

import argparse
import warnings
from datetime import datetime, timezone
from pathlib import Path

import esda
import numpy as np
import pandas as pd
from libpysal.weights import lat2W

from vagg.evolution import geary, lisa, moran
from vagg.evolution._inputs import aligned_libpysal
from _timing import best_of, record

OUT = Path(__file__).with_suffix(".txt")
PERMUTATIONS = 999


def lattice_panel(side: int, years: int, seed: int = 0):
    """A side x side rook lattice with a spatially smoothed random variable per year."""
    w = lat2W(side, side, rook=True)
    w.transform = "r"
    ids = [str(i) for i in w.id_order]
    w = aligned_libpysal((w.sparse, ids), ids)
    rng = np.random.default_rng(seed)
    raw = rng.normal(size=(len(ids), years))
    values = raw + 0.6 * (w.sparse @ raw) + 10.0
    index = pd.MultiIndex.from_product([ids, range(2000, 2000 + years)], names=["id", "year"])
    return pd.DataFrame({"y": values.ravel()}, index=index), w, values


def demo_panel():
    """The bundled (simulated) Guangdong demo panel: 21 cities x 10 years, queen W."""
    import vagg

    panel = vagg.data.load_demo_panel()[["gdp_per_capita"]].rename(columns={"gdp_per_capita": "y"})
    ids = sorted(panel.index.get_level_values(0).unique())
    w = aligned_libpysal(vagg.weights.guangdong("queen"), ids)
    values = panel["y"].unstack().loc[ids].to_numpy()
    return panel, w, values


def run(label: str, panel: pd.DataFrame, w, values: np.ndarray, repeat: int) -> list[str]:
    """Time the three statistics on one panel; rows of ``values`` follow ``w.id_order``."""
    years = values.shape[1]
    order = list(w.id_order)
    cases = {
        "moran": (lambda: moran(panel, "y", w, permutations=PERMUTATIONS, seed=0)["I"].to_numpy(),
                  lambda: np.array([esda.Moran(values[:, t], w, permutations=PERMUTATIONS).I
                                    for t in range(years)])),
        "geary": (lambda: geary(panel, "y", w, permutations=PERMUTATIONS, seed=0)["C"].to_numpy(),
                  lambda: np.array([esda.Geary(values[:, t], w, permutations=PERMUTATIONS).C
                                    for t in range(years)])),
        "lisa": (lambda: lisa(panel, "y", w, permutations=PERMUTATIONS, seed=0)["Ii"].unstack().loc[order].to_numpy(),
                 lambda: np.column_stack([esda.Moran_Local(values[:, t], w, permutations=PERMUTATIONS, seed=0,
                                                           n_jobs=1).Is for t in range(years)])),
    }
    lines = [f" {label}: {values.shape[0]} units x {years} years"]
    for name, (ours, peer) in cases.items():
        t_ours, a = best_of(ours, repeat, warm_up=True)
        t_peer, b = best_of(peer, repeat, warm_up=True)
        lines.append(f"  {name:6s} vagg {t_ours:7.3f} s  esda {t_peer:7.3f} s  ratio esda/vagg {t_peer / t_ours:6.2f}"
                     f"  max |diff| {np.abs(np.asarray(a) - np.asarray(b)).max():.1e}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=20)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    lattice = lattice_panel(args.side, args.years)
    esda.Moran_Local(lattice[2][:, 0], lattice[1], permutations=9, seed=0)  # numba warm-up, not timed
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")
    lines = [f"[{stamp}] {PERMUTATIONS} permutations a year, best of {args.repeat}; esda LISA serial after a "
             "numba warm-up"]
    lines += run("Guangdong demo panel (queen)", *demo_panel(), args.repeat)
    lines += run("rook lattice", *lattice, args.repeat)
    record(OUT, lines)


if __name__ == "__main__":
    main()
