"""No unused imports, unused local variables or undefined names in the package, its tests and benchmarks.

Reference: pyflakes (the checker behind flake8's F codes), run on the source tree.
"""

from __future__ import annotations

from pathlib import Path

from pyflakes.api import checkRecursive
from pyflakes.reporter import Reporter

ROOT = Path(__file__).resolve().parents[1]


def test_pyflakes_finds_nothing():
    class Collect(Reporter):
        def __init__(self) -> None:
            self.messages: list[str] = []

        def unexpectedError(self, filename, message) -> None:  # noqa: N802 (pyflakes' API)
            self.messages.append(f"{filename}: {message}")

        def syntaxError(self, filename, msg, lineno, offset, text) -> None:  # noqa: N802
            self.messages.append(f"{filename}:{lineno}: {msg}")

        def flake(self, message) -> None:
            self.messages.append(str(message))

    reporter = Collect()
    checkRecursive([str(ROOT / part) for part in ("vagg", "tests", "benchmarks")], reporter)
    assert reporter.messages == []
