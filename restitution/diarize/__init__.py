"""Who spoke when: one Diarizer protocol, three engines.

    diarization = diarize(audio, options.diarization, min_speakers_hint=3, hook=hook, speech=speech_map)

"embedded" (default) runs offline on models that ship in wheels, on the recording's shared
speech map (speech.py); "pyannote" adapts a pyannote.audio pipeline (hub name or local
folder), which finds speech itself; "none" labels all speech of the map "S1".
Labels are "S1", "S2"... in order of first appearance; `centroids` holds one mean embedding
per label for matching known voices.
"""

from __future__ import annotations

import importlib
from typing import Protocol

import numpy as np

from ..errors import ConfigError
from ..options import DiarizationOptions
from ..segmentation import SAMPLE_RATE
from ..speech import SpeechMap, detect
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
        speech: SpeechMap | None = None,
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
    speech: SpeechMap | None = None,
) -> Diarization:
    """Diarize 16 kHz mono float32 audio (array or memmap).

    `min_speakers_hint`: distinct speakers the agenda names, a lower bound on the count.
    `token`: Hugging Face token for the pyannote engine, resolved by the caller (the library
    never reads the environment). `speech`: the recording's speech map, shared with
    transcription so both agree on where speech is (found by the engine when None).
    """
    if options.num_speakers is not None and options.num_speakers < 1:
        raise ConfigError("'diarization.num_speakers' must be at least 1")
    return get_diarizer(options.engine)(
        audio, options, min_speakers_hint=min_speakers_hint, hook=hook, token=token, speech=speech
    )


def diarize_none(
    audio: np.ndarray,
    options: DiarizationOptions,
    *,
    min_speakers_hint: int = 0,
    hook=None,
    token: str | None = None,
    speech: SpeechMap | None = None,
) -> Diarization:
    """One speaker, "S1", over every speech region."""
    total = len(audio) / SAMPLE_RATE
    if speech is None:
        speech = detect(audio, (lambda t: hook("diarize", completed=t, total=total)) if hook else None, options.threads)
    return Diarization(turns=tuple(Turn(s, e, "S1") for s, e in speech.regions), engine="none")


__all__ = ["ENGINES", "Diarizer", "diarize", "get_diarizer"]
