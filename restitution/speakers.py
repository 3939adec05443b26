"""From diarization labels to people: words to turns, labels to the agenda's names.

`assign_words` gives every word the turn it overlaps most and splits segments where the
speaker changes, so no caption holds two voices. `name_speakers` maps labels to names: per
chapter, the agenda's named speakers compete for the labels that speak most in that chapter
(an optimal assignment over speaking time); a name once given stays with its voice in later
chapters; known voices name labels the agenda leaves anonymous; the session's `[speakers]`
table has the last word.
"""

from __future__ import annotations

import bisect
import dataclasses
import logging
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from .options import VoiceOptions
from .types import Agenda, Chapter, Diarization, Segment, Speaker, Transcript, Turn, Word

log = logging.getLogger("restitution")

# The speakers stage's algorithm: bump it when a change alters who is named what.
SPEAKERS_VERSION = 1

MIN_CHAPTER_SECONDS = 1.0  # a label must speak this long in a chapter to take one of its names
TIE_SECONDS = 0.5  # claims on two names closer than this are a tie (names listed together)
FRAGMENT_SIMILARITY = 0.8  # a second label this close to a named voice is that voice, split
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


def speaking_time(turns: Iterable[Turn], start: float = float("-inf"), end: float = float("inf")) -> dict[str, float]:
    """Seconds each label speaks within [start, end] (its own overlapping turns counted once)."""
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for t in turns:
        s, e = max(t.start, start), min(t.end, end)
        if e > s:
            spans[t.speaker].append((s, e))
    out = {}
    for label, items in spans.items():
        total, reach = 0.0, float("-inf")
        for s, e in sorted(items):
            if e > reach:
                total += e - max(s, reach)
                reach = e
        out[label] = total
    return out


def _first_heard(turns: tuple[Turn, ...], chapters: list[Chapter]) -> dict[str, float]:
    first: dict[str, float] = {}
    for t in turns:
        for c in chapters:
            if t.end > c.start and t.start < c.end:
                first[t.speaker] = min(first.get(t.speaker, float("inf")), max(t.start, c.start))
    return first


def _groups(labels: list[str], k: int, centroids: dict[str, list[float]], seconds: dict[str, float]) -> list[list[str]]:
    """`labels` gathered into at most k voices: the most similar labels merge first (average
    linkage), so a voice split in two by clustering still counts once. Without embeddings, the
    k labels that speak most."""
    if len(labels) <= k or not all(lab in centroids for lab in labels):
        return [[lab] for lab in sorted(labels, key=lambda lab: -seconds[lab])[:k]]
    vectors = {lab: np.asarray(centroids[lab]) for lab in labels}
    groups = [[lab] for lab in labels]
    while len(groups) > k:
        best, pair = -2.0, (0, 1)
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                sim = float(np.mean([vectors[a] @ vectors[b] for a in groups[i] for b in groups[j]]))
                if sim > best:
                    best, pair = sim, (i, j)
        i, j = pair
        groups[i] += groups.pop(j)
    return groups


def agenda_names(diarization: Diarization, chapters: tuple[Chapter, ...]) -> dict[str, str]:
    """label -> agenda name.

    A label's claim on a name is the time it speaks in the chapters that list the name, minus
    the time it speaks in named chapters that do not: so a voice is named after the items it
    dominates, and a speaker who returns in unnamed items keeps the name. Names listed together
    (an item "par A et B") tie on time; they are told apart by voice (a split voice counts
    once) and by order: the first listed is taken to speak first.
    """
    listed = [c for c in sorted(chapters, key=lambda c: c.start) if any(c.speakers)]
    if not listed:
        return {}
    times = [speaking_time(diarization.turns, c.start, c.end) for c in listed]
    names = list(dict.fromkeys(n for c in listed for n in c.speakers if n))
    labels = sorted({lab for t in times for lab in t}, key=_label_order)

    def claim(lab: str, name: str) -> float:
        return sum(t.get(lab, 0.0) * (1 if name in c.speakers else -1) for c, t in zip(listed, times))

    score = {lab: {n: claim(lab, n) for n in names} for lab in labels}
    tied: dict[str, list[str]] = {}
    for lab in labels:
        best = max(score[lab].values())
        if best >= MIN_CHAPTER_SECONDS:
            tied[lab] = [n for n in names if score[lab][n] >= best - TIE_SECONDS]
    by_name: dict[str, list[str]] = defaultdict(list)
    for lab, options in tied.items():
        if len(options) == 1:
            by_name[options[0]].append(lab)
    pending: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for lab, options in tied.items():
        if len(options) > 1:
            free = [n for n in options if n not in by_name] or options
            pending[tuple(free)].append(lab)
    for group_names, group_labels in pending.items():
        shared = [c for c in listed if set(group_names) & set(c.speakers)]
        first = _first_heard(diarization.turns, shared)
        seconds = {lab: max(score[lab].values()) for lab in group_labels}
        voices = _groups(group_labels, len(group_names), diarization.centroids, seconds)
        voices.sort(key=lambda g: min(first.get(lab, float("inf")) for lab in g))
        for name, voice in zip(group_names, voices):
            by_name[name] += voice
    named: dict[str, str] = {}
    for name, claimants in by_name.items():
        main = max(claimants, key=lambda lab: score[lab][name])
        named[main] = name
        for lab in claimants:
            if lab != main and _similar(diarization.centroids, lab, main):
                named[lab] = name  # the same voice, split by clustering
    return named


def _similar(centroids: dict[str, list[float]], a: str, b: str) -> bool:
    if a not in centroids or b not in centroids:
        return False
    return float(np.dot(centroids[a], centroids[b])) >= FRAGMENT_SIMILARITY


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
) -> tuple[tuple[Speaker, ...], tuple[Segment, ...]]:
    """Speakers with names (source: "agenda", "voiceprint", "session" or "unnamed") and segments.

    `overrides` is session.toml's `[speakers]` table: a label ("S3") or a name the run gave
    ("Intervenant 2", an agenda name) mapped to the name to publish. `voices` is a
    `restitution.voices.VoiceLibrary` or None.
    """
    options = options or VoiceOptions()
    overrides = overrides or {}
    labels = set(speaking_time(diarization.turns)) | {s.speaker for s in segments if s.speaker}
    labels |= set(diarization.centroids)
    names: dict[str, tuple[str, str]] = {lab: (n, "agenda") for lab, n in agenda_names(diarization, chapters).items()}
    if voices is not None:
        _recognise(names, labels, diarization, voices, options.threshold)
    prefix = unnamed_label(options, language)
    count = 0
    for lab in sorted(labels, key=_label_order):
        if lab not in names:
            count += 1
            names[lab] = (f"{prefix} {count}", "unnamed")
    for key, value in overrides.items():
        hits = [lab for lab in labels if lab == key] or [lab for lab in labels if names[lab][0] == key]
        if not hits:
            log.warning("[speakers] %s = %r matches no speaker of this session", key, value)
        for lab in hits:
            names[lab] = (value, "session")
    roles = _roles(agenda)
    unsure = _unsure(agenda)
    seconds = speaking_time(diarization.turns)
    speakers = tuple(
        Speaker(
            lab,
            names[lab][0],
            roles.get(names[lab][0]),
            round(seconds.get(lab, 0.0), 3),
            names[lab][1],
            uncertain=names[lab][1] == "agenda" and names[lab][0] in unsure,
        )
        for lab in sorted(labels, key=_label_order)
    )
    return speakers, tuple(segments)


def _recognise(
    names: dict[str, tuple[str, str]], labels: set[str], diarization: Diarization, voices, threshold: float
) -> None:
    """Name anonymous labels after known voices; report known voices the agenda contradicts."""
    model = diarization.engine
    used = {n for n, _ in names.values()}
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
            if names[lab][0] != name:
                log.warning(
                    "%s sounds like %s (similarity %.2f) but the agenda names %s; keeping the agenda's name",
                    lab,
                    name,
                    similarity,
                    names[lab][0],
                )
            continue
        matches.append((similarity, lab, name))
    for similarity, lab, name in sorted(matches, reverse=True):
        if name in used:
            log.warning(
                "%s sounds like %s (similarity %.2f), a name already given; left unnamed", lab, name, similarity
            )
            continue
        names[lab] = (name, "voiceprint")
        used.add(name)
