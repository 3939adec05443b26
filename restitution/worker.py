"""Where a batch's sessions run: this process, N local worker processes, or a Dask cluster.

`process(job)` runs one session in whichever process it lands in; the runners hand jobs to
those processes and yield each session's `Outcome` as it finishes. The session's books (lock,
markers, log) are `run_session`'s business (bookkeeping.py).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .bookkeeping import LOG_NAME, failure_message, options_hash, record_failure
from .errors import RestitutionError
from .lock import SessionLocked
from .options import PipelineOptions
from .pipeline import STAGE_NAMES, outputs_stale, run_session
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


# Set in each local worker process by `init_worker`.
_worker_emit: Emit | None = None


def init_worker(queue: Any) -> None:
    global _worker_emit
    die_with_parent()
    logger = logging.getLogger("restitution")
    logger.propagate = False  # records go to run.log, not over the parent's progress display
    _worker_emit = lambda *event: queue.put(event)  # noqa: E731


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


def pool_task(job: Job) -> Outcome:
    return process(job, _worker_emit)


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


def run_here(jobs: list[Job], hook: Hook) -> Iterator[Outcome]:
    def emit(sid: str, step: str, completed: float | None, total: float | None) -> None:
        hook(step, sid, completed=completed, total=total)

    for job in jobs:
        yield process(job, emit)


def _lost(job: Job, why: str) -> Outcome:
    """A session whose worker vanished: record it as the worker itself could not."""
    record_failure(job.out_dir, job.inputs, options_hash(job.options), why, None, job.out_dir / LOG_NAME)
    return Outcome(
        job.session.id, job.session.folder or job.session.recording, "failed", why, None, job.out_dir / LOG_NAME
    )


def _drain(queue: Any, hook: Hook) -> None:
    import queue as queue_mod

    while True:
        try:
            sid, step, completed, total = queue.get_nowait()
        except (queue_mod.Empty, EOFError, OSError):
            return
        hook(step, sid, completed=completed, total=total)


def run_pool(jobs: list[Job], workers: int, hook: Hook) -> Iterator[Outcome]:
    import multiprocessing
    from collections import deque
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing.managers import SyncManager

    # spawn: a fresh interpreter per worker (no forked model or lock state); each worker loads
    # the Whisper model once, on its first session, and keeps it for the next ones.
    ctx = multiprocessing.get_context("spawn")
    pending = deque(jobs)
    # A manager queue survives a worker killed mid-put; the manager, too, dies with the batch.
    manager = SyncManager(ctx=ctx)
    manager.start(die_with_parent)
    with manager:
        events = manager.Queue()
        pool: ProcessPoolExecutor | None = None
        running: dict[Any, Job] = {}
        try:
            while pending or running:
                if pool is None:
                    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=init_worker, initargs=(events,))
                # Never more in flight than workers: a worker that dies takes only its own sessions.
                while pending and len(running) < workers:
                    job = pending.popleft()
                    running[pool.submit(pool_task, job)] = job
                done, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(events, hook)
                broken = False
                for future in done:
                    job = running.pop(future)
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        broken = True
                        yield _lost(job, "its worker process died (killed, or out of memory)")
                if broken:
                    pool.shutdown(wait=True, cancel_futures=True)
                    pool = None
            _drain(events, hook)
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)


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
                    yield _lost(job, f"the Dask task failed: {type(e).__name__}: {e}")
            while True:
                try:
                    event = events.get(timeout=0.2)
                except queue_mod.Empty:
                    break
                hook(event["step"], event["session"], completed=event["completed"], total=event["total"])
    finally:
        client.close()
