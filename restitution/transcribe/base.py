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

    def transcribe(
        self, audio: np.ndarray, language: str | None, hook: Hook | None = None, hints: str = ""
    ) -> Transcript:
        """Transcribe 16 kHz mono float32 audio; `language=None` detects it; `hints`: words to expect."""
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


# Speech decoded per engine call. Both engines compute the log-mel features of everything
# they are given at once (several times the audio's size in memory), so a 3-hour recording
# is decoded in groups of VAD chunks; cuts between groups fall in pauses.
GROUP_SECONDS = 600.0
VAD_BLOCK_SECONDS = 600.0  # audio read at a time to find speech


def speech_chunks(audio: np.ndarray) -> list[dict[str, int]]:
    """Silero VAD speech chunks (sample positions in `audio`), found block by block."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from ..audio import read_block

    block = int(VAD_BLOCK_SECONDS * SAMPLE_RATE)
    chunks: list[dict[str, int]] = []
    for first in range(0, len(audio), block):
        for c in get_speech_timestamps(read_block(audio, first, first + block), VadOptions()):
            c = {"start": c["start"] + first, "end": c["end"] + first}
            if chunks and c["start"] - chunks[-1]["end"] < SAMPLE_RATE:  # speech across a block edge
                chunks[-1]["end"] = max(chunks[-1]["end"], c["end"])
            else:
                chunks.append(c)
    return chunks


class SpeechMap:
    """Some speech chunks of the recording, joined, and the way back to recording time.

    Both engines decode the joined speech; doing the cut here (rather than inside
    faster-whisper) gives them the very same chunks.
    """

    def __init__(self, audio: np.ndarray, chunks: list[dict[str, int]]):
        from faster_whisper.vad import SpeechTimestampsMap

        from ..audio import read_block

        self.audio = np.concatenate([read_block(audio, c["start"], c["end"]) for c in chunks])
        self._map = SpeechTimestampsMap(chunks, SAMPLE_RATE)

    def time(self, t: float, is_end: bool = False) -> float:
        return self._map.get_original_time(t, is_end=is_end)

    def words(self, words: list[tuple[float, float, str, float]]) -> list[tuple[float, float, str, float]]:
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


def speech_groups(audio: np.ndarray, vad: bool, group_seconds: float | None = None) -> list[list[dict[str, int]]]:
    """The recording's speech chunks (all of it without VAD) in groups of at most
    `group_seconds`; make one `SpeechMap` at a time from them, so only one group is held."""
    if vad:
        chunks = speech_chunks(audio)
    else:
        chunks = [{"start": 0, "end": len(audio)}] if len(audio) else []
    limit = int((group_seconds or GROUP_SECONDS) * SAMPLE_RATE)
    pieces = [  # a chunk longer than a group (rare: 10 minutes without a 2 s pause) is split
        {"start": a, "end": min(a + limit, c["end"])} for c in chunks for a in range(c["start"], c["end"], limit)
    ]
    groups: list[list[dict[str, int]]] = []
    size = 0
    for piece in pieces:
        length = piece["end"] - piece["start"]
        if not groups or size + length > limit:
            groups.append([])
            size = 0
        groups[-1].append(piece)
        size += length
    return groups
