"""The whole analysis, config -> every stage -> report folder.

This is the one module that knows the order of the stages; each stage is a
library call that a researcher can also make alone.  Output folder:
``report.html``, ``tables/``, ``figures/``, ``panel.csv`` (the analysed
panel) and ``manifest.json`` (versions, config, seeds, timings, files).
"""

from __future__ import annotations

import html
import json
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from vagg.config import validate_config

_VERSIONED = ("vagg", "numpy", "scipy", "pandas", "statsmodels", "linearmodels", "libpysal", "spreg", "esda")


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


class _Stages:
    """Times each stage and prints it when progress is on."""

    def __init__(self, progress: bool) -> None:
        self.progress = progress
        self.timings: dict[str, float] = {}

    def run(self, name: str, func, *args, **kwargs):
        if self.progress:
            print(f"[vagg] {name} ...", flush=True)
        start = time.perf_counter()
        result = func(*args, **kwargs)
        self.timings[name] = round(time.perf_counter() - start, 3)
        return result


def _summary_statistics(panel: pd.DataFrame) -> pd.DataFrame:
    numeric = panel.select_dtypes("number")
    table = numeric.agg(["count", "mean", "std", "min", "max"]).T
    table["count"] = table["count"].astype(int)
    return table.rename_axis("variable")


def run_pipeline(config: dict[str, Any], out: str | Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Run every stage of the analysis described by a validated config.

    Returns the manifest (also written to ``manifest.json``).
    """
    from vagg.data import read_panel, validate_panel

    out_dir = Path(out if out is not None else config["output"]["dir"])
    (out_dir / "tables").mkdir(parents=True, exist_ok=True)
    (out_dir / "figures").mkdir(parents=True, exist_ok=True)
    stages = _Stages(progress)
    data_cfg = config["data"]
    panel = stages.run("load data", read_panel, data_cfg["path"], data_cfg["entity"], data_cfg["time"])
    panel = stages.run("validate panel", validate_panel, panel, balanced=True)
    simulated = bool(data_cfg["simulated"])
    files: list[str] = []

    panel.to_csv(out_dir / "panel.csv")
    files.append("panel.csv")
    summary = stages.run("summary statistics", _summary_statistics, panel)
    summary.to_csv(out_dir / "tables" / "summary_statistics.csv")
    files.append("tables/summary_statistics.csv")

    banner = ("<p class='simulated'><strong>These data are SIMULATED</strong> "
              "(the vagg demo panel, calibrated to the published Table 1); no finding here is about real cities.</p>"
              if simulated else "")
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>vagg report</title></head><body>"
        f"<h1>vagg report</h1>{banner}"
        f"<h2>Data</h2><p>{panel.index.get_level_values(0).nunique()} entities, "
        f"{panel.index.get_level_values(1).nunique()} years, {len(panel)} observations, from "
        f"{html.escape(str(data_cfg['path']))}.</p>"
        f"<h2>Summary statistics</h2>{summary.round(3).to_html()}</body></html>"
    )
    (out_dir / "report.html").write_text(page, encoding="utf-8")
    files.append("report.html")

    manifest = {
        "out": str(out_dir),
        "simulated": simulated,
        "config": {k: v for k, v in config.items() if not k.startswith("_")},
        "seed": config["run"]["seed"],
        "versions": _versions(),
        "timings": stages.timings,
        "files": files + ["manifest.json"],
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    return manifest


def demo_config() -> dict[str, Any]:
    """The config of ``vagg demo``: the bundled, simulated panel."""
    from importlib import resources

    from vagg.config import tomllib

    raw = tomllib.loads((resources.files("vagg") / "templates" / "analysis.toml").read_text(encoding="utf-8"))
    with resources.as_file(resources.files("vagg.data") / "files" / "demo_panel.csv") as path:
        raw["data"]["path"] = str(path)
    raw["data"]["simulated"] = True
    return validate_config(raw)


def run_demo(out: str | Path = "vagg-demo", progress: bool = True) -> dict[str, Any]:
    """``vagg demo``: the whole analysis on the bundled simulated panel."""
    return run_pipeline(demo_config(), out=out, progress=progress)
