"""Locks that keep two processes from writing the same thing at once.

`session_lock(out_dir)`: `outputs/<id>/.lock`, created with O_EXCL and holding who took it
(pid, host, start time) for the error message. The real guard is `fcntl.flock` on that file:
the kernel drops it when its holder dies, even by SIGKILL, so a lock whose flock can be taken
is stale whatever the file says, and is taken over.

`index_lock(index_path)`: `<index>.lock`, flock'd around every write to the archive's index, so
that batch workers (local processes or Dask workers on one shared filesystem) index one at a time.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import OutputError

log = logging.getLogger("restitution")

LOCK_NAME = ".lock"


class SessionLocked(OutputError):
    """Another live process holds the session's lock."""


def _holder_info() -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 4096).decode("utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_holder(fd: int) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, (json.dumps(_holder_info()) + "\n").encode("utf-8"))
    os.fsync(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, belongs to someone else
    return True


def _describe(holder: dict[str, Any]) -> str:
    pid = holder.get("pid", "?")
    host = holder.get("host")
    where = f" on {host}" if host and host != socket.gethostname() else ""
    since = f" since {holder['started']}" if holder.get("started") else ""
    return f"pid {pid}{where}{since}"


def _flock(fd: int) -> bool:
    """Try to take the flock; True if taken, False if a live holder has it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    except OSError as e:
        if e.errno != errno.ENOLCK:
            raise
    # No flock on this filesystem: fall back on the pid, which only this host can check.
    holder = _read_holder(fd)
    if not holder:
        return True
    if holder.get("host") == socket.gethostname():
        return not _pid_alive(int(holder.get("pid", 0)))
    return False


def _acquire(path: Path, session_id: str) -> int:
    for _ in range(20):  # only loops when a holder removes its file between our open and our flock
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o644)
            fresh = True
        except FileExistsError:
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:
                continue
            fresh = False
        try:
            if not _flock(fd):
                raise SessionLocked(f"session {session_id} is being processed by {_describe(_read_holder(fd))}", path)
            try:
                same_file = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same_file = False
            if not same_file:
                os.close(fd)
                continue
            holder = _read_holder(fd)
            if not fresh and holder:
                log.warning("session %s: taking over a stale lock left by %s", session_id, _describe(holder))
            _write_holder(fd)
            return fd
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            raise
    raise SessionLocked(f"session {session_id}: its lock file keeps changing under us", path)


@contextlib.contextmanager
def session_lock(out_dir: Path) -> Iterator[Path]:
    """Hold `out_dir/.lock` for the duration; raise SessionLocked if a live process holds it.

    Not re-entrant: only `run_session` takes it, once per run. A folder this lock had to
    create, and that is still empty when it is released, is removed again, so a refused input
    leaves nothing under outputs/.
    """
    out_dir = Path(out_dir)
    path = out_dir / LOCK_NAME
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create the session folder: {e.strerror or e}", out_dir) from None
    try:
        fd = _acquire(path, out_dir.name)
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                out_dir.rmdir()
        raise
    try:
        yield path
    finally:
        # Unlink while still holding the flock: a waiter that opened the old file sees the
        # inode change and retries on a new one.
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)
        if created:
            with contextlib.suppress(OSError):
                out_dir.rmdir()  # only succeeds when nothing else was written


@contextlib.contextmanager
def index_lock(index_path: Path) -> Iterator[None]:
    """Serialize writers of one index across processes and hosts sharing the filesystem."""
    path = Path(str(index_path) + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    except OSError as e:
        raise OutputError(f"cannot open the index lock: {e.strerror or e}", path) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("waiting for another process to finish writing %s", index_path)
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
