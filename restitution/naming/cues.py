"""Cues that say which voice carries which agenda name, each a weight in log-odds.

A cue ties a diarization label to a name, for (positive weight) or against (negative):

- spoken: "je suis Anne Le Gall" (self), "je laisse la parole à Anne" / "Anne, à vous" (the
  next voice is Anne, the speaker is not), "merci Romain" at the start of a turn (the voice
  before was Romain, the speaker is not), any other mention (one rarely names oneself);
- order: in an item listing several names, the voice heard first takes the first name, but
  only when that voice's first turn began after the recording (or the item) did: an opening
  already under way when the recording started belongs to whoever was speaking, not to the
  first name;
- pitch: a voice's median F0 against the first name's usual gender, a soft cue clipped so
  that it can tip a balance but never outweigh a spoken name;
- the voice library, when it knows one of the names.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ..types import Segment, Turn
from .firstnames import gender
from .lateness import first_speaker_log_odds
from .people import Mention, Person, mentions, person, words

W_SELF = 4.0  # "je suis X": the speaker is X
W_NEXT = 3.0  # "la parole à X": the next voice is X
W_THANKS = 2.0  # "merci X" opening a turn: the voice before is X, the speaker is not
W_NOT = 1.0  # the speaker of a hand-over is not the one handed over to
W_MENTION = 0.5  # any other mention: the speaker is probably not X
W_ORDER = 1.5  # first heard, first listed (split over the voices of the item)
W_PITCH = 0.5  # per unit of log-likelihood ratio, clipped at PITCH_CLIP
PITCH_CLIP = 3.0
W_LIBRARY = 8.0  # per unit of cosine similarity above the group's mean
CAP = 2.0  # one kind of cue counts at most CAP times its weight per voice and name

THANKS_WINDOW = 10.0  # "merci X" this far into a turn still thanks the previous voice
HANDOVER_WINDOW = 15.0  # "la parole à X" this close to the end of a turn hands it over
NEIGHBOUR_WINDOW = 30.0  # the voice before or after is looked for this far
MIN_TURN = 1.0  # a turn shorter than this is not "the next voice"
CUT = 1.0  # a first turn starting this close to the recording's start was cut by it

# Folded word sequences; a mention within `gap` words after (or before, for "after" kinds) counts.
_SELF = ["je suis", "je m appelle", "moi c est", "je me presente", "je me nomme", "my name is", "i am", "i m"]
_NEXT_BEFORE = [
    "la parole a",
    "je laisse",
    "je vais laisser",
    "j invite",
    "nous accueillons",
    "accueillir",
    "j appelle",
    "je vous presente",
    "place a",
    "je passe le micro a",
    "over to",
    "hand over to",
    "pass over to",
    "the floor to",
    "please welcome",
    "invite",
    "call on",
    "introduce",
]
_NEXT_AFTER = [
    "a vous",
    "a toi",
    "vous avez la parole",
    "tu as la parole",
    "c est a vous",
    "c est a toi",
    "va nous presenter",
    "va vous presenter",
    "va nous parler",
    "va vous parler",
    "va prendre la parole",
    "va conclure",
    "over to you",
    "the floor is yours",
    "will present",
    "will now present",
    "will tell us",
]
_THANKS = ["merci", "merci beaucoup", "merci bien", "merci a", "merci infiniment", "thank you", "thanks"]
_GAP = {"self": 2, "next": 3, "thanks": 2}


@dataclass(frozen=True)
class Cue:
    kind: str  # "self" | "handover" | "thanks" | "mention" | "order" | "pitch" | "library"
    label: str
    name: str
    weight: float  # log-odds for `label` being `name`; negative: against
    note: str  # for the record: what was heard or measured, and when


def _phrases(items: list[str]) -> list[tuple[str, ...]]:
    return sorted((tuple(p.split()) for p in items), key=len, reverse=True)


_SELF_P, _NEXT_B, _NEXT_A, _THANKS_P = map(_phrases, (_SELF, _NEXT_BEFORE, _NEXT_AFTER, _THANKS))


def _ends_before(ws: list[str], at: int, phrases: list[tuple[str, ...]], gap: int) -> int | None:
    """Words between the nearest phrase ending before word `at` and `at`, if at most `gap`."""
    for k in range(at, max(-1, at - gap - 1), -1):
        if any(tuple(ws[k - len(p) : k]) == p for p in phrases if len(p) <= k):
            return at - k
    return None


def _starts_after(ws: list[str], at: int, phrases: list[tuple[str, ...]], gap: int) -> bool:
    return any(any(tuple(ws[k : k + len(p)]) == p for p in phrases) for k in range(at, min(len(ws), at + gap + 1)))


def _expected(ws: list[str]) -> set[int]:
    """Words where a name is expected: just after "je suis", "merci", "la parole à"..."""
    out: set[int] = set()
    for phrases, kind in ((_SELF_P, "self"), (_NEXT_B, "next"), (_THANKS_P, "thanks")):
        for k in range(1, len(ws) + 1):
            if any(len(p) <= k and tuple(ws[k - len(p) : k]) == p for p in phrases):
                out.update(range(k, k + _GAP[kind] + 1))
    return out


def classify(ws: list[str], m: Mention) -> str:
    """ "self", "next", "thanks" or "mention": what the words around a mention make of it."""
    found = []
    for kind, phrases in (("self", _SELF_P), ("next", _NEXT_B), ("thanks", _THANKS_P)):
        gap = _ends_before(ws, m.first_word, phrases, _GAP[kind])
        if gap is not None:
            found.append((gap, kind))
    if found:
        return min(found)[1]
    if _starts_after(ws, m.last_word, _NEXT_A, 1):
        return "next"
    return "mention"


@dataclass
class _Run:
    """Consecutive segments of one speaker, as one text with a time for each character."""

    speaker: str
    start: float
    end: float
    text: str = ""
    times: list[tuple[int, float]] = field(default_factory=list)  # (char offset, word end)

    def time_at(self, char: int) -> float:
        i = bisect.bisect_right([c for c, _ in self.times], char) - 1
        return self.times[max(i, 0)][1] if self.times else self.end


def _runs(segments: Iterable[Segment]) -> list[_Run]:
    runs: list[_Run] = []
    for seg in segments:
        if not seg.speaker:
            continue
        if not runs or runs[-1].speaker != seg.speaker or seg.start - runs[-1].end > 5.0:
            runs.append(_Run(seg.speaker, seg.start, seg.end))
        run = runs[-1]
        run.end = max(run.end, seg.end)
        pieces = [(w.text, w.end) for w in seg.words] if seg.words else [(" " + seg.text, seg.end)]
        for text, end in pieces:
            run.times.append((len(run.text), end))
            run.text += text if text.startswith(" ") or not run.text else " " + text
        run.text += " "
    return runs


class _Voices:
    """Diarization turns, to find the voice just before or after a moment, and the stretch a
    voice is speaking in (its turns until another voice takes over)."""

    def __init__(self, turns: Iterable[Turn]):
        self.turns = sorted((t for t in turns if t.end - t.start >= MIN_TURN), key=lambda t: t.start)
        self.stretches: list[list] = []  # [label, start, end]
        for t in self.turns:
            if self.stretches and self.stretches[-1][0] == t.speaker:
                self.stretches[-1][2] = max(self.stretches[-1][2], t.end)
            else:
                self.stretches.append([t.speaker, t.start, t.end])

    def after(self, t: float, other_than: str) -> str | None:
        return next(
            (
                x.speaker
                for x in self.turns
                if x.start >= t - 0.5 and x.speaker != other_than and x.start <= t + NEIGHBOUR_WINDOW
            ),
            None,
        )

    def before(self, t: float, other_than: str) -> str | None:
        return next(
            (
                x.speaker
                for x in reversed(self.turns)
                if x.end <= t + 0.5 and x.speaker != other_than and x.end >= t - NEIGHBOUR_WINDOW
            ),
            None,
        )

    def stretch(self, t: float, label: str, fallback: tuple[float, float]) -> tuple[float, float]:
        """(start, end) of `label`'s stretch around time `t`."""
        for lab, start, end in self.stretches:
            if lab == label and start - 0.5 <= t <= end + 0.5:
                return start, end
        return fallback


def spoken_cues(segments: Iterable[Segment], turns: Iterable[Turn], names: Iterable[str]) -> list[Cue]:
    """Cues from the agenda's names as the transcript has them (segments carry speaker labels)."""
    people = [person(n) for n in dict.fromkeys(names)]
    if not people:
        return []
    voices = _Voices(turns)
    out: list[Cue] = []
    for run in _runs(segments):
        ws = [w for w, _, _ in words(run.text)]
        expected = _expected(ws)
        found = mentions(run.text, people, loose=expected.__contains__)
        handed = 0  # names in one hand-over: "la parole à Anne et Pierre" is weaker evidence for each
        for m in found:
            t = run.time_at(m.start)
            kind = classify(ws, m)
            quote = run.text[max(0, m.start - 40) : m.end].strip()
            note = f"«…{quote}» at {t:.1f} s"
            share = 1.0 / len(m.people)
            for p in m.people:
                out += _cues_for(kind, run, p, t, note, share, voices, handed)
            handed = handed + 1 if kind == "next" else 0
    return out


def _cues_for(
    kind: str, run: _Run, p: Person, t: float, note: str, share: float, voices: _Voices, handed: int
) -> list[Cue]:
    speaker = run.speaker
    start, end = voices.stretch(t, speaker, (run.start, run.end))
    if kind == "self":
        return [Cue("self", speaker, p.name, W_SELF * share, f"introduces self: {note}")]
    if kind == "next" and end - t <= HANDOVER_WINDOW:
        nxt = voices.after(t, speaker)
        weight = W_NEXT * share * (0.5 if handed else 1.0)
        out = [Cue("handover", speaker, p.name, -W_NOT * share, f"hands over to {p.name}: {note}")]
        if nxt:
            out.append(Cue("handover", nxt, p.name, weight, f"speaks after a hand-over to {p.name}: {note}"))
        return out
    if kind == "thanks" and t - start <= THANKS_WINDOW:
        before = voices.before(start, speaker)
        out = [Cue("thanks", speaker, p.name, -W_THANKS * share, f"thanks {p.name}: {note}")]
        if before:
            out.append(
                Cue("thanks", before, p.name, W_THANKS * share, f"thanked as {p.name} by the next voice: {note}")
            )
        return out
    return [Cue("mention", speaker, p.name, -W_MENTION * share, f"names {p.name}: {note}")]


def order_cues(
    voices: list[tuple[str, ...]],
    names: list[str],
    first_turns: dict[str, tuple[float, float]],
    item_start: float,
    title: str,
    lost: float = 0.0,
    turns: Iterable[Turn] = (),
) -> list[Cue]:
    """First heard, first listed, in one item: `first_turns` holds each label's first turn
    (start, start clipped to the item) there. When the item began `lost` seconds before the
    recording did and the voice heard first was already speaking, who it is depends on how
    long turns last (`lateness`, from the session's `turns`); when that voice was under way as
    a later item began, no cue: that opening belongs to whoever was speaking."""
    heard = []
    for voice in voices:
        starts = [first_turns[lab] for lab in voice if lab in first_turns]
        if starts:
            heard.append((min(s for _, s in starts), min(s for s, _ in starts), voice))
    heard.sort()
    if not heard or len(names) < 2:
        return []
    _, raw_start, _ = heard[0]
    if lost > 0:
        return _late_cues(heard[0][2], names, lost, turns, title) if raw_start <= CUT else []
    if len(heard) < 2 or raw_start < max(item_start, 0.0) - 0.2 or raw_start <= CUT:
        return []
    out = []
    weight = W_ORDER / min(len(heard), len(names))
    for rank, ((at, _, voice), name) in enumerate(zip(heard, names)):
        nth = ("first", "second", "third")[rank] if rank < 3 else f"{rank + 1}th"
        note = f"heard {nth} in «{title}» ({at:.1f} s), listed {nth}"
        out.append(Cue("order", voice[0], name, weight, note))
    return out


def _late_cues(voice: tuple[str, ...], names: list[str], lost: float, turns: Iterable[Turn], title: str) -> list[Cue]:
    """The voice under way when the recording began: the first name's, or the second's, by how
    likely a turn is to outlast the lost seconds (see `lateness`)."""
    stretches = _Voices(turns).stretches
    mine = [(start, end) for lab, start, end in stretches if lab in voice]
    if not mine:
        return []
    rest = min(mine)[1]
    lengths = [end - start for _, start, end in stretches if start > CUT]
    odds = first_speaker_log_odds(lost, rest, lengths)
    if odds is None:
        return []
    x = float(np.clip(odds, -W_ORDER, W_ORDER))
    note = (
        f"speaking as the recording began {lost:.0f} s into «{title}», for {rest:.0f} s more: "
        f"{'still the first speaker' if x > 0 else 'the first speaker had likely handed over'}"
    )
    return [Cue("order", voice[0], names[0], x / 2, note), Cue("order", voice[0], names[1], -x / 2, note)]


def _llr_female(f0: float) -> float:
    """log p(f0 | a woman's voice) / p(f0 | a man's), two log-normal laws (medians 120 and 210 Hz)."""
    lo, hi, sd = math.log(120.0), math.log(210.0), 0.17
    return (hi - lo) / sd**2 * (math.log(f0) - (lo + hi) / 2)


def pitch_cues(voices: list[tuple[str, ...]], names: list[str], f0: dict[tuple[str, ...], float | None]) -> list[Cue]:
    """A voice's pitch against each first name's usual gender (names the table lacks: no cue;
    names all of one gender: no cue, pitch cannot tell them apart)."""
    genders = [gender(person(n).first[0]) if person(n).first else None for n in names]
    if None not in genders and len(set(genders)) == 1:
        return []
    out = []
    for voice in voices:
        hz = f0.get(voice)
        if hz is None:
            continue
        llr = float(np.clip(_llr_female(hz), -PITCH_CLIP, PITCH_CLIP))
        for name, g in zip(names, genders):
            if g is None:
                continue
            w = W_PITCH * (llr if g == "f" else -llr) / 2
            out.append(
                Cue(
                    "pitch",
                    voice[0],
                    name,
                    w,
                    f"median pitch {hz:.0f} Hz; {name.split()[0]} is usually a {'woman' if g == 'f' else 'man'}'s name",
                )
            )
    return out


def library_cues(
    voices: list[tuple[str, ...]], names: list[str], centroids: dict[str, list[float]], known: dict[str, np.ndarray]
) -> list[Cue]:
    """How much more each voice sounds like a known voice of one of the names than the others do."""
    out = []
    vecs = {v: _mean([centroids[lab] for lab in v if lab in centroids]) for v in voices}
    for name in names:
        if name not in known:
            continue
        sims = {v: float(vec @ known[name]) for v, vec in vecs.items() if vec is not None}
        if len(sims) < 1:
            continue
        mean = float(np.mean(list(sims.values()))) if len(sims) > 1 else 0.5
        for v, sim in sims.items():
            out.append(
                Cue(
                    "library",
                    v[0],
                    name,
                    W_LIBRARY * (sim - mean),
                    f"similarity {sim:.2f} to the known voice of {name}",
                )
            )
    return out


def _mean(vectors: list[list[float]]) -> np.ndarray | None:
    if not vectors:
        return None
    v = np.mean(np.asarray(vectors, dtype=np.float64), axis=0)
    n = float(np.linalg.norm(v))
    return v / n if n else None


def total(cues: Iterable[Cue]) -> dict[tuple[str, str], float]:
    """(label, name) -> summed weight, each kind capped at CAP times its largest single weight."""
    by_kind: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for c in cues:
        by_kind[(c.label, c.name, c.kind)].append(c.weight)
    out: dict[tuple[str, str], float] = defaultdict(float)
    for (label, name, _), ws in by_kind.items():
        limit = CAP * max(abs(w) for w in ws)
        out[(label, name)] += float(np.clip(sum(ws), -limit, limit))
    return out
