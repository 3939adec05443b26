"""Reader words: the decoder's tokens glued back into the words a reader sees.

Whisper writes pieces of words: `" C"` + `"'est"`, `" aujourd"` + `"'hui"`, `" Est"` + `"-ce"`,
sometimes `" c"` + `" 'est"` or `" l'"` + `" atelier"`, and punctuation as a token of its own
(`" ?"`). Speaker assignment may split a segment between any two tokens, so the pieces of one
word can end up in two segments of two speakers. `rejoin` makes every word whole again, in the
segment of the speaker who says most of it, before captions and transcripts are laid out: no
caption, line or speaker change can then fall inside a word.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from ..types import Segment, Word

APOSTROPHES = "'’"
# Punctuation that opens what follows it: it belongs to the next word, not the previous one.
_OPENING = set("«“‘„‹([{¿¡")
# A word ending in an apostrophe that is an elided article or conjunction (French, Italian):
# what follows is the rest of the same word even when the decoder put a space before it.
_STEMS = (
    r"(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu|presqu|quelqu|aujourd"
    r"|un|dell|all|dall|nell|sull|coll|quell|quest|tutt)"
)
_ELIDED = re.compile(rf"(?i)^{_STEMS}['’]$")
_STEM = re.compile(rf"(?i)^(?:.*\W)?{_STEMS}$")
# English clitics ("don" + " 't"): with a space before the apostrophe, only these and the
# French stems join; " 'hello'" after "said" is a quotation, not the rest of a word.
_CLITIC = re.compile(r"(?i)^['’](?:s|t|re|ve|ll|d|m)\W*$")
# Pieces of one segment not marked as new words still join a word of the segment before only
# when they follow it this closely; further away they are the start of something else.
_ACROSS_GAP = 1.0


def _has_letters(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _continues(word: str, piece: Word, spaced: bool, same_segment: bool, gap: float) -> bool:
    """Whether `piece` is the rest of `word` (the reader word built so far, stripped)."""
    body = piece.text.strip()
    if all(ch in _OPENING for ch in word):  # "«" then "économie": one unit, never split
        return True
    if not _has_letters(body):
        return body[0] not in _OPENING  # "?", ",", "»", "…" close the word before them
    if body[0] in APOSTROPHES and word[-1:].isalpha():  # "C" + "'est", "c" + " 'est"
        return not piece.text[:1].isspace() or bool(_STEM.match(word) or _CLITIC.match(body))
    if body[0] == "-" and body[1:2].isalpha() and word[-1:].isalpha():  # "Est" + " -ce"
        return True
    if _ELIDED.match(word) and body[0].isalpha():  # "l'" + " atelier"
        return True
    # Whisper marks the start of a word with a space; a piece without one continues the word.
    return spaced and not piece.text[:1].isspace() and (same_segment or gap <= _ACROSS_GAP)


def _glue(pieces: Sequence[Word]) -> Word:
    if len(pieces) == 1:
        return pieces[0]
    text = pieces[0].text
    for prev, piece in itertools.pairwise(pieces):
        body = piece.text.strip()
        keep_space = piece.text[:1].isspace() and (
            not _has_letters(body) or all(ch in _OPENING for ch in prev.text.strip())
        )  # "économie ?" and "« économie" keep their space; "c 'est" loses it
        text += (" " if keep_space else "") + body
    return Word(
        pieces[0].start,
        max(p.end for p in pieces),
        text,
        min(p.probability for p in pieces),
    )


def _is_spaced(segments: Sequence[Segment]) -> bool:
    """Whether the engine marks new words with a leading space (Whisper does; some never do)."""
    return any(w.text[:1].isspace() for s in segments for w in s.words[1:])


def _groups(pieces: list[tuple[Word, int]], spaced: bool) -> list[list[tuple[Word, int]]]:
    groups: list[list[tuple[Word, int]]] = []
    for word, owner in pieces:
        if groups:
            last_word, last_owner = groups[-1][-1]
            so_far = _glue([w for w, _ in groups[-1]]).text.strip()
            if _continues(so_far, word, spaced, owner == last_owner, word.start - last_word.end):
                groups[-1].append((word, owner))
                continue
        groups.append([(word, owner)])
    return groups


def _owner(group: list[tuple[Word, int]]) -> int:
    """The segment that says most of the word; punctuation weighs nothing, ties go to the first."""
    weight: dict[int, float] = {}
    for word, owner in group:
        share = max(word.end - word.start, 1e-3) if _has_letters(word.text) else 0.0
        weight[owner] = weight.get(owner, 0.0) + share
    return max(weight, key=lambda k: (weight[k], -[o for _, o in group].index(k)))


def word_pieces(words: Sequence[Word]) -> list[list[int]]:
    """Positions in `words` (one segment's, in order) grouped by the reader word they make:
    [[0], [1, 2], [3]] for " Oui", " C", "'est", " vrai". Blank pieces stand alone."""
    spaced = any(w.text[:1].isspace() for w in words[1:])
    kept = [i for i, w in enumerate(words) if w.text.strip()]
    groups = _groups([(words[i], 0) for i in kept], spaced)
    out: list[list[int]] = []
    position = iter(kept)
    for group in groups:
        out.append([next(position) for _ in group])
    out += [[i] for i, w in enumerate(words) if not w.text.strip()]
    return sorted(out)


def reader_words(words: Sequence[Word], spaced: bool = True) -> list[Word]:
    """`words` (one speaker's, in order) with every word's pieces glued into one Word."""
    pieces = [(w, 0) for w in words if w.text.strip()]
    return [_glue([w for w, _ in group]) for group in _groups(pieces, spaced)]


def rejoin(segments: Iterable[Segment]) -> list[Segment]:
    """Segments in time order whose words are reader words, each whole in one segment.

    A segment whose words all went to its neighbours is dropped; one without word timings
    keeps its text, tidied the same way (`c 'est` becomes `c'est`).
    """
    ordered = sorted(segments, key=lambda s: (s.start, s.end))
    spaced = _is_spaced(ordered)
    pieces = [(w, i) for i, s in enumerate(ordered) for w in s.words if w.text.strip()]
    pieces.sort(key=lambda p: p[0].start)  # stable: a segment's own order is kept
    owned: dict[int, list[Word]] = {}
    for group in _groups(pieces, spaced):
        owned.setdefault(_owner(group), []).append(_glue([w for w, _ in group]))
    out: list[Segment] = []
    for i, seg in enumerate(ordered):
        if not seg.words:
            tokens = [Word(seg.start, seg.end, " " + t, 1.0) for t in seg.text.split()]
            text = " ".join(w.text.strip() for w in reader_words(tokens, spaced=False))
            out.append(replace(seg, text=text) if text != seg.text else seg)
            continue
        words = owned.get(i)
        if not words:
            continue
        if len(words) == len(seg.words) and all(a is b for a, b in zip(words, seg.words)):
            out.append(seg)
            continue
        text = "".join(w.text for w in words).strip()
        out.append(Segment(words[0].start, max(w.end for w in words), text, tuple(words), seg.speaker))
    return out
