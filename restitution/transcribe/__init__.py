"""Speech to text: one Transcriber protocol, two Whisper engines on the same weights.

    transcript = transcribe(audio, options.asr, language="fr", hook=hook, speech=speech_map)
    transcript = recover(audio, transcript, stretches, options.asr)   # speech left without words

The engine is picked by `ASROptions.engine` from `ENGINES`; each adapter imports its
backend lazily, so openai-whisper is only needed when it is chosen.
"""

from __future__ import annotations

import copy
import importlib
import threading

import numpy as np

from .. import language as languages
from ..errors import ConfigError
from ..options import ASROptions
from ..speech import SpeechMap
from ..types import Transcript
from .base import CUT, Hook, Transcriber
from .recover import RECOVERY, recover

# The transcribe stage's algorithm (the engines, speech groups, the guard): bump it when a
# change alters transcripts, and every session transcribes again.
TRANSCRIBE_VERSION = 3  # 2: decoded on the shared speech map, quiet regions raised; 3: sampling seeded

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


def _loading(options: ASROptions) -> ASROptions:
    """The options that make a loaded model; the others (beam size, VAD, ...) steer decoding only."""
    return ASROptions(
        engine=options.engine,
        model=options.model,
        device=options.device,
        compute_type=options.compute_type,
        threads=options.threads,
        batch_size=options.batch_size,
    )


# At most one model per process, by the options that loaded it: a batch worker loads it once.
_loaded: dict[ASROptions, Transcriber] = {}
_loading_lock = threading.Lock()


def is_loaded(options: ASROptions) -> bool:
    """Whether `get_transcriber(options)` would reuse the model already in memory."""
    return _loading(options) in _loaded


def get_transcriber(options: ASROptions) -> Transcriber:
    """The model for these options, loaded once per process; a session's own beam size or VAD
    setting gets the same weights under its own settings instead of loading them again."""
    backend = _backend(options)
    backend.check(options)
    key = _loading(options)
    with _loading_lock:
        loaded = _loaded.get(key)
        if loaded is None:
            _loaded.clear()  # release the old model before the new one takes its memory
            loaded = _loaded[key] = backend.load(options)
    if loaded.options == options:
        return loaded
    tuned = copy.copy(loaded)  # shares the weights; only the decoding settings differ
    tuned.options = options
    return tuned


def transcribe(
    audio: np.ndarray,
    options: ASROptions,
    language: str | None = None,
    hook: Hook | None = None,
    speech: SpeechMap | None = None,
    hints: str = "",
) -> Transcript:
    """Transcribe 16 kHz mono float32 audio (an array or a memmap) into our Transcript.

    `speech` is the recording's speech map (speech.detect); with `options.vad_filter` only its
    regions are decoded. Without it the map is found here. `hints` are words to expect (the
    agenda's names, naming.spelling.hints), given as `options.agenda_hints` says.
    """
    if hook is not None:
        hook("load model")  # its own step: loading takes seconds before the first word
    transcriber = get_transcriber(options)
    listen = getattr(transcriber, "listen", None)
    if not language or listen is None or not options.vad_filter:
        if language:  # a language set by the user is trusted, but not blindly
            if hook is not None:
                hook("check language")
            languages.check_spoken(audio, transcriber, language)
        return transcriber.transcribe(audio, language or None, hook, speech, hints=hints)
    # The same check, on the first windows of speech the decoder hears (the speech map's, as
    # check_spoken's Silero VAD would find them), from the encoder output decoding computes anyway.
    with listen(languages.CHECK_SECONDS) as windows:
        transcript = transcriber.transcribe(audio, language, hook, speech, hints=hints)
    heard = min(languages.CHECK_SECONDS, len(windows) * 30.0, speech.seconds if speech else transcript.duration)
    if heard >= 1.0:  # under a second: nothing to judge by
        languages.warn_if_other(languages.from_windows(windows, heard), language)
    return transcript


__all__ = [
    "CUT",
    "ENGINES",
    "RECOVERY",
    "TRANSCRIBE_VERSION",
    "Transcriber",
    "check",
    "get_transcriber",
    "is_loaded",
    "recover",
    "transcribe",
]
