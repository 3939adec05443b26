"""Which device runs each model: `asr.device` and `diarization.device`.

"auto" takes CUDA when the library that runs the model sees a CUDA device, else the CPU; "cuda"
insists on it and fails on one line when there is none, before any work (`check`); "cpu" never
asks. CTranslate2 (faster-whisper) and torch (openai-whisper, the speech map, the speaker
models) are asked separately: a machine may have one built for CUDA and not the other.

The device is not part of any cache key: it is where a result is computed, like the platform
libraries, so an archive moved to a GPU server is not reprocessed, and a batch coordinator
without a GPU computes the same keys as its GPU workers. The compute type a user sets does key.
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import ConfigError
from .options import ASROptions, DiarizationOptions, PipelineOptions

CPU_COMPUTE_TYPE = "int8"  # faster-whisper's "auto" on a CPU: see benchmarks/asr.py
CUDA_COMPUTE_TYPE = "float16"  # and on a GPU, where int8 saves little and float16 is native


def torch_has_cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def ctranslate2_has_cuda() -> bool:
    import ctranslate2

    return int(ctranslate2.get_cuda_device_count()) > 0


def resolve(setting: str, key: str, has_cuda: Callable[[], bool], library: str) -> str:
    """The device (cpu or cuda) for a setting; a ConfigError when cuda is asked for and absent."""
    if setting == "cpu":
        return "cpu"
    if has_cuda():
        return "cuda"
    if setting == "cuda":
        raise ConfigError(f'\'{key}\' is "cuda" but {library} sees no CUDA device here; set it to "auto" or "cpu"')
    return "cpu"


def asr(options: ASROptions) -> str:
    """The device of the Whisper engine."""
    if options.engine == "openai-whisper":
        return resolve(options.device, "asr.device", torch_has_cuda, "torch")
    return resolve(options.device, "asr.device", ctranslate2_has_cuda, "CTranslate2")


def diarization(options: DiarizationOptions) -> str:
    """The device of the speech map's network and of the speaker models (all torch)."""
    return resolve(options.device, "diarization.device", torch_has_cuda, "torch")


def compute_type(options: ASROptions, device: str) -> str:
    """faster-whisper's compute type: "auto" is int8 on a CPU, float16 on CUDA."""
    if options.compute_type != "auto":
        return options.compute_type
    return CUDA_COMPUTE_TYPE if device == "cuda" else CPU_COMPUTE_TYPE


def check(options: PipelineOptions) -> None:
    """Fail now, on one line, when a device set to "cuda" is not there (nothing is loaded)."""
    if options.asr.device == "cuda":
        asr(options.asr)
    if options.diarization.device == "cuda":
        diarization(options.diarization)
