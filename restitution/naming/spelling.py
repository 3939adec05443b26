"""Agenda names written as the agenda writes them: a hint for the decoder, a pass over the text.

`hints(agenda)` lists the agenda's names, the organisations in its roles and the rare words of
its titles, for the decoder to expect (faster-whisper `hotwords`, an openai-whisper prompt).
`respell(segments, agenda)` rewrites near-miss spellings of the agenda's names, in segment
text and in words alike ("Delassu" -> "Delassus", "Stéphanie Mabilleau" -> "Stéphanie
Mabileau", "Romain de Lassus" -> "Romain Delassus"): whole words only, never an ordinary word
or another first name, never where two agenda people would fit the same words differently.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from ..types import Agenda, Segment, Word
from .common_words import COMMON_WORDS
from .firstnames import FIRST_NAMES
from .people import Mention, Person, fold, mentions, person

MAX_HINT_WORDS = 80  # the decoder keeps half its context for hints: stay well inside it
_ACRONYM = re.compile(r"\b[A-Z][A-Za-z0-9&]*[A-Z0-9][A-Za-z0-9&]*\b|\b[A-Z][a-z]+[A-Z][A-Za-z]*\b")


def agenda_people(agenda: Agenda, extra: Iterable[str] = ()) -> list[Person]:
    """The agenda's people, then `extra` names (spellings a person corrected in earlier sessions)."""
    names = [sp.name for item in agenda.items for sp in item.speakers] + [n.strip() for n in extra if n.strip()]
    return [person(n) for n in dict.fromkeys(names)]


def hints(agenda: Agenda, extra: Iterable[str] = ()) -> str:
    """ "Romain Delassus, Anne Le Gall, TMNlab, RESSAC, circulaire": names first (the agenda's,
    then `extra`), then the organisations the roles name (acronyms, CamelCase) and the titles'
    uncommon words."""
    out: list[str] = [p.name for p in agenda_people(agenda, extra)]
    for item in agenda.items:
        for sp in item.speakers:
            out += _ACRONYM.findall(sp.role or "")
    for item in agenda.items:
        out += [w for w in re.findall(r"[^\W\d_]{5,}", item.title) if fold(w) not in COMMON_WORDS]
    seen: set[str] = set()
    kept: list[str] = []
    for term in out:
        if fold(term) not in seen:
            seen.add(fold(term))
            kept.append(term)
    text, count = [], 0
    for term in kept:
        count += len(term.split())
        if count > MAX_HINT_WORDS:
            break
        text.append(term)
    return ", ".join(text)


def _target(m: Mention) -> str | None:
    """How the agenda writes what `m` matched, or None when it must stay as heard."""
    spellings = {p.spelled(form) for p, form in zip(m.people, m.forms)}
    return spellings.pop() if len(spellings) == 1 else None


def _rewrites(text: str, people: list[Person]) -> list[tuple[int, int, str]]:
    """(start, end, replacement) for each near-miss spelling in `text`."""
    out = []
    for m in mentions(text, people):
        target = _target(m)
        written = text[m.start : m.end]
        if target is None or written == target or written.lower() == target.lower():
            continue
        if m.last_word - m.first_word == 1 and not m.exact:
            key = fold(written)
            if key in FIRST_NAMES or key in COMMON_WORDS:
                continue  # "Martine" is somebody else, not a misspelt "Martin"
        out.append((m.start, m.end, target))
    return out


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _respell_words(words: tuple[Word, ...], people: list[Person]) -> tuple[Word, ...]:
    text, spans = "", []
    for w in words:
        spans.append((len(text), len(text) + len(w.text)))
        text += w.text
    edits = _rewrites(text, people)
    if not edits:
        return words
    out: list[Word] = []
    i = 0
    for start, end, new in sorted(edits):
        first = next(k for k, (a, b) in enumerate(spans) if b > start)
        last = next(k for k, (a, b) in enumerate(spans) if b >= end)
        out += words[i:first]
        a, b = spans[first][0], spans[last][1]
        joined = text[a:start] + new + text[end:b]
        out.append(
            Word(words[first].start, words[last].end, joined, min(w.probability for w in words[first : last + 1]))
        )
        i = last + 1
    return tuple(out + list(words[i:]))


def respell(segments: Iterable[Segment], agenda: Agenda, extra: Iterable[str] = ()) -> tuple[tuple[Segment, ...], int]:
    """Segments with the agenda's spelling of its names (and of `extra` names); and how many
    spellings were changed."""
    people = agenda_people(agenda, extra)
    if not people:
        return tuple(segments), 0
    out, changed = [], 0
    for seg in segments:
        edits = _rewrites(seg.text, people)
        words = _respell_words(seg.words, people) if seg.words else seg.words
        if edits or words is not seg.words:
            changed += len(edits)
            seg = dataclasses.replace(seg, text=_apply(seg.text, edits), words=words)
        out.append(seg)
    return tuple(out), changed
