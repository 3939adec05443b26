"""A second hearing for speech that the first decoding left without words.

Whisper decodes 30-second windows of joined speech; a stretch can come out empty because of
what shares its window (a louder voice, a language switch, a hallucination the guard then
drops). Each stretch that the speech map or the diarization calls speech and that holds no
word is decoded again on its own, with a little audio either side and no voice-activity cut.
Its new words are kept only inside the stretch, so nothing already heard is written twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..audio import read_block
from ..speech import Span, SpeechMap, union
from ..types import Segment, Transcript, Word
from . import guard
from .base import SAMPLE_RATE, Transcriber

log = logging.getLogger("restitution")

CONTEXT = 1.0  # seconds decoded either side of a stretch, so its first and last words are whole
JOIN = 3.0  # stretches closer than this are decoded in one go
TOLERANCE = 0.2  # a recovered word's middle may lie this far outside its stretch
# The recover stage's algorithm (a second hearing of speech without words).
RECOVER_VERSION = 3  # 2: sampling seeded, the same words on every run; 3: a joined decode's empty stretches alone
RECOVERY = f"alone, context {CONTEXT} s, joined within {JOIN} s, then each empty one alone"  # for cache keys


def _text(words: Sequence[Word]) -> str:
    return "".join(w.text for w in words).strip()


def _near(t: float, spans: Sequence[Span]) -> bool:
    return any(a - TOLERANCE <= t <= b + TOLERANCE for a, b in spans)


def _shifted(segment: Segment, by: float, keep: Sequence[Span]) -> Segment | None:
    """`segment` moved `by` seconds, holding only its words whose middle falls in `keep`."""
    words = []
    for w in segment.words:
        if _near((w.start + w.end) / 2 + by, keep):
            words.append(Word(round(w.start + by, 3), round(w.end + by, 3), w.text, w.probability))
    if not words or not _text(words):
        return None
    return Segment(words[0].start, words[-1].end, _text(words), tuple(words))


def _insert(segments: list[Segment], new: Segment) -> list[Segment]:
    """`segments` with `new` in time order; a segment that spans `new` is split around it."""
    out: list[Segment] = []
    for seg in segments:
        if seg.start < new.start < seg.end and seg.words:
            before = tuple(w for w in seg.words if w.end <= new.start)
            after = tuple(w for w in seg.words if w.end > new.start)
            out += [Segment(p[0].start, p[-1].end, _text(p), p) for p in (before, after) if p and _text(p)]
        else:
            out.append(seg)
    out.append(new)
    return sorted(out, key=lambda s: (s.start, s.end))


def _hear(
    audio: np.ndarray, span: Span, inside: Sequence[Span], transcriber: Transcriber, language: str | None
) -> tuple[list[Segment], str | None]:
    """The words of `inside` (stretches within `span`), decoded from `span` and a little either side."""
    duration = len(audio) / SAMPLE_RATE
    lo, hi = max(0.0, span[0] - CONTEXT), min(duration, span[1] + CONTEXT)
    piece = read_block(audio, int(lo * SAMPLE_RATE), int(hi * SAMPLE_RATE))
    again = guard.clean(transcriber.transcribe(piece, language, speech=SpeechMap.whole(len(piece) / SAMPLE_RATE)))
    kept = [k for seg in again.segments if (k := _shifted(seg, lo, inside)) is not None]
    return kept, language or again.language or None


def _holds(segments: Sequence[Segment], span: Span) -> bool:
    return any(_near((w.start + w.end) / 2, [span]) for s in segments for w in s.words)


def recover(
    audio: np.ndarray, transcript: Transcript, stretches: Sequence[Span], transcriber: Transcriber
) -> Transcript:
    """`transcript` with the words found by decoding each of `stretches` (speech without words,
    see speech.wordless) again on its own."""
    if not stretches:
        return transcript
    language = transcript.language or None
    segments = list(transcript.segments)
    found = 0.0
    for span in union(stretches, JOIN):
        inside = [(a, b) for a, b in stretches if a >= span[0] and b <= span[1]]
        kept, language = _hear(audio, span, inside, transcriber, language)
        if len(inside) > 1:
            # A joined decode can fail as a whole (one long hallucination the guard drops, a
            # language switch): a stretch it left empty is heard once more, alone.
            for alone in [st for st in inside if not _holds(kept, st)]:
                more, language = _hear(audio, alone, [alone], transcriber, language)
                kept += more
        for seg in kept:
            segments = _insert(segments, seg)
            found += seg.end - seg.start
    seconds = sum(b - a for a, b in stretches)
    log.info(
        "second hearing: %.1f s of speech without words in %d stretches; words found over %.1f s",
        seconds,
        len(stretches),
        found,
    )
    return replace(transcript, segments=tuple(segments), language=transcript.language or language or "")
