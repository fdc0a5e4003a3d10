"""Specification curves on the demo panel: vagg against a plain peer loop, serial vs parallel.

Cases (``--case``):

``fe``    1,000 two-way / entity FE specifications (5 outcome measures x 5
          index methods x 5 control sets x 4 samples x 2 fixed-effect sets):
          ``vagg.robustness.specification_curve`` serially, with joblib on 2
          workers and on a local dask cluster (2 processes), each with the
          500-draw null bootstrap, and without it against a loop of
          linearmodels ``PanelOLS`` fits of the same 1,000 specifications
          (clustered by entity; the peer does no bootstrap).  Target (issue
          19): vagg serial *with* the bootstrap at least 30x faster than the
          peer loop without it (goal 50x); identical numbers in the three modes.
``sdm``   200 spatial Durbin specifications (5 weights matrices x 5 index
          methods x 2 control sets x 4 samples of whole periods), serially
          and on a local dask cluster, against a loop of spreg 1.9
          ``ML_LagFE(slx_lags=1)`` (entity effects only; vagg fits two-way
          effects with the Lee-Yu correction).  Target: under 60 s.

Results are appended to ``benchmarks/bench_speccurve.txt``.

Run:  PYTHONPATH=$PWD python benchmarks/bench_speccurve.py --case fe
"""

from __future__ import annotations

import argparse
import os
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

import vagg
from vagg.mechanisms import composite_index, synergy_outcome
from vagg.robustness.battery import drop_entities, drop_groups, period
from vagg.robustness.speccurve import specification_curve
from _timing import record, timed

OUT = Path(__file__).with_suffix(".txt")
METHODS = ("entropy", "critic", "topsis", "pca", "equal")
CONTROLS = {"none": (), "economy": ("tertiary_share", "fdi_gdp"), "state": ("fiscal_gdp",),
            "urban": ("urbanisation", "college_students_per10k"),
            "all": ("tertiary_share", "fdi_gdp", "fiscal_gdp", "urbanisation", "college_students_per10k")}


def choices(panel: pd.DataFrame) -> dict:
    samples = {"all": None, "no core": drop_groups("region", ["Pearl River Delta Core"]),
               "no GZ/SZ": drop_entities(["440100", "440300"]), "2013+": period(2013)}
    return {"outcomes": {m: synergy_outcome(panel, method=m)["D"] for m in METHODS},
            "treatments": {m: composite_index(panel, "virtual_agglomeration", method=m).scores for m in METHODS},
            "controls": CONTROLS, "samples": samples}


def dask_client():
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    return cluster, Client(cluster)


def peer_fe(panel: pd.DataFrame, ch: dict, effects: tuple[str, ...]) -> np.ndarray:
    """The same specifications with linearmodels PanelOLS, one loop."""
    from linearmodels import PanelOLS

    data = panel.assign(**{f"outcome:{k}": v for k, v in ch["outcomes"].items()},
                        **{f"treatment:{k}": v for k, v in ch["treatments"].items()})
    out = []
    for y in ch["outcomes"]:
        for x in ch["treatments"]:
            for controls in ch["controls"].values():
                for rule in ch["samples"].values():
                    d = data if rule is None else data.loc[np.asarray(rule(data), dtype=bool)]
                    for fx in effects:
                        res = PanelOLS(d[f"outcome:{y}"], d[[f"treatment:{x}", *controls]], entity_effects=True,
                                       time_effects=fx == "twoway").fit(cov_type="clustered", cluster_entity=True)
                        out.append(res.params[f"treatment:{x}"])
    return np.array(out)


def case_fe(lines: list[str]) -> None:
    panel = vagg.data.load_demo_panel()
    ch = choices(panel)
    effects = ("twoway", "entity")
    kw = dict(effects=effects, seed=0, progress=False)
    serial, t_serial = timed(specification_curve, panel, **ch, n_boot=500, n_jobs=1, **kw)
    _, t_cold = timed(specification_curve, panel, **ch, n_boot=500, n_jobs=2, **kw)  # includes worker start
    joblib, t_joblib = timed(specification_curve, panel, **ch, n_boot=500, n_jobs=2, **kw)
    cluster, client = dask_client()
    try:
        _, t_dask_cold = timed(specification_curve, panel, **ch, n_boot=500, client=client, **kw)
        dask, t_dask = timed(specification_curve, panel, **ch, n_boot=500, client=client, **kw)
    finally:
        client.close()
        cluster.close()
    same = all(serial.table.equals(o.table) and np.array_equal(serial.draws, o.draws) for o in (joblib, dask))
    plain, t_plain = timed(specification_curve, panel, **ch, n_boot=0, n_jobs=1, **kw)
    ref, t_peer = timed(peer_fe, panel, ch, effects)
    n = len(serial.table)
    order = [(y, x, c, s, f) for y in ch["outcomes"] for x in ch["treatments"] for c in ch["controls"]
             for s in ch["samples"] for f in effects]
    ours = plain.table.set_index(["outcome", "treatment", "controls", "sample", "effects"]).loc[order, "estimate"]
    diff = float(np.max(np.abs(ours.to_numpy() - ref)))
    ratio = t_peer / t_serial
    lines.append(f"  FE: {n} specifications, 500 null-bootstrap draws each (load average {os.getloadavg()[0]:.1f})")
    lines.append(f"    vagg serial {t_serial:6.2f} s | joblib 2 workers {t_joblib:6.2f} s (first call, with worker "
                 f"start-up, {t_cold:6.2f} s) | dask LocalCluster 2 processes {t_dask:6.2f} s "
                 f"(first {t_dask_cold:6.2f} s) | identical: {same}")
    lines.append(f"    no bootstrap: vagg serial {t_plain:6.2f} s | linearmodels PanelOLS loop {t_peer:6.2f} s | "
                 f"ratio peer/vagg {t_peer / t_plain:5.1f} | max |diff| {diff:.1e}")
    lines.append(f"    peer loop without bootstrap / vagg serial with bootstrap: {ratio:5.1f}x | target 30x "
                 f"{'OK' if ratio >= 30 else 'MISSED'} (goal 50x {'OK' if ratio >= 50 else 'missed'})")


def peer_sdm(panel: pd.DataFrame, ch: dict, ws: dict) -> None:
    """spreg ML_LagFE with WX (an SDM with entity effects) on the same specifications."""
    import spreg

    data = panel.assign(**{f"treatment:{k}": v for k, v in ch["treatments"].items()},
                        outcome=ch["outcomes"]["entropy"])
    for w in ws.values():
        for x in ch["treatments"]:
            for controls in ch["controls"].values():
                for rule in ch["samples"].values():
                    d = data if rule is None else data.loc[np.asarray(rule(data), dtype=bool)]
                    long = d.reset_index().sort_values(["year", "adcode"])
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        spreg.ML_LagFE(long[["outcome"]].to_numpy(), long[[f"treatment:{x}", *controls]].to_numpy(),
                                       w, slx_lags=1, spat_impacts=None)


def case_sdm(lines: list[str]) -> None:
    panel = vagg.data.load_demo_panel()
    ch = choices(panel)
    ch["outcomes"] = {"entropy": ch["outcomes"]["entropy"]}
    ch["controls"] = {"none": (), "economy": ("tertiary_share", "fdi_gdp")}
    ch["samples"] = {"all": None, "2012+": period(2012), "2013+": period(2013), "to 2019": period(None, 2019)}
    gdf = vagg.data.load_guangdong()
    gdp = panel["gdp_per_capita"].groupby(level=0).mean()
    ws = {"queen": vagg.weights.guangdong("queen"), "rook": vagg.weights.guangdong("rook"),
          "distance": vagg.weights.guangdong("distance"), "knn": vagg.weights.guangdong("knn"),
          "economic": vagg.weights.economic_distance(gdf, gdp)}
    kw = dict(weights=ws, model="sdm", n_boot=0, seed=0, progress=False)
    serial, t_serial = timed(specification_curve, panel, **ch, n_jobs=1, **kw)
    cluster, client = dask_client()
    try:
        dask, t_dask = timed(specification_curve, panel, **ch, client=client, **kw)
    finally:
        client.close()
        cluster.close()
    _, t_peer = timed(peer_sdm, panel, ch, ws)
    n = len(serial.table)
    ok = int((serial.table["status"] != "failed").sum())
    lines.append(f"  SDM: {n} specifications ({ok} estimated)")
    lines.append(f"    vagg serial {t_serial:6.2f} s | dask LocalCluster 2 processes {t_dask:6.2f} s | identical: "
                 f"{serial.table.equals(dask.table)} | spreg ML_LagFE(slx_lags=1) loop {t_peer:6.2f} s | "
                 f"ratio spreg/vagg (serial) {t_peer / t_serial:5.2f} | target 60 s: "
                 f"{'OK' if t_serial < 60 else 'MISSED'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", choices=["fe", "sdm", "all"], default="all")
    args = parser.parse_args()
    lines = [f"[{datetime.now(timezone.utc):%Y-%m-%d %H:%M}] demo panel (21 x 10), 2 cores shared"]
    if args.case in ("fe", "all"):
        case_fe(lines)
    if args.case in ("sdm", "all"):
        case_sdm(lines)
    record(OUT, lines)
