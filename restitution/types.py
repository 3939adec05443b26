"""The data that flows between stages.

One clock: every time here is float seconds on the recording file's own timeline ("media
time"), except `AgendaItem.time` and `Chapter.agenda_time`, which are session time as
published. The two meet once, through `Offset`.

Every class is a frozen dataclass with `to_dict` / `from_dict`, so stage results can be
cached as JSON and backends never leak their own objects past their adapter.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T", bound="Record")

# How the library reports progress: hook(step, artifact=None, *, completed=None, total=None),
# `step` a stage name (pipeline.STAGE_NAMES) or "done"; what it returns is ignored.
Hook = Callable[..., object]


class Record:
    """Mixin: JSON round-trip for frozen dataclasses made of plain values, tuples and records."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _dump(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        hints = typing.get_type_hints(cls)
        kwargs = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name in data:
                kwargs[f.name] = _load(hints[f.name], data[f.name])
        return cls(**kwargs)


def _dump(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, (tuple, list)):
        return [_dump(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    return value


def _load(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _load(args[0], value) if len(args) == 1 else value
    if origin is tuple:
        (inner, *_rest) = typing.get_args(hint)
        return tuple(_load(inner, v) for v in value)
    if isinstance(hint, type) and issubclass(hint, Record):
        return hint.from_dict(value)
    if hint is Path:
        return Path(value)
    if hint is float and isinstance(value, int):
        return float(value)
    return value


@dataclass(frozen=True)
class AudioInfo(Record):
    """What `audio.probe` learns about a recording before decoding it."""

    path: Path
    duration: float  # seconds, from the container or the stream
    sha256: str
    sample_rate: int  # native rate of the first audio stream
    channels: int
    codec: str
    has_video: bool = False


@dataclass(frozen=True)
class Word(Record):
    start: float
    end: float
    text: str  # as the model wrote it, usually with a leading space
    probability: float


@dataclass(frozen=True)
class Segment(Record):
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    speaker: str | None = None  # a speaker id ("S1"), filled in by speakers.assign_words


@dataclass(frozen=True)
class Transcript(Record):
    segments: tuple[Segment, ...]
    language: str
    language_probability: float | None
    duration: float  # seconds of audio transcribed
    engine: str = ""  # "faster-whisper 1.2.1 base int8", for the record


@dataclass(frozen=True)
class Turn(Record):
    """A stretch where one speaker talks. Turns of different speakers may overlap."""

    start: float
    end: float
    speaker: str  # diarization label, "S1", "S2", ...


@dataclass(frozen=True)
class Diarization(Record):
    turns: tuple[Turn, ...]
    engine: str = ""
    # One embedding per speaker label (mean of its windows), used to match known voices.
    centroids: dict[str, list[float]] = field(default_factory=dict)


@dataclass(frozen=True)
class AgendaSpeaker(Record):
    name: str
    role: str | None = None
    # The parser read a name here but could not make sure it is a person's (no known first name,
    # no title...): shown as such, and never enrolled as a voice.
    uncertain: bool = False


@dataclass(frozen=True)
class AgendaItem(Record):
    time: float  # session time, seconds, as published
    title: str
    speakers: tuple[AgendaSpeaker, ...] = ()
    line: int | None = None  # 1-based line in the agenda file, for error messages


@dataclass(frozen=True)
class Agenda(Record):
    items: tuple[AgendaItem, ...]
    source: str = ""  # file it came from


@dataclass(frozen=True)
class Offset(Record):
    """How far the recording started after the session: media time = session time - seconds."""

    seconds: float
    method: str  # "manual" | "auto" | "reference" | "none"
    confidence: float | None = None  # in [0, 1]; None when the user gave the number
    # Agenda items whose evidence disagrees with the chosen offset (indices, 1-based).
    disagreeing: tuple[int, ...] = ()


@dataclass(frozen=True)
class Chapter(Record):
    index: int  # 1-based
    title: str
    agenda_time: float  # session time, as published
    start: float  # media time
    end: float  # media time
    speakers: tuple[str, ...] = ()  # names from the agenda item


@dataclass(frozen=True)
class Speaker(Record):
    id: str  # "S1"
    name: str | None
    role: str | None = None
    seconds: float = 0.0  # speaking time
    source: str | None = None  # "agenda" | "voiceprint" | "session" | "unnamed"
    confidence: float | None = None  # in [0, 1], how sure the name is; None for unnamed voices
    evidence: tuple[str, ...] = ()  # what named it, strongest first, as a reader would check it
    # Below the confidence threshold, or an agenda name the parser was unsure is a person's:
    # flagged, listed for checking, never enrolled.
    uncertain: bool = False


@dataclass(frozen=True)
class Gap(Record):
    """Speech heard (by the voice detector or the diarization) that no decoding turned into words."""

    start: float
    end: float
    speaker: str | None = None  # the diarization label speaking there, when one is


@dataclass(frozen=True)
class CorrectionNote(Record):
    """What became of one correction of the session's corrections.toml on this run."""

    number: int  # its place in corrections.toml, 1-based
    kind: str  # "words", "speaker", "rename", "merge", "chapter", "gap", "timing"
    what: str  # one line: what it did, or what it says when it could not be placed
    reason: str = ""  # why it could not be placed; "" when it was applied


@dataclass(frozen=True)
class Session(Record):
    """One recording and what the user told us about it."""

    id: str  # slug, safe as a folder name
    recording: Path
    agenda_path: Path | None = None
    title: str | None = None
    date: str | None = None  # ISO date, as given in session.toml
    folder: Path | None = None  # recordings/<name>/ when the session is a folder
    # [speakers] table of session.toml: diarization label or agenda name -> name
    speaker_names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionResult(Record):
    """Everything `run_session` made; `session.json` is its serialized form."""

    session: Session
    audio: AudioInfo
    language: str
    offset: Offset
    speakers: tuple[Speaker, ...]
    chapters: tuple[Chapter, ...]
    segments: tuple[Segment, ...]
    options: dict[str, Any] = field(default_factory=dict)
    gaps: tuple[Gap, ...] = ()  # speech with no words, shown as inaudible; never dropped silently
    # The corrections of corrections.toml this result carries, and those that no longer fit it.
    applied: tuple[CorrectionNote, ...] = ()
    unplaced: tuple[CorrectionNote, ...] = ()
