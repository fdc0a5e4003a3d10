"""Indicator systems: dimensions of indicators with directions, read from TOML.

A system lets a researcher change or extend the indicators behind an index
without touching code.  The TOML layout::

    name = "virtual_agglomeration"
    description = "..."

    [dimensions.digital_infrastructure]
    label = "Digital infrastructure"

    [dimensions.digital_infrastructure.indicators.broadband_per100]
    direction = 1            # +1 benefit, -1 cost ("+", "-", "benefit", "cost")
    unit = "subscribers per 100 people"
    description = "Fixed broadband subscribers"

Dimensions and indicators keep the order of the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

import pandas as pd

from vagg._errors import DataError, SpecificationError
from vagg.data.readers import read_text
from vagg.mechanisms._matrix import parse_direction

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["Indicator", "IndicatorSystem", "BUNDLED_SYSTEMS", "bundled_system_path"]

#: Indicator systems shipped in ``vagg/mechanisms/systems`` (name -> file stem).
BUNDLED_SYSTEMS = ("virtual_agglomeration", "industrial_synergy", "construction")


@dataclass(frozen=True)
class Indicator:
    """One indicator: a data column, its dimension, direction (+1/-1), unit and description."""

    column: str
    dimension: str
    direction: int = 1
    unit: str = ""
    description: str = ""


@dataclass(frozen=True)
class IndicatorSystem:
    """Dimensions of indicators that define a composite index.

    Attributes
    ----------
    name
        Short name of the system (used for the index column).
    indicators
        The indicators in order; each names its dimension.
    labels
        Dimension -> human-readable label.
    description
        Free text.
    """

    name: str
    indicators: tuple[Indicator, ...]
    labels: dict[str, str] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        if not self.indicators:
            raise SpecificationError(f"indicator system {self.name!r} has no indicators")
        seen: dict[str, str] = {}
        for ind in self.indicators:
            if ind.column in seen:
                raise SpecificationError(
                    f"indicator {ind.column!r} appears twice in system {self.name!r} "
                    f"(dimensions {seen[ind.column]!r} and {ind.dimension!r})"
                )
            seen[ind.column] = ind.dimension
            parse_direction(ind.direction, ind.column)
        empty = [d for d in self.labels if d not in set(seen.values())]
        if empty:
            raise SpecificationError(f"dimension(s) {empty} of system {self.name!r} have no indicators")

    # ------------------------------------------------------------------ views
    @property
    def columns(self) -> list[str]:
        """Indicator columns in order."""
        return [i.column for i in self.indicators]

    @property
    def dimensions(self) -> list[str]:
        """Dimension names in order of first appearance."""
        return list(dict.fromkeys(i.dimension for i in self.indicators))

    @property
    def directions(self) -> dict[str, int]:
        """Column -> +1 / -1."""
        return {i.column: int(i.direction) for i in self.indicators}

    def columns_of(self, dimension: str) -> list[str]:
        """Indicator columns of one dimension."""
        if dimension not in self.dimensions:
            raise SpecificationError(f"system {self.name!r} has no dimension {dimension!r}; it has {self.dimensions}")
        return [i.column for i in self.indicators if i.dimension == dimension]

    def to_frame(self) -> pd.DataFrame:
        """One row per indicator: dimension, direction, unit, description."""
        rows = [(i.column, i.dimension, i.direction, i.unit, i.description) for i in self.indicators]
        return pd.DataFrame(rows, columns=["indicator", "dimension", "direction", "unit", "description"]).set_index(
            "indicator"
        )

    def check(self, data: pd.DataFrame) -> None:
        """Refuse data that lack a column of the system, naming every missing one."""
        missing = [c for c in self.columns if c not in data.columns]
        if missing:
            where = ", ".join(f"{c!r} (dimension {dict(zip(self.columns, self.indicators))[c].dimension})"
                              for c in missing)
            raise SpecificationError(f"indicator system {self.name!r} names column(s) absent from the data: {where}")

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_dict(cls, spec: dict[str, Any], source: str = "indicator system") -> IndicatorSystem:
        """Build a system from the parsed TOML layout (see the module docstring)."""
        dims = spec.get("dimensions")
        if not isinstance(dims, dict) or not dims:
            raise SpecificationError(f"{source} has no [dimensions.<name>] tables")
        indicators: list[Indicator] = []
        labels: dict[str, str] = {}
        for dim, body in dims.items():
            if not isinstance(body, dict):
                raise SpecificationError(f"dimension {dim!r} in {source} must be a table")
            labels[dim] = str(body.get("label", dim))
            items = body.get("indicators") or {}
            if not items:
                raise SpecificationError(f"dimension {dim!r} in {source} has no indicators")
            for column, meta in items.items():
                meta = meta if isinstance(meta, dict) else {"direction": meta}
                unknown = set(meta) - {"direction", "unit", "description"}
                if unknown:
                    raise SpecificationError(f"indicator {column!r} in {source} has unknown key(s) {sorted(unknown)}")
                indicators.append(Indicator(
                    column=str(column),
                    dimension=str(dim),
                    direction=parse_direction(meta.get("direction", 1), str(column)),
                    unit=str(meta.get("unit", "")),
                    description=str(meta.get("description", "")),
                ))
        name = str(spec.get("name", "index"))
        return cls(name=name, indicators=tuple(indicators), labels=labels, description=str(spec.get("description", "")))

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> IndicatorSystem:
        """Read a system from a TOML file (layout in the module docstring).

        Raises
        ------
        SpecificationError
            For a missing or unparsable file, an empty dimension, an unknown
            direction or a duplicated indicator, naming it.
        """
        try:
            text = read_text(path)  # UTF-8 (BOM or not), GBK or GB18030
            return cls.from_dict(tomllib.loads(text), source=str(path))
        except DataError as exc:
            raise SpecificationError(f"cannot read indicator system file {exc}") from exc
        except OSError as exc:
            raise SpecificationError(f"cannot read indicator system file {path}: {exc.strerror or exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SpecificationError(f"could not parse indicator system {path}: {exc}") from exc

    @classmethod
    def bundled(cls, name: str = "virtual_agglomeration") -> IndicatorSystem:
        """A system shipped with vagg: one of :data:`BUNDLED_SYSTEMS`."""
        with resources.as_file(bundled_system_path(name)) as path:
            return cls.from_toml(path)

    @classmethod
    def default(cls) -> IndicatorSystem:
        """The bundled four-dimension virtual-agglomeration system (the demo panel's columns)."""
        return cls.bundled("virtual_agglomeration")

    def subsystem(self, dimensions: list[str]) -> IndicatorSystem:
        """The system restricted to some dimensions."""
        for d in dimensions:
            self.columns_of(d)
        keep = tuple(i for i in self.indicators if i.dimension in dimensions)
        return IndicatorSystem(self.name, keep, {d: self.labels.get(d, d) for d in dimensions}, self.description)


def bundled_system_path(name: str) -> Traversable:
    """Path-like handle to a bundled system's TOML file."""
    if name not in BUNDLED_SYSTEMS:
        raise SpecificationError(f"no bundled indicator system {name!r}; choose one of {BUNDLED_SYSTEMS}")
    return resources.files("vagg.mechanisms") / "systems" / f"{name}.toml"


def as_system(system: IndicatorSystem | str | os.PathLike[str]) -> IndicatorSystem:
    """An :class:`IndicatorSystem` from itself, a bundled name (``"default"`` too) or a TOML path."""
    if isinstance(system, IndicatorSystem):
        return system
    if isinstance(system, str) and system in ("default", *BUNDLED_SYSTEMS):
        return IndicatorSystem.bundled("virtual_agglomeration" if system == "default" else system)
    if isinstance(system, (str, os.PathLike)):
        return IndicatorSystem.from_toml(system)
    raise SpecificationError(
        f"an indicator system must be an IndicatorSystem, a bundled name or a path, not {system!r}"
    )
