"""The agenda's people, and where their names occur in a transcript, spelled right or not.

Whisper writes a name as it hears it ("Delassu" for Delassus, "Mabilleau" for Mabileau,
"de Lassus"): a mention is found by comparing normalised forms (lowercase, no accents, one
letter for a doubled one) with an edit distance, over windows of one to four words, so a name
split or joined differently still matches. A window that is an ordinary word ("pierre",
"legal") matches only as the exact name and only where it is capitalised, as a name is.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from .common_words import COMMON_WORDS
from .firstnames import FIRST_NAMES

_PARTICLES = {
    "de",
    "du",
    "des",
    "d",
    "le",
    "la",
    "les",
    "van",
    "von",
    "der",
    "den",
    "di",
    "da",
    "del",
    "dos",
    "ben",
    "el",
}
_TITLES = {"m", "mme", "mlle", "mr", "mrs", "ms", "dr", "pr", "me", "monsieur", "madame", "docteur", "professeur"}
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
FUZZY = 0.8  # similarity (1 - edits / length) a misspelt form must reach
MIN_FUZZY = 5  # letters a form needs before a misspelling of it is accepted
# With one half of a full name heard exactly ("Karim"), the other half ("Rébien" for Le Bihan)
# needs only to be more alike than not: the exact half already says who it is.
ANCHORED = 0.5


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lowercase, accents removed: "Dorothée" -> "dorothee"."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def sound(text: str) -> str:
    """A coarse spelling key: doubled letters once, y as i, ph as f, no leading h (silent in
    French: "Hélène" is heard "Ellen"), so "Beffeyte" ~ "befeite"."""
    text = text.replace("ph", "f").replace("y", "i").removeprefix("h")
    return re.sub(r"(.)\1+", r"\1", text)


def words(text: str) -> list[tuple[str, int, int]]:
    """(folded word, start, end) for each word of `text` (apostrophes and hyphens split words)."""
    return [(fold(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]


@dataclass(frozen=True)
class Person:
    name: str  # as the agenda writes it
    first: tuple[str, ...]  # folded words of the first name ("jean", "marc"); () if unknown
    last: tuple[str, ...]  # folded words of the surname, particles included ("le", "gall")
    written: tuple[str, str] = ("", "")  # first name and surname as the agenda writes them

    def spelled(self, form: str) -> str:
        """The agenda's spelling of a form ("full", "first" or "last"); a name the agenda writes
        in capitals ("Romain DELASSUS") is written in the transcript as a name is."""
        first, last = (" ".join(_uncap(w) for w in part.split()) for part in self.written)
        return {"full": f"{first} {last}".strip(), "first": first, "last": last}[form]

    @property
    def forms(self) -> list[tuple[str, tuple[str, ...]]]:
        """("full" | "first" | "last", words) in the order a match is tried."""
        out = [("full", self.first + self.last)] if self.first and self.last else []
        if self.last and "".join(w for w in self.last if w not in _PARTICLES):
            out.append(("last", self.last))
        if self.first:
            out.append(("first", self.first))
        return out


def _uncap(word: str) -> str:
    if not (word.isupper() and len(word) > 1):
        return word
    if fold(word) in _PARTICLES - {"le", "la", "les", "el", "ben"}:  # "de Villiers", but "Le Gall"
        return word.lower()
    return "-".join(part.capitalize() for part in word.split("-"))


def person(name: str) -> Person:
    """Split an agenda name: the first word is the first name, the rest the surname.
    Courtesy titles ("Mme", "Dr") are dropped; a one-word name is a surname."""
    parts = name.split()
    while len(parts) > 1 and fold(parts[0]).rstrip(".") in _TITLES:
        parts = parts[1:]
    if len(parts) == 1:  # "Anne" alone is a first name; "Madonna", a surname
        folded = tuple(w for w, _, _ in words(parts[0]))
        if folded and folded[0] in FIRST_NAMES:
            return Person(name, folded, (), (parts[0], ""))
        return Person(name, (), folded, ("", parts[0]))
    last = " ".join(parts[1:])
    return Person(name, tuple(w for w, _, _ in words(parts[0])), tuple(w for w, _, _ in words(last)), (parts[0], last))


@functools.lru_cache(maxsize=4096)
def _initial(word: str) -> str:
    return sound(word[:2])[:1]


def similarity(a: str, b: str) -> float:
    """1 - Levenshtein distance / longer length, on the strings and on their `sound` keys."""
    if a == b:
        return 1.0
    return max(_ratio(a, b), _ratio(sound(a), sound(b)))


def _ratio(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return 1.0 - prev[-1] / max(len(a), len(b))


@dataclass(frozen=True)
class Mention:
    people: tuple[Person, ...]  # who it may be, best first; more than one when ambiguous ("Anne")
    forms: tuple[str, ...]  # for each of them, what matched: "full" | "first" | "last"
    start: int  # character span in the text
    end: int
    first_word: int  # word span in `words(text)`
    last_word: int  # exclusive
    score: float  # similarity of the written form to the agenda's
    exact: bool  # the folded words equal the agenda's

    @property
    def person(self) -> Person:
        return self.people[0]

    @property
    def form(self) -> str:
        return self.forms[0]


def _plain(span: list[str]) -> bool:
    """Only ordinary or very short words: no name is matched on them."""
    return all(w in COMMON_WORDS or len(w) < 3 for w in span)


def _accept(text: str, ws: list[tuple[str, int, int]], i: int, j: int, form: tuple[str, ...], loose: bool) -> float:
    """The similarity of words i..j-1 to `form`, or 0 when they must not count as it. `loose`:
    a misspelling may be lowercase (right after "je suis", where a name is expected)."""
    capital = text[ws[i][1]].isupper() or loose
    wanted = "".join(form)
    if not capital and not wanted.startswith(ws[i][0]):
        return 0.0  # lowercase words count only as the exact name: most words end here
    span = [w for w, _, _ in ws[i:j]]
    written = "".join(span)
    plain = _plain(span)
    if span == list(form) or written == wanted:
        return 1.0 if capital or not plain else 0.0
    if not capital or plain or len(wanted) < MIN_FUZZY:
        return 0.0
    if abs(len(written) - len(wanted)) > (1 - FUZZY) * max(len(written), len(wanted)) + 1:
        return 0.0  # too different in length for the edit distance to pass: skip computing it
    score = similarity(written, wanted)
    return score if score >= FUZZY else 0.0


def _anchored(
    text: str, ws: list[tuple[str, int, int]], i: int, j: int, p: Person, loose: Callable[[int], bool] | None
) -> float:
    """The similarity of words i..j-1 to p's full name when one half is exactly p's first name
    or surname and the other half is alike (ANCHORED), else 0. Both halves look like names:
    capitalised, or where a name is expected, and not ordinary words."""

    def named(at: int) -> bool:
        return text[ws[at][1]].isupper() or bool(loose and loose(at))

    first, last = "".join(p.first), "".join(p.last)
    for k in range(i + 1, j):
        left, right = [w for w, _, _ in ws[i:k]], [w for w, _, _ in ws[k:j]]
        # (the half heard exactly, what it must be, where it starts; the other half, likewise)
        for anchor, exact, anchor_at, other, wanted, other_at in (
            (left, first, i, right, last, k),
            (right, last, k, left, first, i),
        ):
            if "".join(anchor) != exact or not named(anchor_at) or not named(other_at):
                continue
            if len(wanted) >= 3 and not _plain(other) and similarity("".join(other), wanted) >= ANCHORED:
                return similarity("".join(left + right), first + last)
    return 0.0


def mentions(text: str, people: list[Person], loose: Callable[[int], bool] | None = None) -> list[Mention]:
    """Non-overlapping mentions of `people` in `text`: full names first, then the closer
    spelling, then the longer span. People who match one span equally well are all kept.
    `loose(i)`: word i may be a lowercase misspelling (see `_accept`)."""
    ws = words(text)
    by_letter: dict[str, list[tuple[Person, str, tuple[str, ...]]]] = {}
    for p in people:  # a name rarely loses its first letter: only forms starting like the word are tried
        for kind, form in p.forms:
            by_letter.setdefault(_initial(form[0]), []).append((p, kind, form))
    # Words one name can span: only spaces, hyphens or apostrophes between them, no punctuation.
    joined = [not text[a[2] : b[1]].strip(" -'’") for a, b in itertools.pairwise(ws)] + [False]
    found: list[tuple[Person, str, int, int, float]] = []
    for i, (w, _, _) in enumerate(ws):
        for p, kind, form in by_letter.get(_initial(w), ()):
            for width in sorted({len(form) - 1, len(form), len(form) + 1, 1, 2}):
                if 1 <= width and i + width <= len(ws) and all(joined[i : i + width - 1]):
                    score = _accept(text, ws, i, i + width, form, bool(loose and loose(i)))
                    if not score and kind == "full":
                        score = _anchored(text, ws, i, i + width, p, loose)
                    if score:
                        found.append((p, kind, i, i + width, score))
    rank = {"full": 0, "last": 1, "first": 2}
    found.sort(key=lambda f: (rank[f[1]], -f[4], f[2] - f[3], f[2]))
    kept: list[Mention] = []
    for p, kind, i, j, score in found:
        # One span, as good a match for two people ("Thomas": a first name, another's surname):
        # both are kept, whatever the form.
        same = next((k for k in kept if (k.first_word, k.last_word) == (i, j) and k.score == score), None)
        if same is not None:
            if p not in same.people:
                kept[kept.index(same)] = dataclasses.replace(
                    same, people=same.people + (p,), forms=same.forms + (kind,)
                )
            continue
        if all(j <= k.first_word or i >= k.last_word for k in kept):
            exact = [w for w, _, _ in ws[i:j]] == list(dict(p.forms)[kind])
            kept.append(Mention((p,), (kind,), ws[i][1], ws[j - 1][2], i, j, score, exact))
    return sorted(kept, key=lambda m: m.start)
