"""Who spoke when: one Diarizer protocol, three engines.

    diarization = diarize(audio, options.diarization, min_speakers_hint=3, hook=hook)

"embedded" (default) runs offline on models that ship in wheels; "pyannote" adapts a
pyannote.audio pipeline (hub name or local folder); "none" labels all speech "S1".
Labels are "S1", "S2"... in order of first appearance; `centroids` holds one mean embedding
per label for matching known voices.
"""

from __future__ import annotations

import importlib
from typing import Protocol

import numpy as np

from ..errors import ConfigError
from ..options import DiarizationOptions
from ..types import Diarization, Turn


class Diarizer(Protocol):
    def __call__(
        self,
        audio: np.ndarray,
        options: DiarizationOptions,
        *,
        min_speakers_hint: int = 0,
        hook=None,
        token: str | None = None,
    ) -> Diarization: ...


# The diarize stage's algorithm (every engine's adapter): bump it when a change alters turns.
DIARIZE_VERSION = 1

# engine name -> "module:function" implementing Diarizer, imported only when chosen
ENGINES = {
    "embedded": "restitution.diarize.embedded:diarize",
    "pyannote": "restitution.diarize.pyannote:diarize",
    "none": "restitution.diarize:diarize_none",
}


def get_diarizer(engine: str) -> Diarizer:
    if engine not in ENGINES:
        raise ConfigError(f"unknown diarization.engine '{engine}'; valid engines: {', '.join(ENGINES)}")
    module, _, function = ENGINES[engine].partition(":")
    return getattr(importlib.import_module(module), function)


def diarize(
    audio: np.ndarray,
    options: DiarizationOptions,
    *,
    min_speakers_hint: int = 0,
    hook=None,
    token: str | None = None,
) -> Diarization:
    """Diarize 16 kHz mono float32 audio (array or memmap).

    `min_speakers_hint`: distinct speakers the agenda names, a lower bound on the count.
    `token`: Hugging Face token for the pyannote engine, resolved by the caller (the library
    never reads the environment).
    """
    if options.num_speakers is not None and options.num_speakers < 1:
        raise ConfigError("'diarization.num_speakers' must be at least 1")
    return get_diarizer(options.engine)(audio, options, min_speakers_hint=min_speakers_hint, hook=hook, token=token)


def diarize_none(
    audio: np.ndarray,
    options: DiarizationOptions,
    *,
    min_speakers_hint: int = 0,
    hook=None,
    token: str | None = None,
) -> Diarization:
    """One speaker, "S1", over every speech region."""
    from .embedded import SAMPLE_RATE, speech_regions, torch_threads

    total = len(audio) / SAMPLE_RATE
    with torch_threads(options.threads):
        regions = speech_regions(audio, (lambda t: hook("diarize", completed=t, total=total)) if hook else None)
    return Diarization(turns=tuple(Turn(round(float(s), 3), round(float(e), 3), "S1") for s, e in regions), engine="none")


__all__ = ["ENGINES", "Diarizer", "diarize", "get_diarizer"]
