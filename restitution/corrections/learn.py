"""What the archive learns from corrections: the voices people named, and how they spell names.

- A voice a person renamed (or merged into a named voice) is enrolled in the voice library
  under that name, for this session (a rerun replaces its print, never adds a second one);
  a print this session gave the agenda's name for it before is taken back. Placeholder names
  ("Intervenant 2") are never enrolled.
- Names people spelled (a corrected word that is a name, a voice renamed) are kept in the
  voice library's `spellings` table; `known_spellings(options)` gives them to the decoder's
  hints of later sessions of the archive.

Learning follows `voices.enroll`: an archive that keeps no voice library learns nothing.
"""

from __future__ import annotations

import datetime
import logging
import sqlite3
from collections import Counter
from collections.abc import Sequence

from ..errors import OutputError
from ..export.labels import is_placeholder
from ..lock import index_lock
from ..options import PipelineOptions
from ..types import Diarization, SessionResult
from ..voices import VoiceLibrary, learnt_spellings
from .anchor import norm
from .model import Correction
from .people import SOURCE

log = logging.getLogger("restitution")

_SPELLINGS = """
CREATE TABLE IF NOT EXISTS spellings (
    spelling TEXT PRIMARY KEY,
    session TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL
);
"""
_SENTENCE_END = (".", "?", "!", "…", ":")


def _final_labels(before: SessionResult, after: SessionResult) -> dict[str, str]:
    """Each voice of `before` -> the voice of `after` that says most of its words (merges followed)."""
    label_at = {round(w.start, 3): seg.speaker for seg in after.segments for w in seg.words if seg.speaker}
    kept = {s.id for s in after.speakers}
    out = {}
    for sp in before.speakers:
        if sp.id in kept:
            out[sp.id] = sp.id
            continue
        votes = Counter(
            label_at.get(round(w.start, 3)) for seg in before.segments if seg.speaker == sp.id for w in seg.words
        )
        votes.pop(None, None)
        if votes:
            out[sp.id] = str(votes.most_common(1)[0][0])
    return out


def learn_voices(
    before: SessionResult, after: SessionResult, diarization: Diarization, options: PipelineOptions
) -> list[str]:
    """Enroll the voices people named in this session; return the names enrolled."""
    labels = [options.voices.unnamed_label]
    names = {s.id: s for s in after.speakers}
    old = {s.id: s for s in before.speakers}
    library = VoiceLibrary(options.voices_path)
    enrolled = []
    session = after.session.id
    for label, final in _final_labels(before, after).items():
        sp = names.get(final)
        centroid = diarization.centroids.get(label)
        if sp is None or not centroid or sp.source != SOURCE or is_placeholder(sp.name, sp.source, labels):
            continue
        assert sp.name is not None
        was = old[label]
        if was.source == "agenda" and was.name and was.name != sp.name:
            library.forget_print(was.name, diarization.engine, session)  # the agenda's name was wrong for this voice
        library.enroll(sp.name, centroid, model=diarization.engine, seconds=was.seconds, source=session)
        enrolled.append(sp.name)
    return enrolled


def _names(result: SessionResult) -> list[str]:
    people = [s.name for s in result.speakers if s.name]
    return people + [n for c in result.chapters for n in c.speakers]


def spellings(result: SessionResult, corrections: Sequence[Correction], labels: Sequence[str] = ()) -> list[str]:
    """Names people spelled in `corrections` (those `result` applied): a renamed voice's name; a
    respelled word that belongs to a name of the session (then that whole name), or that is
    capitalised where no sentence starts."""
    applied = {n.number for n in result.applied}
    names = _names(result)
    found: list[str] = []
    for number, c in enumerate(corrections, start=1):
        if number not in applied:
            continue
        if c.kind == "rename" and not is_placeholder(c.name, None, labels):
            found.append(c.name)
        if c.kind not in ("words", "gap"):
            continue
        text = c.new if c.kind == "words" else c.text
        was = set(c.old.split())
        previous = (c.before.split() or [""])[-1]
        for token in text.split():
            word = token.strip('.,;:!?»«()[]"“”')
            starts_sentence = not previous or previous.endswith(_SENTENCE_END)
            previous = token
            if not word[:1].isupper() or word in was or len(word) < 2:
                continue
            whole = [n for n in names if norm(word)[0] in norm(n)] if norm(word) else []
            if whole:
                found.append(whole[0])
            elif not starts_sentence:
                found.append(word)
    return list(dict.fromkeys(found))


def _connect(options: PipelineOptions) -> sqlite3.Connection:
    path = options.voices_path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=10)
        db.executescript(_SPELLINGS)
    except sqlite3.DatabaseError as e:
        raise OutputError(f"voice library unusable: {e}", path) from None
    return db


def remember(options: PipelineOptions, names: Sequence[str], session: str) -> None:
    if not names:
        return
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    db = _connect(options)
    with db:
        db.executemany(
            "INSERT OR IGNORE INTO spellings (spelling, session, created) VALUES (?, ?, ?)",
            [(" ".join(n.split()), session, now) for n in names],
        )
    db.close()


def known_spellings(options: PipelineOptions) -> tuple[str, ...]:
    """Every name people spelled in corrections of this archive, for the decoder's hints."""
    return learnt_spellings(options.voices_path)


def learn(
    before: SessionResult,
    after: SessionResult,
    corrections: Sequence[Correction],
    diarization: Diarization,
    options: PipelineOptions,
) -> None:
    """What the `correct` stage teaches the archive (nothing when `voices.enroll` is off)."""
    if not options.voices.enroll or not after.applied:
        return
    with index_lock(options.voices_path):
        enrolled = learn_voices(before, after, diarization, options)
        names = spellings(after, corrections, [options.voices.unnamed_label])
        remember(options, names, after.session.id)
    if enrolled or names:
        log.info("learnt from corrections: voices %s; spellings %s", enrolled, names)
