"""The record a run keeps: each stage's time, the tables and figures it writes, the package versions.

Shared by :func:`vagg.pipeline.run_pipeline` and the census report
(:func:`vagg.census_demo.run_census_demo`); the manifest of either output
folder lists the versions and timings kept here.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from vagg.report.table import Table

#: the packages whose versions the manifest records
_VERSIONED = ("vagg", "numpy", "scipy", "pandas", "statsmodels", "linearmodels", "libpysal", "spreg", "esda")


def _versions() -> dict[str, str]:
    """Python's version and each of :data:`_VERSIONED` ("not installed" when absent), for the manifest."""
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

    def run(self, name: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``func(*args, **kwargs)``, its wall time kept in ``timings[name]`` (seconds, 3 decimals)."""
        if self.progress:
            print(f"[vagg] {name} ...", flush=True)
        start = time.perf_counter()
        result = func(*args, **kwargs)
        self.timings[name] = round(time.perf_counter() - start, 3)
        return result


class _Output:
    """Writes tables and figures into the output folder."""

    def __init__(self, out_dir: Path, formats: list[str], simulated: bool = False) -> None:
        self.out_dir = out_dir
        self.formats = formats
        self.simulated = simulated  # every table and figure of simulated data says so

    def table(self, table: Table, name: str) -> Table:
        """Write ``table`` as ``tables/<name>.<format>`` in every format of the run; returns it."""
        table.write(self.out_dir / "tables", name, self.formats, simulated=self.simulated)
        return table

    def figure(self, fig: Figure, name: str) -> str:
        """Save ``fig`` as ``figures/<name>.png`` and ``.pdf`` (and close it); returns the PNG's relative path."""
        from vagg.report.figures import save_figure

        paths = save_figure(fig, self.out_dir / "figures", name, simulated=self.simulated)
        return str(paths[0].relative_to(self.out_dir))
