"""Session and index locks, against real other processes (alive, killed, racing)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from restitution.lock import SessionLocked, index_lock, session_lock

HOLD = """
import sys, time
from pathlib import Path
from restitution.lock import session_lock
with session_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(120)
"""


def hold_in_child(out_dir: Path) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(out_dir)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "locked"
    return child


def test_lock_records_holder_and_cleans_up(tmp_path: Path) -> None:
    out = tmp_path / "outputs" / "s1"
    with session_lock(out) as path:
        holder = json.loads(path.read_text())
        assert holder["pid"] == os.getpid()
        assert holder["host"] and holder["started"]
    assert not path.exists()
    assert not out.exists(), "a folder the lock created and nobody wrote into must not be left behind"


def test_lock_keeps_an_existing_folder_and_its_files(tmp_path: Path) -> None:
    out = tmp_path / "s1"
    with session_lock(out):
        (out / "session.json").write_text("{}")
    assert (out / "session.json").is_file()
    assert not (out / ".lock").exists()


def test_live_holder_refuses_a_second_process(tmp_path: Path) -> None:
    out = tmp_path / "s1"
    child = hold_in_child(out)
    try:
        with pytest.raises(SessionLocked, match=rf"session s1 is being processed by pid {child.pid}"):
            with session_lock(out):
                pass
        assert (out / ".lock").is_file(), "a refused run must not remove the holder's lock"
    finally:
        child.kill()
        child.wait()


def test_lock_of_a_killed_process_is_taken_over(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    out = tmp_path / "s1"
    child = hold_in_child(out)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert json.loads((out / ".lock").read_text())["pid"] == child.pid, "SIGKILL leaves the file behind"
    with caplog.at_level(logging.WARNING, logger="restitution"):
        with session_lock(out) as path:
            assert json.loads(path.read_text())["pid"] == os.getpid()
    assert f"stale lock left by pid {child.pid}" in caplog.text


def test_lock_file_naming_a_dead_pid_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "s1"
    out.mkdir()
    (out / ".lock").write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename, "started": "x"}))
    with session_lock(out) as path:
        assert json.loads(path.read_text())["pid"] == os.getpid()


def test_a_second_lock_in_the_same_process_is_refused(tmp_path: Path) -> None:
    # Dask runs sessions in threads of one worker process: they must not share a session.
    out = tmp_path / "s1"
    with session_lock(out) as held:
        with pytest.raises(SessionLocked, match=rf"being processed by pid {os.getpid()}"):
            with session_lock(out):
                pass
        assert held.exists(), "a refused attempt must not release the holder's lock"
    assert not held.exists()


def test_after_release_another_process_can_lock(tmp_path: Path) -> None:
    out = tmp_path / "s1"
    with session_lock(out):
        pass
    child = hold_in_child(out)
    child.kill()
    child.wait()


WRITER = """
import sys, time
from pathlib import Path
from restitution.lock import index_lock
log = Path(sys.argv[2])
for _ in range(3):
    with index_lock(Path(sys.argv[1])):
        with open(log, "a") as f:
            f.write(f"start {sys.argv[3]}\\n")
        time.sleep(0.05)
        with open(log, "a") as f:
            f.write(f"end {sys.argv[3]}\\n")
"""


def test_index_lock_serializes_writers(tmp_path: Path) -> None:
    index = tmp_path / "index.sqlite"
    journal = tmp_path / "journal.txt"
    children = [subprocess.Popen([sys.executable, "-c", WRITER, str(index), str(journal), name]) for name in "abc"]
    for child in children:
        assert child.wait(timeout=60) == 0
    records = journal.read_text().splitlines()
    assert len(records) == 18
    for start, end in zip(records[0::2], records[1::2]):
        assert start.startswith("start ") and end == "end " + start.split()[1], (
            "two writers were inside the lock at once"
        )
    assert (tmp_path / "index.sqlite.lock").exists()


class _Release(logging.Handler):
    """Tells the holder to let go once the lock says it is waiting: an event, not a delay."""

    def __init__(self, holder: subprocess.Popen) -> None:
        super().__init__()
        self.holder = holder
        self.sent = False

    def emit(self, record: logging.LogRecord) -> None:
        if "waiting for another process" in record.getMessage():
            self.release()

    def release(self) -> None:
        if not self.sent and self.holder.stdin is not None:
            self.sent = True
            self.holder.stdin.write("go\n")
            self.holder.stdin.flush()


def test_index_lock_waits_for_the_holder(tmp_path: Path) -> None:
    index = tmp_path / "index.sqlite"
    journal = tmp_path / "journal.txt"
    # The holder writes the journal just before it lets go, and only once told to; we tell it
    # when our index_lock reports that it waits. Had we got in while it held the lock, the
    # journal would not exist yet.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\nfrom pathlib import Path\nfrom restitution.lock import index_lock\n"
            "with index_lock(Path(sys.argv[1])):\n    print('in', flush=True)\n    sys.stdin.readline()\n"
            "    Path(sys.argv[2]).write_text('released')\n",
            str(index),
            str(journal),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "in"
    release = _Release(holder)
    logger = logging.getLogger("restitution")
    logger.addHandler(release)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        with index_lock(index):
            assert release.sent, "index_lock did not wait for the holder"
            assert journal.read_text() == "released"
    finally:
        logger.removeHandler(release)
        logger.setLevel(old_level)
        release.release()
        holder.wait(timeout=60)
    assert holder.returncode == 0
