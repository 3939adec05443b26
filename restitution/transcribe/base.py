"""The Transcriber protocol and the boundary where backend output becomes our types."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

import numpy as np

from ..types import Segment, Transcript, Word

SAMPLE_RATE = 16000
Hook = Callable[..., Any]


class Transcriber(Protocol):
    engine: str  # "faster-whisper" | "openai-whisper"

    def transcribe(self, audio: np.ndarray, language: str | None, hook: Hook | None = None) -> Transcript:
        """Transcribe 16 kHz mono float32 audio; `language=None` detects it."""
        ...


def temperatures(fallback: bool) -> tuple[float, ...]:
    return (0.0, 0.2, 0.4, 0.6, 0.8, 1.0) if fallback else (0.0,)


def make_segments(raw: Iterable[tuple[float, float, str, list[tuple[float, float, str, float]]]], duration: float) -> tuple[Segment, ...]:
    """Build segments from (start, end, text, [(start, end, word, probability)]) in media time.

    Enforces the invariants the later stages rely on: every time within [0, duration],
    words never go back in time, a segment spans its words, segments start in order.
    """
    segments: list[Segment] = []
    clock = 0.0  # no word or segment may start before this
    for start, end, text, raw_words in raw:
        words = []
        for w_start, w_end, w_text, prob in raw_words:
            w_start = min(max(w_start, clock), duration)
            w_end = min(max(w_end, w_start), duration)
            words.append(Word(round(float(w_start), 3), round(float(w_end), 3), w_text, round(float(prob), 4)))
            clock = w_end
        if words:
            start, end = words[0].start, words[-1].end
        else:
            start = min(max(start, segments[-1].start if segments else 0.0), duration)
            end = min(max(end, start), duration)
        text = text.strip()
        if not text:
            continue
        segments.append(Segment(round(float(start), 3), round(float(end), 3), text, tuple(words)))
    return tuple(segments)


def report(hook: Hook | None, done: float, total: float) -> None:
    if hook is not None:
        hook("transcribe", completed=min(done, total), total=total)


class SpeechMap:
    """Silero VAD as faster-whisper applies it: keep only speech, then map times back.

    Both engines decode the concatenated speech; doing the cut here (rather than inside
    faster-whisper) gives them the very same chunks and avoids faster-whisper's chunk
    collection, which re-copies the growing buffer once per chunk on long recordings.
    """

    def __init__(self, audio: np.ndarray, enabled: bool):
        from faster_whisper.vad import SpeechTimestampsMap, VadOptions, get_speech_timestamps

        self.duration = len(audio) / SAMPLE_RATE
        if not enabled:
            self.audio, self._map = np.asarray(audio, dtype=np.float32), None
            return
        chunks = get_speech_timestamps(np.asarray(audio, dtype=np.float32), VadOptions())
        self.audio = (
            np.concatenate([audio[c["start"] : c["end"]] for c in chunks]).astype(np.float32, copy=False)
            if chunks
            else np.zeros(0, np.float32)
        )
        self._map = SpeechTimestampsMap(chunks, SAMPLE_RATE) if chunks else None

    def time(self, t: float, is_end: bool = False) -> float:
        return self._map.get_original_time(t, is_end=is_end) if self._map else t

    def words(self, words: list[tuple[float, float, str, float]]) -> list[tuple[float, float, str, float]]:
        if not self._map:
            return words
        out = []
        for start, end, text, prob in words:
            # Resolve both ends in the chunk of the word's middle, so a word never spans a cut.
            index = self._map.get_chunk_index((start + end) / 2)
            out.append((self._map.get_original_time(start, index), self._map.get_original_time(end, index), text, prob))
        return out

    def segment(self, start: float, end: float, text: str, words: list[tuple[float, float, str, float]]):
        words = self.words(words)
        if words:
            return words[0][0], words[-1][1], text, words
        return self.time(start), self.time(end, is_end=True), text, words
