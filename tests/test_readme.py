"""Every code block of the README runs verbatim.

Python blocks run one after another, each in its own interpreter, in one
temporary folder (a later block may read a file an earlier one wrote); shell
blocks run there with ``bash``.  The two set-up commands (``pip install ...``)
are not run here, inside the test run they set up: ``.ci/run`` runs both, each
in a fresh virtual environment, and this test checks that it runs them
verbatim.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```", README, flags=re.S | re.M)
SETUP = [line for lang, code in BLOCKS if lang == "bash" for line in code.splitlines()
         if line.startswith("pip install")]


def test_the_readme_has_the_two_setup_commands_and_ci_runs_them_verbatim() -> None:
    assert len(SETUP) == 2, SETUP
    assert "vagg demo" in SETUP[0] and "pytest" in SETUP[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    for command in SETUP:
        assert any(line.strip() == command for line in ci), f".ci/run does not run {command!r} verbatim"


@pytest.mark.slow
def test_every_code_block_runs(tmp_path: Path) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    runnable = [(lang, code) for lang, code in BLOCKS if lang in ("python", "bash")]
    assert len(runnable) >= 4
    for lang, code in runnable:
        if lang == "bash":
            code = "\n".join(line for line in code.splitlines() if line not in SETUP)
            if not code.strip():
                continue
            cmd = ["bash", "-euo", "pipefail", "-c", code]
        else:
            cmd = [sys.executable, "-c", code]
        done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"README block failed:\n{code}\n--- stderr ---\n{done.stderr[-3000:]}"
