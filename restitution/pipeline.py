"""`run_session`: one recording and its agenda in, every output out, by walking `STAGES`.

    decode → speech → transcribe → diarize → recover → offset → chapters → refine → speakers → correct → export
    → index → enroll

Each stage is declared once, in `STAGES`: its name, the values it reads, its algorithm version
(a constant kept in the stage's own module, beside the algorithm), the options that change its
result, the fingerprint of its model and backend, and the function. The same table gives the
cache keys (`stage_keys`), the progress steps (`STAGE_NAMES`), `force_from`, the batch's
reasons to reprocess a session, and the long benchmark's columns.

Values have names: the sources "audio" (AudioInfo), "agenda" and "session", then what each
stage produces, under its own name or under the name it replaces: refine produces a new
"diarization", speakers the "result" (SessionResult) that export writes and index indexes. A
stage that edits the result (reads "result", produces "result") slots in between speakers and
export as one more entry of the table: `correct` does, applying the corrections people made
(the source "corrections", `outputs/<id>/corrections.toml`, whose bytes are in its key).

It departs from DESIGN.md's drawing in one place: the offset is estimated before speakers
are named, because naming assigns each chapter's agenda names to the voices of that chapter,
and chapters need the offset.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import agenda as agenda_mod
from . import audio, chapters, devices, fingerprint, index, offset, speakers
from . import stages as st
from .bookkeeping import StageTime, cpu_seconds, open_books, stale
from .cache import SessionKeys, StageCache, StageKey, make_key
from .corrections import store as corrections
from .corrections.apply import CORRECT_VERSION
from .diarize import DIARIZE_VERSION
from .diarize.refine import REFINE_VERSION
from .errors import AgendaError, ConfigError, RestitutionError
from .export import EXPORT_VERSION
from .files import confined, inside
from .options import PipelineOptions
from .sessions import own_id, source_name
from .speech import DETECTOR, SPEECH_VERSION, SpeechMap
from .stages import Prepared, Run
from .threads import blas_threads
from .transcribe import CUT, RECOVERY, TRANSCRIBE_VERSION
from .transcribe.recover import RECOVER_VERSION
from .types import Agenda, Diarization, Hook, Offset, Record, Session, SessionResult, Transcript
from .voices import ENROLL_VERSION

log = logging.getLogger("restitution")


def _no_options(options: PipelineOptions, agenda: Agenda) -> dict[str, Any]:
    return {}


def _no_model(options: PipelineOptions) -> dict[str, Any]:
    return {}


def _always(options: PipelineOptions) -> bool:
    return True


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[Run], Any]
    inputs: tuple[str, ...]  # the values it reads: sources and earlier stages' products
    version: int  # its algorithm version, from the stage's module
    # The options that change its result (threads, progress and paths never do).
    options: Callable[[PipelineOptions, Agenda], dict[str, Any]] = _no_options
    model: Callable[[PipelineOptions], dict[str, Any]] = _no_model  # model and backend fingerprint
    record: type[Record] | None = None  # kept in .work/<name>.json as this type; None: made each run
    produces: str = ""  # the value it produces: its own name unless it replaces one
    when: Callable[[PipelineOptions], bool] = _always  # a stage that does not run leaves its value as it was

    @property
    def output(self) -> str:
        return self.produces or self.name


STAGES: tuple[Stage, ...] = (
    Stage("decode", st.decode_audio, ("audio",), audio.DECODE_VERSION, produces="samples"),
    # One voice-activity pass, shared by transcription and diarization so they agree on where speech is.
    Stage(
        "speech", st.map_speech, ("samples",), SPEECH_VERSION, model=lambda o: {"detector": DETECTOR},
        record=SpeechMap,
    ),
    Stage(
        "transcribe", st.transcribe_speech, ("samples", "speech"), TRANSCRIBE_VERSION,
        lambda o, agenda: {**st.asr_options(o, agenda), "cut": CUT}, lambda o: fingerprint.asr(o.asr), Transcript,
        produces="transcript",
    ),
    # The agenda reaches diarization only through its count of named speakers, in its options.
    Stage(
        "diarize", st.find_speakers, ("samples", "speech"), DIARIZE_VERSION, st.diarize_options,
        lambda o: fingerprint.diarization(o.diarization), Diarization, produces="diarization",
    ),
    # Speech that the map or the diarization hears and that has no words, decoded again on its own.
    Stage(
        "recover", st.recover_speech, ("samples", "transcript", "speech", "diarization"), RECOVER_VERSION,
        lambda o, agenda: {**st.asr_options(o, agenda), "recovery": RECOVERY}, lambda o: fingerprint.asr(o.asr),
        Transcript, produces="transcript",
    ),
    Stage(
        "offset", st.estimate_offset, ("samples", "audio", "agenda", "transcript", "diarization"),
        offset.OFFSET_VERSION, st.offset_options, record=Offset,
    ),
    Stage(
        "chapters", st.cut_chapters, ("audio", "agenda", "offset", "transcript", "diarization"),
        chapters.CHAPTERS_VERSION, lambda o, agenda: st.without(o.chapters),
    ),
    Stage(
        "refine", st.refine_speakers, ("samples", "diarization", "chapters"), REFINE_VERSION,
        model=lambda o: fingerprint.embedding(o.diarization.embedding), record=Diarization,
        produces="diarization", when=lambda o: o.diarization.refine,
    ),
    Stage(
        "speakers", st.name_speakers,
        ("session", "audio", "agenda", "samples", "transcript", "diarization", "offset", "chapters", "speech"),
        speakers.SPEAKERS_VERSION, st.speakers_options, produces="result",
    ),
    # What people corrected (corrections.toml), applied on the named result: every output follows.
    Stage(
        "correct", st.correct_result, ("result", "corrections", "diarization"), CORRECT_VERSION,
        produces="result",
    ),
    Stage("export", st.write_outputs, ("result",), EXPORT_VERSION, lambda o, agenda: st.without(o.export)),
    Stage("index", st.index_result, ("result",), index.INDEX_VERSION),
    Stage("enroll", st.enroll_voices, ("result", "diarization"), ENROLL_VERSION, when=lambda o: o.voices.enroll),
)  # fmt: skip

STAGE_NAMES = tuple(stage.name for stage in STAGES)


# --- keys ----------------------------------------------------------------------------------------


def _session_key(session: Session) -> str:
    # What a session.toml says about the session; where its files are is not part of it.
    return make_key(session.id, session.title, session.date, session.speaker_names)


def _agenda_key(agenda: Agenda) -> str:
    # Items only: the agenda's path and the lines items sit on change no result.
    return make_key([(item.time, item.title, [sp.to_dict() for sp in item.speakers]) for item in agenda.items])


def stage_keys(session: Session, options: PipelineOptions, agenda: Agenda, sha256: str) -> SessionKeys:
    """The key of each stage that runs with these options, from the sources' fingerprints alone."""
    sources = {
        "audio": sha256,
        "agenda": _agenda_key(agenda),
        "session": _session_key(session),
        "corrections": corrections.fingerprint(options.outputs_dir / session.id),
    }
    keys = dict(sources)  # by value name
    stages: dict[str, StageKey] = {}
    for stage in STAGES:
        if not stage.when(options):
            continue
        chosen, model = make_key(stage.options(options, agenda)), make_key(stage.model(options))
        key = make_key(stage.name, stage.version, [keys[name] for name in stage.inputs], chosen, model)
        stages[stage.name] = StageKey(key, stage.version, chosen, model)
        keys[stage.output] = key
    return SessionKeys(sources, stages)


def outputs_stale(session: Session, options: PipelineOptions) -> str | None:
    """Why the outputs of `session` differ from what `run_session` would make now; None when
    they are complete. Cheap: it reads the agenda and hashes the recording only if it changed."""
    if session.agenda_path is None:
        return "no agenda"
    agenda_path = session.agenda_path

    def keys_for(sha256: str) -> SessionKeys:
        return stage_keys(session, options, agenda_mod.parse(agenda_path), sha256)

    try:
        return stale(options.outputs_dir / session.id, session.recording, keys_for)
    except (RestitutionError, OSError) as e:
        return f"its inputs cannot be checked ({e})"


# --- the run -------------------------------------------------------------------------------------


def check_databases(options: PipelineOptions) -> None:
    """The index and the voice library are usable, or one line now rather than after the run."""
    index.check_database(options.index_path)
    if options.voices.enroll or options.voices_path.exists():
        index.check_database(options.voices_path, "voice library")


def prepare(session: Session, options: PipelineOptions) -> Prepared:
    """Check the recording, the agenda and the databases; raise before anything is written under outputs/."""
    check_databases(options)
    devices.check(options)  # "cuda" without CUDA: one line now, not after decoding
    info = audio.probe(session.recording)
    if session.agenda_path is None:
        raise AgendaError("no agenda given", session.recording)
    agenda = agenda_mod.parse(session.agenda_path)
    agenda = agenda_mod.fit_recording(
        agenda, info.duration, options.offset, options.offset_search, lenient=options.chapters.lenient
    )
    out_dir = inside(options.outputs_dir, session.id)
    return Prepared(session, info, agenda, out_dir)


def _checked(session: Session, options: PipelineOptions, force: bool) -> Prepared:
    prepared = prepare(session, options)
    if not force:  # the index would refuse it at the end; say so before the work
        index.check_free(options.index_path, prepared.session, prepared.info.sha256)
    return prepared


def _first_forced(force_from: str | None) -> int | None:
    if force_from is None:
        return None
    if force_from not in STAGE_NAMES:
        raise ConfigError(f"no stage '{force_from}' to force from; stages: {', '.join(STAGE_NAMES)}")
    return STAGE_NAMES.index(force_from)


def _noop(*args: Any, **kwargs: Any) -> None:
    pass


def run_session(
    session: Session,
    options: PipelineOptions,
    hook: Hook | None = None,
    *,
    force: bool = False,
    force_from: str | None = None,
    hf_token: str | None = None,
    inputs: dict[str, list[int]] | None = None,
) -> SessionResult:
    """Process one session; return its result. Outputs land in `options.outputs/<session.id>/`.

    `force_from="diarize"` recomputes that stage and every stage after it, ignoring their
    cache; `force` recomputes everything. `hf_token` is a Hugging Face token for the pyannote
    engine (never stored with the results). A batch passes `inputs` (see bookkeeping.open_books):
    then a failure is recorded, even one of the checks of the inputs, and the run logs to run.log.

    The session is locked while it runs: a second run of the same session, in this process
    or another, fails at once instead of racing this one.
    """
    hook = hook or _noop
    first = _first_forced(STAGE_NAMES[0] if force else force_from)
    # Never into another session's outputs: a name that slugs like another's gets its own id.
    session = own_id(session, options.outputs_dir)
    # The `run` command writes nothing before its inputs are checked; a batch job records even
    # that check's failure, so that an unchanged one is not retried.
    prepared = _checked(session, options, force) if inputs is None else None
    out_dir = prepared.out_dir if prepared else inside(options.outputs_dir, session.id)
    with open_books(out_dir, options, inputs, source_name(session)) as books:
        prepared = prepared or _checked(session, options, force)
        keys = stage_keys(session, options, prepared.agenda, prepared.info.sha256)
        cache = StageCache(out_dir / ".work")
        if first is not None:
            for stage in STAGES[first:]:
                cache.forget(stage.name)
        run = Run(
            prepared,
            options,
            hook,
            hf_token,
            cache,
            # Read under the lock: a file that no longer reads stops the run before any output changes.
            {
                "audio": prepared.info,
                "agenda": prepared.agenda,
                "session": session,
                "corrections": corrections.load(out_dir),
            },
            force=force,
        )
        # BLAS serves diarization's clustering and the naming cues: their threads, not the launcher's.
        with blas_threads(options.diarization.threads):
            for stage in STAGES:
                if stage.name in keys.stages:
                    books.stage = stage.name
                    # Every write and delete stays in the session's folder; export's alone also
                    # refreshes the archive page beside it.
                    with confined(options.outputs_dir if stage.name == "export" else out_dir):
                        books.times.append(_run_stage(run, stage, keys.stages[stage.name].key))
        result: SessionResult = run["result"]
        books.complete(result, keys)
    hook("done")
    return result


def _run_stage(run: Run, stage: Stage, key: str) -> StageTime:
    wall, cpu = time.perf_counter(), cpu_seconds()
    run.hook(stage.name)
    run.name, run.version, run.key = stage.name, stage.version, key
    value = run.cache.load(stage.name, key, stage.record) if stage.record is not None else None
    cached = value is not None
    if cached:
        log.info("%s: reusing cached result", stage.name)
    else:
        value = stage.run(run)
        if stage.record is not None:
            run.cache.save(stage.name, key, value, stage.version)
    run.values[stage.output] = value
    took = StageTime(stage.name, time.perf_counter() - wall, cpu_seconds() - cpu, cached)
    log.info("%s: %.1f s wall, %.1f s CPU", stage.name, took.wall, took.cpu)
    return took


__all__ = [
    "STAGES",
    "STAGE_NAMES",
    "Prepared",
    "Stage",
    "check_databases",
    "outputs_stale",
    "prepare",
    "run_session",
    "stage_keys",
]
