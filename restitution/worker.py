"""Where a batch's sessions run: N local worker processes (one at least), or a Dask cluster.

`process(job)` runs one session in whichever process it lands in; the runners hand jobs to
those processes and yield each session's `Outcome` as it finishes. The session's books (lock,
markers, log) are `run_session`'s business (bookkeeping.py), except when a worker dies: then
the batch records how (`death`), since the worker cannot.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .bookkeeping import LOG_NAME, failure_message, options_hash, record_failure
from .errors import OutputError, RestitutionError
from .interrupt import Terminated, on_sigterm
from .lock import SessionLocked, session_lock
from .options import PipelineOptions
from .pipeline import STAGE_NAMES, outputs_stale, run_session
from .sessions import source_name
from .types import Hook, Session

log = logging.getLogger("restitution")

# emit(session_id, step, completed, total): a worker's stage events, back to the parent's hook.
Emit = Callable[[str, str, "float | None", "float | None"], None]


@dataclass(frozen=True)
class Job:
    """One session to run, with everything a worker on another host needs (absolute paths)."""

    session: Session
    options: PipelineOptions
    out_dir: Path
    inputs: dict[str, list[int]]  # path -> [size, mtime_ns] of recording, agenda, session.toml
    reason: str  # "new", "resume (3 cached stages)", "retry", "inputs changed", ...


@dataclass(frozen=True)
class Outcome:
    id: str
    folder: Path
    status: str  # "processed" | "skipped" | "failed" | "planned" (dry run)
    reason: str = ""  # why skipped or planned; the error when failed
    stage: str | None = None  # the stage that failed
    log: Path | None = None
    audio_seconds: float = 0.0
    seconds: float = 0.0  # wall time spent on the session


# --- one session, in whichever process runs it ---------------------------------------------


class _StageHook:
    """The pipeline's hook in a worker: remembers the stage, forwards events, throttled."""

    def __init__(self, session_id: str, emit: Emit | None):
        self.session_id = session_id
        self.emit = emit
        self.stage = "prepare"
        self._last = 0.0

    def __call__(
        self, step: str, artifact: Any = None, *, completed: float | None = None, total: float | None = None
    ) -> None:
        changed = step in STAGE_NAMES and step != self.stage
        if changed:
            self.stage = step
        if self.emit is None:
            return
        now = time.monotonic()
        if changed or (step == self.stage and now - self._last >= 0.5):
            self._last = now
            self.emit(self.session_id, self.stage, completed, total)


def process(job: Job, emit: Emit | None = None) -> Outcome:
    """Run one session; never raises for a session's own failure, which run_session recorded."""
    session, options, out_dir = job.session, job.options, job.out_dir
    hook = _StageHook(session.id, emit)
    start = time.monotonic()
    log_path = out_dir / LOG_NAME

    def outcome(status: str, reason: str = "", stage: str | None = None, audio: float = 0.0) -> Outcome:
        where = session.folder or session.recording
        written = log_path if status != "skipped" and log_path.is_file() else None
        return Outcome(session.id, where, status, reason, stage, written, audio, time.monotonic() - start)

    # Planned as stale, but another batch may have completed it since. Checked without the lock:
    # should that other run finish in the instant between here and the lock, this one only
    # reuses its cached stages.
    if outputs_stale(session, options) is None:
        return outcome("skipped", "completed by another run meanwhile")
    try:
        if emit is not None:
            emit(session.id, hook.stage, None, None)
        result = run_session(session, options, hook, inputs=job.inputs)
    except SessionLocked as e:
        return outcome("skipped", str(e))
    except Exception as e:  # per-session isolation: recorded by run_session, and the batch goes on
        return outcome("failed", failure_message(e), hook.stage)
    return outcome("processed", job.reason, audio=result.audio.duration)


def die_with_parent() -> None:
    """Linux: SIGKILL this helper process when the batch process dies, so a killed batch leaves
    no orphan still holding a session lock (the restarted batch would find it "being processed")."""
    import ctypes
    import signal

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGKILL)


def serve(conn: Any) -> None:
    """A local worker process: run the jobs the batch sends over `conn` until it sends None.

    Stage events and outcomes go back over the same pipe. A worker killed mid-send only breaks
    its own pipe, which the batch reads as that worker's death.
    """
    die_with_parent()
    on_sigterm()
    logger = logging.getLogger("restitution")
    logger.propagate = False  # records go to run.log, not over the parent's progress display

    def emit(sid: str, step: str, completed: float | None, total: float | None) -> None:
        conn.send(("event", sid, step, completed, total))

    try:
        while (job := conn.recv()) is not None:
            conn.send(("outcome", process(job, emit)))
    except KeyboardInterrupt as e:  # the stage was abandoned and the lock released on the way here
        # End by that signal, quietly: the batch tells a session interrupted from one that failed.
        sig = signal.SIGTERM if isinstance(e, Terminated) else signal.SIGINT
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)


DASK_TOPIC = "restitution-progress"


def dask_task(job: Job) -> Outcome:
    from distributed import get_worker

    worker = get_worker()

    def emit(sid: str, step: str, completed: float | None, total: float | None) -> None:
        # Dask's events must be msgpack-able: a dict of plain values (stages report numpy floats).
        def plain(value: float | None) -> float | None:
            return None if value is None else float(value)

        worker.log_event(
            DASK_TOPIC, {"session": sid, "step": step, "completed": plain(completed), "total": plain(total)}
        )

    return process(job, emit)


# --- runners: each yields outcomes as sessions finish -----------------------------------------


_CRASHES = {"SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGABRT"}


def death(exitcode: int | None) -> str:
    """Why a worker process ended, for the session it was running."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        if name in _CRASHES:
            return f"its worker process crashed ({name}, in native code: a decoder or model library)"
        if name == "SIGKILL":
            return "its worker process was killed (SIGKILL: out of memory, or killed by hand)"
        return f"its worker process was killed by {name}"
    return f"its worker process exited with status {exitcode} before the session ended"


def _lost(job: Job, why: str, stage: str | None) -> Outcome:
    """A session whose worker vanished: record it as the worker itself could not, under the
    session's lock (the dead worker's flock is gone, so its stale `.lock` is taken and removed)."""
    log_path = job.out_dir / LOG_NAME
    try:
        with session_lock(job.out_dir):
            with open(log_path, "a", encoding="utf-8") as f:
                f.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} ERROR {job.session.id} failed at {stage}: {why}\n")
            hashed, source = options_hash(job.options), source_name(job.session)
            record_failure(job.out_dir, job.inputs, hashed, why, stage, log_path, source)
    except SessionLocked:
        pass  # another run took the session over meanwhile: its books are its own
    except (OutputError, OSError) as e:
        log.error("cannot record the failure of %s: %s", job.session.id, e)
    written = log_path if log_path.is_file() else None
    return Outcome(job.session.id, job.session.folder or job.session.recording, "failed", why, stage, written)


@dataclass
class _Worker:
    process: Any  # multiprocessing.Process
    conn: Any  # our end of its pipe
    job: Job | None = None
    stage: str | None = None

    def give(self, job: Job | None) -> None:
        self.job, self.stage = job, None
        self.conn.send(job)


def run_pool(jobs: list[Job], workers: int, hook: Hook) -> Iterator[Outcome]:
    """Run `jobs` in `workers` local processes (one at least: a session never runs in the batch's
    own process, so a native crash, a signal or memory exhaustion ends only its session)."""
    import multiprocessing
    from collections import deque
    from multiprocessing.connection import wait

    # spawn: a fresh interpreter per worker (no forked model or lock state); each worker loads
    # the Whisper model once, on its first session, and keeps it for the next ones.
    ctx = multiprocessing.get_context("spawn")
    pending = deque(jobs)
    busy: list[_Worker] = []

    def start() -> _Worker:
        ours, theirs = ctx.Pipe()
        proc = ctx.Process(target=serve, args=(theirs,), daemon=True)
        proc.start()
        theirs.close()
        return _Worker(proc, ours)

    def read(worker: _Worker) -> Outcome | None:
        """Handle what the worker sent; its outcome when the session ended, raise EOFError when it died."""
        while worker.conn.poll():
            message = worker.conn.recv()
            if message[0] == "outcome":
                outcome: Outcome = message[1]
                return outcome
            _, sid, step, completed, total = message
            worker.stage = step
            hook(step, sid, completed=completed, total=total)
        return None

    try:
        while pending or busy:
            while pending and len(busy) < workers:
                worker = start()
                worker.give(pending.popleft())
                busy.append(worker)
            wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=1.0)
            for worker in list(busy):
                assert worker.job is not None
                try:
                    outcome = read(worker)
                except (EOFError, OSError):
                    outcome = None
                    worker.process.join(5)
                if outcome is not None:
                    yield outcome
                    job = pending.popleft() if pending else None
                    try:
                        worker.give(job)
                    except OSError:  # it died just after its outcome: the job goes to a new worker
                        if job is not None:
                            pending.appendleft(job)
                    else:
                        if job is not None:
                            continue
                    worker.process.join(30)
                elif worker.process.is_alive():
                    continue
                else:
                    worker.process.join()
                    yield _lost(worker.job, death(worker.process.exitcode), worker.stage)
                busy.remove(worker)
                worker.conn.close()
    finally:
        # Interrupted (Ctrl-C, SIGTERM) or done: the workers abandon their stage as the batch does,
        # releasing their session locks, then go.
        for worker in busy:
            if worker.process.is_alive():
                worker.process.terminate()
        for worker in busy:
            worker.process.join(30)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()


def run_dask(jobs: list[Job], scheduler: str, hook: Hook) -> Iterator[Outcome]:
    import queue as queue_mod
    import uuid

    try:
        from distributed import Client, as_completed
    except ImportError:
        raise RestitutionError("--scheduler needs Dask: pip install dask distributed") from None
    try:
        client = Client(scheduler, timeout="20s")
    except (OSError, TimeoutError) as e:
        raise RestitutionError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
    events: queue_mod.Queue[Any] = queue_mod.Queue()
    try:
        client.subscribe_topic(DASK_TOPIC, lambda event: events.put(event[1]))
        futures = {}
        for job in jobs:
            # pure=False and a unique key: a rerun must run again, not fetch the old result.
            key = f"restitution-{job.session.id}-{uuid.uuid4().hex[:8]}"
            futures[client.submit(dask_task, job, key=key, pure=False, retries=0)] = job
        finished = as_completed(list(futures))
        while not finished.is_empty():
            for future in finished.next_batch(block=False) if finished.has_ready() else []:
                job = futures[future]
                try:
                    yield future.result()
                except Exception as e:  # a worker died or the cluster lost the task
                    yield _lost(job, f"the Dask task failed: {type(e).__name__}: {e}", None)
            while True:
                try:
                    event = events.get(timeout=0.2)
                except queue_mod.Empty:
                    break
                hook(event["step"], event["session"], completed=event["completed"], total=event["total"])
    finally:
        client.close()
