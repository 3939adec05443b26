"""Evidence that an agenda item starts at some time of the recording.

Sharp evidence: a speaker change (diarization) and speech resuming after a pause (word timings).
Spoken cues: the item's speaker named, its title's words said. Whisper spells names loosely
("Rioual" may come out "Riwal"), so words are compared without accents or case and with a fuzzy
ratio. Each cue is a time on the recording and a weight in (0, 1]; `offset.estimate` spreads them
broadly around that time.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

import numpy as np

from .types import Agenda, AgendaItem, Diarization, Transcript

# Particles of names and common words too frequent to mean anything when heard.
_PARTICLES = {"de", "du", "des", "le", "la", "les", "van", "von", "der", "den", "di", "da", "del", "dos", "d", "l"}
_STOPWORDS = {
    "avec", "pour", "dans", "cette", "leur", "leurs", "sont", "nous", "vous", "elles", "entre", "chez", "sans",
    "sous", "vers", "plus", "tout", "tous", "toute", "toutes", "mais", "donc", "comme", "aussi", "notre", "votre",
    "with", "from", "that", "this", "their", "about", "into", "over", "your", "what", "when", "which",
}  # fmt: skip
# Words that introduce someone: "je laisse la parole à", "j'accueille", "welcome", "I give the floor".
_INTRODUCERS = {
    "parole", "accueillir", "accueille", "accueillons", "bienvenue", "appelle", "invite", "presente", "presenter",
    "welcome", "floor", "introduce", "call",
}  # fmt: skip
MIN_SILENCE = 0.2  # seconds: a shorter gap between turns is a detector's seam, not a pause
TITLE_WINDOW = 20.0  # seconds: title words said within this span count together


@dataclass(frozen=True)
class Token:
    text: str  # lowercase, no accents
    start: float
    end: float


def normalize(text: str) -> list[str]:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [t for t in re.split(r"[^a-z0-9]+", ascii_text) if t]


def word_spans(transcript: Transcript) -> list[tuple[float, float]]:
    """(start, end) of every word, in time order; a segment without words counts as one word."""
    spans: list[tuple[float, float]] = []
    for segment in transcript.segments:
        if segment.words:
            spans.extend((w.start, w.end) for w in segment.words)
        elif segment.text.strip():
            spans.append((segment.start, segment.end))
    spans.sort()
    return spans


def speech_spans(transcript: Transcript, diarization: Diarization | None = None) -> list[tuple[float, float]]:
    """Where someone is heard: the diarization's turns (voice activity) when there are any,
    else the words.

    Turns come from a voice activity detector and mark silences well; Whisper's words do not:
    it stretches words over the pauses around them, and sometimes skips a stretch of speech.
    """
    if diarization is not None and diarization.turns:
        return sorted((t.start, t.end) for t in diarization.turns)
    return word_spans(transcript)


def speaker_changes(diarization: Diarization | None) -> tuple[np.ndarray, np.ndarray]:
    """Onsets of a run of turns whose speaker differs from the one heard just before it.

    Strength grows with how long the new speaker then holds the floor: a hand-over to someone
    who talks for a while is what an agenda item looks like; a short run is often a blip.
    """
    if diarization is None or not diarization.turns:
        return np.zeros(0), np.zeros(0)
    runs: list[list[float | str]] = []  # [start, end, speaker]
    for turn in sorted(diarization.turns, key=lambda t: (t.start, t.end)):
        if runs and turn.speaker == runs[-1][2]:
            runs[-1][1] = max(float(runs[-1][1]), turn.end)
        elif not runs or turn.end > float(runs[-1][1]):  # a turn inside the run is a backchannel
            runs.append([turn.start, turn.end, turn.speaker])
    times, weights = [], []
    for before, run in zip(runs, runs[1:]):
        weight = min(1.0, 0.4 + (float(run[1]) - float(run[0])) / 10.0)
        # A change with no pause before it is more often a label flip inside one voice's sentence.
        if abs(float(run[0]) - float(before[1])) < MIN_SILENCE:
            weight *= 0.5
        times.append(float(run[0]))
        weights.append(weight)
    return np.asarray(times, float), np.asarray(weights, float)


def pauses(
    transcript: Transcript, diarization: Diarization | None = None, min_gap: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    """Onsets of speech after a silence, weighted by the silence's length."""
    times, weights = [], []
    reach = None
    for start, end in speech_spans(transcript, diarization):
        if reach is not None and start - reach >= min_gap:
            times.append(start)
            weights.append(min(1.0, (start - reach) / 2.0))
        reach = end if reach is None else max(reach, end)
    return np.asarray(times, float), np.asarray(weights, float)


def tokens(transcript: Transcript) -> list[Token]:
    out: list[Token] = []
    for segment in transcript.segments:
        words = segment.words or ()
        if not words and segment.text.strip():
            # No word timings: spread the segment's words evenly over it.
            parts = segment.text.split()
            step = (segment.end - segment.start) / max(1, len(parts))
            for k, part in enumerate(parts):
                out.extend(Token(t, segment.start + k * step, segment.start + (k + 1) * step) for t in normalize(part))
        for word in words:
            out.extend(Token(t, word.start, word.end) for t in normalize(word.text))
    out.sort(key=lambda t: t.start)
    return out


@lru_cache(maxsize=200_000)  # a long transcript repeats the same words thousands of times
def _similar(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < 4:
        return False
    return SequenceMatcher(None, a, b).ratio() >= 0.8


def _name_parts(name: str) -> list[tuple[str, float]]:
    """Distinctive tokens of a name with weights: the family name (last parts) counts double."""
    parts = [t for t in normalize(name) if t not in _PARTICLES and len(t) >= 3]
    if not parts:
        return []
    return [(p, 1.0) for p in parts[:-1]] + [(parts[-1], 2.0)]


def _name_cues(item: AgendaItem, toks: list[Token]) -> list[tuple[float, float]]:
    found = []
    for speaker in item.speakers:
        parts = _name_parts(speaker.name)
        total = sum(w for _, w in parts)
        if not total:
            continue
        for j, tok in enumerate(toks):
            if not any(_similar(tok.text, p) for p, _ in parts):
                continue
            near = toks[max(0, j - 3) : j + 4]
            matched = sum(w for p, w in parts if any(_similar(t.text, p) for t in near))
            score = matched / total
            if score < 0.5:
                continue
            before = {t.text for t in toks[max(0, j - 8) : j]}
            introduced = bool(before & _INTRODUCERS) or _said(toks, j, ("je", "suis")) or _said(toks, j, ("i", "am"))
            found.append((tok.start, score * (1.0 if introduced else 0.7)))
    return found


def _said(toks: list[Token], j: int, phrase: tuple[str, ...]) -> bool:
    window = [t.text for t in toks[max(0, j - 6) : j]]
    return any(tuple(window[k : k + len(phrase)]) == phrase for k in range(len(window)))


def _title_words(agenda: Agenda) -> list[dict[str, float]]:
    """Per item: its content words, each weighted by how specific it is to that item."""
    words = [{t for t in normalize(item.title) if len(t) >= 4 and t not in _STOPWORDS} for item in agenda.items]
    counts: dict[str, int] = {}
    for ws in words:
        for w in ws:
            counts[w] = counts.get(w, 0) + 1
    return [{w: 1.0 / counts[w] for w in ws} for ws in words]


def _title_cues(weights: dict[str, float], toks: list[Token]) -> list[tuple[float, float]]:
    total = sum(weights.values())
    if not total:
        return []
    hits = []  # (token, title word it matches)
    for tok in toks:
        key = next((k for k in weights if _similar(tok.text, k)), None)
        if key is not None:
            hits.append((tok, key))
    found = []
    for k, (tok, _) in enumerate(hits):
        heard = set()
        for other, key in hits[k:]:
            if other.start - tok.start > TITLE_WINDOW:
                break
            heard.add(key)
        score = sum(weights[key] for key in heard) / total
        # One specific word of a one- or two-word title is a cue; of a long title it is chance.
        if score >= 0.4 and (len(heard) >= 2 or len(weights) <= 2):
            found.append((tok.start, 0.8 * score))
    return found


def item_cues(agenda: Agenda, toks: list[Token]) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each agenda item, the times its cues were heard and their weights."""
    title_words = _title_words(agenda)
    result = []
    for item, weights in zip(agenda.items, title_words):
        found = _name_cues(item, toks) + _title_cues(weights, toks)
        times = np.asarray([t for t, _ in found], float)
        values = np.asarray([w for _, w in found], float)
        result.append((times, values))
    return result
