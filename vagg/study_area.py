"""The study area of a run: the boundaries of the panel's units and the weights matrices the config asks for.

The ``[weights]`` section of a config names a source and a kind (see
:func:`vagg.weights.from_spec` for every key); ``source = "auto"`` (the
default) takes the bundled Guangdong cities when the panel's ids are theirs,
else the bundled all-China prefecture-level units or counties that the ids
(adcodes or Chinese names) match.  ``[weights.alternatives.NAME]`` tables give
further matrices (same keys; unset keys are the main matrix's) that the spatial
stage estimates side by side, one column per matrix.

Boundaries come from the same source (bundled, or a user's boundary file) and
feed the maps and the flow networks; a matrix file gives weights but no
boundaries, and the maps are then skipped with a note.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from vagg._errors import DataError, SpecificationError

BUNDLED = ("guangdong", "china-prefecture", "china-county")
#: suffixes of boundary files (a source with another suffix is a matrix file)
BOUNDARY_SUFFIXES = (".geojson", ".json", ".shp", ".gpkg", ".zip")


def panel_ids(panel: pd.DataFrame) -> list[str]:
    return [str(e) for e in panel.index.get_level_values(0).unique()]


def resolve_source(source: str, ids: list[str]) -> str:
    """``source`` itself, or for ``"auto"`` the bundled geography whose units the ids all match.

    Raises DataError for ``"auto"`` when no bundled geography holds every id, listing the ids and their
    nearest candidates.
    """
    if source != "auto":
        return source
    from vagg.data import load_guangdong
    from vagg.data.ids import match_ids

    if set(ids) <= set(load_guangdong().index.astype(str)):
        return "guangdong"
    unmatched = {}
    for level in ("prefecture", "county"):
        found = match_ids(ids, level=level, on_unmatched="report")
        if not found.unmatched:
            return f"china-{level}"
        unmatched[level] = found.unmatched
    best = min(unmatched.values(), key=len)
    raise DataError("[weights] source = 'auto': the panel's ids match neither the bundled Guangdong cities nor "
                    "all-China prefectures or counties; unmatched: " + "; ".join(
                        f"{g!r} (nearest {', '.join(c) or 'none'})" for g, c in list(best.items())[:10])
                    + "; give source = a boundary file (with id = its id column) or a matrix file")


def boundaries(source: str, id_column: str | None, ids: list[str]):
    """Boundaries of the panel's units indexed by the panel's ids, with ``name_en``, ``name_zh``, ``lon``, ``lat``;
    None for a matrix-file source."""
    if source == "guangdong":
        from vagg.data import load_guangdong

        return load_guangdong().loc[ids]
    if source in ("china-prefecture", "china-county"):
        from vagg.data.china import load_china
        from vagg.data.ids import match_ids

        level = source.split("-")[1]
        gdf = load_china(level)
        mapping = match_ids(ids, geography=gdf).mapping
        area = gdf.loc[[mapping[i] for i in ids]].copy()
        area.index = pd.Index(ids, name="adcode")
        return area
    if Path(source).suffix.lower() not in BOUNDARY_SUFFIXES:
        return None
    from vagg.weights.files import read_boundaries

    if not id_column:
        raise SpecificationError(f"config key weights.id: the boundary file {Path(source).name} needs its id column")
    gdf = read_boundaries(source, id_column)
    missing = [i for i in ids if i not in gdf.index]
    if missing:
        raise DataError(f"{Path(source).name} has no boundary for the panel's ids: {', '.join(missing[:10])}")
    area = gdf.loc[ids].to_crs("EPSG:4326")
    points = area.to_crs(area.estimate_utm_crs()).centroid.to_crs("EPSG:4326")
    area["lon"], area["lat"] = points.x.to_numpy(), points.y.to_numpy()
    for column in ("name_en", "name_zh"):
        if column not in area.columns:
            area[column] = list(area.index)
    return area


def has_boundaries(source: str) -> bool:
    """Whether a (resolved) source gives boundaries (bundled or a boundary file), not only a matrix."""
    return source in BUNDLED or Path(source).suffix.lower() in BOUNDARY_SUFFIXES


def weights_specs(config: dict[str, Any], source: str) -> dict[str, dict[str, Any]]:
    """Name -> :func:`vagg.weights.from_spec` spec: the main matrix first, then the alternatives."""
    main = {k: v for k, v in config["weights"].items() if k != "alternatives" and v is not None}
    main["source"] = source
    specs = {describe_spec(main): main}
    for name, changes in (config["weights"]["alternatives"] or {}).items():
        specs[name] = {**main, **changes}
    return specs


def describe_spec(spec: dict[str, Any]) -> str:
    """A short name of a matrix: its kind, or the file it comes from."""
    source = str(spec["source"])
    if not has_boundaries(source):
        return Path(source).name
    return str(spec.get("kind", "queen"))


def build_weights(config: dict[str, Any], panel: pd.DataFrame, source: str) -> tuple[Any, dict[str, Any]]:
    """The run's boundaries (or None) and its weights matrices by name, main first, each on the panel's ids.

    ``source`` is the resolved source (:func:`resolve_source`).
    """
    from vagg.weights import from_spec

    ids = panel_ids(panel)
    area = boundaries(source, config["weights"]["id"], ids)
    matrices = {}
    for name, spec in weights_specs(config, source).items():
        try:
            matrices[name] = from_spec(spec, ids, data=panel)
        except (DataError, SpecificationError) as exc:
            where = "[weights]" if not matrices else f"[weights.alternatives.{name}]"
            raise type(exc)(f"{where}: {exc}") from exc
    return area, matrices
