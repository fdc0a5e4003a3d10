"""An output folder that is written whole or not at all.

:class:`OutputFolder` takes a lock next to the target folder, lets a run write
into a temporary folder beside it (same file system), and at the end swaps
it into place.  So

- a second run into the same folder waits for the lock, then refuses, naming
  the process that holds it (a lock left by a killed process is taken over);
- an error, Ctrl-C or a kill leaves the previous complete folder (or none),
  never a half-written file; leftovers of a killed run are removed by the next;
- a Ctrl-C is remembered while the folder is open: if its KeyboardInterrupt is
  swallowed (raised inside a finaliser, ``Exception ignored in ... __del__``,
  as numba's can be) :meth:`OutputFolder.commit` raises it again instead of
  committing, so an interrupted run never replaces the previous result;
- a rerun leaves no stale files of an earlier run (the folder is replaced);
- :func:`checksums` lists exactly the files present, with their SHA-256.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import threading
import time
from pathlib import Path

from vagg._errors import SpecificationError

_POLL_SECONDS = 0.2


def _alive(pid: int) -> bool:
    """Whether a process runs (portable: ``os.kill(pid, 0)`` would terminate it on Windows)."""
    import psutil

    return pid > 0 and psutil.pid_exists(pid)


def _pid_of(path: Path) -> int:
    try:
        return int(path.read_text().strip() or 0)
    except (OSError, ValueError):
        return 0


def check_target(target: Path) -> None:
    """Refuse, in one line, an output path that is a file or a folder that cannot be written."""
    if target.exists() and not target.is_dir():
        raise SpecificationError(f"output folder {target} is a file; remove it or choose another folder")
    parent = target.parent
    existing = parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise SpecificationError(f"output folder {target}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise SpecificationError(f"output folder {target}: cannot write into {existing} (permission denied)")
    if target.is_dir() and not os.access(target, os.W_OK | os.X_OK):
        raise SpecificationError(f"output folder {target} is read-only; choose another folder")


class OutputFolder:
    """Context manager: ``with OutputFolder(target) as tmp: write into tmp; then commit()``.

    Parameters
    ----------
    target
        The folder the run produces.
    wait
        Seconds to wait for another run's lock before refusing.
    """

    def __init__(self, target: str | os.PathLike[str], wait: float = 0.0) -> None:
        self.target = Path(target).absolute()
        self.wait = wait
        self.lock = self.target.parent / f".{self.target.name}.vagg-lock"
        self.tmp = self.target.parent / f".{self.target.name}.vagg-tmp-{os.getpid()}"
        self.committed = False
        self._locked = False
        self.interrupted = False

    def _acquire(self) -> None:
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fd = os.open(self.lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except (FileNotFoundError, PermissionError) as exc:  # a parent no one may write into (/proc, /sys)
                raise SpecificationError(f"output folder {self.target}: cannot write into {self.target.parent} "
                                         f"(permission denied: {exc.strerror})") from None
            except FileExistsError:
                holder = _pid_of(self.lock)
                if not _alive(holder):
                    self.lock.unlink(missing_ok=True)  # left by a killed run
                    continue
                if time.monotonic() >= deadline:
                    raise SpecificationError(
                        f"another vagg run (process {holder}) is writing into {self.target}; wait for it to "
                        "finish or choose another output folder") from None
                time.sleep(_POLL_SECONDS)
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(str(os.getpid()))
            self._locked = True
            return

    def _remove_leftovers(self) -> None:
        prefix = f".{self.target.name}.vagg-"
        for path in self.target.parent.glob(f"{prefix}*"):
            if path == self.lock:
                continue
            pid = path.name.rsplit("-", 1)[-1]
            if pid.isdigit() and (not _alive(int(pid)) or int(pid) == os.getpid()):
                shutil.rmtree(path, ignore_errors=True)

    def __enter__(self) -> Path:
        check_target(self.target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self._acquire()
        try:
            self._remove_leftovers()
            self.tmp.mkdir()
        except BaseException:
            self._release()
            raise
        self.interrupted = False
        _Interrupts.open(self)
        return self.tmp

    def commit(self) -> None:
        """Swap the finished temporary folder into place (the old folder is removed).

        Raises KeyboardInterrupt instead when a Ctrl-C came while the folder
        was open, even if its exception was swallowed on the way.
        """
        if self.interrupted:
            raise KeyboardInterrupt
        old = self.target.parent / f".{self.target.name}.vagg-old-{os.getpid()}"
        if self.target.exists():
            os.replace(self.target, old)
        os.replace(self.tmp, self.target)
        shutil.rmtree(old, ignore_errors=True)
        self.committed = True

    def _release(self) -> None:
        if self._locked:
            self.lock.unlink(missing_ok=True)
            self._locked = False

    def __exit__(self, *exc: object) -> None:
        try:
            if not self.committed:
                shutil.rmtree(self.tmp, ignore_errors=True)
        finally:
            self._release()
            _Interrupts.close(self)


class _Interrupts:
    """One SIGINT handler while any output folder is open: it marks every open folder, then raises.

    Installed (main thread only, and only over Python's default handler) when
    the first folder opens and removed when the last closes, so nested and
    overlapping folders all remember a Ctrl-C.
    """

    folders: list[OutputFolder] = []
    installed = False

    @classmethod
    def open(cls, folder: OutputFolder) -> None:
        cls.folders.append(folder)
        if (not cls.installed and threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            signal.signal(signal.SIGINT, cls._handler)
            cls.installed = True

    @classmethod
    def close(cls, folder: OutputFolder) -> None:
        cls.folders = [f for f in cls.folders if f is not folder]
        if cls.installed and not cls.folders and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.default_int_handler)
            cls.installed = False

    @classmethod
    def _handler(cls, signum: int, frame: object) -> None:
        for folder in cls.folders:
            folder.interrupted = True
        raise KeyboardInterrupt


def checksums(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``folder`` (sorted), except ``skip``."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name not in skip:
            out[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out
