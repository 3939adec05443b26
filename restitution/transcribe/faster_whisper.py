"""faster-whisper (CTranslate2) adapter: the default engine."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..errors import ConfigError, ModelError
from ..options import ASROptions
from ..speech import SpeechMap
from ..types import Transcript
from . import models
from .base import SAMPLE_RATE, Hook, JoinedSpeech, make_segments, report, speech_for, speech_groups, temperatures

log = logging.getLogger("restitution")

ENGINE = "faster-whisper"
DEFAULT_COMPUTE_TYPE = "int8"  # what "auto" means here; see benchmarks/asr.py
COMPUTE_TYPES = ("auto", "int8", "int8_float32", "int16", "float32", "default")
HINTS = ("off", "prompt", "hotwords")


def check(options: ASROptions) -> None:
    if options.agenda_hints not in HINTS:
        raise ConfigError(f"asr.agenda_hints '{options.agenda_hints}' is not one of: {', '.join(HINTS)}")
    if options.compute_type not in COMPUTE_TYPES:
        raise ConfigError(
            f"asr.compute_type '{options.compute_type}' is not one faster-whisper runs on CPU; "
            f"valid: {', '.join(COMPUTE_TYPES)}"
        )
    if options.batch_size < 0:
        raise ConfigError("asr.batch_size must be 0 (sequential) or a positive batch size")
    if options.batch_size > 0:
        # BatchedInferencePipeline decodes VAD chunks independently, at one temperature.
        if not options.vad_filter:
            raise ConfigError(
                "asr.batch_size > 0 needs asr.vad_filter = true (the batched pipeline cuts audio at pauses)"
            )
        if options.condition_on_previous_text:
            raise ConfigError("asr.condition_on_previous_text is not available with asr.batch_size > 0")
        if options.temperature_fallback:
            raise ConfigError("asr.temperature_fallback is not available with asr.batch_size > 0; set it to false")


def _model_path(options: ASROptions) -> str:
    resolved = models.resolve(options.model)
    if resolved.kind == "pt":
        raise ModelError('an openai-whisper .pt checkpoint runs only with asr.engine = "openai-whisper"', resolved.path)
    if resolved.kind == "hub":
        from faster_whisper.utils import download_model

        try:
            return download_model(options.model)
        except Exception as e:  # huggingface_hub raises many kinds; any of them means "not available offline"
            raise models.offline_error(options.model, e) from None
    return str(resolved.path)


class FasterWhisper:
    engine = ENGINE

    def __init__(self, options: ASROptions):
        from faster_whisper import BatchedInferencePipeline, WhisperModel
        from faster_whisper.version import __version__

        self.options = options
        self.compute_type = DEFAULT_COMPUTE_TYPE if options.compute_type == "auto" else options.compute_type
        path = _model_path(options)
        try:
            self.model = WhisperModel(
                path, device="cpu", compute_type=self.compute_type, cpu_threads=options.threads, num_workers=1
            )
        except (RuntimeError, ValueError, OSError) as e:
            raise ModelError(f"cannot load with faster-whisper: {e}", path) from None
        self.pipeline = BatchedInferencePipeline(self.model) if options.batch_size > 0 else None
        mode = f" batch {options.batch_size}" if self.pipeline else ""
        self.description = f"faster-whisper {__version__} {Path(options.model).name} {self.compute_type}{mode}"

    def transcribe(
        self,
        audio: np.ndarray,
        language: str | None,
        hook: Hook | None = None,
        speech: SpeechMap | None = None,
        hints: str = "",
    ) -> Transcript:
        o = self.options
        duration = len(audio) / SAMPLE_RATE
        kwargs = dict(
            beam_size=o.beam_size,
            best_of=5,
            temperature=list(temperatures(o.temperature_fallback)),
            word_timestamps=True,
        )
        if hints:  # hotwords are prompted in every window; a prompt only in the first of each group
            kwargs["hotwords" if o.agenda_hints == "hotwords" else "initial_prompt"] = hints
        report(hook, 0.0, duration)
        converted: list = []
        probability = 1.0 if language else None  # a language given is certain
        speech = speech_for(audio, o.vad_filter, speech)
        for group in speech_groups(audio, speech):
            joined = JoinedSpeech(audio, group, speech)
            if self.pipeline is not None:
                # Pieces of at most 30 s of the joined speech, cut in its pauses, decoded side by side.
                raw, info = self.pipeline.transcribe(
                    joined.audio, language=language, batch_size=o.batch_size, vad_filter=False,
                    clip_timestamps=joined.clips(), **kwargs,
                )  # fmt: skip
            else:
                raw, info = self.model.transcribe(
                    joined.audio, language=language, vad_filter=False,
                    condition_on_previous_text=o.condition_on_previous_text, **kwargs,
                )  # fmt: skip
            if language is None:  # detected on the first group, kept for the others
                language, probability = info.language, info.language_probability
            self._collect(raw, joined, converted, hook, duration)
        report(hook, duration, duration)
        return Transcript(
            segments=make_segments(converted, duration),
            language=language or "",
            language_probability=None if probability is None else round(float(probability), 4),
            duration=duration,
            engine=self.description,
        )

    @staticmethod
    def _collect(raw, joined: JoinedSpeech, converted: list, hook: Hook | None, duration: float) -> None:
        for seg in raw:  # a generator: decoding happens as we iterate
            words = [(w.start, w.end, w.word, w.probability) for w in seg.words or ()]
            converted.extend(joined.segments(seg.start, seg.end, seg.text, words))
            report(hook, converted[-1][1], duration)


def load(options: ASROptions) -> FasterWhisper:
    return FasterWhisper(options)
