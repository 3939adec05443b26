"""Voice pitch: the median fundamental frequency of a voice, from a sample of its turns.

A YIN-style estimate (cumulative mean normalised difference) on 40 ms frames every 10 ms,
computed with FFTs over the whole batch of frames. Only frames that are clearly periodic
count; a voice with too few of them has no pitch (None), rather than a guess.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..audio import read_block

SAMPLE_RATE = 16000
FRAME = 640  # 40 ms: two periods of a 50 Hz voice
HOP = 160  # 10 ms
F0_MIN, F0_MAX = 60.0, 400.0
PERIODIC = 0.2  # CMND dip below this: a voiced frame (YIN's threshold is 0.1-0.2)
MAX_SECONDS = 40.0  # speech sampled per voice: the median settles long before
MIN_VOICED = 50  # voiced frames (half a second) below which a voice has no pitch


def _frames(x: np.ndarray) -> np.ndarray:
    n = 1 + (len(x) - FRAME) // HOP if len(x) >= FRAME else 0
    if n <= 0:
        return np.zeros((0, FRAME), dtype=np.float32)
    idx = np.arange(FRAME)[None, :] + HOP * np.arange(n)[:, None]
    return x[idx]


def frame_f0(x: np.ndarray) -> np.ndarray:
    """F0 in Hz of each voiced 40 ms frame of 16 kHz audio `x` (unvoiced frames left out)."""
    frames = _frames(np.asarray(x, dtype=np.float32))
    if not len(frames):
        return np.zeros(0)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    loud = rms > max(1e-4, 0.1 * float(np.percentile(rms, 90)))  # pauses and breath out
    frames = frames[loud] - frames[loud].mean(axis=1, keepdims=True)
    if not len(frames):
        return np.zeros(0)
    max_lag = int(SAMPLE_RATE / F0_MIN)
    min_lag = int(SAMPLE_RATE / F0_MAX)
    width = FRAME - max_lag  # the compared window: every lag sees the same samples
    size = 1 << int(np.ceil(np.log2(FRAME + width)))
    head = frames[:, :width]
    # d(tau) = sum x[j]^2 + sum x[j+tau]^2 - 2 sum x[j] x[j+tau], over j < width
    cross = np.fft.irfft(np.fft.rfft(frames, size) * np.conj(np.fft.rfft(head, size)), size)[:, : max_lag + 1]
    energy = np.sum(head**2, axis=1, keepdims=True)
    cum = np.concatenate([np.zeros((len(frames), 1)), np.cumsum(frames**2, axis=1)], axis=1)
    lags = np.arange(max_lag + 1)
    shifted = cum[:, lags + width] - cum[:, lags]
    diff = energy + shifted - 2 * cross
    diff[:, 0] = 0.0
    mean = np.cumsum(diff[:, 1:], axis=1) / np.arange(1, max_lag + 1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] / np.maximum(mean, 1e-12)
    out = []
    for row in cmnd:
        below = np.flatnonzero(row[min_lag:] < PERIODIC)
        if not len(below):
            continue
        tau = min_lag + int(below[0])
        while tau + 1 <= max_lag and row[tau + 1] < row[tau]:  # walk down to the dip's bottom
            tau += 1
        if 1 <= tau < max_lag:  # parabolic interpolation between neighbouring lags
            a, b, c = row[tau - 1], row[tau], row[tau + 1]
            step = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
            out.append(SAMPLE_RATE / (tau + float(np.clip(step, -1, 1))))
        else:
            out.append(SAMPLE_RATE / tau)
    return np.asarray(out)


def median_f0(
    samples: np.ndarray, spans: Iterable[tuple[float, float]], max_seconds: float = MAX_SECONDS
) -> float | None:
    """Median F0 (Hz) of the speech in `spans` (seconds of 16 kHz `samples`); None if too little
    is voiced. Long spans are read first and each is capped, so one long turn does not fill the
    sample alone."""
    spans = sorted(((s, e) for s, e in spans if e > s), key=lambda se: se[0] - se[1])
    budget = max_seconds
    f0: list[np.ndarray] = []
    cap = max(2.0, max_seconds / 4)
    for start, end in spans:
        if budget <= 0:
            break
        take = min(end - start, cap, budget)
        mid = (start + end) / 2
        a, b = int((mid - take / 2) * SAMPLE_RATE), int((mid + take / 2) * SAMPLE_RATE)
        f0.append(frame_f0(read_block(samples, max(0, a), min(len(samples), b))))
        budget -= take
    values = np.concatenate(f0) if f0 else np.zeros(0)
    if len(values) < MIN_VOICED:
        return None
    return float(np.median(values))
