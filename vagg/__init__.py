"""vagg: virtual agglomeration and regional industrial synergy.

Indices from indicator systems, their spatiotemporal evolution, two-way
fixed-effects panels, mediation through flow networks, spatial Durbin panels
with direct and spillover effects, robustness batteries and publication
tables, on a prefecture-city panel.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from vagg._errors import DataError, SpecificationError

__version__ = "0.1.0"

_SUBMODULES = ("data", "weights", "simulate", "mechanisms", "models", "evolution", "robustness", "report", "config",
               "pipeline")

__all__ = ["DataError", "SpecificationError", "__version__", *_SUBMODULES]


def __getattr__(name: str) -> Any:
    # Subpackages load on first use so that `import vagg` stays light.
    if name in _SUBMODULES:
        module = import_module(f"vagg.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'vagg' has no attribute {name!r}")
