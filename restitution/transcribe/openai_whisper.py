"""openai-whisper adapter (extra `openai`): the reference implementation, on the same weights.

Installed CTranslate2 weights are converted once into an openai-whisper checkpoint in the
cache (see convert.py), so this engine works offline too.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
import types
from pathlib import Path

import numpy as np

from .. import devices
from ..errors import ConfigError, ModelError
from ..options import ASROptions
from ..speech import SpeechMap
from ..types import Transcript
from . import convert, models
from .base import SAMPLE_RATE, SEED, Hook, JoinedSpeech, make_segments, report, speech_for, speech_groups, temperatures

log = logging.getLogger("restitution")

ENGINE = "openai-whisper"
INSTALL = "pip install --no-deps openai-whisper && pip install numba tiktoken more-itertools tqdm"
_progress_lock = threading.Lock()


def _check_compute_type(compute_type: str, device: str) -> None:
    if compute_type in ("auto", "float32") or (compute_type == "float16" and device != "cpu"):
        return
    raise ConfigError(
        f"asr.compute_type '{compute_type}' is not available with openai-whisper "
        '(float32 on a CPU, float16 or float32 on CUDA); use "auto"'
    )


def check(options: ASROptions) -> None:
    if options.agenda_hints not in ("off", "prompt", "hotwords"):
        raise ConfigError(f"asr.agenda_hints '{options.agenda_hints}' is not one of: off, prompt, hotwords")
    _check_compute_type(options.compute_type, options.device)
    if options.batch_size:
        raise ConfigError("asr.batch_size is not available with openai-whisper; set it to 0")


def _import_whisper():
    try:
        import whisper
    except ImportError:
        raise ModelError(f"openai-whisper is not installed: {INSTALL}", "openai-whisper") from None
    return whisper


def converted_path(ct2_dir: Path, name: str, cache_dir: Path | None = None) -> Path:
    """Where the openai-whisper checkpoint converted from `ct2_dir` lives in the cache."""
    stat = (ct2_dir / "model.bin").stat()
    key = hashlib.sha1(f"{ct2_dir.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:10]
    stem = name if name in ("base", "tiny.en") else ct2_dir.name
    return (cache_dir or models.default_cache_dir()) / f"whisper-{stem}-{key}.pt"


def checkpoint_for(name: str, cache_dir: Path | None = None) -> tuple[Path | None, object]:
    """(checkpoint file, alignment heads) for a model setting; converts CTranslate2 weights once.

    Alignment heads are either a whisper dump (for the download cache's official names) or
    None, meaning "read them from the checkpoint".
    """
    whisper = _import_whisper()
    user_copy = models.whisper_cache_dir() / f"{name}.pt"
    if user_copy.is_file():  # the user's own openai-whisper download wins over a conversion
        return user_copy, whisper._ALIGNMENT_HEADS.get(name)
    resolved = models.resolve(name, cache_dir)
    if resolved.kind == "pt":
        return resolved.path, None
    if resolved.kind == "hub" or resolved.path is None:
        return None, None
    target = converted_path(resolved.path, name, cache_dir)
    if not target.is_file():
        log.info("converting %s to an openai-whisper checkpoint in %s", resolved.path, target)
        convert.ct2_to_openai(resolved.path, target)
    return target, None


def _load_checkpoint(path: Path, heads, device: str = "cpu"):
    import torch

    whisper = _import_whisper()
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        model = whisper.model.Whisper(whisper.model.ModelDimensions(**checkpoint["dims"]))
        model.load_state_dict(checkpoint["model_state_dict"])
    except Exception as e:  # torch reports a bad file in many ways; all mean "not a usable checkpoint"
        raise ModelError(f"not a usable openai-whisper checkpoint: {str(e).splitlines()[0][:160]}", path) from None
    if heads is None and checkpoint.get("alignment_heads"):
        d = model.dims
        heads = convert.alignment_heads_dump(checkpoint["alignment_heads"], d.n_text_layer, d.n_text_head)
    if heads is not None:
        model.set_alignment_heads(heads)
    return model.to(device).eval()


class _Progress:
    """Stands in for tqdm inside whisper.transcribe, which has no other progress callback."""

    def __init__(self, on_frames):
        self.on_frames, self.n = on_frames, 0

    def __call__(self, total=None, unit=None, disable=False):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        self.n += n
        self.on_frames(self.n)


class OpenAIWhisper:
    engine = ENGINE

    def __init__(self, options: ASROptions):
        import torch

        whisper = _import_whisper()
        self.options = options
        self.device = devices.asr(options)
        _check_compute_type(options.compute_type, self.device)
        # "auto" is float16 on CUDA, its native precision, and float32 on a CPU, which has no float16 kernels.
        self.fp16 = self.device == "cuda" and options.compute_type != "float32"
        torch.set_num_threads(options.threads)
        path, heads = checkpoint_for(options.model)
        if path is None:
            try:
                self.model = whisper.load_model(
                    options.model, device=self.device, download_root=str(models.whisper_cache_dir())
                )
            except Exception as e:  # urllib and hash errors alike: the download is not possible
                raise models.offline_error(options.model, e) from None
        else:
            self.model = _load_checkpoint(path, heads, self.device)
        precision = "float16 cuda" if self.fp16 else "float32 cuda" if self.device == "cuda" else "float32"
        self.description = f"openai-whisper {whisper.__version__} {Path(options.model).name} {precision}"

    def _language(self, audio: np.ndarray) -> tuple[str, float]:
        import torch

        whisper = _import_whisper()
        if not self.model.is_multilingual:
            return "en", 1.0
        mel = whisper.log_mel_spectrogram(
            whisper.pad_or_trim(torch.from_numpy(audio[: whisper.audio.N_SAMPLES])),
            self.model.dims.n_mels,
            device=self.model.device,
        )
        _, probs = self.model.detect_language(mel)
        language = max(probs, key=probs.get)
        return language, float(probs[language])

    def transcribe(
        self,
        audio: np.ndarray,
        language: str | None,
        hook: Hook | None = None,
        speech: SpeechMap | None = None,
        hints: str = "",
    ) -> Transcript:
        import torch

        whisper = _import_whisper()
        o = self.options
        # Other libraries (silero-vad, pyannote) change torch's global thread count on import.
        torch.set_num_threads(o.threads)
        torch.manual_seed(SEED)  # the temperature fallback samples: same audio, same words
        duration = len(audio) / SAMPLE_RATE
        probability = 1.0 if language else None  # a language given is certain
        converted: list = []
        report(hook, 0.0, duration)
        speech = speech_for(audio, o.vad_filter, speech)
        with torch.inference_mode():
            for group in speech_groups(audio, speech):
                joined = JoinedSpeech(audio, group, speech)
                if not language:  # detected on the first group, kept for the others
                    language, probability = self._language(joined.audio)
                result = self._decode(whisper, joined, language, hook, duration, hints)
                for s in result["segments"]:
                    words = [(w["start"], w["end"], w["word"], w["probability"]) for w in s.get("words", ())]
                    converted += joined.segments(s["start"], s["end"], s["text"], words)
        report(hook, duration, duration)
        return Transcript(
            segments=make_segments(converted, duration),
            language=language or "",
            language_probability=None if probability is None else round(probability, 4),
            duration=duration,
            engine=self.description,
        )

    def _decode(
        self, whisper, speech: JoinedSpeech, language: str, hook: Hook | None, duration: float, hints: str
    ) -> dict:
        import torch

        o = self.options
        frames_per_second = SAMPLE_RATE / whisper.audio.HOP_LENGTH
        progress = _Progress(lambda n: report(hook, speech.time(n / frames_per_second), duration))
        module = sys.modules["whisper.transcribe"]
        with _progress_lock:
            # whisper.transcribe draws its bar with `tqdm.tqdm`: ours reports to the hook instead
            module.tqdm = types.SimpleNamespace(tqdm=progress)  # type: ignore[attr-defined]
            try:
                return whisper.transcribe(
                    self.model,
                    torch.from_numpy(np.ascontiguousarray(speech.audio)),
                    verbose=False,  # False only enables the (redirected) progress bar
                    temperature=temperatures(o.temperature_fallback),
                    condition_on_previous_text=o.condition_on_previous_text,
                    word_timestamps=True,
                    language=language,
                    beam_size=o.beam_size if o.beam_size > 1 else None,  # None is greedy, as beam 1 in faster-whisper
                    best_of=5,
                    fp16=self.fp16,
                    # "hotwords": carried to every window, as faster-whisper's (openai-whisper 20240930 on)
                    **({"initial_prompt": hints} if hints else {}),
                    **({"carry_initial_prompt": True} if hints and o.agenda_hints == "hotwords" else {}),
                )
            finally:
                import tqdm

                module.tqdm = tqdm  # type: ignore[attr-defined]


def load(options: ASROptions) -> OpenAIWhisper:
    return OpenAIWhisper(options)
