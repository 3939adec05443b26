"""The agenda as a check on clustering: hear each named voice where the agenda says it
speaks, then test its other stretches against that.

A participant who speaks for a few seconds in the questions is often clustered with a named
speaker: too few windows to form a cluster of their own. Once chapters are cut, the agenda says
where each named voice dominates (its "home" items). A profile of the voice is built from its
home stretches, each embedded whole; every stretch the voice has elsewhere (unnamed items,
other people's items) is embedded whole too and compared with the profile. The threshold is the
voice's own: halfway between how alike its home stretches are and how close the nearest other
named voice comes, so it adapts to the embedding model and to how distinct the voices are.
A stretch that fails goes to the named voice it does match, or to a new anonymous label;
new labels are clustered among themselves and with the anonymous labels already there, at a
one-voice level learnt from the named voices' own stretches.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Callable

import numpy as np

from .. import devices
from ..audio import read_block
from ..errors import ModelError
from ..options import DiarizationOptions
from ..speakers import agenda_names, speaking_time
from ..threads import torch_threads
from ..types import Chapter, Diarization, Turn
from .cluster import _normalize
from .embedded import SAMPLE_RATE, WINDOW, Embedder, _clip, load_embedder

log = logging.getLogger("restitution")

# The refine stage's algorithm: bump it when a change moves stretches between voices.
REFINE_VERSION = 1

PIECE_GAP = 1.0  # turns of one label closer than this form one stretch
PIECE_MAX = 6.0  # longest stretch: home and tested stretches alike in length, so alike in noise
MIN_TEST = 1.5  # seconds of speech a stretch needs to be judged; shorter ones follow a neighbour or stay
MIN_PROFILE = 2.0  # seconds of speech a home stretch needs to join a profile
MAX_PROFILE = 30  # home stretches embedded per voice, evenly spaced over its items
NO_IMPOSTOR = 0.5  # nearest other voice when the agenda names only one (unrelated voices rarely exceed it)
FOLLOW_GAP = PIECE_GAP  # a short stretch this close to a moved one moves with it
MARGIN = 0.02  # a voice whose nearest rival comes this close to its own spread is not tested


@dataclasses.dataclass
class Piece:
    """Consecutive turns of one label: the unit that is embedded and judged."""

    label: str
    turns: list[int]  # indices into diarization.turns
    spans: list[tuple[float, float]]

    @property
    def start(self) -> float:
        return self.spans[0][0]

    @property
    def end(self) -> float:
        return self.spans[-1][1]

    @property
    def speech(self) -> float:
        return sum(e - s for s, e in self.spans)


def pieces(turns: tuple[Turn, ...]) -> list[Piece]:
    """Runs of one label's turns with short pauses, cut at their longest pauses until none is
    longer than PIECE_MAX: where one label holds two voices, the longest pause is where the
    second one most likely starts."""
    runs: list[Piece] = []
    for i in sorted(range(len(turns)), key=lambda i: turns[i].start):
        t = turns[i]
        if runs and runs[-1].label == t.speaker and t.start - runs[-1].end < PIECE_GAP:
            runs[-1].turns.append(i)
            runs[-1].spans.append((t.start, t.end))
        else:
            runs.append(Piece(t.speaker, [i], [(t.start, t.end)]))
    out: list[Piece] = []
    while runs:
        p = runs.pop(0)
        if p.end - p.start <= PIECE_MAX or len(p.spans) < 2:
            out.append(p)
            continue
        gaps = [p.spans[k + 1][0] - p.spans[k][1] for k in range(len(p.spans) - 1)]
        cut = 1 + int(np.argmax(gaps))
        runs[:0] = [Piece(p.label, p.turns[:cut], p.spans[:cut]), Piece(p.label, p.turns[cut:], p.spans[cut:])]
    return out


def _embed(audio: np.ndarray, embedder: Embedder, piece: Piece) -> np.ndarray:
    clip = np.concatenate([read_block(audio, int(s * SAMPLE_RATE), int(e * SAMPLE_RATE)) for s, e in piece.spans])
    if len(clip) < WINDOW * SAMPLE_RATE:  # too short to embed alone: take the context around it
        clip = _clip(audio, piece.start, piece.end)
    return _unit(embedder.embed(clip[None].astype(np.float32))[0])


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def _chapter_at(chapters: list[Chapter], t: float) -> Chapter | None:
    return next((c for c in chapters if c.start <= t < c.end), None)


def _spread(pieces_: list[np.ndarray]) -> float:
    """How alike a voice's home stretches are: lower quartile of leave-one-out similarity (with
    few stretches, a lower percentile is just the one stretch that caught a neighbour's voice)."""
    if len(pieces_) < 2:
        return 0.9  # one stretch tells nothing about the spread; same-voice stretches usually exceed this
    total = np.sum(pieces_, axis=0)
    sims = [float(p @ _unit(total - p)) for p in pieces_]
    return float(np.percentile(sims, 25))


def refine(
    diarization: Diarization,
    chapters: tuple[Chapter, ...],
    audio: np.ndarray,
    options: DiarizationOptions,
    *,
    hook=None,
) -> Diarization:
    """The stage: check `diarization` against the agenda's chapters (see the module docstring)."""
    names = agenda_names(diarization, chapters)
    if not names:
        return diarization
    try:
        embedder = load_embedder(options.embedding, devices.diarization(options))
    except ModelError as exc:
        log.warning("speakers: not checked against the agenda (%s)", exc)
        return diarization
    progress = (lambda done, total: hook("refine", completed=done, total=total)) if hook else None
    with torch_threads(options.threads):
        return check_stretches(
            diarization,
            chapters,
            names,
            audio,
            embedder,
            same_space=diarization.engine == f"embedded/{embedder.name}",
            progress=progress,
        )


def check_stretches(
    diarization: Diarization,
    chapters: tuple[Chapter, ...],
    names: dict[str, str],
    audio: np.ndarray,
    embedder: Embedder,
    *,
    same_space: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Diarization:
    """`diarization` with stretches that do not sound like their named voice relabelled.

    `names` maps labels to the agenda names the first naming gave them. `same_space`: the
    diarization's centroids come from `embedder`, so new labels get centroids too (for
    matching known voices); otherwise new labels have none.
    """
    ordered = sorted(chapters, key=lambda c: c.start)
    all_pieces = pieces(diarization.turns)
    home: dict[str, list[Piece]] = defaultdict(list)
    away: list[Piece] = []
    short: list[Piece] = []  # too short to judge: they follow a moved neighbour (see _follow)
    for p in all_pieces:
        chapter = _chapter_at(ordered, (p.start + p.end) / 2)
        name = names.get(p.label)
        if name and chapter is not None and name in chapter.speakers:
            if p.speech >= MIN_PROFILE:
                home[name].append(p)
        elif p.speech >= MIN_TEST:
            away.append(p)
        elif name:
            short.append(p)
    if not home or not away:
        return diarization
    for name, ps in home.items():
        if len(ps) > MAX_PROFILE:
            home[name] = [ps[int(i)] for i in np.linspace(0, len(ps) - 1, MAX_PROFILE)]
    total = sum(len(ps) for ps in home.values()) + len(away)
    done = 0

    def embed(p: Piece) -> np.ndarray:
        nonlocal done
        done += 1
        if progress:
            progress(done, total)
        return _embed(audio, embedder, p)

    home_vectors = {name: [embed(p) for p in ps] for name, ps in home.items()}
    profiles = {name: _unit(np.sum(vs, axis=0)) for name, vs in home_vectors.items()}
    thresholds: dict[str, float] = {}
    for name, vs in home_vectors.items():
        spread = _spread(vs)
        rivals = [float(v @ profiles[name]) for other, ws in home_vectors.items() if other != name for v in ws]
        nearest = max(rivals, default=NO_IMPOSTOR)
        log.debug("speakers: %s: %d stretches, spread %.2f, nearest other voice %.2f", name, len(vs), spread, nearest)
        if nearest < spread - MARGIN:
            thresholds[name] = (spread + nearest) / 2
        else:
            log.info("speakers: %s sounds too much like another named voice to check its other stretches", name)
    if not thresholds:
        return diarization
    seconds = speaking_time(diarization.turns)
    label_of: dict[str, str] = {}  # a name's main label (clustering may have split a voice into several)
    for lab in sorted(names, key=lambda lab: -seconds.get(lab, 0.0)):
        label_of.setdefault(names[lab], lab)

    vectors = [embed(p) for p in away]
    # An anonymous label that, heard whole, sounds like a named voice is that voice, split off
    # by clustering: judged on all its stretches together, which is surer than one by one.
    merged: dict[str, str] = {}
    anonymous: dict[str, list[np.ndarray]] = defaultdict(list)
    for p, v in zip(away, vectors):
        if p.label not in names:
            anonymous[p.label].append(v)
    for lab, vs in anonymous.items():
        name = _match(_unit(np.sum(vs, axis=0)), profiles, thresholds)
        if name:
            merged[lab] = label_of[name]

    relabel: dict[int, str] = {}  # index in `away` -> new label
    loose: list[tuple[int, np.ndarray]] = []  # stretches that match no named voice
    anchored: dict[str, list[np.ndarray]] = defaultdict(list)  # anonymous labels' stretches
    for k, (p, v) in enumerate(zip(away, vectors)):
        current = names.get(p.label)
        if p.label in merged or (current is not None and current not in thresholds):
            continue  # merged whole, or a voice that cannot be tested keeps its stretches
        if current is not None and v @ profiles[current] >= thresholds[current]:
            continue
        name = _match(v, profiles, thresholds)
        if name:
            relabel[k] = label_of[name]
        elif current is None:
            anchored[p.label].append(v)
        else:
            loose.append((k, v))
    if not merged and not relabel and not loose:
        return diarization

    merge_at = _merge_level(home_vectors, thresholds)
    groups = _group(loose, anchored, merge_at)
    used = {t.speaker for t in diarization.turns} | set(diarization.centroids)
    next_id = 1 + max((int(lab[1:]) for lab in used if lab[:1] == "S" and lab[1:].isdigit()), default=0)
    new_centroids: dict[str, list[float]] = {}
    for anchor, members in groups:
        label = anchor
        if label is None:
            label = f"S{next_id}"
            next_id += 1
            if same_space:
                new_centroids[label] = [round(float(x), 6) for x in _unit(np.sum([v for _, v in members], axis=0))]
        for k, _ in members:
            relabel[k] = label

    final = {k: relabel.get(k, merged.get(p.label, p.label)) for k, p in enumerate(away)}
    # neighbours a short stretch may follow: stretches that moved, and anonymous voices
    leaders = [(p, final[k]) for k, p in enumerate(away) if final[k] != p.label or final[k] not in names]
    changes = {i: label for k, label in relabel.items() for i in away[k].turns}
    changes |= {i: label for p, label in _follow(short, leaders) for i in p.turns}
    turns = [
        dataclasses.replace(t, speaker=changes.get(i, merged.get(t.speaker, t.speaker)))
        for i, t in enumerate(diarization.turns)
    ]
    moved = sum(t.end - t.start for t, old in zip(turns, diarization.turns) if t.speaker != old.speaker)
    fresh = sum(1 for anchor, _ in groups if anchor is None)
    log.info(
        "speakers: %.0f s did not sound like the named voice it was clustered with; %d voices merged, %d new",
        moved,
        len(merged),
        fresh,
    )
    heard = {t.speaker for t in turns}
    centroids = {lab: c for lab, c in diarization.centroids.items() if lab in heard}
    return dataclasses.replace(diarization, turns=tuple(turns), centroids=centroids | new_centroids)


def _merge_level(home_vectors: dict[str, list[np.ndarray]], thresholds: dict[str, float]) -> float:
    """Similarity at which two stretches are one voice: halfway between stretches of one named
    voice (lower quartile) and stretches of two different ones (95th percentile)."""
    same: list[float] = []
    other: list[float] = []
    vectors = [np.stack(vs) for vs in home_vectors.values()]
    for i, a in enumerate(vectors):
        same += (a @ a.T)[np.triu_indices(len(a), 1)].tolist()
        for b in vectors[i + 1 :]:
            other += (a @ b.T).ravel().tolist()
    if not same or not other:
        return float(np.median(list(thresholds.values())))
    level = (float(np.percentile(same, 25)) + float(np.percentile(other, 95))) / 2
    log.debug(
        "speakers: stretches of one voice above %.2f (median threshold %.2f)",
        level,
        np.median(list(thresholds.values())),
    )
    return level


def _match(v: np.ndarray, profiles: dict[str, np.ndarray], thresholds: dict[str, float]) -> str | None:
    """The tested named voice `v` passes by the widest margin, if any (`thresholds` is not empty)."""
    margins = {name: float(v @ profiles[name]) - t for name, t in thresholds.items()}
    best = max(margins, key=lambda name: margins[name])
    log.debug("speakers: nearest named voice %s, margin %.2f", best, margins[best])
    return best if margins[best] >= 0 else None


def _follow(short: list[Piece], leaders: list[tuple[Piece, str]]) -> list[tuple[Piece, str]]:
    """Short stretches a breath away from a leader take its label: a second of speech is too
    little to judge, and one voice rarely hands over to another that fast. A stretch that
    follows leads in turn, so a run of short stretches moves together."""
    out: list[tuple[Piece, str]] = []
    pending = list(short)
    while pending:
        taken = []
        for p in pending:
            near = [(max(p.start - q.end, q.start - p.end), label) for q, label in leaders + out if label != p.label]
            gap, label = min(near, default=(float("inf"), ""))
            if gap < FOLLOW_GAP:
                taken.append((p, label))
        if not taken:
            break
        out += taken
        pending = [p for p in pending if all(p is not q for q, _ in taken)]
    return out


def _group(
    loose: list[tuple[int, np.ndarray]], anchored: dict[str, list[np.ndarray]], merge_at: float
) -> list[tuple[str | None, list[tuple[int, np.ndarray]]]]:
    """Centroid-linkage clustering of the loose stretches; a group that joins an anonymous label's
    stretches takes that label. Two anonymous labels are never merged: diarization kept them apart."""
    anchors: list[str | None] = list(anchored) + [None] * len(loose)
    members: list[list[tuple[int, np.ndarray]]] = [[] for _ in anchored] + [[item] for item in loose]
    # groups compare by their mean voice: noise in single stretches averages out as they grow
    sums = [np.sum(vs, axis=0) for vs in anchored.values()] + [v for _, v in loose]
    alive = list(range(len(sums)))
    while len(alive) > 1:
        s = _normalize(np.stack([sums[i] for i in alive]))
        sim = s @ s.T
        fixed = np.array([anchors[i] is not None for i in alive])
        sim[np.outer(fixed, fixed)] = -np.inf
        np.fill_diagonal(sim, -np.inf)
        a, b = np.unravel_index(np.argmax(sim), sim.shape)
        if sim[a, b] < merge_at:
            break
        i, j = alive[a], alive[b]
        anchors[i] = anchors[i] or anchors[j]
        members[i] += members[j]
        sums[i] = sums[i] + sums[j]
        alive.remove(j)
    return [(anchors[i], members[i]) for i in alive if members[i]]
