"""One session of a batch, in whichever process runs it: this one, a local worker, a Dask worker.

Also the batch's bookkeeping in `outputs/<id>/.work/`: `done.json` (which audio fingerprint and
options made the outputs there, and which files they are) and `failed.json` (the error, the
stage, the log, and the inputs it failed on, so an unchanged failure is not retried).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .errors import OutputError, RestitutionError
from .files import write_json
from .lock import SessionLocked, session_lock
from .options import PipelineOptions
from .types import Session, SessionResult

log = logging.getLogger("restitution")

# emit(session_id, step, completed, total): a worker's stage events, back to the parent's hook.
Emit = Callable[[str, str, "float | None", "float | None"], None]

DONE = "done.json"
FAILED = "failed.json"
LOG_NAME = "run.log"
STAGE_STEPS = ("decode", "transcribe", "diarize", "offset", "chapters", "speakers", "export", "index")
# Not part of what a session produced: the run's own bookkeeping.
_NOT_OUTPUTS = {LOG_NAME, ".lock"}


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


# --- markers -------------------------------------------------------------------------------


def options_hash(options: PipelineOptions) -> str:
    """What the outputs depend on: every option except where they are written."""
    data = options.to_dict()
    data.pop("outputs", None)
    data.pop("index", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stat_of(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def read_marker(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _outputs(out_dir: Path) -> list[str]:
    return sorted(
        p.relative_to(out_dir).as_posix()
        for p in out_dir.rglob("*")
        if p.is_file()
        and p.name not in _NOT_OUTPUTS
        and not any(part.startswith(".") for part in p.relative_to(out_dir).parts)
    )


def mark_complete(out_dir: Path, result: SessionResult, options: PipelineOptions) -> Path:
    """Write `.work/done.json`: which audio and options made the outputs now in `out_dir`."""
    out_dir = Path(out_dir)
    path = out_dir / ".work" / DONE
    write_json(
        path,
        {
            "sha256": result.audio.sha256,
            "options": options_hash(options),
            "recording": stat_of(result.session.recording),
            "duration": result.audio.duration,
            "session_json": _file_sha256(out_dir / "session.json"),
            "outputs": _outputs(out_dir),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    )
    (out_dir / ".work" / FAILED).unlink(missing_ok=True)
    return path


def is_complete(out_dir: Path, sha256: str | None, options: PipelineOptions, recording: Path | None = None) -> bool:
    """True when `out_dir` holds every output made from this audio with these options.

    `sha256=None` with `recording` trusts the fingerprint in done.json while the recording's
    size and mtime are unchanged, and hashes the file only when they changed. A session.json
    rewritten since (by `restitution run` with other options) makes the session incomplete.
    """
    out_dir = Path(out_dir)
    done = read_marker(out_dir / ".work" / DONE)
    if done is None or done.get("options") != options_hash(options):
        return False
    if sha256 is None:
        if recording is None:
            raise ValueError("is_complete needs the sha256 or the recording")
        sha256 = done.get("sha256") if done.get("recording") == stat_of(recording) else _file_sha256(recording)
    if done.get("sha256") != sha256:
        return False
    try:
        if _file_sha256(out_dir / "session.json") != done.get("session_json"):
            return False
    except OSError:
        return False
    return all((out_dir / name).is_file() for name in done.get("outputs", []))


def record_failure(out_dir: Path, job_inputs: dict[str, list[int]], opts_hash: str | None, error: str, stage: str | None, log_path: Path | None) -> None:
    try:
        write_json(
            out_dir / ".work" / FAILED,
            {
                "error": error,
                "stage": stage,
                "log": str(log_path) if log_path else None,
                "inputs": job_inputs,
                "options": opts_hash,
                "version": __version__,  # an upgrade may fix it: then it is retried
                "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            },
        )
    except RestitutionError as e:
        log.error("cannot record the failure of %s: %s", out_dir.name, e)


# --- per-session log -----------------------------------------------------------------------


class _ThisThread(logging.Filter):
    """Keep another session's records out of this log when a Dask worker runs several threads."""

    def __init__(self) -> None:
        super().__init__()
        self.ident = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread == self.ident


@contextlib.contextmanager
def session_log(out_dir: Path) -> Iterator[Path]:
    """Append the `restitution` logger's INFO records to `out_dir/run.log` meanwhile.

    Handlers already attached (the CLI's console) keep the threshold they had, so the
    console does not get chattier because a file wants everything.
    """
    path = Path(out_dir) / LOG_NAME
    logger = logging.getLogger("restitution")
    try:
        handler = logging.FileHandler(path, mode="a", encoding="utf-8")
    except OSError as e:
        raise OutputError(f"cannot write the log: {e.strerror or e}", path) from None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handler.setLevel(logging.INFO)
    handler.addFilter(_ThisThread())
    effective = logger.getEffectiveLevel()
    raised = [(h, h.level) for h in logger.handlers if h.level < effective]
    for h, _ in raised:
        h.setLevel(effective)
    old_level = logger.level
    logger.setLevel(min(effective, logging.INFO))
    logger.addHandler(handler)
    try:
        log.info("run of %s by pid %d on %s (restitution %s)", Path(out_dir).name, os.getpid(), socket.gethostname(), __version__)
        yield path
    finally:
        logger.removeHandler(handler)
        handler.close()
        logger.setLevel(old_level)
        for h, level in raised:
            h.setLevel(level)


# --- one session, in whichever process runs it ---------------------------------------------


class _StageHook:
    """The pipeline's hook in a worker: remembers the stage, forwards events, throttled."""

    def __init__(self, session_id: str, emit: Emit | None):
        self.session_id = session_id
        self.emit = emit
        self.stage = "prepare"
        self._last = 0.0

    def __call__(self, step: str, artifact: Any = None, *, completed: float | None = None, total: float | None = None) -> None:
        changed = step in STAGE_STEPS and step != self.stage
        if changed:
            self.stage = step
        if self.emit is None:
            return
        now = time.monotonic()
        if changed or (step == self.stage and now - self._last >= 0.5):
            self._last = now
            self.emit(self.session_id, self.stage, completed, total)


def clean_partials(out_dir: Path) -> int:
    """Remove the temporary files (`.<name>.*.part`) of writers that died mid-write.

    Only safe under the session lock: then no live writer owns any of them.
    """
    removed = 0
    for path in Path(out_dir).rglob(".*.part"):
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    return removed


def process(job: Job, emit: Emit | None = None) -> Outcome:
    """Run one session under its lock and log; never raises for a session's own failure."""
    from .pipeline import run_session
    from .transcribe import get_transcriber

    session, options, out_dir = job.session, job.options, job.out_dir
    hook = _StageHook(session.id, emit)
    start = time.monotonic()
    log_path: Path | None = None

    def outcome(status: str, reason: str = "", stage: str | None = None, audio: float = 0.0) -> Outcome:
        return Outcome(session.id, session.folder or session.recording, status, reason, stage, log_path, audio, time.monotonic() - start)

    try:
        with session_lock(out_dir), session_log(out_dir) as log_path:
            if is_complete(out_dir, None, options, session.recording):
                return outcome("skipped", "completed by another run meanwhile")
            removed = clean_partials(out_dir)
            if removed:
                log.info("removed %d temporary files left by an interrupted run", removed)
            try:
                if emit is not None:
                    emit(session.id, hook.stage, None, None)
                before = get_transcriber.cache_info()
                result = run_session(session, options, hook)
                after = get_transcriber.cache_info()
                if after.hits > before.hits:
                    log.info("reused the Whisper model already loaded in this worker (pid %d)", os.getpid())
                elif after.misses > before.misses:
                    log.info("loaded the Whisper model in this worker (pid %d)", os.getpid())
                mark_complete(out_dir, result, options)
            except Exception as e:  # per-session isolation: record, and let the batch go on
                message = str(e) if isinstance(e, RestitutionError) else f"{type(e).__name__}: {e}"
                if isinstance(e, RestitutionError):
                    log.error("%s failed at %s: %s", session.id, hook.stage, message)
                else:
                    log.exception("%s failed at %s", session.id, hook.stage)
                record_failure(out_dir, job.inputs, options_hash(options), message, hook.stage, log_path)
                return outcome("failed", message, hook.stage)
            log.info("%s done: %.1f s of audio", session.id, result.audio.duration)
            return outcome("processed", job.reason, audio=result.audio.duration)
    except SessionLocked as e:
        return outcome("skipped", str(e))
    except RestitutionError as e:  # the lock or the log could not be set up (permissions, disk)
        return outcome("failed", str(e), "prepare")


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

        worker.log_event(DASK_TOPIC, {"session": sid, "step": step, "completed": plain(completed), "total": plain(total)})

    return process(job, emit)
