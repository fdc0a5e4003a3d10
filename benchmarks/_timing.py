"""Timing and recording shared by the benchmark scripts (``from _timing import ...``: run them as scripts)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def best_of(fn: Callable[[], Any], repeat: int, warm_up: bool = False) -> tuple[float, Any]:
    """The best wall time (seconds) of ``repeat`` calls of ``fn`` and the last call's result
    (after one untimed call with ``warm_up``: caches filled, numba compiled)."""
    if warm_up:
        fn()
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """The result of one call ``fn(*args, **kwargs)`` and its wall time (seconds)."""
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def record(out: Path, lines: list[str], separator: str = "\n") -> None:
    """Print the result lines and append them, then ``separator``, to the benchmark's record ``out``."""
    text = "\n".join(lines)
    print(text)
    with out.open("a", encoding="utf-8") as fh:
        fh.write(text + separator)
