"""`vagg demo` cold, end to end: the whole analysis on bundled data.

Both demos: the simulated Guangdong panel (every stage, the optional ones
included) and ``--data census`` (the real all-China census report, issue 14).
Target (issue 8): under 60 s each on the 2-core machine.  There is no peer that
runs these pipelines, so the ratio reported is wall time / the 60 s budget; the
cold run includes Python start-up and every import, timed as a subprocess.

Run: python benchmarks/bench_demo.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

BUDGET = 60.0


def main() -> None:
    for data in ("guangdong", "census"):
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "vagg.cli", "demo", "--data", data, "--out", folder, "--quiet"],
                           check=True)
            elapsed = time.perf_counter() - start
        line = (f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC  vagg demo --data {data} cold: {elapsed:.1f} s; "
                f"budget {BUDGET:.0f} s; ratio to budget {elapsed / BUDGET:.2f}")
        print(line)
        with open(Path(__file__).with_suffix(".txt"), "a", encoding="utf-8") as log:
            log.write(line + "\n")


if __name__ == "__main__":
    main()
