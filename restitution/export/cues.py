"""Caption cues laid out from reader words: the pure function behind the VTT and SRT files.

Hard rules: at most `max_lines` lines of `max_chars` characters (a name prefix included when
the format shows one), at most `max_seconds` on screen, one speaker per cue, whole words only
(a token longer than a line is the one thing ever cut), times in order, never overlapping,
inside the recording. Soft rules, weighed by a dynamic programme over each speaker's run of
words: a cue shorter than `MIN_SECONDS` is merged with a neighbour of the same speaker whenever
the hard rules allow it; reading speed stays under `MAX_CPS` characters per second where the
timing allows, a cue's end running on into the following silence up to the next cue; cues end
at sentence ends, clause ends and pauses rather than inside a phrase.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..errors import ConfigError
from ..types import Segment, Word
from .words import reader_words, rejoin

# Below this a cue flashes by.
MIN_SECONDS = 1.0
# Comfortable reading speed (characters per second), the usual broadcast guideline.
MAX_CPS = 20.0
# A silence this long is a natural end of cue.
PAUSE_SECONDS = 1.5
# Shortest cue ever written, when overlapping speech leaves no room.
_TICK = 0.05
_SENTENCE_END = (".", "?", "!", "…")
_CLAUSE_END = (",", ";", ":", "—", "–", "-", "»", ")")
# Costs of the layout (in "cues"): a flash outweighs anything a merge can cost.
_SHORT_COST = 10.0
_PAUSE_COST = 3.0
_MAX_SPEED_COST = 3.0


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
    """One reader word, or a line-sized piece of a token longer than a line."""

    start: float
    end: float
    text: str
    speaker: str | None


@dataclass(frozen=True)
class _Draft:
    start: float
    speech_end: float
    lines: tuple[str, ...]
    speaker: str | None
    chars: int


def _hard_split(unit: _Unit, width: int) -> list[_Unit]:
    """A token longer than a line (a URL, a run of digits) is cut into line-sized pieces."""
    if len(unit.text) <= width:
        return [unit]
    n = math.ceil(len(unit.text) / width)
    step = (unit.end - unit.start) / n
    return [
        _Unit(unit.start + i * step, unit.start + (i + 1) * step, unit.text[i * width : (i + 1) * width], unit.speaker)
        for i in range(n)
    ]


def _spread(segment: Segment) -> list[_Unit]:
    """No word timestamps: share the segment's time among its words by length."""
    pieces = [Word(0.0, 0.0, " " + t, 1.0) for t in segment.text.split()]
    tokens = [w.text.strip() for w in reader_words(pieces, spaced=False)]
    total = sum(len(t) + 1 for t in tokens)
    units, t = [], segment.start
    span = max(segment.end - segment.start, 0.0)
    for token in tokens:
        step = span * (len(token) + 1) / total
        units.append(_Unit(t, t + step, token, segment.speaker))
        t += step
    return units


def _units(segments: Iterable[Segment]) -> list[_Unit]:
    units: list[_Unit] = []
    for seg in rejoin(segments):
        if seg.words:
            units += [_Unit(w.start, w.end, w.text.strip(), seg.speaker) for w in seg.words]
        else:
            units += _spread(seg)
    units.sort(key=lambda u: u.start)  # stable: overlapping speakers interleave by time
    return units


class _Lines:
    """Greedy line filling, one word at a time: the fewest lines any layout of these words needs."""

    def __init__(self, width: int, max_lines: int, reserve: int):
        self.width, self.max_lines = width, max_lines
        self.lines, self.used, self.has_word = 1, reserve, False

    def add(self, n: int) -> bool:
        if self.has_word and self.used + 1 + n <= self.width:
            self.used += 1 + n
            return True
        if not self.has_word and self.used + n <= self.width:
            self.used += n
            self.has_word = True
            return True
        if self.lines == self.max_lines or n > self.width:
            return False
        self.lines, self.used, self.has_word = self.lines + 1, n, True
        return True


def _greedy(words: Sequence[str], width: int, reserve: int) -> list[str]:
    lines: list[str] = [""]
    used = reserve
    for word in words:
        if lines[-1] and used + 1 + len(word) <= width:
            lines[-1] += " " + word
            used += 1 + len(word)
        elif not lines[-1] and used + len(word) <= width:
            lines[-1] = word
            used += len(word)
        else:
            lines.append(word)
            used = len(word)
    return lines


def wrap(words: Sequence[str], max_chars: int, max_lines: int, reserve: int = 0) -> list[str] | None:
    """Balanced lines of at most `max_chars`, or None when the words do not fit in `max_lines`.

    `reserve` characters of the first line are taken by a prefix (SRT's "Name: "); when the
    first word does not fit after it, the first line holds the prefix alone and is "".
    """
    if not words or any(len(w) > max_chars for w in words):
        return None
    lines = _greedy(words, max_chars, reserve)
    if len(lines) > max_lines:
        return None
    # Narrowest width that still needs no more lines: evens out a long first and a short last line.
    total = reserve + sum(len(w) for w in words) + len(words) - 1
    for width in range(max(1, math.ceil(total / len(lines))), max_chars):
        balanced = _greedy(words, width, reserve)
        if len(balanced) <= len(lines) and bool(balanced[0]) == bool(lines[0]):
            return balanced
    return lines


def _cut_cost(unit: _Unit, gap: float) -> float:
    """What ending a cue after `unit` costs: nothing at a sentence end, more inside a phrase."""
    text = unit.text
    if text.endswith(_SENTENCE_END):
        cost = 0.0
    elif text.endswith(_CLAUSE_END):
        cost = 0.3
    else:
        cost = 0.8 + (0.4 if len(text) <= 2 and text.isalpha() else 0.0)  # never end on "de", "la", "à"
    return cost - 0.3 * min(max(gap, 0.0), 1.0)


@dataclass(frozen=True)
class _Limits:
    max_chars: int
    max_lines: int
    max_seconds: float
    limit: float


def _display(start: float, speech_end: float, chars: int, following: float, lim: _Limits) -> tuple[float, float]:
    """(start, end) on screen: the end runs on into the silence until it can be read, up to the next cue."""
    speech_end = min(speech_end, lim.limit)
    start = max(start, speech_end - lim.max_seconds, 0.0)
    need = start + max(MIN_SECONDS, chars / MAX_CPS)
    room = min(following, start + lim.max_seconds, lim.limit)
    return start, max(speech_end, min(need, room))


def _cue_cost(
    run: Sequence[_Unit], i: int, j: int, chars: int, speech_end: float, following: float, lim: _Limits
) -> float:
    start, end = _display(run[i].start, speech_end, chars, following, lim)
    duration = max(end - start, 1e-3)
    # A little for room left empty: of two equal cuts, the one with even cues, no orphan word.
    cost = 1.0 + 0.2 * (1.0 - min(chars / (lim.max_chars * lim.max_lines), 1.0)) ** 2
    if duration < MIN_SECONDS:
        cost += _SHORT_COST + _SHORT_COST * (MIN_SECONDS - duration)
    cps = chars / duration
    if cps > MAX_CPS:
        cost += min(_MAX_SPEED_COST, (cps - MAX_CPS) / MAX_CPS * 2 * _MAX_SPEED_COST)
    if j < len(run):
        cost += _cut_cost(run[j - 1], run[j].start - run[j - 1].end)
    return cost


def _layout(run: Sequence[_Unit], next_start: float, reserve: int, lim: _Limits) -> list[tuple[int, int]]:
    """Best cut of one speaker's run of units into cues, as (first, end) index pairs."""
    n = len(run)
    best = [math.inf] * (n + 1)
    back = [0] * (n + 1)
    best[0] = 0.0
    for i in range(n):
        if best[i] == math.inf:
            continue
        lines = _Lines(lim.max_chars, lim.max_lines, reserve)
        chars, speech_end, inner = -1, -math.inf, 0.0
        for j in range(i + 1, n + 1):
            unit = run[j - 1]
            if not lines.add(len(unit.text)):
                break
            speech_end = max(speech_end, unit.end)
            if j > i + 1:
                if speech_end - run[i].start > lim.max_seconds:
                    break
                prev = run[j - 2]
                if unit.start - prev.end >= PAUSE_SECONDS:
                    inner += _PAUSE_COST
                if prev.text.endswith(_SENTENCE_END):
                    inner += 0.3  # a cue that ends a sentence and starts another reads worse
            chars += len(unit.text) + 1
            following = run[j].start if j < n else next_start
            cost = best[i] + inner + _cue_cost(run, i, j, chars, speech_end, following, lim)
            if cost < best[j]:
                best[j], back[j] = cost, i
    cuts, j = [], n
    while j > 0:
        cuts.append((back[j], j))
        j = back[j]
    return cuts[::-1]


def _runs(units: Sequence[_Unit]) -> list[list[_Unit]]:
    runs: list[list[_Unit]] = []
    for unit in units:
        if runs and runs[-1][-1].speaker == unit.speaker:
            runs[-1].append(unit)
        else:
            runs.append([unit])
    return runs


def build_cues(
    segments: Iterable[Segment],
    *,
    max_chars: int = 42,
    max_lines: int = 2,
    max_seconds: float = 7.0,
    duration: float | None = None,
    reserve: Mapping[str, int] | None = None,
) -> list[Cue]:
    """Cut segments into cues. `duration` (the recording's length) clamps the last cues;
    `reserve` gives, per speaker id, the characters a prefix takes on each cue's first line."""
    if max_chars < 1 or max_lines < 1 or not max_seconds > 0:
        raise ConfigError(
            "export.caption_max_chars, caption_max_lines and caption_max_seconds must be at least 1 "
            f"(got {max_chars}, {max_lines}, {max_seconds})"
        )
    reserve = reserve or {}
    lim = _Limits(max_chars, max_lines, max_seconds, duration if duration is not None else math.inf)
    units: list[_Unit] = []
    for unit in _units(segments):
        room = reserve.get(unit.speaker or "", 0)
        units += _hard_split(unit, max(1, max_chars - room) if max_lines == 1 else max_chars)
    runs = _runs(units)
    drafts: list[_Draft] = []
    for k, run in enumerate(runs):
        next_start = runs[k + 1][0].start if k + 1 < len(runs) else lim.limit
        room = reserve.get(run[0].speaker or "", 0)
        for i, j in _layout(run, next_start, room, lim):
            texts = [u.text for u in run[i:j]]
            lines = wrap(texts, max_chars, max_lines, room)
            assert lines is not None  # _layout only keeps cues whose words fit
            speech_end = min(max(u.end for u in run[i:j]), lim.limit)
            start = max(run[i].start, speech_end - max_seconds, 0.0)
            drafts.append(_Draft(start, speech_end, tuple(lines), run[0].speaker, len(" ".join(texts))))
    return _settle(drafts, lim)


def _settle(drafts: list[_Draft], lim: _Limits) -> list[Cue]:
    """Final times: in order, no overlap, no empty cue, each held until it can be read."""
    last_ms = math.floor(lim.limit * 1000) / 1000 if math.isfinite(lim.limit) else math.inf
    settled: list[Cue] = []
    for k, draft in enumerate(drafts):
        start = round(max(draft.start, settled[-1].end if settled else 0.0), 3)
        following = drafts[k + 1].start if k + 1 < len(drafts) else lim.limit
        _, end = _display(start, max(draft.speech_end, start), draft.chars, following, lim)
        # Two words said at the same instant (overlapping speakers) still each get a moment on screen.
        end = max(min(end, start + lim.max_seconds), start + _TICK)
        end = min(round(end, 3), last_ms)
        if end <= start:
            continue  # only past the end of the recording
        settled.append(Cue(start, end, draft.lines, draft.speaker))
    return settled
