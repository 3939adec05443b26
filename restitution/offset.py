"""Late-start offset: how many seconds of the session were missed before the recording began.

media time = session time - offset. `estimate` finds the one constant offset that lines up the
agenda's item starts with what the recording shows (speaker changes, pauses, names and title
words in the transcript); `from_reference` cross-correlates against a copy whose timeline is the
agenda's. Both report a confidence in [0, 1].
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import evidence
from .audio import SAMPLE_RATE, ffmpeg, probe, url
from .errors import AudioError
from .options import OffsetOptions
from .types import Agenda, AgendaItem, Diarization, Offset, Transcript

log = logging.getLogger("restitution")

# The offset stage's algorithm: bump it when a change moves estimated offsets.
OFFSET_VERSION = 1

STEP = 0.1  # seconds between candidate offsets
SHARP = 1.0  # spread (s) of boundary evidence: a speaker change or pause is this precise
# A spoken cue (a name, the item's title words) only says "around here": it may come before the
# item starts ("je laisse la parole à ...") or after ("je suis ...", "je vais vous présenter ...").
CUE_BEFORE, CUE_AFTER, CUE_FADE = 10.0, 15.0, 10.0
# An item supports an offset where it scores at least SUPPORT (a speaker change, or a pause
# with a cue); an item that scores less there but reaches SUPPORT elsewhere disagrees.
SUPPORT = 0.35
PRIOR = 0.05  # score taken off across the whole search range: decides near-ties only
# One item alone may place the offset this far, or as far as the recording is long: beyond, it
# takes two items that agree. An item at 00:10:00 matched to a pause 5 s into an 11-second
# recording is a time past the end, not a recording that started ten minutes late.
LONE_OFFSET = 30.0


def manual(seconds: float) -> Offset:
    return Offset(seconds=float(seconds), method="manual", confidence=None)


def none() -> Offset:
    return Offset(seconds=0.0, method="none", confidence=None)


@dataclass(frozen=True)
class _Events:
    """Evidence on the recording's timeline: times where an item could plausibly start."""

    changes: tuple[np.ndarray, np.ndarray]  # speaker-change times, strengths
    pauses: tuple[np.ndarray, np.ndarray]  # speech onsets after a silence, strengths


def _add_kernel(curve: np.ndarray, grid0: float, centers: np.ndarray, weights: np.ndarray, kind: str) -> None:
    """curve = max(curve, weight * kernel(offset - center)) for every event, in place."""
    if centers.size == 0:
        return
    if kind == "sharp":
        half = int(round(3 * SHARP / STEP))
        rel = np.arange(-half, half + 1) * STEP
        shape = np.exp(-0.5 * (rel / SHARP) ** 2)
    else:
        # Offset o means the item starts at t - o; a cue at m supports starts in
        # [m - CUE_AFTER, m + CUE_BEFORE], i.e. offsets in [t - m - CUE_BEFORE, t - m + CUE_AFTER].
        lo, hi = -CUE_BEFORE - CUE_FADE, CUE_AFTER + CUE_FADE
        rel = np.arange(int(round(lo / STEP)), int(round(hi / STEP)) + 1) * STEP
        shape = np.clip(np.minimum(rel + CUE_BEFORE + CUE_FADE, CUE_AFTER + CUE_FADE - rel) / CUE_FADE, 0, 1)
    offsets = np.round((rel[None, :] + centers[:, None] - grid0) / STEP).astype(int)
    values = shape[None, :] * weights[:, None]
    inside = (offsets >= 0) & (offsets < curve.size)
    np.maximum.at(curve, offsets[inside], values[inside])


def _item_curves(
    agenda: Agenda, events: _Events, item_cues: list[tuple[np.ndarray, np.ndarray]], grid: np.ndarray, duration: float
) -> np.ndarray:
    """Per-item score in [0, 1] for every candidate offset (rows: items, columns: offsets)."""
    curves = np.zeros((len(agenda.items), grid.size))
    weights = (0.5, 0.2, 0.3) if events.changes[0].size else (0.0, 0.5, 0.5)
    for i, item in enumerate(agenda.items):
        if item.time <= 0:
            continue  # the recording started late: the opening item shows no start of its own
        change = np.zeros(grid.size)
        pause = np.zeros(grid.size)
        cue = np.zeros(grid.size)
        # Offsets o = item.time - event time.
        _add_kernel(change, grid[0], item.time - events.changes[0], events.changes[1], "sharp")
        _add_kernel(pause, grid[0], item.time - events.pauses[0], events.pauses[1], "sharp")
        _add_kernel(cue, grid[0], item.time - item_cues[i][0], item_cues[i][1], "broad")
        # A weighted mean, not a capped sum: bounded by 1 yet still peaked where evidence coincides.
        score = weights[0] * change + weights[1] * pause + weights[2] * cue
        start = item.time - grid
        score[(start < 0) | (start >= duration)] = 0.0
        curves[i] = score
    return curves


def lone_limit(duration: float) -> float:
    """How far from 0 an offset that only one agenda item supports may be."""
    return max(LONE_OFFSET, duration)


def latest_plausible(agenda: Agenda, duration: float, options: OffsetOptions = OffsetOptions()) -> float:
    """The largest offset `estimate` may return for `agenda`: within `lone_limit`, or where at least
    two items (after the session's start) fall inside the recording."""
    lo, hi = options.search_min, options.search_max
    zones = [min(hi, lone_limit(duration))] if max(lo, -lone_limit(duration)) <= min(hi, lone_limit(duration)) else []
    times = sorted(item.time for item in agenda.items if item.time > 0)
    for first, second in itertools.pairwise(times):
        # Both inside when 0 <= time - offset < duration: offsets in (second - duration, first].
        if second - duration < min(first, hi) and min(first, hi) >= lo:
            zones.append(min(first, hi))
    return max(zones) if zones else hi


def estimate(
    agenda: Agenda,
    transcript: Transcript,
    diarization: Diarization | None,
    duration: float,
    options: OffsetOptions = OffsetOptions(),
) -> Offset:
    """The constant offset that best lines up agenda starts with the recording's evidence."""
    evidential = [i for i, item in enumerate(agenda.items) if item.time > 0]
    if not evidential:
        log.warning("offset: no agenda item after the start of the session; assuming the recording started on time")
        return Offset(seconds=0.0, method="auto", confidence=0.0)
    grid = np.arange(options.search_min, options.search_max + STEP / 2, STEP)
    events = _Events(changes=evidence.speaker_changes(diarization), pauses=evidence.pauses(transcript, diarization))
    item_cues = evidence.item_cues(agenda, evidence.tokens(transcript))
    curves = _item_curves(agenda, events, item_cues, grid, duration)
    total = curves.sum(axis=0)
    # Near-ties go to the smaller delay: recordings start seconds late far more often than minutes.
    objective = total - PRIOR * np.abs(grid) / max(1.0, options.search_max - options.search_min)
    allowed = (np.abs(grid) <= lone_limit(duration)) | ((curves >= SUPPORT).sum(axis=0) >= 2)
    if not allowed.any():
        allowed[:] = True  # a search range set outside the lone limit: the user's range rules
    best = int(np.argmax(np.where(allowed, objective, -np.inf)))
    _report_lone(int(np.argmax(objective)), best, agenda, curves, grid, duration)
    agrees = curves[:, best] >= SUPPORT
    seconds = _refine(float(grid[best]), agrees, agenda, events)
    seconds = float(np.clip(seconds, options.search_min, options.search_max))

    n = len(evidential)
    # The best competing offset more than a few seconds away: a lone peak is a sure one.
    far = allowed & (np.abs(grid - grid[best]) > 3.0)
    runner_up = float(total[far].max()) if far.any() else 0.0
    # A runner-up at three quarters of the best is already a clear second.
    margin = (total[best] - runner_up) / max(total[best], 1e-9) / 0.25
    agreeing = float(agrees[evidential].mean())
    confidence = float(np.clip(agreeing * min(1.0, margin) * min(1.0, 0.5 + 0.25 * n), 0.0, 1.0))
    disagreeing = tuple(i + 1 for i in evidential if not agrees[i] and curves[i].max() >= SUPPORT)
    result = Offset(
        seconds=round(seconds, 2) + 0.0, method="auto", confidence=round(confidence, 3), disagreeing=disagreeing
    )
    log.info("offset: %.1f s (confidence %.2f)", result.seconds, confidence)
    if confidence < options.min_confidence:
        _warn(result, agenda, curves, grid)
    return result


def _report_lone(raw: int, best: int, agenda: Agenda, curves: np.ndarray, grid: np.ndarray, duration: float) -> None:
    """Say so when the best-scoring offset was refused because a single item stood for it."""
    if raw == best:
        return
    lone = [i for i in range(len(agenda.items)) if curves[i, raw] >= SUPPORT]
    who = ", ".join(_describe(i + 1, agenda.items[i]) for i in lone) or "no item"
    log.warning(
        "offset: %.1f s, supported by %s alone, is further than a single item may place it (%.0f s for a %.0f s "
        "recording); taking %.1f s instead",
        grid[raw],
        who,
        lone_limit(duration),
        duration,
        grid[best],
    )


def _describe(index: int, item: AgendaItem) -> str:
    where = f"line {item.line}, " if item.line else ""
    return f"item {index} ({where}{item.title!r})"


def _refine(coarse: float, agrees: np.ndarray, agenda: Agenda, events: _Events) -> float:
    """Weighted median of the offsets implied by each supporting item's nearest sharp evidence."""
    times = np.concatenate([events.changes[0], events.pauses[0]])
    weights = np.concatenate([events.changes[1], 0.5 * events.pauses[1]])
    implied, mass = [], []
    for i, item in enumerate(agenda.items):
        if item.time <= 0 or not agrees[i] or times.size == 0:
            continue
        offsets = item.time - times
        near = np.abs(offsets - coarse) <= 2 * SHARP
        if not near.any():
            continue
        score = weights[near] * np.exp(-0.5 * ((offsets[near] - coarse) / SHARP) ** 2)
        implied.append(float(offsets[near][np.argmax(score)]))
        mass.append(float(score.max()))
    if len(implied) < 2:
        return coarse
    order = np.argsort(implied)
    cumulative = np.cumsum(np.asarray(mass)[order])
    return float(np.asarray(implied)[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _warn(result: Offset, agenda: Agenda, curves: np.ndarray, grid: np.ndarray) -> None:
    details = []
    for index in result.disagreeing:
        item = agenda.items[index - 1]
        where = f"line {item.line}, " if item.line else ""
        own = curves[index - 1]
        hint = f"its own evidence points to {grid[int(np.argmax(own))]:.1f} s"
        details.append(f"item {index} ({where}{item.title!r}: {hint})")
    log.warning(
        "offset: low confidence %.2f for %.1f s; %s; set the offset by hand if the chapters look wrong",
        result.confidence or 0.0,
        result.seconds,
        "disagreeing: " + "; ".join(details) if details else "the evidence is weak throughout",
    )


# --- Reference copy ------------------------------------------------------------------------------

ENVELOPE_RATE = 100  # Hz: 10 ms frames for the coarse search


def _decode_window(path: Path, start: float, length: float) -> np.ndarray:
    """Mono 16 kHz float32 samples of [start, start + length) of `path`, decoded by ffmpeg."""
    args = [
        "-v", "error", "-ss", f"{max(0.0, start):.3f}", "-t", f"{length:.3f}",
        "-i", url(path), "-map", "0:a:0", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-",
    ]  # fmt: skip
    return np.frombuffer(ffmpeg(args, path, "decoding the reference copy")[0], dtype=np.float32)


def _envelope(samples: np.ndarray) -> np.ndarray:
    """Log energy per 10 ms frame: robust to a re-encoded or differently mixed copy."""
    frame = SAMPLE_RATE // ENVELOPE_RATE
    n = samples.size // frame
    energy = np.square(samples[: n * frame].astype(np.float64)).reshape(n, frame).mean(axis=1)
    return np.log(energy + 1e-8)


def _ncc(template: np.ndarray, signal: np.ndarray) -> np.ndarray:
    """Normalized cross-correlation of `template` at every lag inside `signal` (FFT based)."""
    n, m = template.size, signal.size
    t = (template - template.mean()) / (template.std() + 1e-12)
    size = 1 << int(np.ceil(np.log2(n + m)))
    corr = np.fft.irfft(np.fft.rfft(signal, size) * np.conj(np.fft.rfft(t, size)), size)[: m - n + 1]
    cs = np.concatenate([[0.0], np.cumsum(signal)])
    cs2 = np.concatenate([[0.0], np.cumsum(signal * signal)])
    local_sum = cs[n:] - cs[:-n]
    local_var = np.maximum(cs2[n:] - cs2[:-n] - local_sum**2 / n, 0.0)
    return corr / (np.sqrt(local_var * n) + 1e-9)


def _pick_excerpt(audio: np.ndarray, excerpt: float) -> tuple[float, float]:
    """(start, length) of the liveliest stretch among the first minutes: silence or a steady hum
    before the session would match anywhere."""
    duration = audio.size / SAMPLE_RATE
    length = min(excerpt, duration - min(30.0, 0.1 * duration))
    candidates = np.arange(min(30.0, 0.1 * duration), min(600.0, duration - length) + 1e-9, max(length / 2, 1.0))
    spread = [
        _envelope(np.asarray(audio[int(c * SAMPLE_RATE) : int((c + length) * SAMPLE_RATE)], dtype=np.float32)).std()
        for c in candidates
    ]
    return float(candidates[int(np.argmax(spread))]), length


def from_reference(
    audio: np.ndarray,
    reference: Path,
    *,
    sample_rate: int = SAMPLE_RATE,
    options: OffsetOptions = OffsetOptions(),
    excerpt: float = 120.0,
) -> Offset:
    """Offset of `audio` (the recording, mono) against `reference`, whose timeline is the agenda's.

    A few minutes of the recording are searched for inside the matching stretch of the reference:
    coarse on 10 ms log-energy envelopes, then refined on the waveforms themselves.
    """
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"from_reference expects {SAMPLE_RATE} Hz audio, not {sample_rate} Hz")
    duration = audio.size / SAMPLE_RATE
    if duration < 5.0:
        raise AudioError("the recording is too short to compare with a reference copy", reference)
    probe(reference)  # a missing, empty or non-audio reference fails here, in one line
    begin, length = _pick_excerpt(audio, excerpt)
    clip = np.asarray(audio[int(begin * SAMPLE_RATE) : int((begin + length) * SAMPLE_RATE)], dtype=np.float32)
    ref_start = max(0.0, begin + options.search_min)
    ref_end = begin + length + options.search_max
    ref = _decode_window(Path(reference), ref_start, ref_end - ref_start)
    if ref.size < clip.size:
        raise AudioError("the reference copy is shorter than the stretch it should match", reference)

    coarse = _ncc(_envelope(clip), _envelope(ref))
    peak = int(np.argmax(coarse))
    lag = peak / ENVELOPE_RATE
    # Prominence: the best peak against the best one more than 1 s away.
    away = np.abs(np.arange(coarse.size) - peak) > ENVELOPE_RATE
    second = float(coarse[away].max()) if away.any() else 0.0
    top = float(coarse[peak])
    confidence = float(np.clip(top, 0, 1) * np.clip(2 * (top - second) / max(top, 1e-6), 0, 1))

    lag = _refine_waveform(clip, ref, lag)
    seconds = ref_start + lag - begin
    result = Offset(seconds=round(seconds, 3) + 0.0, method="reference", confidence=round(confidence, 3))
    log.info("offset from reference: %.2f s (confidence %.2f)", result.seconds, confidence)
    if confidence < options.min_confidence:
        log.warning(
            "offset from reference: low confidence %.2f; is %s really a copy of this session?", confidence, reference
        )
    return result


def _refine_waveform(clip: np.ndarray, ref: np.ndarray, lag: float, span: float = 0.05, piece: float = 20.0) -> float:
    """Sharpen a 10 ms lag on the raw samples; keep the coarse lag when the waveforms differ."""
    n = min(clip.size, int(piece * SAMPLE_RATE))
    template = clip[:n].astype(np.float64)
    lo = max(0, int((lag - span) * SAMPLE_RATE))
    hi = min(ref.size, int((lag + span) * SAMPLE_RATE) + n)
    if hi - lo < n:
        return lag
    fine = _ncc(template, ref[lo:hi].astype(np.float64))
    best = int(np.argmax(fine))
    return (lo + best) / SAMPLE_RATE if fine[best] > 0.5 else lag
