"""The speech map: where someone speaks, found once and shared by transcription and diarization.

    speech = detect(samples)                                  # once, after decoding
    transcript = transcribe(samples, options.asr, language, speech=speech)
    diarization = diarize(samples, options.diarization, speech=speech)
    gaps = find_gaps(speech, diarization.turns, segments)     # heard speech left without words

Why not Silero VAD, as before: measured here, it dropped whole sentences. faster-whisper's
Silero model carries its recurrent state across long silences and hears speech less well after
them (mean speech probability on a clear FLEURS clip fell from 0.78 to 0.54 after two minutes
of digital silence), and at its thresholds it found 65 % of the speech frames in the far-field
AMI excerpts. The segmentation-3.0 network (see segmentation.py) looks at 10-second windows
with no state between them, normalises each window's level, and found 92 % of those frames at
a 2 % false-alarm rate; it also says where two people speak at once.

The map's regions are tight around the speech. Transcription decodes them padded and joined
(`chunks`); the diarization embeds them as they are; what is speech by the map or by the
diarization and still has no word after transcription is decoded again on its own
(transcribe/recover.py), and what then still has no word is a `Gap`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from . import segmentation
from .threads import torch_threads
from .types import Gap, Record, Segment, Turn

log = logging.getLogger("restitution")

Span = tuple[float, float]

# Seconds between the model's 10-second windows. On the AMI excerpts steps of 1 s (pyannote's),
# 2.5 s and 5 s found 91.9, 91.6 and 91.8 % of the speech frames at 4.1-4.6 % false alarms, for
# 0.027, 0.010 and 0.006 CPU seconds per second of audio; 5 s moved the far-field DER from 37.5 to
# 42.7 % (all of it confusion: the clustering of these 30 s excerpts swings with small changes).
STEP = 2.5
ONSET = 0.5  # speech probability at which a region starts...
OFFSET = 0.4  # ...and below which it ends: a dip inside a word does not cut it
OVERLAP_ONSET = 0.5  # probability of two voices at once
MIN_SPEECH = 0.1  # seconds; shorter blips are not speech
MIN_PAUSE = 0.1  # seconds; shorter pauses are bridged
# The speech stage's algorithm: bump it when a change alters the speech map.
SPEECH_VERSION = 1
DETECTOR = f"{segmentation.MODEL_NAME} step {STEP} onset {ONSET} offset {OFFSET}"

PAD = 0.4  # seconds of context each side of a region sent to the decoder (a breath, a soft consonant)
JOIN = 2.0  # regions closer than this are decoded as one chunk, their pause kept

WORD_MARGIN = 0.3  # seconds around a word that count as heard (word times are approximate)
MIN_GAP = 1.0  # seconds of speech without a word before it is worth a second decode, or a gap


@dataclass(frozen=True)
class SpeechMap(Record):
    """Speech regions (seconds, sorted, disjoint) and where two or more voices overlap."""

    regions: tuple[tuple[float, float], ...]
    overlaps: tuple[tuple[float, float], ...] = ()
    duration: float = 0.0
    detector: str = DETECTOR

    @classmethod
    def whole(cls, duration: float) -> SpeechMap:
        """All of the audio is speech: decoding without a voice-activity cut."""
        return cls(((0.0, round(duration, 3)),) if duration > 0 else (), (), duration, "none")

    @property
    def seconds(self) -> float:
        return sum(e - s for s, e in self.regions)


def binarize(
    probs: np.ndarray,
    onset: float,
    offset: float,
    min_on: float = MIN_SPEECH,
    min_off: float = MIN_PAUSE,
    duration: float | None = None,
) -> list[Span]:
    """Regions where `probs` (one per segmentation frame) rises above `onset` and stays above `offset`."""
    on = np.zeros(len(probs) + 2, bool)
    active = False
    for i, p in enumerate(probs):  # hysteresis: a plain threshold would not do it
        active = p >= offset if active else p > onset
        on[i + 1] = active
    edges = np.flatnonzero(np.diff(on.astype(np.int8)))
    half = segmentation.FRAME_STEP / 2
    centres = segmentation.frame_times(len(probs))
    spans: list[list[float]] = []
    for a, b in zip(edges[::2], edges[1::2]):  # frames a..b-1 are on
        start, end = max(0.0, centres[a] - half), centres[b - 1] + half
        if duration is not None:
            end = min(end, duration)
        if spans and start - spans[-1][1] < min_off:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    return [(round(float(s), 3), round(float(e), 3)) for s, e in spans if e - s >= min_on]


def intersect(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """The parts of `a` inside `b` (both sorted and disjoint)."""
    out: list[Span] = []
    j = 0
    for s, e in a:
        while j < len(b) and b[j][1] <= s:
            j += 1
        k = j
        while k < len(b) and b[k][0] < e:
            lo, hi = max(s, b[k][0]), min(e, b[k][1])
            if hi > lo:
                out.append((lo, hi))
            k += 1
    return out


def union(spans: Iterable[Span], join: float = 0.0) -> list[Span]:
    """Sorted, disjoint spans covering `spans`; spans closer than `join` become one."""
    out: list[list[float]] = []
    for s, e in sorted(spans):
        if out and s - out[-1][1] <= join:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def subtract(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """The parts of `a` outside `b` (both sorted and disjoint)."""
    out: list[Span] = []
    j = 0
    for s, e in a:
        while j < len(b) and b[j][1] <= s:
            j += 1
        k, t = j, s
        while k < len(b) and b[k][0] < e:
            if b[k][0] > t:
                out.append((t, b[k][0]))
            t = max(t, b[k][1])
            k += 1
        if t < e:
            out.append((t, e))
    return out


def detect(
    audio: np.ndarray, progress: Callable[[float], None] | None = None, threads: int = 1, device: str = "cpu"
) -> SpeechMap:
    """The speech map of 16 kHz mono float32 audio (an array or a memmap), on torch's `device`."""
    duration = len(audio) / segmentation.SAMPLE_RATE
    if len(audio) == 0:
        return SpeechMap((), (), 0.0)
    with torch_threads(threads):
        speech, overlap = segmentation.score(audio, STEP, progress, device)
    regions = binarize(speech, ONSET, OFFSET, duration=duration)
    overlaps = intersect(binarize(overlap, OVERLAP_ONSET, OVERLAP_ONSET, duration=duration), regions)
    found = SpeechMap(tuple(regions), tuple(overlaps), round(duration, 3))
    log.info(
        "speech: %.1f s in %d regions (%.1f s of overlapping voices) in %.1f s of audio",
        found.seconds,
        len(regions),
        sum(e - s for s, e in overlaps),
        duration,
    )
    return found


def chunks(speech: SpeechMap, pad: float = PAD, join: float = JOIN) -> list[Span]:
    """What the decoder gets: regions with `pad` seconds of context, those closer than `join` as one."""
    padded = [(max(0.0, s - pad), min(speech.duration or e + pad, e + pad)) for s, e in speech.regions]
    return union(padded, join)


def _word_spans(segments: Iterable[Segment], margin: float) -> list[Span]:
    return union((w.start - margin, w.end + margin) for seg in segments for w in seg.words)


def wordless(
    stretches: Iterable[Span], segments: Iterable[Segment], min_seconds: float = MIN_GAP, margin: float = WORD_MARGIN
) -> list[Span]:
    """Parts of `stretches` (speech) at least `min_seconds` long with no word of `segments` in them."""
    left = subtract(union(stretches), _word_spans(segments, margin))
    return [(round(s, 3), round(e, 3)) for s, e in left if e - s >= min_seconds]


def heard(speech: SpeechMap, turns: Iterable[Turn]) -> list[Span]:
    """Everything that the map or the diarization calls speech."""
    return union([*speech.regions, *((t.start, t.end) for t in turns)])


def _speaker(span: Span, turns: Sequence[Turn]) -> str | None:
    best, most = None, 0.0
    for t in turns:
        overlap = min(span[1], t.end) - max(span[0], t.start)
        if overlap > most:
            best, most = t.speaker, overlap
    return best


def find_gaps(speech: SpeechMap, turns: Sequence[Turn], segments: Sequence[Segment]) -> tuple[Gap, ...]:
    """Heard speech that ended up with no words: what the outputs mark as inaudible."""
    gaps = tuple(Gap(s, e, _speaker((s, e), turns)) for s, e in wordless(heard(speech, turns), segments))
    if gaps:
        log.warning(
            "%.1f s of speech in %d stretches has no words; marked as inaudible",
            sum(g.end - g.start for g in gaps),
            len(gaps),
        )
    else:
        log.info("gaps: none (all %.1f s of heard speech has words)", speech.seconds)
    return gaps
