"""From diarization labels to people: words to turns, labels to the agenda's names.

`assign_words` gives every word the turn it overlaps most and splits segments where the
speaker changes, so no caption holds two voices. `name_speakers` maps labels to names: per
chapter, the agenda's named speakers compete for the labels that speak most in that chapter
(see `restitution.naming`: speaking time first, then spoken names, order, pitch and known
voices for names listed together), each name with a confidence and its evidence; known voices
name labels the agenda leaves anonymous; the session's `[speakers]` table has the last word.
"""

from __future__ import annotations

import bisect
import dataclasses
import logging
import math
from collections.abc import Iterable

import numpy as np

from .export.words import word_pieces
from .naming.assign import ALL_CUES, Context, Naming, agenda_naming
from .naming.turns import speaking_time
from .options import VoiceOptions
from .types import Agenda, Chapter, Diarization, Segment, Speaker, Transcript, Turn, Word

log = logging.getLogger("restitution")

# The speakers stage's algorithm: bump it when a change alters who is named what.
# 2: co-presenters told apart by spoken names, late-start order, pitch, known voices;
# 3: a word's pieces keep one voice
# 4: the voice under way when a late recording began is named by how long turns last
# 5: a full name with one half heard exactly and the other alike is a mention (and respelt)
SPEAKERS_VERSION = 5

__all__ = ["SPEAKERS_VERSION", "agenda_names", "assign_words", "name_speakers", "speaking_time", "unnamed_label"]

UNNAMED = {"fr": "Intervenant", "en": "Speaker", "de": "Sprecher", "es": "Interviniente", "it": "Intervenuto"}


# -- words to turns ---------------------------------------------------------------------------


class _Turns:
    """Turns sorted by start, for overlap and nearest-turn queries."""

    def __init__(self, turns: Iterable[Turn]):
        self.turns = sorted(turns, key=lambda t: (t.start, t.end))
        self.starts = [t.start for t in self.turns]
        self.longest = max((t.end - t.start for t in self.turns), default=0.0)

    def best(self, start: float, end: float, max_gap: float) -> str | None:
        """The speaker of the turn overlapping [start, end] most, else of the nearest within max_gap."""
        lo = bisect.bisect_left(self.starts, start - self.longest - max_gap)
        hi = bisect.bisect_right(self.starts, end + max_gap)
        best, best_overlap = None, 0.0
        near, near_gap = None, max_gap + 1e-9
        for t in self.turns[lo:hi]:
            overlap = min(end, t.end) - max(start, t.start)
            if overlap > best_overlap:
                best, best_overlap = t.speaker, overlap
            gap = max(t.start - end, start - t.end, 0.0)
            if gap < near_gap:
                near, near_gap = t.speaker, gap
        return best if best is not None else near


def _fill(labels: list[str | None]) -> list[str | None]:
    """Words far from any turn take their neighbours' speaker instead of splitting a caption."""
    out = list(labels)
    last = None
    for i, lab in enumerate(out):
        if lab is None:
            out[i] = last
        else:
            last = lab
    following = None
    for i in range(len(out) - 1, -1, -1):
        if labels[i] is not None:
            following = labels[i]
        if out[i] is None:
            out[i] = following
    return out


def _text(words: tuple[Word, ...]) -> str:
    return "".join(w.text for w in words).strip()


def assign_words(transcript: Transcript, diarization: Diarization, max_gap: float = 1.0) -> tuple[Segment, ...]:
    """Segments with `speaker` set, split wherever the speaker changes between words."""
    turns = _Turns(diarization.turns)
    out: list[Segment] = []
    for seg in transcript.segments:
        if not seg.words:
            out.append(dataclasses.replace(seg, speaker=turns.best(seg.start, seg.end, max_gap)))
            continue
        labels = _fill([turns.best(w.start, w.end, max_gap) for w in seg.words])
        for group in word_pieces(seg.words):  # "C" + "'est" is one word: one voice says it
            if len(group) > 1:
                longest = max(group, key=lambda i: seg.words[i].end - seg.words[i].start)
                for i in group:
                    labels[i] = labels[longest]
        runs: list[tuple[str | None, list[Word]]] = []
        for word, lab in zip(seg.words, labels):
            if runs and runs[-1][0] == lab:
                runs[-1][1].append(word)
            else:
                runs.append((lab, [word]))
        if len(runs) == 1:
            out.append(dataclasses.replace(seg, speaker=runs[0][0]))
            continue
        for i, (lab, words) in enumerate(runs):
            start = seg.start if i == 0 else words[0].start
            end = seg.end if i == len(runs) - 1 else words[-1].end
            out.append(Segment(start, max(start, end), _text(tuple(words)), tuple(words), lab))
    return tuple(out)


# -- labels to names --------------------------------------------------------------------------


def agenda_names(diarization: Diarization, chapters: tuple[Chapter, ...]) -> dict[str, str]:
    """label -> agenda name, from the turns alone (the agenda's check uses it before naming)."""
    return {lab: n.name for lab, n in agenda_naming(diarization, chapters).items()}


def _unsure(agenda: Agenda) -> set[str]:
    """Agenda names the parser was unsure of everywhere it read them."""
    people = [sp for item in agenda.items for sp in item.speakers]
    return {sp.name for sp in people if sp.uncertain} - {sp.name for sp in people if not sp.uncertain}


def _roles(agenda: Agenda) -> dict[str, str]:
    roles: dict[str, str] = {}
    for item in agenda.items:
        for sp in item.speakers:
            if sp.role and sp.name not in roles:
                roles[sp.name] = sp.role
    return roles


def _label_order(label: str) -> tuple[int, str]:
    digits = label[1:] if label[:1] == "S" else ""
    return (int(digits), label) if digits.isdigit() else (10**9, label)


def unnamed_label(options: VoiceOptions, language: str) -> str:
    return options.unnamed_label or UNNAMED.get((language or "").split("-")[0].lower(), "Speaker")


def name_speakers(
    segments: tuple[Segment, ...],
    diarization: Diarization,
    chapters: tuple[Chapter, ...],
    agenda: Agenda,
    *,
    overrides: dict[str, str] | None = None,
    voices=None,
    options: VoiceOptions | None = None,
    language: str = "",
    samples: np.ndarray | None = None,
    cues: frozenset[str] = ALL_CUES,
) -> tuple[tuple[Speaker, ...], tuple[Segment, ...]]:
    """Speakers with names (source: "agenda", "voiceprint", "session" or "unnamed") and segments.

    `overrides` is session.toml's `[speakers]` table: a label ("S3") or a name the run gave
    ("Intervenant 2", an agenda name) mapped to the name to publish. `voices` is a
    `restitution.voices.VoiceLibrary` or None. `samples` (the 16 kHz recording) lets voice
    pitch count among the cues; `cues` picks which cues tell co-presenters apart (see
    `restitution.naming.cues`). A name less certain than `options.min_confidence` is
    marked `uncertain` and logged for checking.
    """
    options = options or VoiceOptions()
    overrides = overrides or {}
    labels = set(speaking_time(diarization.turns)) | {s.speaker for s in segments if s.speaker}
    labels |= set(diarization.centroids)
    known = voices.voices(diarization.engine) if voices is not None and "library" in cues else {}
    context = Context(tuple(segments), samples, known, frozenset(cues))
    names: dict[str, tuple[Naming, str]] = {
        lab: (n, "agenda") for lab, n in agenda_naming(diarization, chapters, context).items()
    }
    if voices is not None:
        _recognise(names, labels, diarization, voices, options.threshold)
    prefix = unnamed_label(options, language)
    count = 0
    for lab in sorted(labels, key=_label_order):
        if lab not in names:
            count += 1
            names[lab] = (Naming(f"{prefix} {count}", 0.0), "unnamed")
    for key, value in overrides.items():
        hits = [lab for lab in labels if lab == key] or [lab for lab in labels if names[lab][0].name == key]
        if not hits:
            log.warning("[speakers] %s = %r matches no speaker of this session", key, value)
        for lab in hits:
            names[lab] = (Naming(value, 1.0, ("session.toml [speakers]",)), "session")
    roles = _roles(agenda)
    doubtful = _unsure(agenda)
    seconds = speaking_time(diarization.turns)
    speakers = []
    for lab in sorted(labels, key=_label_order):
        n, source = names[lab]
        checked = source in ("agenda", "voiceprint")
        sure = n.confidence >= options.min_confidence and n.name not in doubtful
        evidence = n.evidence + (("the agenda's reading of this name is uncertain",) if n.name in doubtful else ())
        if checked and not sure:
            other = f"{n.name} or {' or '.join(n.alternatives)}" if n.alternatives else f"{n.name}, or someone else"
            log.warning("check: %s may be %s (confidence %.2f)", lab, other, n.confidence)
        speakers.append(Speaker(
            lab, n.name, roles.get(n.name), round(seconds.get(lab, 0.0), 3), source,
            confidence=None if source == "unnamed" else n.confidence, evidence=evidence, uncertain=checked and not sure,
        ))  # fmt: skip
    given = {s.name for s in speakers}
    for missing in dict.fromkeys(n for c in chapters for n in c.speakers if n and n not in given):
        log.warning(
            "%s is in the agenda but no voice took the name (too little speech in their items, "
            "or their voice was heard as another's)",
            missing,
        )
    return tuple(speakers), tuple(segments)


def _recognise(
    names: dict[str, tuple[Naming, str]], labels: set[str], diarization: Diarization, voices, threshold: float
) -> None:
    """Name anonymous labels after known voices; report known voices the agenda contradicts."""
    model = diarization.engine
    used = {n.name for n, _ in names.values()}
    matches = []
    for lab in sorted(labels, key=_label_order):
        centroid = diarization.centroids.get(lab)
        if not centroid:
            continue
        hit = voices.match(centroid, model=model, threshold=threshold)
        if hit is None:
            continue
        name, similarity = hit
        if lab in names:
            if names[lab][0].name != name:
                log.warning(
                    "%s sounds like %s (similarity %.2f) but the agenda names %s; keeping the agenda's name",
                    lab,
                    name,
                    similarity,
                    names[lab][0].name,
                )
            continue
        matches.append((similarity, lab, name))
    for similarity, lab, name in sorted(matches, reverse=True):
        if name in used:
            log.warning(
                "%s sounds like %s (similarity %.2f), a name already given; left unnamed", lab, name, similarity
            )
            continue
        # A match just at the threshold is a coin toss; one well above it, near certain.
        confidence = round(1.0 / (1.0 + math.exp(-(10 * (similarity - threshold) + 1))), 3)
        evidence = (f"similarity {similarity:.2f} to the known voice of {name}",)
        names[lab] = (Naming(name, confidence, evidence), "voiceprint")
        used.add(name)
