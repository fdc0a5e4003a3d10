"""Building weights for China's 2,875 counties: vagg.weights against libpysal's own constructors.

Each line is the best wall time of ``--repeat`` runs after a warm-up, the ratio
libpysal time / vagg time (above 1: vagg is faster) and a check that both give
the same matrix (largest absolute difference of the unstandardised weights).

* queen: vagg from the bundled edge list (``vagg.weights.china``) and from the
  polygons (``vagg.weights.contiguity``), against ``libpysal.weights.Queen.from_dataframe``
  on the bundled (simplified) polygons; the edge list, computed on the
  full-resolution boundaries, has 8,205 pairs, the simplified polygons 8,206, so
  that line shows a difference of one pair (max |diff| 1);
* inverse distance with a 100 km cut-off (great-circle, k-d tree on 3-D unit
  vectors) against ``libpysal.weights.DistanceBand(binary=False, alpha=-1, radius=R)``;
* 6 nearest neighbours against ``libpysal.weights.KNN(radius=R)``.

Results are appended to ``benchmarks/bench_weights.txt``.

Run:  PYTHONPATH=. python benchmarks/bench_weights.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import warnings
from datetime import datetime, timezone
from pathlib import Path

from libpysal.weights import KNN, DistanceBand, Queen

import vagg
from vagg.weights import EARTH_RADIUS_KM, to_sparse
from _timing import best_of, record

OUT = Path(__file__).with_suffix(".txt")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    counties = vagg.data.load_china("county")
    ids = list(counties.index)
    points = counties[["lon", "lat"]].to_numpy()

    def diff(a, b) -> float:
        return float(abs(to_sparse(a, ids) - to_sparse(b, ids)).max())

    cases = [
        ("queen (bundled edges)", lambda: vagg.weights.china("county", islands="keep", standardise="none"),
         lambda: Queen.from_dataframe(counties, use_index=True, silence_warnings=True)),
        ("queen (from polygons)", lambda: vagg.weights.contiguity(counties, islands="keep", standardise="none"),
         lambda: Queen.from_dataframe(counties, use_index=True, silence_warnings=True)),
        ("inverse distance, cut-off 100 km",
         lambda: vagg.weights.inverse_distance(counties, cutoff=100.0, islands="keep", standardise="none"),
         lambda: DistanceBand(points, threshold=100.0, binary=False, alpha=-1.0, ids=ids,
                              radius=EARTH_RADIUS_KM, silence_warnings=True)),
        ("6 nearest neighbours", lambda: vagg.weights.knn(counties, k=6, standardise="none"),
         lambda: KNN(points, k=6, ids=ids, radius=EARTH_RADIUS_KM)),
    ]
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")
    lines = [f"[{stamp}] China's {len(ids)} counties, best of {args.repeat} after a warm-up"]
    for name, mine, theirs in cases:
        t_v, w_v = best_of(mine, args.repeat, warm_up=True)
        t_l, w_l = best_of(theirs, args.repeat, warm_up=True)
        lines.append(f"  {name:34s} vagg {t_v:7.3f} s  libpysal {t_l:7.3f} s  ratio libpysal/vagg "
                     f"{t_l / t_v:6.2f}  max |diff| {diff(w_v, w_l):.1e}  nonzero {w_v.nonzero}")
    record(OUT, lines)


if __name__ == "__main__":
    main()
