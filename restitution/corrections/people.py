"""Corrections of who speaks: a voice renamed or merged into another, and finding a voice by
its label ("S3") or its display name."""

from __future__ import annotations

import dataclasses
from difflib import SequenceMatcher

from ..types import SessionResult, Speaker
from .model import Correction

SOURCE = "correction"  # Speaker.source of a name a person gave


class Unplaceable(Exception):
    """This correction does not fit this result (any more); the message says why."""


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def voice_for(result: SessionResult, ref: str, *, create: bool = False) -> str | None:
    """The label of the voice `ref` names: a label, else a display name; with `create`, a new
    label for a name no voice has (the caller adds the Speaker); else None."""
    ids = [s.id for s in result.speakers]
    if ref in ids:
        return ref
    named = [s.id for s in result.speakers if s.name and _same(s.name, ref)]
    if named:
        return named[0]
    if not create:
        return None
    n = 1
    while f"S{n}" in ids:
        n += 1
    return f"S{n}"


def with_voice(result: SessionResult, label: str, name: str) -> SessionResult:
    """`result` with a voice `label` named `name` if it has none by that label."""
    if any(s.id == label for s in result.speakers):
        return result
    return dataclasses.replace(result, speakers=(*result.speakers, Speaker(label, name, None, 0.0, SOURCE)))


def _speaker(result: SessionResult, label: str) -> Speaker:
    return next(s for s in result.speakers if s.id == label)


def rename(result: SessionResult, c: Correction) -> tuple[SessionResult, str]:
    label = voice_for(result, c.speaker)
    if label is None:
        raise Unplaceable(f"no voice {c.speaker!r} in this session any more")
    other = voice_for(result, c.name)
    if other is not None and other != label:  # the name of another voice: the same person
        merged, _ = merge(result, dataclasses.replace(c, kind="merge", into=other))
        return merged, f"voice {c.speaker} named {c.name!r}, which another voice has: merged into {other}"
    sp = _speaker(result, label)
    if sp.name == c.name and not sp.uncertain:
        return result, f"voice {label} already named {c.name!r}"  # a name the parser was unsure of is now sure
    # A respelling keeps the role the agenda gave; another person's name does not.
    close = bool(sp.name) and SequenceMatcher(None, (sp.name or "").casefold(), c.name.casefold()).ratio() >= 0.75
    renamed = dataclasses.replace(sp, name=c.name, source=SOURCE, uncertain=False, role=sp.role if close else None)
    speakers = tuple(renamed if s.id == label else s for s in result.speakers)
    # The chapters list the agenda's names: the one this voice had is the one corrected.
    chapters = tuple(
        dataclasses.replace(ch, speakers=tuple(c.name if n == sp.name else n for n in ch.speakers))
        for ch in result.chapters
    )
    done = dataclasses.replace(result, speakers=speakers, chapters=chapters)
    return done, f"voice {label} ({sp.name}) renamed {c.name!r}"


def merge(result: SessionResult, c: Correction) -> tuple[SessionResult, str]:
    a, b = voice_for(result, c.speaker), voice_for(result, c.into)
    if a is None or b is None:
        missing = c.speaker if a is None else c.into
        raise Unplaceable(f"no voice {missing!r} in this session any more")
    if a == b:
        return result, f"{c.speaker} and {c.into} are already one voice"
    gone, kept = _speaker(result, a), _speaker(result, b)
    segments = tuple(dataclasses.replace(s, speaker=b) if s.speaker == a else s for s in result.segments)
    gaps = tuple(dataclasses.replace(g, speaker=b) if g.speaker == a else g for g in result.gaps)
    grown = dataclasses.replace(kept, seconds=round(kept.seconds + gone.seconds, 3))
    speakers = tuple(grown if s.id == b else s for s in result.speakers if s.id != a)
    return (
        dataclasses.replace(result, segments=segments, gaps=gaps, speakers=speakers),
        f"voice {a} ({gone.name}) merged into {b} ({kept.name})",
    )
