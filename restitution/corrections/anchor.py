"""Finding a correction's words again: by time first, then by the words themselves and the
words around them, so a correction survives a transcript that changed underneath (another
model, another beam size: other word times, other mistakes).

The result's words are *pieces* (`" C"` + `"'est"`); a reader's word is one or more pieces,
a new word starting at a piece with a leading space. Words are compared normalised (case,
accents kept; punctuation at their edges dropped), so "Delassu," matches "delassu".
"""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from ..types import Segment, SessionResult, Word

TOLERANCE = 0.05  # seconds: word times as written (milliseconds) and as kept in session.json
WINDOW = 10.0  # seconds around a correction's time where its words are looked for again
CONTEXT = 3  # words kept before and after a correction
_PUNCT = string.punctuation + "«»“”‘’„…–—¿¡·"


def norm(text: str) -> list[str]:
    """Words of `text` as compared: NFC, casefolded, without punctuation at their edges."""
    out = []
    for token in unicodedata.normalize("NFC", text).split():
        t = token.casefold().strip(_PUNCT)
        if t:
            out.append(t)
    return out


@dataclass(frozen=True)
class Slot:
    """One piece of a word, where it sits in the result."""

    seg: int
    pos: int
    word: Word
    speaker: str | None


@dataclass(frozen=True)
class Token:
    """A reader's word: pieces first..last (indices into the slot list)."""

    norm: str  # "" for punctuation alone
    raw: str
    first: int
    last: int
    start: float
    end: float


def slots(segments: tuple[Segment, ...], speaker: str | None = None) -> list[Slot]:
    """Every piece (of one speaker's segments when `speaker` is given), in time order."""
    out = [
        Slot(i, k, w, seg.speaker)
        for i, seg in enumerate(segments)
        if speaker is None or seg.speaker == speaker
        for k, w in enumerate(seg.words)
        if w.text.strip()
    ]
    out.sort(key=lambda s: s.word.start)  # stable: a segment keeps its own order
    return out


def tokens(pieces: list[Slot]) -> list[Token]:
    out: list[Token] = []
    for n, s in enumerate(pieces):
        text = s.word.text
        if out and not text[:1].isspace() and n == out[-1].last + 1:
            t = out[-1]
            raw = t.raw + text.strip()
            out[-1] = Token(" ".join(norm(raw)), raw, t.first, n, t.start, max(t.end, s.word.end))
        else:
            raw = text.strip()
            out.append(Token(" ".join(norm(raw)), raw, n, n, s.word.start, s.word.end))
    return out


def _text(toks: list[Token]) -> str:
    return " ".join(t.norm for t in toks if t.norm)


def _similar(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def inside(toks: list[Token], start: float, end: float) -> tuple[int, int] | None:
    """Tokens i..j-1 lying within [start, end] (to the tolerance), or None when none does."""
    hits = [k for k, t in enumerate(toks) if t.start >= start - TOLERANCE and t.end <= end + TOLERANCE]
    if not hits:
        return None
    i, j = hits[0], hits[-1] + 1
    if start == end:  # an instant: nothing lies inside it
        return None
    return i, j


def position(toks: list[Token], t: float) -> int:
    """Index of the first token starting at or after `t` (where an insertion at `t` goes)."""
    for k, tok in enumerate(toks):
        if tok.start >= t - TOLERANCE:
            return k
    return len(toks)


def context(toks: list[Token], i: int, j: int) -> tuple[str, str]:
    """Up to CONTEXT reader words before token i and from token j on, as written."""
    before = [t.raw for t in toks[:i] if t.norm][-CONTEXT:]
    after = [t.raw for t in toks[j:] if t.norm][:CONTEXT]
    return " ".join(before), " ".join(after)


def _trim(toks: list[Token], i: int, j: int, old: str) -> tuple[int, int]:
    """Punctuation at the edges of a span is kept out of it unless `old` itself has it."""
    text = old.strip()
    while j > i and not toks[j - 1].norm and not (text and text[-1] in _PUNCT):
        j -= 1
    while i < j and not toks[i].norm and not (text and text[0] in _PUNCT):
        i += 1
    return i, j


def locate(
    toks: list[Token], start: float, end: float, old: str, before: str, after: str, *, search: bool = True
) -> tuple[int, int] | None:
    """Tokens i..j-1 that are `old`: where the correction says when they are still there,
    else (with `search`) the span near that time whose words and context match best; None
    when nothing does. For an insertion (`old` empty) i == j is the place to insert at."""
    wanted, b, a = " ".join(norm(old)), " ".join(norm(before)), " ".join(norm(after))
    if wanted:
        span = inside(toks, start, end)
        if span is not None:
            i, j = _trim(toks, *span, old)
            if _text(toks[i:j]) == wanted:
                return i, j
    else:
        p = position(toks, start)
        if _fits(toks, p, p, b, a) >= 0.99:
            return p, p
    return _search(toks, start, wanted, b, a) if search else None


def _fits(toks: list[Token], i: int, j: int, before: str, after: str) -> float:
    """How well the words around tokens i..j-1 match the context kept (1.0: no context kept)."""
    scores = []
    if before:
        n = len(before.split())
        prior = [t for t in toks[:i] if t.norm][-n:]
        scores.append(_similar(before, _text(prior)))
    if after:
        n = len(after.split())
        following = [t for t in toks[j:] if t.norm][:n]
        scores.append(_similar(after, _text(following)))
    return sum(scores) / len(scores) if scores else 1.0


def _search(toks: list[Token], start: float, wanted: str, before: str, after: str) -> tuple[int, int] | None:
    near = [k for k, t in enumerate(toks) if abs(t.start - start) <= WINDOW]
    if not near:
        return None
    lo, hi = near[0], near[-1] + 1
    n = len(wanted.split()) if wanted else 0
    best: tuple[float, int, int] | None = None
    for i in range(lo, hi + 1):
        if i < len(toks) and not toks[i].norm and n:
            continue
        lengths = [0] if not n else range(max(1, n - 2), n + 3)
        for length in lengths:
            words = [k for k in range(i, len(toks)) if toks[k].norm][:length]
            if len(words) < length:
                break
            j = words[-1] + 1 if words else i
            same = _similar(wanted, _text(toks[i:j])) if n else 1.0
            around = _fits(toks, i, j, before, after)
            if n:
                # The words themselves, and the words around them unless none were kept: a short
                # common word ("bonjour") alone says nothing about which moment it was.
                context = around >= 0.6 or not (before or after)
                if not ((same >= 0.75 and context) or (around >= 0.8 and same >= 0.4 and (before or after))):
                    continue
            elif around < 0.8 or not (before or after):
                continue
            when = toks[i].start if i < len(toks) else toks[-1].end
            score = 2 * same + around - abs(when - start) / WINDOW
            if best is None or score > best[0]:
                best = (score, i, j)
    return (best[1], best[2]) if best else None


def anchor_words(result: SessionResult, start: float, end: float, speaker: str | None) -> tuple[str, str, str]:
    """(old, before, after) of the words of `speaker` (any voice when None) in [start, end]."""
    toks = tokens(slots(result.segments, speaker))
    span = inside(toks, start, end) if end > start else None
    if span is None:
        p = position(toks, start)
        b, a = context(toks, p, p)
        return "", b, a
    i, j = span
    old = " ".join(t.raw for t in toks[i:j])
    b, a = context(toks, i, j)
    return old, b, a
