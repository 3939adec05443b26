"""Agenda items to chapters: each starts at its agenda time minus the offset, moved to the best
cut nearby (a pause between words, preferably where the speaker changes), never inside a word."""

from __future__ import annotations

import bisect
import logging
import math

import numpy as np

from . import evidence
from .clock import hms
from .errors import AgendaError
from .options import ChapterOptions
from .types import Agenda, AgendaItem, Chapter, Diarization, Offset, Transcript

log = logging.getLogger("restitution")

# The chapters stage's algorithm: bump it when a change moves chapter cuts.
CHAPTERS_VERSION = 1

LEAD_IN = 0.3  # seconds of silence kept before the first word of a chapter, when there is room
MIN_CHAPTER = 1.0  # seconds: a snapped start never comes closer than this to the previous one
MAX_NUDGE = 1.5  # seconds a cut may move to leave a word; beyond, the voice detector is trusted


def _describe(index: int, item: AgendaItem) -> str:
    line = f" (line {item.line})" if item.line else ""
    return f"item {index}{line} {item.title!r} at {hms(item.time, nearest=True)}"


def _gaps(spans: list[tuple[float, float]], duration: float) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) of every silence between speech spans, before the first and after the last."""
    edges = []
    reach = 0.0
    for start, end in spans:
        if start >= reach:
            edges.append((reach, start))
        reach = max(reach, end)
    if reach < duration:
        edges.append((reach, duration))
    return np.asarray([a for a, _ in edges], float), np.asarray([b for _, b in edges], float)


def _snap(
    target: float,
    floor: float,
    ceiling: float,
    gaps: tuple[np.ndarray, np.ndarray],
    changes: tuple[np.ndarray, np.ndarray],
    window: float,
) -> float:
    """The best cut near `target` inside [floor, ceiling]: always in a silence, never in a word.

    Candidates are each silence's own cut (LEAD_IN before the speech that follows it, or its
    point nearest the target when that cut lies outside the window) and, for each speaker change,
    the point of the silence just before the new voice. Longer silences, a change at the cut and
    closeness to the target all count.
    """
    lo, hi = gaps
    room_lo, room_hi = np.maximum(lo, floor), np.minimum(hi, ceiling)
    usable = room_lo <= room_hi
    # A seam shorter than a real pause (two turns abutting mid-sentence) only as a last resort.
    pauses = usable & (hi - lo >= evidence.MIN_SILENCE)
    usable = pauses if pauses.any() else usable
    if not usable.any():
        return float(np.clip(target, floor, ceiling))  # speech everywhere: `_between_words` decides
    preferred = np.maximum((lo + hi) / 2, hi - LEAD_IN)
    own = np.where(np.abs(preferred - target) <= window, preferred, np.clip(target, lo, hi))
    points, owners = [np.clip(own, room_lo, room_hi)[usable]], [np.flatnonzero(usable)]
    change_times, strengths = changes
    for t in change_times[np.abs(change_times - target) <= window + 1.0]:
        # The silence holding the turn onset, or the last one ending before it (loose edges).
        g = int(np.searchsorted(lo, t, side="right")) - 1
        if g >= 0 and usable[g] and t - hi[g] <= 1.0:
            points.append(np.clip([min(t, hi[g]) - 0.1], room_lo[g], room_hi[g]))
            owners.append(np.array([g]))
    point, owner = np.concatenate(points), np.concatenate(owners)
    inside = np.abs(point - target) <= window
    if not inside.any():
        # No silence within the window: the nearest one beyond it still beats cutting a word.
        return float(point[np.argmin(np.abs(point - target))])
    point, owner = point[inside], owner[inside]
    change = np.zeros(point.size)
    for t, strength in zip(change_times, strengths):
        near = np.abs(point - t) <= 1.0  # diarization edges are a little loose
        change[near] = np.maximum(change[near], strength)
    length = hi[owner] - lo[owner]
    # Any change of voice counts about the same (a new speaker's first words are often a short
    # "Merci" that diarization labels apart from what follows). Distance costs up to twice a
    # change at the window's edge: diarization often merges two voices, and a change far from
    # the agenda time is then someone else's turn, while a long pause at it is the hand-over.
    change = np.where(change > 0, 0.7 + 0.3 * change, 0.0)
    score = change + 0.5 * np.minimum(1.0, length / 2.0) - 2.0 * np.abs(point - target) / max(window, 1e-9)
    return float(point[int(np.argmax(score))])


def _word_blocks(words: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Overlapping words merged: a cut may fall where one word ends and the next begins."""
    blocks: list[list[float]] = []
    for start, end in words:
        if blocks and start < blocks[-1][1]:
            blocks[-1][1] = max(blocks[-1][1], end)
        else:
            blocks.append([start, end])
    return [(a, b) for a, b in blocks]


def _between_words(
    point: float, floor: float, ceiling: float, blocks: list[tuple[float, float]], gaps: tuple[np.ndarray, np.ndarray]
) -> float:
    """`point`, or an edge of the word it falls in: Whisper's words may run into a silence the
    voice detector found, and a chapter must not start inside one. The edge inside that silence
    wins, else the nearer one."""
    k = bisect.bisect_right(blocks, (point, math.inf)) - 1
    if k < 0 or not blocks[k][0] < point < blocks[k][1]:
        return point
    lo, hi = gaps
    g = int(np.searchsorted(lo, point, side="right")) - 1
    silence = (lo[g], hi[g]) if g >= 0 and lo[g] <= point <= hi[g] else (point, point)
    edges = [e for e in blocks[k] if floor <= e <= ceiling and abs(e - point) <= MAX_NUDGE]
    if not edges:
        return point
    return min(edges, key=lambda e: (not silence[0] <= e <= silence[1], abs(e - point)))


def cut(
    agenda: Agenda,
    offset: Offset,
    transcript: Transcript,
    diarization: Diarization | None,
    duration: float,
    options: ChapterOptions = ChapterOptions(),
) -> tuple[Chapter, ...]:
    """One chapter per agenda item heard in the recording, contiguous from 0 to `duration`."""
    items = list(enumerate(agenda.items, start=1))
    kept: list[tuple[int, AgendaItem, float]] = []
    for index, item in items:
        target = item.time - offset.seconds
        if target >= duration:
            message = (
                f"{_describe(index, item)} starts {hms(target, nearest=True)} "
                f"into a recording of {hms(duration, nearest=True)}, "
                f"after its end (offset {offset.seconds:.1f} s); check the time or the offset"
            )
            if not options.lenient:
                raise AgendaError(message, agenda.source or None)
            log.warning("%s; chapter dropped (lenient)", message)
            continue
        kept.append((index, item, target))
    # Items that ended before the recording began have nothing to show: the chapter heard at
    # 0 is the last one that started at or before it.
    opening = max((k for k, (_, _, target) in enumerate(kept) if target <= 0), default=0)
    for index, item, _ in kept[:opening]:
        log.warning("%s ended before the recording began; no chapter for it", _describe(index, item))
    kept = kept[opening:]
    if not kept:
        return ()

    blocks = _word_blocks(evidence.word_spans(transcript))
    gaps = _gaps(evidence.speech_spans(transcript, diarization), duration)
    changes = evidence.speaker_changes(diarization)
    starts = [0.0]
    for _, _, target in kept[1:]:
        floor = starts[-1] + MIN_CHAPTER
        ceiling = max(floor, duration - MIN_CHAPTER)
        point = round(_snap(target, floor, ceiling, gaps, changes, options.snap_window), 3)
        starts.append(_between_words(point, floor, ceiling, blocks, gaps))
    ends = starts[1:] + [duration]
    return tuple(
        Chapter(
            index=n,
            title=item.title,
            agenda_time=item.time,
            start=start,
            end=end,
            speakers=tuple(s.name for s in item.speakers),
        )
        for n, ((_, item, _), start, end) in enumerate(zip(kept, starts, ends), start=1)
    )
