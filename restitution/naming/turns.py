"""Speaking time and first turns of diarization labels, within a stretch of the recording."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ..types import Turn

MIN_FIRST = 1.0  # a voice is "heard" from its first turn at least this long (not a cough)


def speaking_time(turns: Iterable[Turn], start: float = float("-inf"), end: float = float("inf")) -> dict[str, float]:
    """Seconds each label speaks within [start, end] (its own overlapping turns counted once)."""
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for t in turns:
        s, e = max(t.start, start), min(t.end, end)
        if e > s:
            spans[t.speaker].append((s, e))
    out = {}
    for label, items in spans.items():
        total, reach = 0.0, float("-inf")
        for s, e in sorted(items):
            if e > reach:
                total += e - max(s, reach)
                reach = e
        out[label] = total
    return out


def first_turns(turns: Iterable[Turn], start: float, end: float) -> dict[str, tuple[float, float]]:
    """label -> (start of its first turn overlapping [start, end] by MIN_FIRST s or more, that
    start clipped to `start`). A turn under way before `start` keeps its own, earlier, start."""
    out: dict[str, tuple[float, float]] = {}
    for t in sorted(turns, key=lambda t: t.start):
        if t.speaker not in out and min(t.end, end) - max(t.start, start) >= MIN_FIRST:
            out[t.speaker] = (t.start, max(t.start, start))
    return out
