"""A session's books in `outputs/<id>/`, kept by `run_session` alone while it holds the lock.

- `.lock` (lock.py): one run of a session at a time, across processes and hosts.
- `.<name>.*.part`: temporary files of writers that died mid-write, removed under the lock.
- `.work/done.json`: which release, sources (recording, agenda, session details) and stage keys
  made the outputs there, and which files they are; `stale` compares it with what a run would do
  now and says why they differ.
- `.work/failed.json` (batch jobs): the error, the stage, the log, and the inputs it failed on,
  so that an unchanged failure is not retried.
- `run.log` (batch jobs): the session's log records.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__, audio
from .cache import SessionKeys
from .errors import OutputError, RestitutionError
from .files import check_inside, confined, remove, write_json
from .lock import LOCK_NAME, session_lock
from .options import PipelineOptions
from .types import SessionResult

log = logging.getLogger("restitution")

DONE = "done.json"
FAILED = "failed.json"
LOG_NAME = "run.log"
# Not part of what a session produced: the run's own bookkeeping.
_NOT_OUTPUTS = {LOG_NAME, LOCK_NAME}
_SOURCES = {"audio": "recording changed", "agenda": "agenda changed", "session": "session details changed"}


def stat_of(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def read_marker(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def options_hash(options: PipelineOptions) -> str:
    """Every option except where things are written: a failure is retried when one changes."""
    data = options.to_dict()
    data.pop("outputs", None)
    data.pop("index", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32]


def failure_message(error: BaseException) -> str:
    return str(error) if isinstance(error, RestitutionError) else f"{type(error).__name__}: {error}"


def _outputs(out_dir: Path) -> list[str]:
    return sorted(
        p.relative_to(out_dir).as_posix()
        for p in out_dir.rglob("*")
        if p.is_file()
        and p.name not in _NOT_OUTPUTS
        and not any(part.startswith(".") for part in p.relative_to(out_dir).parts)
    )


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


# --- done.json ------------------------------------------------------------------------------


def mark_complete(out_dir: Path, result: SessionResult, keys: SessionKeys, source: str | None = None) -> Path:
    """Write `.work/done.json`: which release, sources and stage keys made the outputs in `out_dir`."""
    out_dir = Path(out_dir)
    path = out_dir / ".work" / DONE
    write_json(
        path,
        {
            "version": __version__,
            "source": source,  # the folder (or file) these outputs belong to: see sessions.owner
            "sources": keys.sources,
            "stages": {name: key.to_dict() for name, key in keys.stages.items()},
            "recording": stat_of(result.session.recording),
            "duration": result.audio.duration,
            "session_json": audio.sha256(out_dir / "session.json"),
            "outputs": _outputs(out_dir),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    )
    remove(out_dir / ".work" / FAILED)
    return path


def stale(out_dir: Path, recording: Path, keys_for: Callable[[str], SessionKeys]) -> str | None:
    """Why the outputs in `out_dir` are not what a run would make now; None when they are.

    `keys_for(sha256)` gives the keys a run would use now. The recording is hashed again only
    when its size or mtime changed since done.json was written.
    """
    out_dir = Path(out_dir)
    done = read_marker(out_dir / ".work" / DONE)
    if done is None:
        return "never completed"
    before, sources = done.get("stages"), done.get("sources")
    if not (isinstance(before, dict) and isinstance(sources, dict)):
        return f"made by restitution {done.get('version', '0.1.0')}, which kept no stage versions"
    same_file = done.get("recording") == stat_of(recording)
    now = keys_for(str(sources.get("audio")) if same_file else audio.sha256(recording))
    for name, reason in _SOURCES.items():
        if sources.get(name) != now.sources.get(name):
            return reason
    for name, key in now.stages.items():
        old = before.get(name)
        if not isinstance(old, dict):
            return f"stage {name} now runs"
        if old.get("key") == key.key:
            continue
        if old.get("algorithm") != key.algorithm:
            return f"stage {name} changed (algorithm {old.get('algorithm')} -> {key.algorithm})"
        if old.get("options") != key.options:
            return f"stage {name}: its options changed"
        if old.get("model") != key.model:
            return f"stage {name}: its model or backend changed"
        return f"stage {name} changed"  # same parts and inputs: the key's recipe changed
    for name in before:
        if name not in now.stages:
            return f"stage {name} no longer runs"
    try:
        if audio.sha256(out_dir / "session.json") != done.get("session_json"):
            return "session.json was rewritten since"
    except OSError:
        return "session.json is missing"
    missing = [name for name in done.get("outputs", []) if not (out_dir / name).is_file()]
    if missing:
        return f"{len(missing)} outputs missing ({missing[0]}, ...)"
    return None


# --- failed.json ----------------------------------------------------------------------------


def record_failure(
    out_dir: Path,
    inputs: dict[str, list[int]],
    opts_hash: str | None,
    error: str,
    stage: str | None,
    log_path: Path | None,
    source: str | None = None,
) -> None:
    try:
        write_json(
            out_dir / ".work" / FAILED,
            {
                "source": source,
                "error": error,
                "stage": stage,
                "log": str(log_path) if log_path else None,
                "inputs": inputs,
                "options": opts_hash,
                "version": __version__,  # an upgrade may fix it: then it is retried
                "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            },
        )
    except RestitutionError as e:
        log.error("cannot record the failure of %s: %s", out_dir.name, e)


# --- run.log --------------------------------------------------------------------------------


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
        log.info(
            "run of %s by pid %d on %s (restitution %s)",
            Path(out_dir).name,
            os.getpid(),
            socket.gethostname(),
            __version__,
        )
        yield path
    finally:
        logger.removeHandler(handler)
        handler.close()
        logger.setLevel(old_level)
        for h, level in raised:
            h.setLevel(level)


# --- the books of one run -------------------------------------------------------------------


@dataclass
class Books:
    """What `open_books` hands the run: where to say which stage runs, and how to close the books."""

    out_dir: Path
    source: str | None = None
    stage: str = "prepare"

    def complete(self, result: SessionResult, keys: SessionKeys) -> None:
        with confined(self.out_dir):
            mark_complete(self.out_dir, result, keys, self.source)
        log.info("%s done: %.1f s of audio", result.session.id, result.audio.duration)


def check_books(out_dir: Path) -> None:
    """The run's own files stay in the session's folder: a `.lock`, `run.log`, `.work` or file of
    `.work` that is a symlink leading out is refused before anything is written through it."""
    out_dir = Path(out_dir)
    work = out_dir / ".work"
    paths = [out_dir / LOCK_NAME, out_dir / LOG_NAME, work]
    if work.is_dir() and not work.is_symlink():
        paths += list(work.iterdir())
    for path in paths:
        check_inside(out_dir, path)


@contextlib.contextmanager
def open_books(
    out_dir: Path, options: PipelineOptions, inputs: dict[str, list[int]] | None = None, source: str | None = None
) -> Iterator[Books]:
    """Lock the session, remove what killed writers left, and forget that it was complete.

    With `inputs` (a batch job: path -> [size, mtime_ns] of each input file), the run also logs
    to run.log, and a failure of any stage is logged and recorded in failed.json with them, and
    with `source`, the name of the folder the session comes from (whose outputs these are).
    """
    out_dir = Path(out_dir)
    check_books(out_dir)
    with session_lock(out_dir):
        logging_to = session_log(out_dir) if inputs is not None else contextlib.nullcontext(None)
        with logging_to as log_path:
            removed = clean_partials(out_dir)
            if removed:
                log.info("removed %d temporary files left by an interrupted run", removed)
            with confined(out_dir):
                remove(out_dir / ".work" / DONE)  # the outputs are about to change
            books = Books(out_dir, source)
            try:
                yield books
            except Exception as e:
                if inputs is not None:
                    message = failure_message(e)
                    if isinstance(e, RestitutionError):
                        log.error("%s failed at %s: %s", out_dir.name, books.stage, message)
                    else:
                        log.exception("%s failed at %s", out_dir.name, books.stage)
                    with confined(out_dir):
                        record_failure(out_dir, inputs, options_hash(options), message, books.stage, log_path, source)
                raise
