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

from vagg._errors import SpecificationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: section -> key -> (type(s), default).  ``None`` default means required.
SCHEMA: dict[str, dict[str, tuple[tuple[type, ...], Any]]] = {
    "data": {
        "path": ((str,), None),
        "entity": ((str,), "adcode"),
        "time": ((str,), "year"),
        "simulated": ((bool,), False),
        "group": ((str,), "region"),
        "name": ((str,), "name_en"),
    },
    "index": {
        "system": ((str,), "default"),
        "method": ((str,), "entropy"),
        "name": ((str,), "va_index"),
    },
    "outcome": {
        "measure": ((str,), "coupling_coordination"),
        "name": ((str,), "synergy"),
    },
    "model": {
        "controls": ((list,), []),
        "effects": ((str,), "twoway"),
        "cov": ((str,), "clustered"),
        "mediators": ((list,), []),
        "weights": ((str,), "queen"),
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


#: keys whose value must be one of a fixed set
CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("index", "method"): ("entropy", "critic", "topsis", "pca", "equal"),
    ("model", "effects"): ("none", "entity", "time", "twoway"),
    ("model", "cov"): ("unadjusted", "robust", "clustered", "driscoll-kraay"),
    ("model", "weights"): ("queen", "rook", "distance", "knn", "economic"),
    ("output", "city_names"): ("en", "zh"),
    ("output", "precision"): ("auto", "scientific", "rescale"),
}
#: free-form sections: any key, each value of this type (``[labels]``: variable -> display label)
FREE_SECTIONS: dict[str, type] = {"labels": str}


def _unknown(key: str, known: list[str], where: str) -> SpecificationError:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"; did you mean {where}{close[0]!r}?" if close else f"; known keys: {', '.join(known)}"
    return SpecificationError(f"unknown config key {where}{key!r}{hint}")


def validate_config(raw: dict[str, Any], base: Path | None = None) -> dict[str, Any]:
    """Check a parsed config against :data:`SCHEMA`, fill defaults, resolve paths.

    Parameters
    ----------
    raw
        The parsed TOML.
    base
        Folder against which a relative ``data.path`` is resolved.
    """
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
                if isinstance(value, bool) and bool not in types or not isinstance(value, types):
                    names = " or ".join(t.__name__ for t in types)
                    raise SpecificationError(f"config key {section}.{key} must be {names}, got {value!r}")
            elif default is None and section in raw:
                raise SpecificationError(f"config key {section}.{key} is required")
            else:
                value = copy.deepcopy(default)
            allowed = CHOICES.get((section, key))
            if allowed is not None and value not in allowed:
                raise SpecificationError(
                    f"config key {section}.{key} = {value!r} is not one of {', '.join(allowed)}")
            config[section][key] = value
    data_path = config["data"].get("path")
    if data_path is None:
        raise SpecificationError("config key data.path is required")
    path = Path(data_path)
    if not path.is_absolute() and base is not None:
        path = base / path
    if not path.is_file():
        raise SpecificationError(f"config key data.path: data file not found: {path}")
    config["data"]["path"] = str(path)
    return config


def load_config(path: str | Path) -> dict[str, Any]:
    """Read and validate an analysis config from a TOML file."""
    path = Path(path)
    if not path.is_file():
        raise SpecificationError(f"config file not found: {path}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecificationError(f"config file {path} is not valid TOML: {exc}") from exc
    config = validate_config(raw, base=path.parent)
    config["_source"] = str(path)
    return config


def starter_config_text() -> str:
    """The commented starter config written by ``vagg init``."""
    return (resources.files("vagg") / "templates" / "analysis.toml").read_text(encoding="utf-8")


def write_starter(directory: str | Path, force: bool = False) -> list[Path]:
    """Write ``analysis.toml`` (and the demo panel as ``panel.csv``) into ``directory``."""
    from vagg.data.bundled import bundled_path

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    targets = {directory / "analysis.toml": starter_config_text(),
               directory / "panel.csv": bundled_path("demo_panel.csv").read_text(encoding="utf-8")}
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise SpecificationError(f"{existing[0]} exists; pass --force to overwrite")
    for path, text in targets.items():
        path.write_text(text, encoding="utf-8")
    return list(targets)
