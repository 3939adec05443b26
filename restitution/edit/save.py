"""What a save does: the page's edits become corrections, stored under the session lock, and the
session is republished from its cached stages (no transcription, no diarization).

The lock is held while the corrections file is read, extended and written, so a batch running
the same session makes the save fail with one line (SessionLocked) rather than interleave; it
is released before `republish`, which takes it again for its own run (the lock is not
re-entrant). A batch that slips in between runs the `correct` stage itself, so the saved
corrections are applied either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import RestitutionError
from ..export.session_json import read_session_json
from ..files import confined
from ..index.writing import result_from_session_json
from ..lock import session_lock
from ..options import PipelineOptions
from ..types import Session, SessionResult
from .server import SavedNotPublished

log = logging.getLogger("restitution")


def current(out_dir: Path) -> SessionResult:
    """The session as published, which is what the page showed and the edits refer to."""
    path = Path(out_dir) / "session.json"
    return result_from_session_json(read_session_json(path), path)


def _corrections() -> Any:
    try:
        from .. import corrections
    except ImportError:
        raise RestitutionError("this installation has no corrections module: saving is not available") from None
    return corrections


def fitted(result: SessionResult, edit: dict[str, Any]) -> dict[str, Any]:
    """A "words" edit widened to every word the corrections core reads at its times.

    The page sends the words a reader changed, with their times; words the decoder packed
    into the same instant (a neighbour of no duration, within the core's tolerance) are read
    with them. The edit then carries those unchanged neighbours along on both sides, so it
    replaces exactly what the core sees and changes only what the reader changed.
    """
    if edit.get("kind") != "words" or not isinstance(edit.get("old"), str) or not edit["old"].strip():
        return edit
    from ..corrections.anchor import anchor_words, norm

    try:
        seen = anchor_words(result, float(edit["start"]), float(edit["end"]), None)[0].split()
    except (KeyError, TypeError, ValueError):
        return edit  # anchored() says what is wrong with it
    wanted = edit["old"].split()
    if norm(" ".join(seen)) == norm(edit["old"]):
        return edit
    for k in range(len(seen) - len(wanted) + 1):
        if norm(" ".join(seen[k : k + len(wanted)])) == norm(edit["old"]):
            new = [*seen[:k], *str(edit.get("new") or "").split(), *seen[k + len(wanted) :]]
            return {**edit, "old": " ".join(seen), "new": " ".join(new)}
    return edit


def saver(session: Session, options: PipelineOptions, out_dir: Path) -> Callable[[list[dict[str, Any]]], str]:
    def save(edits: list[dict[str, Any]]) -> str:
        with session_lock(out_dir), confined(out_dir):
            corrections = _corrections()
            corrections.load(out_dir)  # a hand-edited file that no longer reads is said now, and kept
            result = current(out_dir)
            made = [corrections.anchored(result, fitted(result, edit)) for edit in edits]
            corrections.add(out_dir, made)
        log.info("edit: %d correction(s) saved in %s", len(made), corrections.path_for(out_dir))
        plural = "" if len(made) == 1 else "s"
        try:
            republished = corrections.republish(session, options)
        except RestitutionError as e:
            raise SavedNotPublished(
                f"saved {len(made)} correction{plural}, but republishing failed: {e}; "
                "the next run of the session publishes them"
            ) from None
        message = f"saved {len(made)} correction{plural} and republished every output"
        unplaced = republished.unplaced
        if unplaced:
            first = unplaced[0]
            more = f" (and {len(unplaced) - 1} more)" if len(unplaced) > 1 else ""
            message += f"; correction {first.number} could not be placed: {first.reason}{more}"
        return message

    return save
