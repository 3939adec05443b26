"""WebVTT captions: segments cut into readable cues, written with webvtt-py.

Cue rules (the usual broadcast ones): at most `max_lines` lines of `max_chars` characters and
`max_seconds` on screen, cut at word boundaries using the word timestamps, one speaker per cue,
cues in order and never overlapping, all inside the recording.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import webvtt
from webvtt.models import Timestamp

from ..files import write_text
from ..options import ExportOptions
from ..types import Segment, SessionResult
from .inaudible import with_gaps

# Below this a cue flashes by; short cues are stretched up to it when the next cue allows.
MIN_SECONDS = 1.0
# A silence this long ends a cue even when the next words would still fit.
PAUSE_SECONDS = 1.5
# Shortest cue we ever write, when overlapping speech leaves no room.
_TICK = 0.05
_SENTENCE_END = (".", "?", "!", "…", ":", ";")


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[str, ...]
    speaker: str | None = None  # speaker id ("S1"), as on the segment

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class _Unit:
    """A word as a reader sees it: whisper sub-word tokens glued back together."""

    start: float
    end: float
    text: str
    speaker: str | None


def _units(segment: Segment, max_chars: int) -> list[_Unit]:
    words = [w for w in segment.words if w.text.strip()]
    if not words:
        return _spread(segment, max_chars)
    # Whisper marks a new word with a leading space; an engine that never does gets no gluing.
    spaced = any(w.text[:1].isspace() for w in words[1:])
    units: list[_Unit] = []
    for w in words:
        if units and spaced and not w.text[:1].isspace():  # "-ce" after " Est": one word on screen
            last = units.pop()
            units.append(_Unit(last.start, max(last.end, w.end), last.text + w.text.strip(), segment.speaker))
        else:
            units.append(_Unit(w.start, w.end, w.text.strip(), segment.speaker))
    return [piece for u in units for piece in _hard_split(u, max_chars)]


def _spread(segment: Segment, max_chars: int) -> list[_Unit]:
    """No word timestamps: share the segment's time among its words by length."""
    tokens = segment.text.split()
    total = sum(len(t) + 1 for t in tokens)
    units, t = [], segment.start
    span = max(segment.end - segment.start, 0.0)
    for token in tokens:
        step = span * (len(token) + 1) / total
        units.extend(_hard_split(_Unit(t, t + step, token, segment.speaker), max_chars))
        t += step
    return units


def _hard_split(unit: _Unit, max_chars: int) -> list[_Unit]:
    """A token longer than a line (a URL, a run of digits) is cut into line-sized pieces."""
    if len(unit.text) <= max_chars:
        return [unit]
    n = math.ceil(len(unit.text) / max_chars)
    step = (unit.end - unit.start) / n
    return [
        _Unit(unit.start + i * step, unit.start + (i + 1) * step, unit.text[i * max_chars : (i + 1) * max_chars], unit.speaker)
        for i in range(n)
    ]


def _greedy(words: Sequence[str], width: int) -> list[str]:
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def wrap(words: Sequence[str], max_chars: int, max_lines: int) -> list[str] | None:
    """Balanced lines of at most `max_chars`, or None when the words do not fit in `max_lines`."""
    if any(len(w) > max_chars for w in words):
        return None
    lines = _greedy(words, max_chars)
    if len(lines) > max_lines:
        return None
    # Narrowest width that still needs no more lines: evens out a long first and a short last line.
    total = sum(len(w) for w in words) + len(words) - 1
    for width in range(max(1, math.ceil(total / len(lines))), max_chars):
        balanced = _greedy(words, width)
        if len(balanced) <= len(lines):
            return balanced
    return lines


def _group(units: list[_Unit], max_chars: int, max_lines: int, max_seconds: float) -> list[list[_Unit]]:
    groups: list[list[_Unit]] = []
    current: list[_Unit] = []
    for unit in units:
        if current:
            prev = current[-1]
            fits = (
                unit.speaker == prev.speaker
                and unit.start - prev.end < PAUSE_SECONDS
                and unit.end - current[0].start <= max_seconds
                and wrap([u.text for u in current] + [unit.text], max_chars, max_lines) is not None
            )
            # A sentence end is a good place to cut once the cue holds a line's worth of text.
            sentence_cut = prev.text.endswith(_SENTENCE_END) and sum(len(u.text) + 1 for u in current) >= max_chars
            if not fits or sentence_cut:
                groups.append(current)
                current = []
        current.append(unit)
    if current:
        groups.append(current)
    return groups


def build_cues(
    segments: Iterable[Segment],
    *,
    max_chars: int = 42,
    max_lines: int = 2,
    max_seconds: float = 7.0,
    duration: float | None = None,
) -> list[Cue]:
    """Cut segments into cues. `duration` (the recording's length) clamps the last cues."""
    ordered = sorted(segments, key=lambda s: (s.start, s.end))
    units = [u for seg in ordered for u in _units(seg, max_chars)]
    units.sort(key=lambda u: u.start)
    limit = duration if duration is not None else math.inf
    cues: list[Cue] = []
    for group in _group(units, max_chars, max_lines, max_seconds):
        end = min(max(u.end for u in group), limit)
        # Whisper stretches a word's start back into a preceding silence; its end is the better anchor.
        start = max(group[0].start, end - max_seconds, 0.0)
        lines = wrap([u.text for u in group], max_chars, max_lines)
        assert lines is not None  # _group only keeps groups that fit
        cues.append(Cue(round(start, 3), round(end, 3), tuple(lines), group[0].speaker))
    return _settle(cues, limit, max_seconds)


def _settle(cues: list[Cue], limit: float, max_seconds: float) -> list[Cue]:
    """Make times usable: in order, no overlap, no empty cue, short cues held a little longer."""
    last_ms = math.floor(limit * 1000) / 1000 if math.isfinite(limit) else math.inf
    settled: list[Cue] = []
    for i, cue in enumerate(cues):
        start = max(cue.start, settled[-1].end if settled else 0.0)
        following = cues[i + 1].start if i + 1 < len(cues) else limit
        end = max(cue.end, min(start + MIN_SECONDS, following))
        # Two words said at the same instant (overlapping speakers) still each get a moment on screen.
        end = max(min(end, start + max_seconds), start + _TICK)
        end = min(round(end, 3), last_ms)
        if end <= start:
            continue  # only past the end of the recording
        settled.append(Cue(start, end, cue.lines, cue.speaker))
    return settled


def escape(text: str) -> str:
    """Cue text is a tiny markup language: a bare <, > or & would be read as a tag or an entity."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def speaker_names(result: SessionResult) -> dict[str, str]:
    return {s.id: s.name for s in result.speakers if s.name}


def render_vtt(cues: Sequence[Cue], names: Mapping[str, str] | None = None) -> str:
    """WebVTT text for `cues`, with a `<v Name>` span on every cue whose speaker has a name."""
    names = names or {}
    doc = webvtt.WebVTT()
    for cue in cues:
        lines = [escape(line) for line in cue.lines]
        name = names.get(cue.speaker) if cue.speaker else None
        if name:
            lines[0] = f"<v {escape(' '.join(name.split()))}>{lines[0]}"
        doc.captions.append(
            webvtt.Caption(
                str(Timestamp.from_seconds(cue.start)),
                str(Timestamp.from_seconds(cue.end)),
                lines,
            )
        )
    return doc.content


def cues_for(result: SessionResult, options: ExportOptions) -> list[Cue]:
    return build_cues(
        with_gaps(result),
        max_chars=options.caption_max_chars,
        max_lines=options.caption_max_lines,
        max_seconds=options.caption_max_seconds,
        duration=result.audio.duration,
    )


def write_vtt(result: SessionResult, dest: Path, options: ExportOptions | None = None) -> list[Cue]:
    cues = cues_for(result, options or ExportOptions())
    write_text(dest, render_vtt(cues, speaker_names(result)))
    return cues
