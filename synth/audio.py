"""Sound for synthesized sessions: espeak-ng voices, a streaming WAV tape, noise sections."""

from __future__ import annotations

import random
import subprocess
import tempfile
import wave
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# (espeak-ng variant, pitch 0-99, speed words/min), most useful first. Chosen from 24 espeak-ng
# variants by Whisper base word error rate on French (0.4-0.85, espeak-ng is hard to understand)
# and CAM++ speaker-embedding similarity: mean cosine 0.60 between these voices (max 0.86,
# shelby-Annie) against 0.70 (max 0.93) for the plain m1-m7/f1-f5 variants.
VOICES = [
    ("fr+m1", 38, 150),
    ("fr+f4", 68, 145),
    ("fr+robert", 45, 160),
    ("fr+steph", 55, 155),
    ("fr+michel", 40, 150),
    ("fr+shelby", 60, 160),
    ("fr+Mike", 50, 165),
    ("fr+Andrea", 55, 150),
    ("fr+edward", 45, 155),
    ("fr+david", 50, 160),
    ("fr+gustave", 50, 155),
    ("fr+Annie", 65, 150),
]
FEMALE = {"fr+f1", "fr+f2", "fr+f3", "fr+f4", "fr+f5", "fr+steph", "fr+shelby", "fr+Andrea", "fr+Annie"}


@dataclass
class SynthSpeaker:
    name: str | None  # None: an unnamed participant
    role: str | None
    voice: str  # espeak-ng voice, e.g. "fr+f2"
    pitch: int = 50
    speed: int = 160

    @property
    def key(self) -> str:
        """Unique identity of the voice (variant, pitch and speed)."""
        return f"{self.voice}/p{self.pitch}/s{self.speed}"


class Tape:
    """Session-ordered audio written as 16-bit WAV, with the first `offset` seconds dropped."""

    def __init__(self, path: Path, rate: int, offset: float, background: float, seed: int):
        self.rate, self.background = rate, background
        self.noise = np.random.default_rng(seed)
        self.pos = 0  # session samples produced
        self.cut = max(0, round(offset * rate))
        self.out = wave.open(str(path), "wb")
        self.out.setnchannels(1)
        self.out.setsampwidth(2)
        self.out.setframerate(rate)
        self.written = 0
        if offset < 0:  # recording started early: room tone before the session
            self._write(np.random.default_rng(seed + 1).normal(0, background, round(-offset * rate)))

    @property
    def now(self) -> float:
        return self.pos / self.rate

    def add(self, samples: np.ndarray) -> tuple[float, float]:
        start = self.now
        mixed = samples + self.noise.normal(0, self.background, len(samples)) if self.background else samples
        keep = max(0, self.cut - self.pos)
        self.pos += len(samples)
        if keep < len(mixed):
            self._write(mixed[keep:])
        return start, self.now

    def silence(self, seconds: float) -> None:
        self.add(np.zeros(max(0, round(seconds * self.rate)), dtype=np.float32))

    def _write(self, x: np.ndarray) -> None:
        self.out.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
        self.written += len(x)

    def close(self) -> float:
        self.out.close()
        return self.written / self.rate


class Voices:
    """espeak-ng synthesis, trimmed and level-matched, cached per (voice, text)."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, str], np.ndarray] = {}
        self.rate = 22050

    def probe_rate(self, spk: SynthSpeaker) -> int:
        """espeak-ng's output rate (22050 Hz for its own voices), known only once it has spoken."""
        self._espeak(spk, "a")
        return self.rate

    def say(self, spk: SynthSpeaker, text: str) -> np.ndarray:
        k = (spk.key, text)
        if k not in self.cache:  # int16: a three-hour session keeps hundreds of these
            self.cache[k] = (self._espeak(spk, text) * 32767).clip(-32768, 32767).astype(np.int16)
        return self.cache[k].astype(np.float32) / 32767

    def _espeak(self, spk: SynthSpeaker, text: str) -> np.ndarray:
        cmd = ["espeak-ng", "-v", spk.voice, "-p", str(spk.pitch), "-s", str(spk.speed), "--stdout", text]
        raw = subprocess.run(cmd, capture_output=True, check=True).stdout
        self.rate = int.from_bytes(raw[24:28], "little")
        x = np.frombuffer(raw[44:], dtype="<i2").astype(np.float32) / 32768
        loud = np.flatnonzero(np.abs(x) > 0.02 * (np.abs(x).max() or 1))
        margin = round(0.01 * self.rate)
        x = x[max(0, loud[0] - margin) : loud[-1] + margin] if len(loud) else x
        rms = float(np.sqrt(np.mean(x**2))) or 1.0
        gain = 0.85 + 0.3 * (zlib.crc32(spk.key.encode()) % 100) / 100  # a stable loudness per voice
        return (x * (0.08 * gain / rms)).astype(np.float32)


def encode(wav: Path, dest: Path, bitrate: str) -> None:
    ext = dest.suffix.lstrip(".").lower()
    codec = {"mp3": ["-c:a", "libmp3lame", "-b:a", bitrate], "wav": ["-c:a", "pcm_s16le"], "flac": []}
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-y",
            "-v",
            "error",
            "-i",
            str(wav),
            "-ac",
            "1",
            "-ar",
            "16000",
            *codec.get(ext, ["-b:a", bitrate]),
            str(dest),
        ],
        check=True,
    )


def speak(path: Path, text: str, speaker: SynthSpeaker | None = None) -> float:
    """Say one text into a 16 kHz mono file (format from the suffix); return its duration."""
    speaker = speaker or SynthSpeaker(None, None, *VOICES[0])
    voices = Voices()
    x = voices.say(speaker, text)
    with tempfile.TemporaryDirectory(prefix="synth-") as tmp:
        wav = Path(tmp) / "speech.wav"
        tape = Tape(wav, voices.rate, 0.0, 0.0, 0)
        tape.silence(0.3)
        tape.add(x)
        tape.silence(0.3)
        duration = tape.close()
        encode(wav, Path(path), "64k")
    return duration


def noise_section(rng: random.Random, kind: str, seconds: float, rate: int) -> np.ndarray:
    n = round(seconds * rate)
    g = np.random.default_rng(rng.randrange(2**32))
    t = np.arange(n) / rate
    if kind == "applause":
        x = np.zeros(n, dtype=np.float32)
        clap = g.normal(0, 1, round(0.012 * rate)) * np.exp(-np.linspace(0, 6, round(0.012 * rate)))
        for at in g.integers(0, max(1, n - len(clap)), int(seconds * 60)):
            x[at : at + len(clap)] += clap * g.uniform(0.05, 0.2)
        env = np.minimum(1, np.minimum(t / 0.8, (seconds - t) / 1.5).clip(0))
        return (x * env).astype(np.float32)
    if kind == "music":
        x = np.zeros(n, dtype=np.float32)
        pos = 0
        while pos < n:
            length = min(n - pos, round(g.uniform(0.5, 1.5) * rate))
            root = 110 * 2 ** (g.integers(0, 12) / 12)
            tt = np.arange(length) / rate
            chord = sum(np.sin(2 * np.pi * root * r * h * tt) / h for r in (1, 1.26, 1.5) for h in (1, 2, 3))
            x[pos : pos + length] = 0.04 * chord * np.minimum(1, np.minimum(tt / 0.05, (tt[-1] - tt) / 0.2))
            pos += length
        return x
    return np.zeros(n, dtype=np.float32)
