"""What each stage of the table in pipeline.py does, and which options change its result.

A stage function takes the `Run` (the values known so far, by name) and returns its value;
an options function returns the settings its result depends on, for the stage's cache key.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import audio, chapters, devices, fingerprint, index, offset, speakers
from .cache import StageCache
from .corrections.apply import apply as apply_corrections
from .corrections.learn import learn
from .diarize import diarize
from .diarize.refine import refine
from .export import write_all
from .lock import index_lock
from .naming import spelling
from .options import PipelineOptions
from .speech import SpeechMap, detect, find_gaps, heard, wordless
from .transcribe import get_transcriber, guard, is_loaded, recover, transcribe
from .types import Agenda, AudioInfo, Chapter, Diarization, Hook, Offset, Session, SessionResult, Transcript
from .voices import VoiceLibrary, enroll_from_session, learnt_spellings

log = logging.getLogger("restitution")


@dataclass(frozen=True)
class Prepared:
    """What is known once inputs are checked, before anything is written."""

    session: Session
    info: AudioInfo
    agenda: Agenda
    out_dir: Path


@dataclass
class Run:
    """One walk of the table: the values known so far, by name, and the stage running now."""

    prepared: Prepared
    options: PipelineOptions
    hook: Hook
    hf_token: str | None
    cache: StageCache
    values: dict[str, Any]
    name: str = ""  # the running stage's name, algorithm version and key
    version: int = 0
    key: str = ""
    force: bool = False  # --force: may replace another recording's rows under this id in the index

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


def decode_audio(run: Run) -> np.ndarray:
    raw = run.cache.work_dir / "audio.f32"
    if not (raw.is_file() and run.cache.fresh(run.name, run.key)):
        audio.decode(run.prepared.session.recording, raw, run.prepared.info, hook=run.hook)
        run.cache.save(run.name, run.key, None, run.version)
    return audio.load(raw)


def map_speech(run: Run) -> SpeechMap:
    total = run["audio"].duration

    def progress(seconds: float) -> None:
        run.hook("speech", completed=seconds, total=total)

    d = run.options.diarization
    return detect(run["samples"], progress, d.threads, devices.diarization(d))


def transcribe_speech(run: Run) -> Transcript:
    asr = run.options.asr
    reused = is_loaded(asr)
    language = run.options.language or None
    hints = _hints(asr.agenda_hints, run["agenda"], learnt_spellings(run.options.voices_path))
    transcript = guard.clean(
        transcribe(run["samples"], asr, language, hook=run.hook, speech=run["speech"], hints=hints)
    )
    how = "reused the Whisper model already loaded in" if reused else "loaded the Whisper model in"
    log.info("%s this process (pid %d)", how, os.getpid())
    return transcript


def _min_speakers_hint(agenda: Agenda) -> int:
    return len({sp.name for item in agenda.items for sp in item.speakers})


def find_speakers(run: Run) -> Diarization:
    hint = _min_speakers_hint(run["agenda"])
    return diarize(
        run["samples"], run.options.diarization, min_speakers_hint=hint, hook=run.hook, token=run.hf_token,
        speech=run["speech"],
    )  # fmt: skip


def recover_speech(run: Run) -> Transcript:
    first, speech_map = run["transcript"], run["speech"]
    silent = wordless(heard(speech_map, run["diarization"].turns), first.segments)
    if not silent:
        return first
    return recover(run["samples"], first, silent, get_transcriber(run.options.asr))


def estimate_offset(run: Run) -> Offset:
    o = run.options
    if o.offset == "none":
        return offset.none()
    if isinstance(o.offset, float):
        return offset.manual(o.offset)
    if o.offset_search.reference:
        return offset.from_reference(run["samples"], Path(o.offset_search.reference), options=o.offset_search)
    return offset.estimate(run["agenda"], run["transcript"], run["diarization"], run["audio"].duration, o.offset_search)


def cut_chapters(run: Run) -> tuple[Chapter, ...]:
    return chapters.cut(
        run["agenda"], run["offset"], run["transcript"], run["diarization"], run["audio"].duration, run.options.chapters
    )


def refine_speakers(run: Run) -> Diarization:
    return refine(run["diarization"], run["chapters"], run["samples"], run.options.diarization, hook=run.hook)


def name_speakers(run: Run) -> SessionResult:
    o, session, transcript = run.options, run["session"], run["transcript"]
    if not transcript.segments:
        log.warning("%s: no speech heard; the outputs hold no text", session.recording)
    # Nothing heard, so nothing detected: keep the language the user gave, if any.
    spoken = transcript.language or o.language or "und"
    library = VoiceLibrary(o.voices_path) if o.voices_path.exists() else None
    segments = speakers.assign_words(transcript, run["diarization"])
    named, segments = speakers.name_speakers(
        segments,
        run["diarization"],
        run["chapters"],
        run["agenda"],
        overrides=session.speaker_names,
        voices=library,
        options=o.voices,
        language=spoken,
        samples=run["samples"],  # voice pitch is one of the cues telling co-presenters apart
    )
    if o.voices.respell:  # after naming, which reads names however Whisper spelled them
        segments, respelt = spelling.respell(segments, run["agenda"], learnt_spellings(o.voices_path))
        log.info("%d near-miss spellings of agenda names written as in the agenda", respelt)
    gaps = find_gaps(run["speech"], run["diarization"].turns, segments)  # still without words: marked inaudible
    return SessionResult(
        session=session,
        audio=run["audio"],
        language=spoken,
        offset=run["offset"],
        speakers=named,
        chapters=run["chapters"],
        segments=segments,
        options=o.to_dict(),
        gaps=gaps,
    )


def correct_result(run: Run) -> SessionResult:
    named = run["result"]
    corrected, _unplaced = apply_corrections(named, run["corrections"])
    learn(named, corrected, run["corrections"], run["diarization"], run.options)
    return corrected


def write_outputs(run: Run) -> None:
    write_all(run["result"], run.prepared.out_dir, run.options, hook=run.hook)


def index_result(run: Run) -> None:
    # The index is shared by every session of the archive: one writer at a time.
    with index_lock(run.options.index_path):
        index.index_session(run.options.index_path, run["result"], run.prepared.out_dir, replace=run.force)


def enroll_voices(run: Run) -> None:
    result, path = run["result"], run.options.voices_path
    with index_lock(path):
        enroll_from_session(VoiceLibrary(path), result.speakers, run["diarization"], session=result.session.id)


# --- the options that change each stage's result -----------------------------------------------


def _hints(mode: str, agenda: Agenda, learnt: tuple[str, ...]) -> str:
    return spelling.hints(agenda, learnt) if mode != "off" else ""


def asr_options(o: PipelineOptions, agenda: Agenda) -> dict[str, Any]:
    # The model is known by its weights, in the stage's fingerprint, wherever its folder is.
    chosen = {**without(o.asr, "threads", "model", "device", "agenda_hints"), "language": o.language}
    if o.asr.agenda_hints != "off":  # off keeps the keys transcripts were cached under before hints
        chosen |= {
            "agenda_hints": o.asr.agenda_hints,
            "hints": _hints(o.asr.agenda_hints, agenda, learnt_spellings(o.voices_path)),
        }
    return chosen


def diarize_options(o: PipelineOptions, agenda: Agenda) -> dict[str, Any]:
    # The engine's own model setting (embedding, pyannote_pipeline) is in its fingerprint.
    d = o.diarization
    counts = {"num_speakers": d.num_speakers, "min_speakers": d.min_speakers, "max_speakers": d.max_speakers}
    return {"engine": d.engine, **counts, "min_speakers_hint": _min_speakers_hint(agenda)}


def offset_options(o: PipelineOptions, agenda: Agenda) -> dict[str, Any]:
    if o.offset != "auto":
        return {"offset": o.offset}
    reference = o.offset_search.reference
    try:
        copy = fingerprint.file_identity(Path(reference)) if reference else ""
    except OSError:
        copy = f"unreadable: {reference}"  # the stage itself fails and says why
    return {"offset": "auto", **without(o.offset_search, "reference"), "reference": copy}


def speakers_options(o: PipelineOptions, agenda: Agenda) -> dict[str, Any]:
    v = o.voices
    chosen = {"threshold": v.threshold, "unnamed_label": v.unnamed_label, "language": o.language}
    # Names spelled by hand in earlier sessions' corrections are respelt too: learning one reruns naming.
    spelt = learnt_spellings(o.voices_path) if v.respell else ()
    return chosen | {"min_confidence": v.min_confidence, "respell": v.respell, **({"learnt": spelt} if spelt else {})}


def without(options: Any, *names: str) -> dict[str, Any]:
    values = dataclasses.asdict(options)
    for name in names:
        values.pop(name)
    return values
