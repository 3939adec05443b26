"""Who speaks when, from the segmentation network's local speakers (pyannote 3.1's recipe).

The segmentation network (segmentation.py) says, in each 10-second window, when each of up to
three "local" speakers talks, two at a time at most. Each local speaker of each window is
embedded once, from the audio where it talks alone; the embeddings are clustered into the
recording's voices; each window's local speakers then go to distinct voices (an optimal
assignment, so two voices of one window are never merged); and each frame gets as many voices
as the windows over it count, the most active ones.

Why not embed fixed windows of the speech and cluster them, as before: a 2.5-second window
that straddles a change of speaker, or holds two voices, is one blurred embedding and one
label; on the far-field AMI excerpts that gave 16 % of confusion. The network already knows
where the voices change inside a window, and where two overlap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import segmentation
from ..audio import SAMPLE_RATE, read_block
from ..speech import SpeechMap
from .cluster import agglomerate

STEP = 2.5  # seconds between windows (pyannote: 1 s; 2.5 s costs 2.5 times less, see the README's table)
MIN_EMBED = 1.0  # seconds of a local speaker's speech for an embedding the clustering can trust
MIN_ASSIGN = 0.2  # seconds under which a local speaker is too short to embed at all
_SAMPLES_PER_FRAME = segmentation.FRAME_STEP * SAMPLE_RATE


@dataclass(frozen=True)
class Voices:
    """The result: per recording frame, which cluster speaks; each cluster's mean embedding."""

    active: np.ndarray  # [frames, clusters] bool
    centroids: np.ndarray  # [clusters, dim], unit length
    local: int  # local speakers embedded


def _mask(window: np.ndarray, n: int) -> np.ndarray:
    """Sample mask (n samples) of a window's active frames."""
    idx = np.minimum((np.arange(n) / _SAMPLES_PER_FRAME).astype(int), len(window) - 1)
    return window[idx]


def local_embeddings(
    audio: np.ndarray,
    starts: list[int],
    hard: np.ndarray,
    embed: Callable[[np.ndarray], np.ndarray],
    progress: Callable[[float], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One embedding per window and local speaker ([windows, 3, dim], NaN where the speaker is
    too short) and the seconds each one was made from ([windows, 3])."""
    size = int(segmentation.WINDOW_SECONDS * SAMPLE_RATE)
    out: list[list[np.ndarray | None]] = []
    seconds = np.zeros((len(starts), 3))
    dim = 0
    for w, start in enumerate(starts):
        clip = read_block(audio, start, start + size)
        alone = hard[w] & (hard[w].sum(axis=1, keepdims=True) == 1)
        row: list[np.ndarray | None] = []
        for k in range(3):
            # Where the speaker talks alone; all of its speech when that is too little.
            frames = alone[:, k] if alone[:, k].sum() * segmentation.FRAME_STEP >= MIN_EMBED else hard[w][:, k]
            span = float(frames.sum() * segmentation.FRAME_STEP)
            if span < MIN_ASSIGN:
                row.append(None)
                continue
            samples = clip[_mask(frames, len(clip))]
            vector = embed(samples)
            dim = len(vector)
            seconds[w, k] = span
            row.append(vector)
        out.append(row)
        if progress:
            progress(start / SAMPLE_RATE)
    emb = np.full((len(starts), 3, max(dim, 1)), np.nan, np.float32)
    for w, row in enumerate(out):
        for k, v in enumerate(row):
            if v is not None:
                emb[w, k] = v / max(float(np.linalg.norm(v)), 1e-9)
    return emb, seconds


def assign(emb: np.ndarray, seconds: np.ndarray, labels: np.ndarray, trusted: np.ndarray) -> np.ndarray:
    """Cluster of each window's local speakers ([windows, 3], -1: none), distinct within a window.

    `labels` are the clustering's labels of the `trusted` embeddings (a boolean [windows, 3]);
    each window's speakers then go to the nearest centroids under the one-voice-per-speaker
    constraint (the Hungarian algorithm), short speakers included."""
    from scipy.optimize import linear_sum_assignment

    flat = emb[trusted]
    k = int(labels.max()) + 1 if len(labels) else 0
    out = np.full(seconds.shape, -1, int)
    if k == 0:
        return out
    centroids = np.stack([flat[labels == c].mean(axis=0) for c in range(k)])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-9)
    for w in range(len(emb)):
        present = [j for j in range(3) if seconds[w, j] > 0]
        if not present:
            continue
        similarity = emb[w, present] @ centroids.T
        rows, cols = linear_sum_assignment(-similarity)
        for r, c in zip(rows, cols):
            out[w, present[r]] = c
    return out


def reconstruct(
    starts: list[int], hard: np.ndarray, owner: np.ndarray, k: int, n_samples: int, speech: SpeechMap
) -> np.ndarray:
    """[frames, k] bool: at each frame of the recording, the voices heard there.

    Each voice's activity is the Hamming-weighted mean over the windows of its local speaker's;
    the number of voices is the windows' own count, at least one inside the speech map's
    regions and none outside, so transcription and diarization agree on where speech is."""
    total = segmentation.n_frames(n_samples)
    activity = np.zeros((total, max(k, 1)), np.float64)
    count = np.zeros(total, np.float64)
    weights = np.zeros(total, np.float64)
    hamming = np.hamming(segmentation.frames_per_window())
    for w, start in enumerate(starts):
        f0, valid = segmentation.placement(start, n_samples, total)
        if valid <= 0:
            continue
        h = hamming[:valid]
        local = hard[w, :valid]
        count[f0 : f0 + valid] += local.sum(axis=1) * h
        weights[f0 : f0 + valid] += h
        for j in range(3):
            if owner[w, j] >= 0:
                activity[f0 : f0 + valid, owner[w, j]] += local[:, j] * h
    weights = np.maximum(weights, 1e-9)
    activity /= weights[:, None]
    voices = np.rint(count / weights).astype(int)
    times = segmentation.frame_times(total)
    inside = np.zeros(total, bool)
    for s, e in speech.regions:
        inside[(times >= s) & (times < e)] = True
    voices = np.where(inside, np.clip(voices, 1, 2), 0)
    voices = np.minimum(voices, k)
    order = np.argsort(-activity, axis=1)
    active = np.zeros((total, max(k, 1)), bool)
    rows = np.arange(total)
    for rank in range(2):
        chosen = order[:, rank] if k > rank else np.zeros(total, int)
        take = (voices > rank) & (activity[rows, chosen] > 0)
        active[rows[take], chosen[take]] = True
    return active[:, :k] if k else active[:, :0]


def find_voices(
    audio: np.ndarray,
    speech: SpeechMap,
    embed: Callable[[np.ndarray], np.ndarray],
    *,
    num_speakers: int | None = None,
    min_speakers: int = 1,
    max_speakers: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> Voices:
    """The recording's voices frame by frame (see the module docstring)."""
    starts, hard = segmentation.local_speakers(audio, STEP)
    emb, seconds = local_embeddings(audio, starts, hard, embed, progress)
    trusted = seconds >= MIN_EMBED
    if not trusted.any():
        trusted = seconds > 0
    if not trusted.any():
        return Voices(np.zeros((segmentation.n_frames(len(audio)), 0), bool), np.zeros((0, 1)), 0)
    labels = agglomerate(emb[trusted], num_speakers=num_speakers, min_speakers=min_speakers, max_speakers=max_speakers)
    owner = assign(emb, seconds, labels, trusted)
    k = int(labels.max()) + 1
    active = reconstruct(starts, hard, owner, k, len(audio), speech)
    centroids = np.stack([emb[owner == c].mean(axis=0) for c in range(k)])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-9)
    return Voices(active, centroids, int((seconds > 0).sum()))


def turns_of(active: np.ndarray) -> list[tuple[float, float, int]]:
    """(start, end, cluster) for each run of frames a cluster is active, in seconds."""
    half = segmentation.FRAME_STEP / 2
    centres = segmentation.frame_times(len(active))
    out = []
    for c in range(active.shape[1]):
        on = np.concatenate([[False], active[:, c], [False]])
        edges = np.flatnonzero(np.diff(on.astype(np.int8)))
        for a, b in zip(edges[::2], edges[1::2]):
            out.append((max(0.0, float(centres[a] - half)), float(centres[b - 1] + half), c))
    return sorted(out)
