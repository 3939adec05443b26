"""The search query language: what a user types, turned into FTS5 syntax; the BM25 score of a
matching text; the highlighting of matched words; and the hits as JSON or a table.

Scoring and highlighting happen here rather than through FTS5's bm25() and snippet(): bm25()
counts, on every query, the documents holding each phrase by walking its whole doclist (50 ms
for a word found in half the archive), and snippet() re-runs the query once per hit. With
document frequencies kept by the index, scoring a thousand short texts is cheaper than both.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from .errors import SearchIndexError

HIGHLIGHT = ("**", "**")  # around matched words in Hit.snippet

# A bare word FTS5 accepts as is; anything else (apostrophes, hyphens, dots) is quoted as a phrase.
_BAREWORD = re.compile(r"^[\w\u0080-\U0010ffff]+$")
_QUERY_TOKEN = re.compile(r'"[^"]*"\*?|"[^"]*$|[()]|[^\s()"]+')
_OPERATORS = ("(", ")", "AND", "OR", "NOT")
# Word characters as FTS5's unicode61 tokenizer sees them, near enough for highlighting.
_WORD = re.compile(r"[^\W_]+")


_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Case and accents folded away, as `unicode61 remove_diacritics 2` does."""
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold()


def normalize(text: str | None) -> str:
    """Folded, punctuation gone, spaces collapsed: "Stéphanie  Mabileau-Roy" -> "stephanie mabileau roy"."""
    return " ".join(_WORD.findall(fold(text))) if text else ""


def fts_query(query: str) -> str:
    """The user's query in FTS5 syntax, restricted to the text column: phrases, prefix*, AND,
    OR, NOT and parentheses kept; words FTS5 would misread (l'économie, Yves-Armel) quoted."""
    parts, depth = [], 0
    for token in _QUERY_TOKEN.findall(query):
        depth += {"(": 1, ")": -1}.get(token, 0)
        if depth < 0:
            raise SearchIndexError(f"malformed search query {query!r}: a ')' closes nothing")
        if token.startswith('"') or token in _OPERATORS:
            parts.append(token)
            continue
        star = "*" if token.endswith("*") else ""
        word = token.rstrip("*")
        if not any(c.isalnum() for c in word):
            continue  # lone punctuation matches nothing and would only confuse FTS5
        parts.append((word if _BAREWORD.match(word) else f'"{word}"') + star)
    if not parts:
        raise SearchIndexError(f"empty search query {query!r}: give at least one word")
    if depth:
        raise SearchIndexError(f"malformed search query {query!r}: a '(' is never closed")
    return "text : (" + " ".join(parts) + ")"


def column_words(column: str, text: str, *, prefix: bool = False) -> str | None:
    """`column : ("w1" AND "w2")`: every word of `text` in that column, in any order (the last
    one as a prefix with `prefix`); None when `text` holds no word."""
    words = normalize(text).split()
    if not words:
        return None
    terms = [f'"{w}"' for w in words]
    if prefix:
        terms[-1] += "*"
    return f"{column} : (" + " AND ".join(terms) + ")"


Unit = tuple[tuple[str, ...], bool]  # folded words of a word or phrase, and its prefix flag


def _units(query: str, *, positive_only: bool = False) -> list[Unit]:
    """The query's words and phrases; with `positive_only`, not those under a NOT."""
    units: list[Unit] = []
    negated_depth = None  # parenthesis depth at which a NOT (...) group ends
    depth, after_not = 0, False
    for token in _QUERY_TOKEN.findall(query):
        if token == "(":
            depth += 1
            if after_not and negated_depth is None:
                negated_depth = depth
            after_not = False
            continue
        if token == ")":
            if negated_depth == depth:
                negated_depth = None
            depth -= 1
            continue
        if token in _OPERATORS:
            after_not = token == "NOT"
            continue
        words = tuple(_WORD.findall(fold(token)))
        skip = positive_only and (after_not or negated_depth is not None)
        after_not = False
        if words and not skip:
            units.append((words, token.endswith("*")))
    return units


def scoring_units(query: str) -> list[Unit]:
    return _units(query, positive_only=True)


def tokens(text: str) -> list[str]:
    """Folded words of `text`, close to what FTS5's unicode61 tokenizer indexes."""
    return _WORD.findall(fold(text))


def patterns(units: list[Unit]) -> list[str]:
    """Each unit as a substring of `spaced()` words: exact words end with a space, a prefix does not."""
    return [" " + "  ".join(words) + ("" if prefix else " ") for words, prefix in units]


def spaced(words: str) -> str:
    """Space-separated words with every space doubled, so str.count finds back-to-back matches."""
    return "  " + words.replace(" ", "  ") + "  "


K1, B = 1.2, 0.75  # the usual BM25 constants, as in FTS5's bm25()


def idf(docs: int, total: int) -> float:
    return math.log(1 + (total - docs + 0.5) / (docs + 0.5))


def bm25(words: str, patterns: list[str], idfs: list[float], avgdl: float) -> float:
    """Okapi BM25 of one text, given as its folded words joined by spaces; higher is better."""
    norm = K1 * (1 - B + B * (words.count(" ") + 1) / max(avgdl, 1.0))
    text = spaced(words)
    score = 0.0
    for pattern, weight in zip(patterns, idfs):
        tf = text.count(pattern)
        if tf:
            score += weight * tf * (K1 + 1) / (tf + norm)
    return score


def highlight(text: str, query: str, marks: tuple[str, str] = HIGHLIGHT, max_words: int = 40) -> str:
    """`text` with each occurrence of the query's words and phrases between `marks`; a long text
    is cut to `max_words` around the first match, with "…" where it was cut."""
    # NFKD can change a word's length (ligatures), so words are found first, then folded.
    tokens = [(m.start(), m.end(), fold(m.group())) for m in _WORD.finditer(text)]
    spans = []
    for words, prefix in _units(query):
        n = len(words)
        for i in range(len(tokens) - n + 1):
            head = all(tokens[i + k][2] == words[k] for k in range(n - 1))
            last = tokens[i + n - 1][2]
            if head and (last.startswith(words[-1]) if prefix else last == words[-1]):
                spans.append((tokens[i][0], tokens[i + n - 1][1]))
    start, end = 0, len(text)
    if len(tokens) > max_words:
        first = min((i for i, t in enumerate(tokens) if any(a <= t[0] < b for a, b in spans)), default=0)
        lo = max(0, min(first - 4, len(tokens) - max_words))
        start = tokens[lo][0]
        end = tokens[min(lo + max_words, len(tokens)) - 1][1]
    out, pos = [], start
    for a, b in sorted(spans):
        if a < pos or b > end:
            continue
        out += [text[pos:a], marks[0], text[a:b], marks[1]]
        pos = b
    out.append(text[pos:end])
    return ("…" if start > 0 else "") + "".join(out) + ("…" if end < len(text) and len(tokens) > max_words else "")


@dataclass(frozen=True)
class Hit:
    session_id: str
    session_title: str
    chapter: str | None
    speaker: str | None
    start: float  # media time of the first matched word (of the segment when word times are unknown)
    end: float  # end of the segment holding the match
    time: str  # HH:MM:SS of start
    snippet: str  # matched words between HIGHLIGHT markers
    audio_link: str  # "<id>/<id>.mp3#t=SECONDS", after base_url
    page_link: str  # "<id>/index.html#t=SECONDS", after base_url
    rank: float  # minus the BM25 score: lower is better

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def hits_to_json(hits: list[Hit]) -> str:
    return json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2)


def format_hits(hits: list[Hit]) -> Any:
    """A rich Table of hits, matched words in bold (imported lazily: the library needs no rich)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=False, expand=True)
    table.add_column("Session", ratio=2, min_width=16)
    table.add_column("Time", no_wrap=True)
    table.add_column("Speaker", ratio=1, min_width=14)
    table.add_column("Excerpt", ratio=4, min_width=30, overflow="fold")
    open_, close = HIGHLIGHT
    for h in hits:
        excerpt = Text()
        for i, part in enumerate(re.split(f"{re.escape(open_)}|{re.escape(close)}", h.snippet)):
            excerpt.append(part, style="bold yellow" if i % 2 else None)
        where = Text(h.session_title)
        if h.chapter:
            where.append(f"\n{h.chapter}", style="dim")
        excerpt.append(f"\n{h.audio_link}", style="dim cyan")
        table.add_row(where, h.time, h.speaker or "", excerpt)
    return table
