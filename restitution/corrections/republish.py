"""Saving corrections and republishing a session from them, under the session's lock.

Republishing is `run_session` on a session whose earlier stages are all cached: the `correct`
stage's key holds the corrections file, so it and the stages after it (export, index, enroll)
run again, and nothing is transcribed or diarized.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from ..files import confined, inside
from ..lock import SessionLocked, session_lock
from ..options import PipelineOptions
from ..sessions import own_id
from ..types import Hook, Session, SessionResult
from .feed import refresh_feed
from .model import Correction, CorrectionsError
from .store import add, load

T = TypeVar("T")
_POLL = 0.5  # seconds between two tries of a lock another run holds


def out_dir_of(session: Session, options: PipelineOptions) -> Path:
    """The session's output folder, as `run_session` names it."""
    return inside(options.outputs_dir, own_id(session, options.outputs_dir).id)


def published(out_dir: Path) -> SessionResult:
    """The result as last published in `out_dir/session.json` (what people see and correct)."""
    import dataclasses

    from ..export.session_json import read_session_json
    from ..index.writing import result_from_session_json
    from ..types import Gap

    path = Path(out_dir) / "session.json"
    if not path.is_file():
        raise CorrectionsError("no session.json: run the session before correcting it", out_dir)
    data = read_session_json(path)
    result = result_from_session_json(data, path)
    try:
        gaps = tuple(Gap.from_dict(g) for g in data.get("gaps") or [])
    except (TypeError, ValueError) as e:
        raise CorrectionsError(f"session.json has unreadable gaps ({e})", path) from None
    options = data.get("options")
    return dataclasses.replace(result, gaps=gaps, options=options if isinstance(options, dict) else {})


def _patiently(action: Callable[[], T], wait: float) -> T:
    """`action()`, tried again while another process holds the session's lock, for up to `wait` s."""
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        try:
            return action()
        except SessionLocked:
            if time.monotonic() >= deadline:
                raise
            time.sleep(_POLL)


def save(out_dir: Path, new: Sequence[Correction], wait: float = 0.0) -> None:
    """Append `new` to the session's corrections, under its lock; the file stays as it was when
    what is there already does not read (CorrectionsError naming the line)."""

    def attempt() -> None:
        with session_lock(out_dir), confined(out_dir):
            load(out_dir)  # a hand-edited file that no longer reads is said now, and kept
            add(out_dir, new)

    if not (Path(out_dir) / "session.json").is_file():
        raise CorrectionsError("no session.json: run the session before correcting it", out_dir)
    _patiently(attempt, wait)


def republish(
    session: Session, options: PipelineOptions, hook: Hook | None = None, *, wait: float = 0.0
) -> SessionResult:
    """Every output of `session` rebuilt from its cached stages and its corrections, and the
    archive's feed.xml when there is one. Takes the session's lock (waiting up to `wait` s for
    a batch running it); no transcription, no diarization unless their caches are gone."""
    from ..pipeline import run_session

    result = _patiently(lambda: run_session(session, options, hook), wait)
    refresh_feed(options.outputs_dir)  # the feed is made of every session.json: it follows too
    return result


def correct(
    session: Session,
    options: PipelineOptions,
    new: Sequence[Correction],
    hook: Hook | None = None,
    *,
    wait: float = 0.0,
) -> SessionResult:
    """Save `new` corrections and republish: what `restitution apply` and the editor's save do."""
    save(out_dir_of(session, options), new, wait)
    return republish(session, options, hook, wait=wait)
