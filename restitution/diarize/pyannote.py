"""pyannote.audio adapter (the `pyannote` extra): a pipeline by hub name or from a local folder.

pyannote 3 returns an `Annotation` (or `(Annotation, embeddings)`), pyannote 4 a `DiarizeOutput`;
both become our `Diarization` here. Audio is handed over decoded, in memory: pyannote's own
file reading failed on compressed recordings. Its telemetry is switched off before import.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
from pathlib import Path

import numpy as np

from .. import devices
from ..errors import ModelError
from ..options import DiarizationOptions
from ..speech import SpeechMap
from ..threads import torch_threads
from ..types import Diarization, Turn
from .embedded import SAMPLE_RATE

log = logging.getLogger("restitution")

HOW_TO = (
    "pip install 'restitution[pyannote]', accept the model's conditions on huggingface.co and pass a token "
    "(HF_TOKEN), or set diarization.pyannote_pipeline to a local folder holding config.yaml and its checkpoints"
)
# pyannote's progress steps and the share of the work each one takes
STEPS = {"segmentation": (0.0, 0.4), "embeddings": (0.4, 0.95)}


def _import():
    # Users' recordings are private: pyannote's usage telemetry must never start.
    os.environ["PYANNOTE_METRICS_ENABLED"] = "0"
    try:
        from pyannote.audio import Pipeline
    except ImportError as e:
        raise ModelError(f"pyannote.audio is not installed ({e}): {HOW_TO}") from None
    return Pipeline


def _checkpoint(name: str) -> str:
    """A local folder (config.yaml or pipeline.yaml inside), a yaml file, or a hub name as is."""
    path = Path(name).expanduser()
    if path.is_dir():
        for candidate in ("config.yaml", "pipeline.yaml"):
            if (path / candidate).is_file():
                return str(path / candidate)
        raise ModelError("no config.yaml in this pyannote pipeline folder", path)
    if path.suffix in (".yaml", ".yml") or path.is_absolute() or name.startswith("."):
        if not path.is_file():
            raise ModelError("pyannote pipeline file not found", path)
        return str(path)
    return name


@functools.lru_cache(maxsize=2)
def load_pipeline(name: str, token: str | None = None, device: str = "cpu"):
    """The pyannote pipeline `name` on `device`, or one ModelError line saying how to get it."""
    pipeline_class = _import()
    checkpoint = _checkpoint(name)
    chatter = io.StringIO()  # pyannote prints a multi-line help on download failures
    try:
        with contextlib.redirect_stdout(chatter):
            pipeline = pipeline_class.from_pretrained(checkpoint, token=token)
    except Exception as e:  # hub, network, yaml and checkpoint errors all mean "model unavailable"
        reason = " ".join(str(e).split())[:200] or type(e).__name__
        raise ModelError(f"cannot load pyannote pipeline '{name}' ({type(e).__name__}: {reason}); {HOW_TO}") from None
    if pipeline is None:
        raise ModelError(f"cannot load pyannote pipeline '{name}'; {HOW_TO}")
    import torch

    return pipeline.to(torch.device(device))


def _progress(hook, duration: float):
    """pyannote's hook (steps counted in chunks) as ours (seconds of the recording)."""

    def report(step_name, step_artifact=None, file=None, total=None, completed=None, **kwargs):
        if step_name in STEPS and total and completed is not None:
            lo, hi = STEPS[step_name]
            hook("diarize", completed=duration * (lo + (hi - lo) * min(1.0, completed / total)), total=duration)

    return report


def to_diarization(output, engine: str, duration: float = float("inf")) -> Diarization:
    """Our Diarization from pyannote 3 (`Annotation`, `(Annotation, embeddings)`) or 4 (`DiarizeOutput`).

    Turns are clipped to the recording: pyannote's last chunk is padded past the end.
    """
    embeddings = None
    if hasattr(output, "speaker_diarization"):
        annotation, embeddings = output.speaker_diarization, output.speaker_embeddings
    elif isinstance(output, tuple):
        annotation, embeddings = output
    else:
        annotation = output
    tracks = sorted(
        (max(0.0, seg.start), min(seg.end, duration), str(label))
        for seg, _, label in annotation.itertracks(yield_label=True)
    )
    tracks = [t for t in tracks if t[1] > t[0]]
    names: dict[str, str] = {}
    for _, _, label in tracks:
        names.setdefault(label, f"S{len(names) + 1}")
    turns = tuple(Turn(round(float(s), 3), round(float(e), 3), names[lab]) for s, e, lab in tracks)
    centroids = {}
    if embeddings is not None:
        # rows follow annotation.labels() (sorted), as pyannote documents
        for label, row in zip(annotation.labels(), np.asarray(embeddings, dtype=np.float64)):
            norm = np.linalg.norm(row)
            if str(label) in names and np.isfinite(norm) and norm > 0:
                centroids[names[str(label)]] = [round(float(v), 6) for v in row / norm]
    return Diarization(turns=turns, engine=engine, centroids=centroids)


def diarize(
    audio: np.ndarray,
    options: DiarizationOptions,
    *,
    min_speakers_hint: int = 0,
    hook=None,
    token: str | None = None,
    speech: SpeechMap | None = None,  # unused: the pipeline finds speech with its own model
) -> Diarization:
    pipeline = load_pipeline(options.pyannote_pipeline, token, devices.diarization(options))
    import torch

    total = len(audio) / SAMPLE_RATE
    waveform = torch.from_numpy(np.array(audio, dtype=np.float32)).unsqueeze(0)
    counts: dict[str, int] = {}
    if options.num_speakers is not None:
        counts["num_speakers"] = options.num_speakers
    else:
        low = max(options.min_speakers or 0, min_speakers_hint)
        if low:
            counts["min_speakers"] = low
        if options.max_speakers is not None:
            counts["max_speakers"] = max(options.max_speakers, low)
    with torch_threads(options.threads):
        output = pipeline(
            {"waveform": waveform, "sample_rate": SAMPLE_RATE, "uri": "recording"},
            hook=_progress(hook, total) if hook else None,
            **counts,
        )
    result = to_diarization(output, f"pyannote/{options.pyannote_pipeline}", total)
    if hook:
        hook("diarize", completed=total, total=total)
    log.info("pyannote diarization: %d turns, %d speakers", len(result.turns), len({t.speaker for t in result.turns}))
    return result
