"""The Transcriber protocol and the boundary where backend output becomes our types."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import numpy as np

from ..audio import SAMPLE_RATE
from ..options import ASROptions
from ..speech import SpeechMap, chunks, detect
from ..types import Hook, Segment, Transcript, Word


class Transcriber(Protocol):
    engine: str  # "faster-whisper" | "openai-whisper"
    options: ASROptions  # decoding settings are read from here at each call

    def transcribe(
        self,
        audio: np.ndarray,
        language: str | None,
        hook: Hook | None = None,
        speech: SpeechMap | None = None,
        hints: str = "",
    ) -> Transcript:
        """Transcribe 16 kHz mono float32 audio; `language=None` detects it. With VAD on, only
        the regions of `speech` are decoded (found here when None); `hints`: words to expect."""
        ...


SEED = 0  # for the temperature fallback's sampling, set before every decoding


def temperatures(fallback: bool) -> tuple[float, ...]:
    return (0.0, 0.2, 0.4, 0.6, 0.8, 1.0) if fallback else (0.0,)


def make_segments(
    raw: Iterable[tuple[float, float, str, list[tuple[float, float, str, float]]]], duration: float
) -> tuple[Segment, ...]:
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
# is decoded in groups of speech chunks; cuts between groups fall in pauses.
GROUP_SECONDS = 600.0
# Quiet speech regions are raised before decoding. Whisper hears a window of 30 s at once:
# joined after a loud region, a quiet one (a far microphone, a soft voice) went unheard. A
# FLEURS clip at -62 dBFS vanished that way after a clip at -24 dBFS, though alone it was
# transcribed. Only raised, never lowered, and only below the floor: bringing every region to
# one level changed decodings of normally recorded speech for the worse (realfr_dev: 58
# deleted words instead of 47, see benchmarks/speech_loss.py).
FLOOR_LEVEL = 10 ** (-30 / 20)  # the loud tenth of a region's 20 ms frames is raised to -30 dBFS at least
MAX_GAIN = 10 ** (50 / 20)  # by at most +50 dB
_FRAME = 320  # 20 ms
CUT = f"speech map chunks, regions raised to {FLOOR_LEVEL:.4f} rms, gain up to {MAX_GAIN:.0f}"  # for cache keys


def speech_chunks(audio: np.ndarray, speech: SpeechMap | None = None) -> list[dict[str, int]]:
    """The decoder's chunks (sample positions in `audio`): the speech map's regions, padded
    and joined across short pauses (see speech.chunks). The map is found here if not given."""
    found = speech if speech is not None else detect(audio)
    n = len(audio)
    return [{"start": round(s * SAMPLE_RATE), "end": min(n, round(e * SAMPLE_RATE))} for s, e in chunks(found)]


def level(x: np.ndarray) -> float:
    """Speech level of a stretch: the RMS of its loudest tenth of 20 ms frames."""
    if len(x) < _FRAME:
        return float(np.sqrt(np.mean(x**2))) if len(x) else 0.0
    frames = x[: len(x) // _FRAME * _FRAME].reshape(-1, _FRAME)
    return float(np.percentile(np.sqrt(np.mean(frames**2, axis=1)), 90))


def gain(x: np.ndarray) -> float:
    """What a region needs to reach FLOOR_LEVEL: 1.0 for speech already loud enough."""
    return float(np.clip(FLOOR_LEVEL / max(level(x), 1e-12), 1.0, MAX_GAIN))


def normalise(x: np.ndarray, regions: list[tuple[int, int]]) -> np.ndarray:
    """`x` with each quiet region (sample positions in `x`) raised to FLOOR_LEVEL; the gain
    ramps across the pauses between regions, so no step is heard."""
    if not regions:
        return np.clip(x * gain(x), -1.0, 1.0).astype(np.float32)
    knots, gains = [], []
    for a, b in regions:
        g = 20 * np.log10(gain(x[a:b]))
        knots += [a, max(a, b - 1)]
        gains += [g, g]
    curve = 10 ** (np.interp(np.arange(len(x)), knots, gains) / 20)
    return np.clip(x * curve, -1.0, 1.0).astype(np.float32)


def _quietest(x: np.ndarray, lo: int, hi: int) -> int:
    """Sample position of the quietest 20 ms frame of x[lo:hi]: a place to cut inside speech."""
    frames = x[lo : lo + (hi - lo) // _FRAME * _FRAME].reshape(-1, _FRAME)
    return lo + int(np.argmin(np.mean(frames**2, axis=1))) * _FRAME + _FRAME // 2


class JoinedSpeech:
    """Some speech chunks of the recording, quiet regions raised, joined; and the way
    back to recording time.

    Both engines decode the joined speech; doing the cut here (rather than inside
    faster-whisper) gives them the very same chunks.
    """

    def __init__(self, audio: np.ndarray, chunks: list[dict[str, int]], speech: SpeechMap | None = None):
        from faster_whisper.vad import SpeechTimestampsMap

        from ..audio import read_block

        regions = [(round(s * SAMPLE_RATE), round(e * SAMPLE_RATE)) for s, e in speech.regions] if speech else []
        pieces = []
        for c in chunks:
            inside = [
                (max(a, c["start"]) - c["start"], min(b, c["end"]) - c["start"])
                for a, b in regions
                if a < c["end"] and b > c["start"]
            ]
            pieces.append(normalise(read_block(audio, c["start"], c["end"]), inside))
        self.audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        self.lengths = [len(p) for p in pieces]
        self._map = SpeechTimestampsMap(chunks, SAMPLE_RATE)

    def clips(self, limit: float = 30.0) -> list[dict[str, float]]:
        """The joined speech as clips of at most `limit` seconds (seconds in the joined audio),
        whole chunks together where they fit, a longer chunk cut at its quietest moments."""
        size = int(limit * SAMPLE_RATE)
        cuts: list[int] = []  # where one clip ends and the next begins, samples
        first = position = 0  # start of the open clip; start of the chunk
        for length in self.lengths:
            end = position + length
            if end - first > size and position > first:  # the chunk does not fit: close the clip before it
                cuts.append(position)
                first = position
            while end - first > size:  # the chunk alone is too long
                first = _quietest(self.audio, first + size // 2, first + size)
                cuts.append(first)
            position = end
        bounds = [0, *cuts, len(self.audio)]
        return [{"start": a / SAMPLE_RATE, "end": b / SAMPLE_RATE} for a, b in zip(bounds, bounds[1:]) if b > a]

    def time(self, t: float, is_end: bool = False) -> float:
        return self._map.get_original_time(t, is_end=is_end)

    def segments(
        self, start: float, end: float, text: str, words: list[tuple[float, float, str, float]]
    ) -> list[tuple]:
        """One decoded segment in recording time: (start, end, text, words) for each chunk its
        words fall in, so no segment spans the silence cut out between two chunks."""
        if not words:
            return [(self.time(start), self.time(end, is_end=True), text, [])]
        parts: list[tuple[int, list[tuple[float, float, str, float]]]] = []
        for w_start, w_end, w_text, prob in words:
            # Resolve both ends in the chunk of the word's middle, so a word never spans a cut.
            index = self._map.get_chunk_index((w_start + w_end) / 2)
            back = self._map.get_original_time
            word = (back(w_start, index), back(w_end, index), w_text, prob)
            if parts and parts[-1][0] == index:
                parts[-1][1].append(word)
            else:
                parts.append((index, [word]))
        if len(parts) == 1:
            return [(parts[0][1][0][0], parts[0][1][-1][1], text, parts[0][1])]
        return [(ws[0][0], ws[-1][1], "".join(w[2] for w in ws).strip(), ws) for _, ws in parts]


def speech_for(audio: np.ndarray, vad: bool, speech: SpeechMap | None) -> SpeechMap | None:
    """The map to cut at: `speech`, or one found now; None (VAD off) decodes everything."""
    if not vad:
        return None
    return speech if speech is not None else detect(audio)


def speech_groups(
    audio: np.ndarray, speech: SpeechMap | None, group_seconds: float | None = None
) -> list[list[dict[str, int]]]:
    """The chunks of `speech` (all of the audio when it is None) in groups of at most
    `group_seconds`; make one `JoinedSpeech` at a time from them, so only one group is held."""
    if speech is not None:
        chunks = speech_chunks(audio, speech)
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
