"""Hallucination guard: what Whisper writes where nobody speaks, and lines it repeats in a loop.

Silero VAD already keeps silence, applause and most music away from the decoder; this catches
what slips through: the phrases Whisper's training subtitles taught it to write over
non-speech, a window that degenerates into the same words again and again, and a line
repeated across consecutive windows.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import zlib
from dataclasses import replace

from ..types import Segment, Transcript

log = logging.getLogger("restitution")

# Credits and sign-offs from subtitle files, written over silence or music (French and English).
_PHANTOMS = re.compile(
    r"sous-?titr\w*|amara\.org|merci d'avoir regard|abonnez-vous|thanks? (you )?for watching|"
    r"please subscribe|like and subscribe|www\.|\.com\b",
    re.IGNORECASE,
)
MAX_COMPRESSION = 2.4  # Whisper's own threshold: text this compressible is a loop
MAX_REPEATS = 2  # the same line may appear this many times in a row, not more


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def _is_phantom(seg: Segment) -> bool:
    words = _norm(seg.text).split()
    # Short lines only: a speaker may well say "sous-titres" in a real sentence.
    return bool(_PHANTOMS.search(seg.text)) and len(words) <= 12


def clean(transcript: Transcript) -> Transcript:
    """The transcript without phantom credits, looping windows and runs of repeated lines."""
    kept: list[Segment] = []
    dropped = 0
    run = 0
    previous = ""  # normalized text of the last kept segment
    for seg in transcript.segments:
        norm = _norm(seg.text)
        if not norm or _is_phantom(seg) or (len(norm) > 40 and compression_ratio(norm) > MAX_COMPRESSION):
            dropped += 1
            continue
        run = run + 1 if norm == previous else 1
        if run > MAX_REPEATS:
            dropped += 1
            continue
        kept.append(seg)
        previous = norm
    if dropped:
        log.info("hallucination guard: dropped %d of %d segments", dropped, len(transcript.segments))
    return replace(transcript, segments=tuple(kept))
