"""Agenda names to diarization labels, each with a confidence and the evidence for it.

A label's claim on a name is the time it speaks in the chapters that list the name, minus the
time it speaks in named chapters that do not: a voice is named after the items it dominates,
and a speaker who returns in unnamed items keeps the name. Names listed together ("par A et
B") tie on time; they are told apart by the cues of `cues.py`, summed per voice and name, and
the best one-to-one assignment of names to voices wins. A name's confidence is the logistic of
its margin: how much worse the best assignment that does not give it to that voice scores.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..types import Chapter, Diarization, Segment, Turn
from . import cues as cue
from .pitch import median_f0
from .turns import first_turns, speaking_time

MIN_CHAPTER_SECONDS = 1.0  # a label must speak this long in a chapter to take one of its names
TIE_SECONDS = 0.5  # claims on two names closer than this are a tie (names listed together)
FRAGMENT_SIMILARITY = 0.8  # a second label this close to a named voice is that voice, split
ALL_CUES = frozenset({"spoken", "order", "pitch", "library"})
_EPSILON = 1e-3  # with no cue at all, the voice heard first takes the first name (a tie-break)
_IMPOSSIBLE = -1e6


@dataclass(frozen=True)
class Naming:
    name: str
    confidence: float  # in [0, 1]
    evidence: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()  # the other names this voice could carry


@dataclass(frozen=True)
class Context:
    """What the cues may draw on beyond the diarization turns."""

    segments: tuple[Segment, ...] = ()  # with speaker labels: spoken names
    samples: np.ndarray | None = None  # 16 kHz audio: pitch
    known: dict[str, np.ndarray] = field(default_factory=dict)  # library voices of this engine
    cues: frozenset[str] = ALL_CUES


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x > -50 else 0.0


def _label_order(label: str) -> tuple[int, str]:
    digits = label[1:] if label[:1] == "S" else ""
    return (int(digits), label) if digits.isdigit() else (10**9, label)


def agenda_naming(
    diarization: Diarization, chapters: tuple[Chapter, ...], context: Context | None = None
) -> dict[str, Naming]:
    """label -> Naming, for the labels that take an agenda name."""
    context = context or Context()
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
    spoken = cue.spoken_cues(context.segments, diarization.turns, names) if "spoken" in context.cues else []
    by_name: dict[str, list[str]] = defaultdict(list)
    for lab, options in tied.items():
        if len(options) == 1:
            by_name[options[0]].append(lab)
    pending: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for lab, options in tied.items():
        if len(options) > 1:
            free = [n for n in options if n not in by_name] or options
            pending[tuple(free)].append(lab)
    resolved: dict[str, Naming] = {}
    late = _lateness(chapters)
    # turn lengths are learnt where voices take turns: a solo item is one long "turn"
    dialogue = tuple(
        t for t in diarization.turns if any(c.start <= t.start < c.end for c in listed if len(c.speakers) > 1)
    )
    for group_names, group_labels in pending.items():
        shared = [c for c in listed if set(group_names) & set(c.speakers)]
        seconds = {lab: max(score[lab].values()) for lab in group_labels}
        voices = [tuple(v) for v in _groups(group_labels, len(group_names), diarization.centroids, seconds)]
        for voice, naming in _resolve(voices, list(group_names), shared, diarization, context, spoken, late, dialogue):
            by_name[naming.name] += voice
            resolved[naming.name] = naming
    named: dict[str, Naming] = {}
    for name, claimants in by_name.items():
        main = max(claimants, key=lambda lab: score[lab][name])
        named[main] = resolved.get(name) or _by_time(main, name, claimants, score, spoken)
        for lab in claimants:
            sim = _similarity(diarization.centroids, lab, main)
            if lab != main and sim >= FRAGMENT_SIMILARITY:  # the same voice, split by clustering
                named[lab] = Naming(name, named[main].confidence, (f"sounds like {main} (similarity {sim:.2f})",))
    return named


def _by_time(
    main: str, name: str, claimants: list[str], score: dict[str, dict[str, float]], spoken: list[cue.Cue]
) -> Naming:
    """A name one voice dominates: confident by how far it leads the next voice of its items,
    less so when what is said points elsewhere."""
    mine = score[main][name]
    others = [(score[lab][name], lab) for lab in score if lab not in claimants and score[lab][name] > 0]
    runner, runner_lab = max(others, default=(0.0, None))
    sums = cue.total(c for c in spoken if c.name == name)
    against = sums.get((runner_lab, name), 0.0) if runner_lab else 0.0
    margin = 2 * math.log((mine + 1) / (runner + 1)) + sums.get((main, name), 0.0) - against
    evidence = [f"speaks {mine:.0f} s in the items naming {name}"]
    if runner_lab:
        evidence.append(f"next: {runner_lab}, {runner:.0f} s")
    evidence += _notes([c for c in spoken if c.name == name and c.label in (main, runner_lab)])
    return Naming(name, round(_sigmoid(margin), 3), tuple(evidence))


def _lateness(chapters: tuple[Chapter, ...]) -> float | None:
    """How late the recording started, as the chapters show it (agenda time minus media start
    of the chapters the recording holds whole); None when no chapter tells."""
    gaps = [c.agenda_time - c.start for c in chapters if c.start > 0]
    return float(np.median(gaps)) if gaps else None


def _resolve(
    voices: list[tuple[str, ...]],
    names: list[str],
    shared: list[Chapter],
    diarization: Diarization,
    context: Context,
    spoken: list[cue.Cue],
    late: float | None,
    dialogue: tuple[Turn, ...] = (),
) -> list[tuple[tuple[str, ...], Naming]]:
    """Names listed together, given to voices by the cues; each with its margin's confidence."""
    members = {lab: v for v in voices for lab in v}
    found = [c for c in spoken if c.label in members and c.name in names]
    firsts = [(first_turns(diarization.turns, c.start, c.end), c) for c in shared]
    if "order" in context.cues:
        for heard, c in firsts:
            # seconds of the item before the recording began (under a second: clock noise)
            lost = late - c.agenda_time if late is not None and c.agenda_time < late - 1.0 else 0.0
            listed = [n for n in c.speakers if n in names]
            found += cue.order_cues(voices, listed, heard, c.start, c.title, lost, dialogue)
    if "pitch" in context.cues and context.samples is not None:
        f0 = {
            v: median_f0(
                context.samples,
                [
                    (t.start, t.end)
                    for t in diarization.turns
                    if t.speaker in v and any(c.start <= t.start < c.end for c in shared)
                ],
            )
            for v in voices
        }
        found += cue.pitch_cues(voices, names, f0)
    if "library" in context.cues and context.known:
        found += cue.library_cues(voices, names, diarization.centroids, context.known)
    sums = cue.total(found)
    matrix = np.array([[sum(sums.get((lab, n), 0.0) for lab in v) for n in names] for v in voices])
    matrix += _EPSILON * _tie_break(voices, names, firsts)
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    best = float(matrix[rows, cols].sum())
    out = []
    for r, c in zip(rows, cols):
        other = matrix.copy()
        other[r, c] = _IMPOSSIBLE
        r2, c2 = linear_sum_assignment(other, maximize=True)
        alt = float(other[r2, c2].sum())
        confidence = 1.0 if alt <= _IMPOSSIBLE / 2 else _sigmoid(best - alt)
        title = shared[0].title if shared else ""
        rest = [n for n in names if n != names[c]]
        evidence = [f"listed with {', '.join(rest)} in «{title}»"]
        evidence += _notes([f for f in found if members.get(f.label) == voices[r]]) or ["no cue told them apart"]
        out.append((voices[r], Naming(names[c], round(confidence, 3), tuple(evidence), tuple(rest))))
    return out


def _tie_break(voices: list[tuple[str, ...]], names: list[str], firsts: list) -> np.ndarray:
    heard = {v: min((h[lab][1] for h, _ in firsts for lab in v if lab in h), default=float("inf")) for v in voices}
    order = sorted(range(len(voices)), key=lambda i: heard[voices[i]])
    prior = np.zeros((len(voices), len(names)))
    for rank, i in enumerate(order[: len(names)]):
        prior[i, rank] = 1.0
    return prior


def _notes(found: list[cue.Cue], limit: int = 5) -> list[str]:
    """The strongest cues, as the record keeps them: "+3.0 speaks after a hand-over ..."."""
    strongest = sorted((f for f in found if abs(f.weight) >= 0.05), key=lambda f: -abs(f.weight))
    return [f"{f.weight:+.1f} {f.note}" for f in strongest[:limit]]


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


def _similarity(centroids: dict[str, list[float]], a: str, b: str) -> float:
    if a not in centroids or b not in centroids:
        return 0.0
    return float(np.dot(centroids[a], centroids[b]))
