"""Speech to text: one Transcriber protocol, two Whisper engines on the same weights.

    transcript = transcribe(audio, options.asr, language="fr", hook=hook)

The engine is picked by `ASROptions.engine` from `ENGINES`; each adapter imports its
backend lazily, so openai-whisper is only needed when it is chosen.
"""

from __future__ import annotations

import functools
import importlib

import numpy as np

from ..errors import ConfigError
from ..options import ASROptions
from ..types import Transcript
from .base import Hook, Transcriber

# engine name -> module holding `check(options)` and `load(options) -> Transcriber`
ENGINES = {
    "faster-whisper": "restitution.transcribe.faster_whisper",
    "openai-whisper": "restitution.transcribe.openai_whisper",
}


def _backend(options: ASROptions):
    if options.engine not in ENGINES:
        raise ConfigError(f"unknown asr.engine '{options.engine}'; valid engines: {', '.join(ENGINES)}")
    return importlib.import_module(ENGINES[options.engine])


def check(options: ASROptions) -> None:
    """Raise ConfigError if the engine is unknown or lacks an option that is set."""
    _backend(options).check(options)


@functools.lru_cache(maxsize=1)
def get_transcriber(options: ASROptions) -> Transcriber:
    """The loaded model for these options; kept per process so a batch worker loads it once."""
    backend = _backend(options)
    backend.check(options)
    return backend.load(options)


def transcribe(
    audio: np.ndarray, options: ASROptions, language: str | None = None, hook: Hook | None = None, hints: str = ""
) -> Transcript:
    """Transcribe 16 kHz mono float32 audio (an array or a memmap) into our Transcript; `hints`
    are words to expect (the agenda's names), given to every decoding window."""
    return get_transcriber(options).transcribe(audio, language or None, hook, hints=hints)


__all__ = ["ENGINES", "Transcriber", "check", "get_transcriber", "transcribe"]
