"""Pooled entropy / CRITIC / TOPSIS on a large indicator matrix: vagg against pymcdm in the same run.

The target (issue 3): pooled entropy weights, CRITIC weights and TOPSIS
closeness over 1,000,000 city-years x 20 indicators in under 2 s each on
the project machine.  Each method is timed as the best of ``--repeat`` runs
of the public vagg function (input checks included) and of the pymcdm
equivalent on the same matrix (``pymcdm.weights.entropy_weights`` on the
shifted min-max matrix, ``pymcdm.weights.critic_weights``,
``pymcdm.methods.TOPSIS`` with min-max normalisation), and the largest
difference between the two answers is reported with the time ratio
(pymcdm time / vagg time; above 1 means vagg is faster).  Results are
appended to ``benchmarks/bench_index.txt``.

Run:  /tmp/venv/bin/python benchmarks/bench_index.py [--rows 1000000] [--cols 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from pymcdm.methods import TOPSIS
from pymcdm.normalizations import minmax_normalization
from pymcdm.weights import critic_weights as peer_critic
from pymcdm.weights import entropy_weights as peer_entropy

from vagg.mechanisms import critic_weights, entropy_weights, topsis
from _timing import best_of, record

OUT = Path(__file__).with_suffix(".txt")
TARGET_SECONDS = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    values = rng.lognormal(0.0, 1.0, (args.rows, args.cols)) * rng.uniform(1, 100, args.cols)
    X = pd.DataFrame(values, columns=[f"x{j}" for j in range(args.cols)])
    directions = np.where(np.arange(args.cols) % 4 == 3, -1, 1)
    z = np.column_stack([minmax_normalization(values[:, j], cost=d < 0) for j, d in enumerate(directions)])

    cases = {
        "entropy": (lambda: entropy_weights(X, directions).to_numpy(), lambda: peer_entropy(z + 1e-4)),
        "critic": (lambda: critic_weights(X, directions).to_numpy(), lambda: peer_critic(z)),
    }
    w = entropy_weights(X, directions).to_numpy()
    cases["topsis"] = (lambda: topsis(X, w, directions).to_numpy(),
                       lambda: TOPSIS(minmax_normalization)(values, w, directions))

    lines = [f"[{datetime.now(timezone.utc):%Y-%m-%d %H:%M}] {args.rows:,} rows x {args.cols} indicators, "
             f"best of {args.repeat}; pymcdm gets the normalised matrix precomputed for entropy/CRITIC"]
    for name, (ours, peer) in cases.items():
        t_ours, r_ours = best_of(ours, args.repeat)
        t_peer, r_peer = best_of(peer, args.repeat)
        diff = float(np.max(np.abs(np.asarray(r_ours) - np.asarray(r_peer))))
        status = "OK" if t_ours < TARGET_SECONDS else "OVER TARGET"
        lines.append(f"  {name:8s} vagg {t_ours:6.3f} s  pymcdm {t_peer:6.3f} s  "
                     f"ratio pymcdm/vagg {t_peer / t_ours:5.2f}"
                     f"  max |diff| {diff:.1e}  target {TARGET_SECONDS:.0f} s: {status}")
    record(OUT, lines)


if __name__ == "__main__":
    main()
