"""Chapter corrections: a new title, a new start snapped to a pause as `chapters.cut` snaps
agenda times (never inside a word, preferably where the voice changes)."""

from __future__ import annotations

import dataclasses

from .. import chapters as cutting
from .. import evidence
from ..clock import hms
from ..types import Diarization, SessionResult, Transcript, Turn
from .model import Correction
from .people import Unplaceable

# Seconds around the time a person chose where a pause may be taken instead: they heard the
# change, so the snap only avoids cutting a word.
SNAP_WINDOW = 2.0


def snapped(result: SessionResult, target: float, floor: float, ceiling: float) -> float:
    """The cut `chapters.cut` would make near `target`, from the result's own words and voices."""
    transcript = Transcript(result.segments, result.language, None, result.audio.duration)
    voices = Diarization(tuple(Turn(s.start, s.end, s.speaker) for s in result.segments if s.speaker))
    duration = result.audio.duration
    gaps = cutting._gaps(evidence.word_spans(transcript), duration)
    changes = evidence.speaker_changes(voices)
    point = round(cutting._snap(target, floor, ceiling, gaps, changes, SNAP_WINDOW), 3)
    blocks = cutting._word_blocks(evidence.word_spans(transcript))
    return cutting._between_words(point, floor, ceiling, blocks, gaps)


def chapter(result: SessionResult, c: Correction) -> tuple[SessionResult, str]:
    assert c.index is not None
    chapters = list(result.chapters)
    k = c.index - 1
    if k >= len(chapters):
        raise Unplaceable(f"no chapter {c.index} (the session has {len(chapters)})")
    done = []
    if c.title is not None and chapters[k].title != c.title:
        chapters[k] = dataclasses.replace(chapters[k], title=c.title)
        done.append(f"titled {c.title!r}")
    if c.start is not None:
        if k == 0:
            raise Unplaceable("the first chapter always starts at the beginning of the recording")
        floor = chapters[k - 1].start + cutting.MIN_CHAPTER
        ceiling = (chapters[k + 1].start if k + 1 < len(chapters) else result.audio.duration) - cutting.MIN_CHAPTER
        if floor > ceiling or not floor <= c.start <= ceiling:
            raise Unplaceable(f"{hms(c.start)} is not between the chapters before and after chapter {c.index}")
        start = snapped(result, c.start, floor, ceiling)
        if start != chapters[k].start:
            chapters[k] = dataclasses.replace(chapters[k], start=start)
            chapters[k - 1] = dataclasses.replace(chapters[k - 1], end=start)
            done.append(f"starts at {hms(start)}")
    if not done:
        return result, f"chapter {c.index} already so"
    return dataclasses.replace(result, chapters=tuple(chapters)), f"chapter {c.index} " + " and ".join(done)
