"""`run_session`: one recording and its agenda in, every output out.

The recipe, one call per stage, each cached under `outputs/<id>/.work/`:

    probe → decode → transcribe → diarize → offset → chapters → speakers → export → index

It departs from DESIGN.md's drawing in one place: the offset is estimated before speakers
are named, because naming assigns each chapter's agenda names to the voices of that chapter,
and chapters need the offset.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import agenda as agenda_mod
from . import audio, cache, chapters, index, offset, speakers
from .diarize import diarize
from .diarize.refine import refine
from .errors import AgendaError
from .export import write_all
from .files import inside, write_text
from .lock import index_lock, session_lock
from .naming import spelling
from .options import PipelineOptions, stage_options
from .transcribe import guard, transcribe
from .types import Agenda, AudioInfo, Diarization, Offset, Session, SessionResult, Transcript
from .voices import VoiceLibrary, enroll_from_session
from .worker import clean_partials, mark_complete

log = logging.getLogger("restitution")

Hook = Callable[..., None]

STAGES = ("decode", "transcribe", "diarize", "offset", "chapters", "speakers", "export", "index")


def _noop(*args: Any, **kwargs: Any) -> None:
    pass


@dataclasses.dataclass(frozen=True)
class Prepared:
    """What is known once inputs are checked, before anything is written."""

    session: Session
    info: AudioInfo
    agenda: Agenda
    out_dir: Path


def prepare(session: Session, options: PipelineOptions) -> Prepared:
    """Check the recording and the agenda; raise before anything is written under outputs/."""
    info = audio.probe(session.recording)
    if session.agenda_path is None:
        raise AgendaError("no agenda given", session.recording)
    agenda = agenda_mod.parse(session.agenda_path)
    if isinstance(options.offset, float):
        late = agenda_mod.check_fits(agenda, info.duration, options.offset)
        if late and not options.chapters.lenient:
            item = late[0]
            where = f"line {item.line}" if item.line else f"item {agenda.items.index(item) + 1}"
            raise AgendaError(
                f"{where}: item '{item.title}' starts after the end of the recording "
                f"({info.duration:.0f} s); use --lenient to drop it",
                session.agenda_path,
            )
    out_dir = inside(options.outputs_dir, session.id)
    return Prepared(session, info, agenda, out_dir)


def _decode(prepared: Prepared, work: Path, hook: Hook) -> np.ndarray:
    raw = work / "audio.f32"
    marker = work / "audio.sha256"
    if not (raw.is_file() and marker.is_file() and marker.read_text().strip() == prepared.info.sha256):
        hook("decode")
        audio.decode(prepared.session.recording, raw, prepared.info, hook=hook)
        write_text(marker, prepared.info.sha256 + "\n")
    return audio.load(raw)


def _min_speakers_hint(agenda: Agenda) -> int:
    return len({sp.name for item in agenda.items for sp in item.speakers})


def _estimate_offset(
    prepared: Prepared, options: PipelineOptions, samples: np.ndarray, transcript: Transcript, diarization: Diarization
) -> Offset:
    if options.offset == "none":
        return offset.none()
    if isinstance(options.offset, float):
        return offset.manual(options.offset)
    if options.offset_search.reference:
        return offset.from_reference(samples, Path(options.offset_search.reference), options=options.offset_search)
    return offset.estimate(prepared.agenda, transcript, diarization, prepared.info.duration, options.offset_search)


def run_session(
    session: Session,
    options: PipelineOptions,
    hook: Hook | None = None,
    *,
    force: bool = False,
    hf_token: str | None = None,
) -> SessionResult:
    """Process one session; return its result. Outputs land in `options.outputs/<session.id>/`.

    `hf_token` is a Hugging Face token for the pyannote engine (never stored with the results).

    The session is locked while it runs: a second run of the same session, in this process
    or another, fails at once instead of racing this one.
    """
    hook = hook or _noop
    prepared = prepare(session, options)
    with session_lock(prepared.out_dir):
        clean_partials(prepared.out_dir)  # left by a writer killed mid-write; none is alive now
        result = _run(prepared, options, hook, force, hf_token)
        mark_complete(prepared.out_dir, result, options)
    hook("done")
    return result


def _run(prepared: Prepared, options: PipelineOptions, hook: Hook, force: bool, hf_token: str | None) -> SessionResult:
    session = prepared.session
    out_dir = prepared.out_dir
    work = out_dir / ".work"
    if force and work.exists():
        shutil.rmtree(work)
    samples = _decode(prepared, work, hook)  # a failed decode removes the folders it made
    stage_cache = cache.StageCache(work)
    language = options.language or None

    hook("transcribe")
    asr = stage_options(options, "asr")
    hints = spelling.hints(prepared.agenda) if options.asr.agenda_hints != "off" else ""
    t_key = cache.make_key("transcribe", prepared.info.sha256, asr, language, *([hints] if hints else []))
    transcript, _ = stage_cache.get_or_compute(
        "transcribe", t_key, Transcript,
        lambda: guard.clean(transcribe(samples, options.asr, language, hook=hook, hints=hints)),
    )

    hook("diarize")
    hint = _min_speakers_hint(prepared.agenda)
    # `refine` acts after chapters: switching it must not redo the diarization itself
    clustering = {k: v for k, v in stage_options(options, "diarization").items() if k != "refine"}
    d_key = cache.make_key("diarize", prepared.info.sha256, clustering, hint)
    diarization, _ = stage_cache.get_or_compute(
        "diarize",
        d_key,
        Diarization,
        lambda: diarize(samples, options.diarization, min_speakers_hint=hint, hook=hook, token=hf_token),
    )

    hook("offset")
    o_key = cache.make_key(
        "offset", t_key, d_key, prepared.agenda.to_dict(), options.offset, stage_options(options, "offset_search")
    )
    found_offset, _ = stage_cache.get_or_compute(
        "offset", o_key, Offset, lambda: _estimate_offset(prepared, options, samples, transcript, diarization)
    )

    hook("chapters")
    cut = chapters.cut(
        prepared.agenda, found_offset, transcript, diarization, prepared.info.duration, options.chapters
    )

    if not transcript.segments:
        log.warning("%s: no speech heard; the outputs hold no text", session.recording)
    # Nothing heard, so nothing detected: keep the language the user gave, if any.
    spoken = transcript.language or options.language or "und"

    hook("speakers")
    if options.diarization.refine:
        r_key = cache.make_key("refine", d_key, [c.to_dict() for c in cut])
        diarization, _ = stage_cache.get_or_compute(
            "refine", r_key, Diarization, lambda: refine(diarization, cut, samples, options.diarization, hook=hook)
        )
    library = VoiceLibrary(options.voices_path) if options.voices_path.exists() else None
    segments = speakers.assign_words(transcript, diarization)
    named, segments = speakers.name_speakers(
        segments,
        diarization,
        cut,
        prepared.agenda,
        overrides=session.speaker_names,
        voices=library,
        options=options.voices,
        language=spoken,
        samples=samples,
    )
    if options.voices.respell:  # after naming, which reads names however Whisper spelled them
        segments, respelt = spelling.respell(segments, prepared.agenda)
        log.info("%d near-miss spellings of agenda names written as in the agenda", respelt)

    result = SessionResult(
        session=session,
        audio=prepared.info,
        language=spoken,
        offset=found_offset,
        speakers=named,
        chapters=cut,
        segments=segments,
        options=options.to_dict(),
    )

    hook("export")
    write_all(result, out_dir, options, hook=hook)

    hook("index")
    # Both databases are shared by every session of the archive: one writer at a time.
    with index_lock(options.index_path):
        index.index_session(options.index_path, result, out_dir)

    if options.voices.enroll:
        with index_lock(options.voices_path):
            enroll_from_session(VoiceLibrary(options.voices_path), named, diarization, session=session.id)
    return result


__all__ = ["run_session", "prepare", "STAGES"]
