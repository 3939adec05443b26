"""faster-whisper (CTranslate2) adapter: the default engine."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .. import devices
from ..errors import ConfigError, ModelError
from ..options import ASROptions
from ..speech import SpeechMap
from ..types import Transcript
from . import models
from .base import SAMPLE_RATE, SEED, Hook, JoinedSpeech, make_segments, report, speech_for, speech_groups, temperatures

log = logging.getLogger("restitution")

ENGINE = "faster-whisper"
HINTS = ("off", "prompt", "hotwords")
COMPUTE_TYPES = ("auto", "int8", "int8_float32", "int16", "float32", "default")  # on a CPU ("auto": int8)
CUDA_COMPUTE_TYPES = ("float16", "int8_float16", "bfloat16", "int8_bfloat16")  # on CUDA too ("auto": float16)


def _check_compute_type(compute_type: str, device: str) -> None:
    if compute_type in COMPUTE_TYPES or (compute_type in CUDA_COMPUTE_TYPES and device != "cpu"):
        return
    where = "on a CPU" if compute_type in CUDA_COMPUTE_TYPES else "at all"
    raise ConfigError(
        f"asr.compute_type '{compute_type}' is not one faster-whisper runs {where}; valid on a CPU: "
        f"{', '.join(COMPUTE_TYPES)}; on CUDA also {', '.join(CUDA_COMPUTE_TYPES)}"
    )


def check(options: ASROptions) -> None:
    if options.agenda_hints not in HINTS:
        raise ConfigError(f"asr.agenda_hints '{options.agenda_hints}' is not one of: {', '.join(HINTS)}")
    _check_compute_type(options.compute_type, options.device)
    if options.batch_size < 0:
        raise ConfigError("asr.batch_size must be 0 (sequential) or a positive batch size")
    if options.batch_size > 0:
        # BatchedInferencePipeline decodes clips of the speech map independently, at temperature 0;
        # the fallback is then applied per clip (see _retry_failed).
        if not options.vad_filter:
            raise ConfigError(
                "asr.batch_size > 0 needs asr.vad_filter = true (the batched pipeline cuts audio at pauses)"
            )
        if options.condition_on_previous_text:
            raise ConfigError("asr.condition_on_previous_text is not available with asr.batch_size > 0")


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


def _pin_mkl_threads(threads: int) -> None:
    """On Intel CPUs CTranslate2 multiplies matrices in its own Intel MKL, which takes
    MKL_NUM_THREADS over the `cpu_threads` CTranslate2 asks for, and rounds differently with
    another thread count. A Dask worker sets that variable to 1, so the same session decoded
    there gave other words than in a local worker. MKL reads it on first use: set it to the
    decoder's threads before the model is loaded, whatever launched the process."""
    os.environ["MKL_NUM_THREADS"] = str(threads or os.cpu_count() or 1)


class FasterWhisper:
    engine = ENGINE

    def __init__(self, options: ASROptions):
        _pin_mkl_threads(options.threads)
        from faster_whisper import BatchedInferencePipeline, WhisperModel
        from faster_whisper.version import __version__

        self.options = options
        self.device = devices.asr(options)
        _check_compute_type(options.compute_type, self.device)
        self.compute_type = devices.compute_type(options, self.device)
        path = _model_path(options)
        try:
            self.model = WhisperModel(
                path, device=self.device, compute_type=self.compute_type, cpu_threads=options.threads, num_workers=1
            )
        except (RuntimeError, ValueError, OSError) as e:
            raise ModelError(f"cannot load with faster-whisper: {e}", path) from None
        self.pipeline = BatchedInferencePipeline(self.model) if options.batch_size > 0 else None
        mode = (f" batch {options.batch_size}" if self.pipeline else "") + (" cuda" if self.device == "cuda" else "")
        self.description = f"faster-whisper {__version__} {Path(options.model).name} {self.compute_type}{mode}"

    def transcribe(
        self,
        audio: np.ndarray,
        language: str | None,
        hook: Hook | None = None,
        speech: SpeechMap | None = None,
        hints: str = "",
    ) -> Transcript:
        import ctranslate2

        # The temperature fallback samples: the same audio must give the same words on every
        # run, or a rerun moves the words that saved corrections are anchored to.
        ctranslate2.set_random_seed(SEED)
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
                if o.temperature_fallback:
                    raw = self._retry_failed(list(raw), joined, language or info.language)
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

    @contextlib.contextmanager
    def listen(self, seconds: float) -> Iterator[list[dict[str, float]]]:
        """While decoding, the language probabilities of the first windows the decoder encodes,
        enough for `seconds` of speech: read from the encoder output decoding computes anyway,
        so checking a language given costs no encoding of its own (language.check_spoken did two
        30 s windows and a Silero pass). Empty for an English-only model."""
        heard: list[dict[str, float]] = []
        model = self.model
        wanted = max(1, round(seconds / 30))  # Whisper encodes 30 s at a time

        def encode(features: np.ndarray):
            output = type(model).encode(model, features)
            if len(heard) < wanted and model.model.is_multilingual:
                for item in model.model.detect_language(output)[: wanted - len(heard)]:
                    heard.append({token[2:-2]: float(p) for token, p in item})
            return output

        model.encode = encode  # this instance only, for this decoding
        try:
            yield heard
        finally:
            del model.encode

    def _retry_failed(self, segments: list, joined: JoinedSpeech, language: str) -> list:
        """Decode again, sequentially from temperature 0.2 up, each clip whose batched result fails
        Whisper's usual checks: too repetitive (compression ratio), or unlikely (log-probability)
        where the model does not think it silence. The other clips keep their batched result."""
        from faster_whisper.transcribe import get_compression_ratio

        o = self.options
        by_clip: dict[int, list] = {}
        for seg in segments:  # `seek` is the clip's offset, in frames: one value per clip
            by_clip.setdefault(seg.seek, []).append(seg)
        out: list = []
        retried = 0
        for seek, clip in sorted(by_clip.items()):
            text = "".join(seg.text for seg in clip)
            logprob, no_speech = clip[0].avg_logprob, clip[0].no_speech_prob  # per clip in the batched pipeline
            failed = get_compression_ratio(text) > 2.4 or (logprob < -1.0 and not no_speech > 0.6)
            if not failed:
                out += clip
                continue
            retried += 1
            start = seek / self.model.frames_per_second
            end = min(c["end"] for c in joined.clips() if c["end"] > start + 0.01)
            a, b = round(start * SAMPLE_RATE), round(end * SAMPLE_RATE)
            again, _ = self.model.transcribe(
                joined.audio[a:b], language=language, vad_filter=False, condition_on_previous_text=False,
                beam_size=o.beam_size, best_of=5, temperature=list(temperatures(True))[1:], word_timestamps=True,
            )  # fmt: skip
            out += [_shifted(seg, start) for seg in again]
        if retried:
            log.info("batched decoding: %d of %d clips decoded again at a higher temperature", retried, len(by_clip))
        return out

    @staticmethod
    def _collect(raw, joined: JoinedSpeech, converted: list, hook: Hook | None, duration: float) -> None:
        for seg in raw:  # a generator: decoding happens as we iterate
            words = [(w.start, w.end, w.word, w.probability) for w in seg.words or ()]
            converted.extend(joined.segments(seg.start, seg.end, seg.text, words))
            report(hook, converted[-1][1], duration)


def _shifted(seg, offset: float):
    """A segment decoded alone, moved to where its clip starts in the joined speech."""
    words = [dataclasses.replace(w, start=w.start + offset, end=w.end + offset) for w in seg.words or ()]
    return dataclasses.replace(seg, start=seg.start + offset, end=seg.end + offset, words=words)


def load(options: ASROptions) -> FasterWhisper:
    return FasterWhisper(options)
