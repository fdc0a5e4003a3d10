"""The whole analysis, config -> every stage -> report folder.

The entry points of a run: :func:`run_pipeline` (``vagg run``) and
:func:`run_demo` (``vagg demo``) prepare the panel, run the stages, write the
report and the manifest into an output folder written whole.  Output folder:
``report.html``, ``tables/``, ``figures/``, ``panel.csv`` (the analysed
panel) and ``manifest.json`` (versions, config, seeds, timings, files).

The parts of a run live in :mod:`vagg.run`, one job each, and are
re-exported here: :func:`plan_run` (the config's columns checked against the
data), :func:`prepare_panel` (the panel read, checked and made complete once),
:func:`build_variables` (index, outcomes, mediators), :func:`run_stages` (the
analysis stages in order), :func:`table1_years` and :func:`read_published`
(Table 1 and its rank audit).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vagg.config import validate_config
from vagg.run.plan import plan_run
from vagg.run.prepare import prepare_panel
from vagg.run.record import _Output, _Stages, _versions
from vagg.run.stages import run_stages, select_variants
from vagg.run.table1 import read_published, table1_years
from vagg.run.variables import DEFAULT_MEDIATORS, INSTRUMENT, build_variables

__all__ = ["DEFAULT_MEDIATORS", "INSTRUMENT", "build_variables", "demo_config", "plan_run", "prepare_panel",
           "read_published", "run_demo", "run_pipeline", "run_stages", "select_variants", "table1_years"]


def run_pipeline(config: dict[str, Any], out: str | Path | None = None, progress: bool = True,
                 wait: float = 0.0) -> dict[str, Any]:
    """Run every stage of the analysis described by a validated config.

    Stages: load the panel, check the config's columns against it and apply
    the missing-data policy once (:func:`prepare_panel`); build the
    virtual-agglomeration index (and its four dimension sub-indices), the
    synergy outcome, the construction outcomes and the flow-network mediators;
    describe the evolution (Table 1, Dagum, Moran / LISA, densities,
    convergence); estimate the baseline FE, the mediation model and the
    spatial Durbin model with effects; run robustness, heterogeneity,
    dimension contributions and a specification curve; write tables, figures,
    ``report.html``, ``panel.csv`` and ``manifest.json``.  Stages whose inputs
    the data lack are skipped with a note in the report.

    The output folder is written whole (:class:`vagg._outdir.OutputFolder`):
    into a temporary folder beside it, swapped into place at the end, under a
    lock that a concurrent run into the same folder waits ``wait`` seconds for
    and then refuses; an error or Ctrl-C leaves the previous result.

    Returns the manifest (also written to ``manifest.json``); its ``files``
    maps every file present to its SHA-256 (``manifest.json`` itself to None).
    """
    import warnings

    from vagg._outdir import OutputFolder, check_target, checksums

    target = Path(out if out is not None else config["output"]["dir"])
    check_target(target)
    stages = _Stages(progress)
    panel, plan, missing = stages.run("load and check data", prepare_panel, config)
    simulated = bool(config["data"]["simulated"])
    folder = OutputFolder(target, wait=wait)
    with folder as tmp:
        output = _Output(tmp, list(config["output"]["formats"]), simulated=simulated)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            from vagg.report.assemble import build_report

            results = run_stages(panel, config, stages, plan)
            results["data_notes"] = list(panel.attrs.get("notes", [])) + missing.lines(plan["names"])
            report = stages.run("report", build_report, results, output, simulated,
                                labels=config.get("labels", {}), city_language=config["output"].get("city_names", "en"),
                                precision=config["output"].get("precision", "auto"))
        results["panel"].to_csv(tmp / "panel.csv")
        report.write(tmp / "report.html")
        manifest = {
            "out": str(target),
            "simulated": simulated,
            "config": {k: v for k, v in config.items() if not k.startswith("_")},
            "seed": config["run"]["seed"],
            "versions": _versions(),
            "timings": stages.timings,
            "data_notes": list(panel.attrs.get("notes", [])),
            "missing": missing.to_dict(),
            "skipped": results["skipped"],
            "notes": results["notes"],
            "samples": _samples(results),
        }
        manifest["files"] = {**checksums(tmp), "manifest.json": None}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
        folder.commit()
    return manifest


def _samples(results: dict[str, Any]) -> dict[str, list[int]]:
    """Observations of every estimated model, by stage: one sample for the whole run."""
    out = {"panel": [len(results["panel"])], "baseline": [f.nobs for f in results["baseline"]["fits"]]}
    if "mediation" in results:
        out["mediation"] = [m.nobs for m in results["mediation"].values()]
    if "spatial" in results:
        out["spatial"] = [f.nobs for f in results["spatial"]["fits"]]
    return out


def demo_config() -> dict[str, Any]:
    """The config of ``vagg demo``: the bundled, simulated panel."""
    from importlib import resources

    from vagg.config import tomllib

    raw = tomllib.loads((resources.files("vagg") / "templates" / "analysis.toml").read_text(encoding="utf-8"))
    with resources.as_file(resources.files("vagg.data") / "files" / "demo_panel.csv") as path:
        raw["data"]["path"] = str(path)
    raw["index"]["system"] = "default"
    raw["data"]["simulated"] = True
    return validate_config(raw)


def run_demo(out: str | Path = "vagg-demo", progress: bool = True) -> dict[str, Any]:
    """``vagg demo``: the whole analysis on the bundled simulated panel."""
    return run_pipeline(demo_config(), out=out, progress=progress)
