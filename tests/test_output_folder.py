"""The output folder is written whole or not at all: lock, interrupt, kill, stale files, checksums."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import vagg
from vagg._outdir import OutputFolder, checksums
from vagg.cli import main

HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from vagg._outdir import OutputFolder
    target = Path(sys.argv[1])
    with OutputFolder(target) as tmp:
        (tmp / "half.png").write_bytes(b"partial")
        Path(sys.argv[2]).write_text("ready")
        time.sleep(60)
""")


def _previous(target: Path) -> dict[str, str]:
    folder = OutputFolder(target)
    with folder as tmp:
        (tmp / "report.html").write_text("complete")
        (tmp / "old_only.csv").write_text("stale")
        folder.commit()
    return checksums(target)


def _start_holder(tmp_path: Path, target: Path) -> subprocess.Popen:
    ready = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(target), str(ready)], env=os.environ.copy())
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert proc.poll() is None, "holder died"
        assert time.monotonic() < deadline, "holder never got the lock"
        time.sleep(0.05)
    return proc


def test_rerun_replaces_the_folder_and_checksums_list_exactly_the_files(tmp_path):
    target = tmp_path / "out"
    _previous(target)
    folder = OutputFolder(target)
    with folder as tmp:
        (tmp / "report.html").write_text("new")
        (tmp / "tables").mkdir()
        (tmp / "tables" / "a.csv").write_text("1")
        folder.commit()
    sums = checksums(target)
    assert sums == {"report.html": hashlib.sha256(b"new").hexdigest(), "tables/a.csv": hashlib.sha256(b"1").hexdigest()}
    assert not (target / "old_only.csv").exists()  # no stale file of the earlier run
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temp folder, no lock


def test_error_inside_leaves_the_previous_result(tmp_path):
    target = tmp_path / "out"
    before = _previous(target)
    with pytest.raises(KeyboardInterrupt):
        with OutputFolder(target) as tmp:
            (tmp / "report.html").write_text("half")
            raise KeyboardInterrupt
    assert checksums(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_swallowed_ctrl_c_still_stops_the_commit(tmp_path):
    """Ctrl-C during a finaliser (numba's, seen in ``vagg demo``) prints "Exception ignored" and the run
    goes on; the folder remembers the signal and refuses to commit, so the previous result stays."""
    target = tmp_path / "out"
    before = _previous(target)
    folder = OutputFolder(target)
    with pytest.raises(KeyboardInterrupt):
        with folder as tmp:
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1.0)  # the handler raises here
            except KeyboardInterrupt:
                pass  # swallowed, as an exception inside __del__ is
            (tmp / "report.html").write_text("finished after the interrupt")
            folder.commit()
    assert checksums(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored on exit
    # a folder opened afterwards starts without the memory of that interrupt
    assert _previous(target) == before


def test_nested_and_overlapping_folders_all_remember_a_swallowed_ctrl_c(tmp_path):
    def swallowed_interrupt() -> None:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1.0)
        except KeyboardInterrupt:
            pass

    outer_target, inner_target = tmp_path / "outer", tmp_path / "inner"
    before = {"outer": _previous(outer_target), "inner": _previous(inner_target)}
    outer, inner = OutputFolder(outer_target), OutputFolder(inner_target)
    with outer:  # nested
        with inner:
            swallowed_interrupt()
            with pytest.raises(KeyboardInterrupt):
                inner.commit()
        with pytest.raises(KeyboardInterrupt):
            outer.commit()
    first, second = OutputFolder(outer_target), OutputFolder(inner_target)
    first.__enter__()  # overlapping: the first closes before the interrupt
    second.__enter__()
    first.__exit__(None, None, None)
    swallowed_interrupt()
    with pytest.raises(KeyboardInterrupt):
        second.commit()
    second.__exit__(None, None, None)
    assert {"outer": checksums(outer_target), "inner": checksums(inner_target)} == before
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with outer as tmp:  # the same object reused for a new run starts afresh
        (tmp / "report.html").write_text("new")
        outer.commit()
    assert (outer_target / "report.html").read_text() == "new"


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_writer_leaves_previous_result_and_next_run_cleans_up(tmp_path, sig):
    target = tmp_path / "out"
    before = _previous(target)
    proc = _start_holder(tmp_path, target)
    proc.send_signal(sig)
    proc.wait(timeout=30)
    assert checksums(target) == before  # the previous complete result, untouched
    folder = OutputFolder(target)  # the dead process's lock and temp folder are taken over and removed
    with folder as tmp:
        (tmp / "report.html").write_text("next")
        folder.commit()
    assert checksums(target) == {"report.html": hashlib.sha256(b"next").hexdigest()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "ready"]


def test_second_run_into_the_same_folder_is_refused_or_waits(tmp_path):
    target = tmp_path / "out"
    proc = _start_holder(tmp_path, target)
    try:
        with pytest.raises(vagg.SpecificationError, match=rf"another vagg run \(process {proc.pid}\) is writing"):
            with OutputFolder(target, wait=0.3):
                pass
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert not target.exists()  # the killed first run left nothing


@pytest.mark.parametrize("kind", ["file in the way", "parent is a file", "read-only parent"])
def test_unwritable_output_is_one_line(tmp_path, kind):
    config = tmp_path / "study" / "analysis.toml"
    CliRunner().invoke(main, ["init", str(config.parent)])
    if kind == "file in the way":
        out = tmp_path / "taken"
        out.write_text("x")
        fragment = "is a file"
    elif kind == "parent is a file":
        (tmp_path / "plain").write_text("x")
        out = tmp_path / "plain" / "out"
        fragment = "is a file, not a folder"
    elif os.geteuid() == 0:  # root ignores directory permissions: a place no one can create folders in
        out = Path("/proc/vagg-output-test")
        fragment = "permission denied"
    else:
        parent = tmp_path / "ro"
        parent.mkdir()
        parent.chmod(0o500)
        out = parent / "out"
        fragment = "permission denied"
    result = CliRunner().invoke(main, ["run", str(config), "--out", str(out), "--quiet"])
    assert result.exit_code == 2 and fragment in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.slow
def test_ctrl_c_during_vagg_demo_leaves_previous_result(tmp_path):
    # a real run interrupted mid-stage: SIGINT (Ctrl-C) once the first stage is under way
    target = tmp_path / "demo"
    before = _previous(target)
    proc = subprocess.Popen([sys.executable, "-m", "vagg.cli", "demo", "--out", str(target)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    for line in proc.stdout:
        if "evolution" in line:
            break
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert checksums(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_manifest_checksums_match_the_files(tmp_path):
    # the demo's manifest is checked in test_pipeline; here the rule on a tiny folder through run_pipeline's helper
    target = tmp_path / "out"
    folder = OutputFolder(target)
    with folder as tmp:
        (tmp / "a.txt").write_text("a")
        manifest = {"files": {**checksums(tmp), "manifest.json": None}}
        (tmp / "manifest.json").write_text(json.dumps(manifest))
        folder.commit()
    listed = json.loads((target / "manifest.json").read_text())["files"]
    assert set(listed) == {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}
    assert listed["a.txt"] == hashlib.sha256(b"a").hexdigest()


def test_vagg_run_into_a_folder_in_use_is_refused_in_one_line(tmp_path):
    config = tmp_path / "study" / "analysis.toml"
    CliRunner().invoke(main, ["init", str(config.parent)])
    target = tmp_path / "out"
    proc = _start_holder(tmp_path, target)
    try:
        result = CliRunner().invoke(main, ["run", str(config), "--out", str(target), "--quiet", "--wait", "0.2"])
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert result.exit_code == 2, result.output
    assert f"another vagg run (process {proc.pid}) is writing into {target}" in result.output
    assert "Traceback" not in result.output
