"""Speech without words, as every reader-facing writer shows it: an inaudible mark in its place.

A gap (types.Gap) is speech that the voice detector or the diarization heard and that no
decoding turned into words. The transcript, the captions and the page show it as one more
segment reading INAUDIBLE, with its speaker when one is known, so nothing heard vanishes
without a trace. The search index leaves it out: there is nothing in it to find.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..types import Segment, SessionResult

INAUDIBLE = "[inaudible]"  # the subtitling convention; reads the same in French and English


def with_gaps(result: SessionResult, segments: Iterable[Segment] | None = None) -> tuple[Segment, ...]:
    """The result's segments (or `segments`, the same words regrouped) and one wordless
    INAUDIBLE segment per gap, in time order."""
    marks = [Segment(g.start, g.end, INAUDIBLE, (), g.speaker) for g in result.gaps]
    spoken = result.segments if segments is None else segments
    return tuple(sorted([*spoken, *marks], key=lambda s: (s.start, s.end)))
