"""The analysis configuration (TOML) and its validation.

A config is a TOML file with the sections of :data:`SCHEMA`.  Every key is
checked: an unknown (e.g. misspelt) key, a value of the wrong type or a data
file that does not exist is a :class:`vagg.SpecificationError` naming the key.
Defaults are filled in, so the returned dict is complete.
"""

from __future__ import annotations

import copy
import difflib
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from vagg._errors import DataError, SpecificationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: default of a key that may be left out and then has no value (None)
OPTIONAL = object()

#: section -> key -> (type(s), default).  ``None`` default means required; :data:`OPTIONAL` means may be absent.
SCHEMA: dict[str, dict[str, tuple[tuple[type, ...], Any]]] = {
    "data": {
        "path": ((str,), None),
        "entity": ((str,), "adcode"),
        "time": ((str,), "year"),
        "simulated": ((bool,), False),
        "group": ((str,), OPTIONAL),
        "name": ((str,), OPTIONAL),
        "missing": ((str,), "refuse"),
        "extrapolate": ((bool,), False),
        "na_values": ((list,), []),
        "sheet": ((str, int), OPTIONAL),
        "header_row": ((int,), OPTIONAL),
        "skip_rows": ((list,), []),
        "totals": ((str,), "drop"),
    },
    "index": {
        "system": ((str,), "default"),
        "method": ((str,), "entropy"),
        "name": ((str,), "va_index"),
        "column": ((str,), OPTIONAL),
    },
    "outcome": {
        "measure": ((str,), "coupling_coordination"),
        "name": ((str,), "synergy"),
        "column": ((str,), OPTIONAL),
    },
    "model": {
        "controls": ((list,), []),
        "effects": ((str,), "twoway"),
        "cov": ((str,), "clustered"),
        "mediators": ((list,), []),
    },
    "weights": {
        "source": ((str,), "auto"),
        "id": ((str,), OPTIONAL),
        "kind": ((str,), "queen"),
        "standardise": ((str,), "row"),
        "k": ((int,), OPTIONAL),
        "power": ((float, int), OPTIONAL),
        "cutoff": ((float, int), OPTIONAL),
        "islands": ((str,), OPTIONAL),
        "metric": ((str,), OPTIONAL),
        "gdp": ((str,), OPTIONAL),
        "points": ((str,), OPTIONAL),
        "alternatives": ((dict,), {}),
    },
    "robustness": {
        "variants": ((list,), []),
        "placebo_draws": ((int,), 500),
    },
    "run": {
        "seed": ((int,), 0),
        "bootstrap_draws": ((int,), 1000),
        "impact_draws": ((int,), 1000),
    },
    "output": {
        "dir": ((str,), "vagg-output"),
        "formats": ((list,), ["csv", "md", "tex", "html"]),
        "city_names": ((str,), "en"),        # maps name the cities in English ("en") or Chinese ("zh")
        "table1_years": ((list,), []),       # years of the Table 1 layout and maps; [] = first, middle, last
        "precision": ((str,), "auto"),       # tiny non-zero numbers: "auto" (more decimals), "scientific", "rescale"
    },
}


#: optional stages (:mod:`vagg.optional`): a section runs its stage when it is in the config; absent, it is None
OPTIONAL_SCHEMA: dict[str, dict[str, tuple[tuple[type, ...], Any]]] = {
    "threshold": {
        "variable": ((str,), None),
        "outcome": ((str,), OPTIONAL),
        "regime": ((str,), OPTIONAL),
        "n_thresholds": ((int,), 1),
        "trim": ((float,), 0.05),
        "effects": ((str,), "entity"),
        "draws": ((int,), 300),
        "grid": ((int,), OPTIONAL),
    },
    "quantile": {
        "outcome": ((str,), OPTIONAL),
        "quantiles": ((list,), [0.1, 0.25, 0.5, 0.75, 0.9]),
        "effects": ((str,), "entity"),
    },
    "dynamic": {
        "outcome": ((str,), OPTIONAL),
        "kind": ((str,), "spacetime"),
        "effects": ((str,), "twoway"),
    },
    "did": {
        "adoption": ((str,), None),
        "outcome": ((str,), OPTIONAL),
        "methods": ((list,), ["imputation", "callaway-santanna"]),
        "leads": ((int,), 3),
        "lags": ((int,), 4),
        "n_boot": ((int,), 0),
    },
    "audit": {
        "path": ((str,), None),
        "value": ((str,), None),
        "rank": ((str,), None),
        "name": ((str,), OPTIONAL),
        "ascending": ((bool,), False),
    },
    "moderation": {
        "moderator": ((str,), None),
        "outcome": ((str,), OPTIONAL),
        "moderated_path": ((str,), OPTIONAL),
    },
}
SCHEMA.update(OPTIONAL_SCHEMA)


#: keys whose value must be one of a fixed set
CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("data", "missing"): ("refuse", "drop-rows", "drop-cities", "interpolate"),
    ("data", "totals"): ("drop", "refuse", "keep"),
    ("index", "method"): ("entropy", "critic", "topsis", "pca", "equal"),
    ("outcome", "measure"): ("coupling_coordination", "coupling_degree", "coordination_index"),
    ("model", "effects"): ("none", "entity", "time", "twoway"),
    ("model", "cov"): ("unadjusted", "robust", "clustered", "driscoll-kraay"),
    ("weights", "kind"): ("queen", "rook", "distance", "band", "knn", "economic", "economic-distance",
                          "economic-asymmetric"),
    ("weights", "standardise"): ("row", "spectral", "none"),
    ("weights", "islands"): ("raise", "keep", "nearest"),
    ("weights", "metric"): ("great-circle", "projected"),
    ("output", "city_names"): ("en", "zh"),
    ("output", "precision"): ("auto", "scientific", "rescale"),
    ("threshold", "n_thresholds"): (1, 2, 3),
    ("threshold", "effects"): ("entity", "twoway"),
    ("quantile", "effects"): ("entity", "twoway"),
    ("dynamic", "kind"): ("time", "spacetime"),
    ("dynamic", "effects"): ("entity", "twoway"),
    ("moderation", "moderated_path"): ("a", "b", "both"),
}
#: free-form sections: any key, each value of this type (``[labels]``: variable -> display label)
FREE_SECTIONS: dict[str, type] = {"labels": str}

#: keys whose (integer) value has a lower bound
MINIMUM: dict[tuple[str, str], int] = {
    ("run", "seed"): 0,
    ("run", "bootstrap_draws"): 1,
    ("run", "impact_draws"): 1,
    ("robustness", "placebo_draws"): 1,
    ("data", "header_row"): 0,
    ("weights", "k"): 1,
    ("threshold", "draws"): 0,
    ("threshold", "grid"): 10,
    ("did", "leads"): 1,
    ("did", "lags"): 0,
    ("did", "n_boot"): 0,
}

#: list keys and the type of their items
LIST_ITEMS: dict[tuple[str, str], type] = {
    ("data", "na_values"): str,
    ("data", "skip_rows"): int,
    ("model", "controls"): str,
    ("model", "mediators"): str,
    ("robustness", "variants"): str,
    ("output", "formats"): str,
    ("quantile", "quantiles"): float,
    ("did", "methods"): str,
}


def _unknown(key: str, known: list[str], where: str) -> SpecificationError:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"; did you mean {where}{close[0]!r}?" if close else f"; known keys: {', '.join(known)}"
    return SpecificationError(f"unknown config key {where}{key!r}{hint}")


def _check_value(section: str, key: str, value: Any, types: tuple[type, ...]) -> None:
    if isinstance(value, bool) and bool not in types or not isinstance(value, types):
        names = " or ".join(t.__name__ for t in types)
        raise SpecificationError(f"config key {section}.{key} must be {names}, got {value!r}")
    allowed = CHOICES.get((section, key))
    if allowed is not None and value not in allowed:
        close = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise SpecificationError(f"config key {section}.{key} = {value!r} is not one of "
                                 f"{', '.join(map(str, allowed))}{hint}")
    low = MINIMUM.get((section, key))
    if low is not None and value < low:
        raise SpecificationError(f"config key {section}.{key} must be >= {low}, got {value!r}")
    item = LIST_ITEMS.get((section, key))
    if item is not None:
        bad = [v for v in value if isinstance(v, bool) or not isinstance(v, item)]
        if bad:
            raise SpecificationError(f"config key {section}.{key} must list {item.__name__} values, got {bad[0]!r}")


def _check_optional(config: dict[str, Any]) -> None:
    """Ranges of the optional sections that one key alone cannot check."""
    q = config["quantile"]
    if q is not None:
        bad = [t for t in q["quantiles"] if not 0 < t < 1]
        if bad or not q["quantiles"]:
            raise SpecificationError(f"config key quantile.quantiles must list values in (0, 1), got {q['quantiles']}")
    t = config["threshold"]
    if t is not None and not 0 < t["trim"] < 1 / (t["n_thresholds"] + 1):
        raise SpecificationError(f"config key threshold.trim must lie in (0, {1 / (t['n_thresholds'] + 1):.3f}) "
                                 f"for {t['n_thresholds']} threshold(s), got {t['trim']}")
    d = config["did"]
    if d is not None:
        known = ("imputation", "callaway-santanna")
        bad = [m for m in d["methods"] if m not in known]
        if bad:
            raise SpecificationError(f"config key did.methods: unknown method {bad[0]!r}; use {', '.join(known)}")


def _check_weights(weights: dict[str, Any], base: Path | None) -> None:
    """Each ``[weights.alternatives.NAME]`` is checked like ``[weights]``; file sources and points resolved."""
    keys = {k: v for k, v in SCHEMA["weights"].items() if k != "alternatives"}
    for name, spec in weights["alternatives"].items():
        if not isinstance(spec, dict):
            raise SpecificationError(f"config key weights.alternatives.{name} must be a table of weights keys")
        for key, value in spec.items():
            if key not in keys:
                raise _unknown(key, list(keys), f"weights.alternatives.{name}.")
            _check_value("weights", key, value, keys[key][0])
    for spec in (weights, *weights["alternatives"].values()):
        for key in ("source", "points"):
            value = spec.get(key)
            if value is None or key == "source" and (value == "auto" or value in ("guangdong", "china-prefecture",
                                                                                  "china-county")):
                continue
            path = _resolve(value, base)
            if not path.is_file():
                raise SpecificationError(f"config key weights.{key}: file not found: {path}")
            spec[key] = str(path)


def _resolve(value: str, base: Path | None) -> Path:
    path = Path(value).expanduser()
    return base / path if not path.is_absolute() and base is not None else path


def validate_config(raw: dict[str, Any], base: Path | None = None) -> dict[str, Any]:
    """Check a parsed config against :data:`SCHEMA`, fill defaults, resolve paths.

    Every key is checked for its type, its allowed values (:data:`CHOICES`),
    its lower bound (:data:`MINIMUM`) and the type of its list items; output
    formats must be known table formats.  ``data.path``, ``output.dir`` and an
    indicator-system path in ``index.system`` are resolved against ``base``
    (the config file's folder).  Columns are checked against the data by
    :func:`vagg.run.plan.plan_run`, before any stage runs.

    Parameters
    ----------
    raw
        The parsed TOML.
    base
        Folder against which relative paths are resolved.
    """
    from vagg.mechanisms.indicators import BUNDLED_SYSTEMS
    from vagg.report.table import FORMATS

    config: dict[str, Any] = {}
    for section in raw:
        if section not in SCHEMA and section not in FREE_SECTIONS:
            raise _unknown(section, [*SCHEMA, *FREE_SECTIONS], "")
    for section, kind in FREE_SECTIONS.items():
        given = raw.get(section, {})
        if not isinstance(given, dict):
            raise SpecificationError(f"config section [{section}] must be a table")
        for key, value in given.items():
            if not isinstance(value, kind):
                raise SpecificationError(f"config key {section}.{key} must be {kind.__name__}, got {value!r}")
        config[section] = dict(given)
    for section, keys in SCHEMA.items():
        given = raw.get(section, {})
        if not isinstance(given, dict):
            raise SpecificationError(f"config section [{section}] must be a table")
        for key in given:
            if key not in keys:
                raise _unknown(key, list(keys), f"{section}.")
        config[section] = {}
        for key, (types, default) in keys.items():
            if key in given:
                value = given[key]
                _check_value(section, key, value, types)
            elif default is None and section in raw:
                raise SpecificationError(f"config key {section}.{key} is required")
            else:
                value = None if default is OPTIONAL else copy.deepcopy(default)
            config[section][key] = value
    for section in OPTIONAL_SCHEMA:
        if section not in raw:
            config[section] = None
    _check_optional(config)
    unknown = [f for f in config["output"]["formats"] if f not in FORMATS]
    if unknown:
        raise SpecificationError(f"config key output.formats: unknown format {unknown[0]!r}; use {', '.join(FORMATS)}")
    data_path = config["data"].get("path")
    if data_path is None:
        raise SpecificationError("config key data.path is required")
    path = _resolve(data_path, base)
    if not path.is_file():
        raise SpecificationError(f"config key data.path: data file not found: {path}")
    config["data"]["path"] = str(path)
    config["output"]["dir"] = str(_resolve(config["output"]["dir"], base))
    system = config["index"]["system"]
    if system not in ("default", *BUNDLED_SYSTEMS):  # a path to the user's indicator-system file
        system_path = _resolve(system, base)
        if not system_path.is_file():
            raise SpecificationError(f"config key index.system: indicator-system file not found: {system_path}")
        config["index"]["system"] = str(system_path)
    _check_weights(config["weights"], base)
    audit = config["audit"]
    if audit is not None:
        path = _resolve(audit["path"], base)
        if not path.is_file():
            raise SpecificationError(f"config key audit.path: published table not found: {path}")
        audit["path"] = str(path)
    did = config["did"]
    if did is not None and did["adoption"].lower().endswith((".csv", ".xlsx")):
        adoption = _resolve(did["adoption"], base)
        if not adoption.is_file():
            raise SpecificationError(f"config key did.adoption: adoption table not found: {adoption}")
        did["adoption"] = str(adoption)
    names = {"index.name": config["index"]["name"], "outcome.name": config["outcome"]["name"]}
    if len(set(names.values())) < len(names):
        raise SpecificationError(f"config keys index.name and outcome.name are both {names['index.name']!r}")
    return config


def load_config(path: str | Path) -> dict[str, Any]:
    """Read and validate an analysis config from a TOML file (UTF-8, UTF-8 with BOM, GBK or GB18030)."""
    from vagg.data.readers import read_text

    path = Path(path)
    if not path.is_file():
        raise SpecificationError(f"config file not found: {path}")
    try:
        raw = tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise SpecificationError(f"config file {path} is not valid TOML: {exc}") from exc
    except DataError as exc:
        raise SpecificationError(f"config file {exc}") from exc
    config = validate_config(raw, base=path.parent.resolve())
    config["_source"] = str(path)
    return config


def starter_config_text() -> str:
    """The commented starter config written by ``vagg init``."""
    return (resources.files("vagg") / "templates" / "analysis.toml").read_text(encoding="utf-8")


def write_starter(directory: str | Path, force: bool = False) -> list[Path]:
    """Write ``analysis.toml``, the indicator system it names (``indicators.toml``, the bundled
    four-dimension system to edit) and the demo panel as ``panel.csv`` into ``directory``."""
    from vagg.data.bundled import bundled_path
    from vagg.mechanisms.indicators import bundled_system_path

    directory = Path(directory)
    targets = {directory / "analysis.toml": starter_config_text(),
               directory / "indicators.toml": bundled_system_path("virtual_agglomeration").read_text(encoding="utf-8"),
               directory / "panel.csv": bundled_path("demo_panel.csv").read_text(encoding="utf-8")}
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise SpecificationError(f"{existing[0]} exists; pass --force to overwrite")
    directory.mkdir(parents=True, exist_ok=True)
    for path, text in targets.items():
        path.write_text(text, encoding="utf-8")
    return list(targets)
