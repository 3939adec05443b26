"""The `correct` stage's algorithm: a session's corrections applied in order on its result.

Each correction is placed on the result as it stands after the ones before it; one that no
longer fits (its words are gone after a new transcription, its voice after a new diarization)
is kept in the file, reported as a warning and recorded in session.json as unplaced, never
dropped in silence.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence

from ..types import CorrectionNote, SessionResult
from . import chapters, people, segments
from .model import Correction

log = logging.getLogger("restitution")

# The correct stage's algorithm: bump it when a change alters what corrections do.
CORRECT_VERSION = 1

Unplaced = CorrectionNote  # an unplaced correction: its number, kind, what it says and why it did not fit

_APPLY: dict[str, Callable[[SessionResult, Correction], tuple[SessionResult, str]]] = {
    "words": segments.words,
    "speaker": segments.move,
    "rename": people.rename,
    "merge": people.merge,
    "chapter": chapters.chapter,
    "gap": segments.gap,
    "timing": segments.timing,
}


def apply(result: SessionResult, corrections: Sequence[Correction]) -> tuple[SessionResult, tuple[CorrectionNote, ...]]:
    """`result` corrected, with what was applied and what could not be placed recorded on it;
    and the unplaced ones."""
    applied: list[CorrectionNote] = []
    unplaced: list[CorrectionNote] = []
    for number, c in enumerate(corrections, start=1):
        try:
            result, what = _APPLY[c.kind](result, c)
        except people.Unplaceable as e:
            unplaced.append(CorrectionNote(number, c.kind, c.describe(), str(e)))
            log.warning("correction %d (%s) could not be placed: %s", number, c.describe(), e)
            continue
        applied.append(CorrectionNote(number, c.kind, what))
    return dataclasses.replace(result, applied=tuple(applied), unplaced=tuple(unplaced)), tuple(unplaced)
