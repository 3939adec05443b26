"""Session and index locks, against real other processes (alive, killed, racing)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
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


def test_reentrant_in_one_thread(tmp_path: Path) -> None:
    out = tmp_path / "s1"
    with session_lock(out) as outer:
        with session_lock(out) as inner:
            assert inner == outer
        assert outer.exists(), "leaving the inner block must not release the outer lock"
    assert not outer.exists()


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
    children = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(index), str(journal), name]) for name in "abc"
    ]
    for child in children:
        assert child.wait(timeout=60) == 0
    records = journal.read_text().splitlines()
    assert len(records) == 18
    for start, end in zip(records[0::2], records[1::2]):
        assert start.startswith("start ") and end == "end " + start.split()[1], "two writers were inside the lock at once"
    assert (tmp_path / "index.sqlite.lock").exists()


def test_index_lock_waits_for_the_holder(tmp_path: Path) -> None:
    index = tmp_path / "index.sqlite"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\nfrom restitution.lock import index_lock\n"
            "with index_lock(Path(sys.argv[1])):\n    print('in', flush=True)\n    time.sleep(1.0)\n",
            str(index),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "in"
    t0 = time.monotonic()
    with index_lock(index):
        waited = time.monotonic() - t0
    holder.wait()
    assert waited > 0.5
