"""Who was speaking when the recording began: the first-listed co-presenter, or the next one?

A recording that starts `lost` seconds into a co-presented item opens on a voice already
speaking, whose turn then runs `rest` seconds more. If the first-listed name opened the item
(the agenda's order), that voice is the first speaker when an even number of turns ended in
the lost seconds (none, most often: one turn of `lost + rest` seconds), and the second speaker
when an odd number did (the first speaker spoke less than `lost` seconds, then handed over).
Turn lengths are those of the session's own uncut turns, as a log-normal law; the cue is the
log-odds of the two, so a recording a few seconds late leaves the opening to the first name,
and one late by more than a turn gives the voice heard first to the second.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

STEP = 0.25  # seconds: the grid the turn-length densities are convolved on
MIN_SPREAD = 0.3  # log-normal sigma floor: a few alike turns say little about the rest
MIN_LENGTHS = 3  # turns needed to fit a law; fewer: no cue
TURNS_LOST = 4  # hypotheses: 0..TURNS_LOST-1 turns ended within the lost seconds


def _density(x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros_like(x)
    pos = x > 0
    z = (np.log(x[pos]) - mu) / sigma
    out[pos] = np.exp(-0.5 * z * z) / (x[pos] * sigma * math.sqrt(2 * math.pi))
    return out


def first_speaker_log_odds(lost: float, rest: float, lengths: Sequence[float]) -> float | None:
    """log P(the voice under way at the start is the item's first speaker) / P(it is the next),
    or None when the session has too few turns to tell or nothing was lost."""
    lengths = [x for x in lengths if x > 0]
    if lost <= 0 or len(lengths) < MIN_LENGTHS:
        return None
    logs = np.log(lengths)
    mu, sigma = float(np.mean(logs)), max(MIN_SPREAD, float(np.std(logs)))
    grid = np.arange(1, int(math.ceil((lost + rest) / STEP)) + 2) * STEP
    f = _density(grid, mu, sigma)
    end = lost + rest  # the turn under way ends here, counted from the item's start
    lost_at = grid <= lost
    odds = np.zeros(2)  # [first speaker, next one]
    ended = np.zeros_like(f)  # density of the time the k-th turn ended (k = 0: a spike at 0)
    for k in range(TURNS_LOST):
        if k == 0:
            p = float(_density(np.array([end]), mu, sigma)[0])
        else:
            # grid index i is (i + 1) steps: a sum of two lands one index further on
            ended = f.copy() if k == 1 else np.concatenate([[0.0], np.convolve(ended, f)[: len(f) - 1]]) * STEP
            # the k-th turn ended at a (within the lost seconds), the next one lasts end - a
            p = float(np.sum(ended[lost_at] * _density(end - grid[lost_at], mu, sigma)) * STEP)
        odds[k % 2] += p
    if odds.min() <= 0:
        return None if odds.max() <= 0 else math.copysign(50.0, odds[0] - odds[1])
    return float(math.log(odds[0] / odds[1]))
