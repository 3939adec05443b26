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

from .display import decoded
from .errors import SearchIndexError

HIGHLIGHT = ("**", "**")  # around matched words in Hit.snippet

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


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class _Term:
    """A word or a "phrase" of the query, as typed (FTS5 tokenizes it as it tokenized the text)."""

    text: str
    prefix: bool


Token = _Term | str  # a term, or one of _OPERATORS
Node = _Term | tuple[str, "Node", "Node"]  # ("AND" | "OR" | "NOT", left, right)


def clean(text: str) -> str:
    """Text as it can reach SQLite: bytes that were not UTF-8 (lone surrogates) as U+FFFD,
    control characters as spaces."""
    return _CONTROL.sub(" ", decoded(text))


def _lex(query: str) -> list[Token]:
    """Terms and operators; punctuation alone (which matches nothing) is left out."""
    tokens: list[Token] = []
    for token in _QUERY_TOKEN.findall(clean(query)):
        if token == "NOT" and tokens and tokens[-1] == "AND":
            tokens[-1] = token  # "a AND NOT b", as people write it, is FTS5's "a NOT b"
            continue
        if token in _OPERATORS:
            tokens.append(token)
            continue
        if token.startswith('"'):
            if token == '"' or not (token.endswith('"') or token.endswith('"*')):
                raise SearchIndexError(f"malformed search query {query!r}: a '\"' is never closed")
            prefix = token.endswith("*")
            text = token[1 : -2 if prefix else -1]
        else:
            prefix = token.endswith("*")
            text = token.rstrip("*")
        if any(c.isalnum() for c in text):
            tokens.append(_Term(text, prefix))
    return tokens


class _Parser:
    """FTS5's query grammar, made explicit: NOT binds tighter than AND (written or implied by
    two terms side by side), AND tighter than OR. FTS5 itself refuses an implied AND after a
    parenthesis and a NOT with nothing before it; here they are written out or explained."""

    def __init__(self, tokens: list[Token], query: str):
        self.tokens, self.query, self.pos = tokens, query, 0

    def fail(self, why: str) -> SearchIndexError:
        return SearchIndexError(f"malformed search query {self.query!r}: {why}")

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse(self) -> Node:
        if not self.tokens:
            raise SearchIndexError(f"empty search query {self.query!r}: give at least one word")
        node = self.either()
        if self.peek() == ")":
            raise self.fail("a ')' closes nothing")
        return node

    def either(self) -> Node:
        node = self.both()
        while self.peek() == "OR":
            self.pos += 1
            node = ("OR", node, self.both())
        return node

    def both(self) -> Node:
        node = self.unless()
        while (token := self.peek()) is not None and token not in ("OR", ")", "NOT"):
            if token == "AND":
                self.pos += 1
            node = ("AND", node, self.unless())
        return node

    def unless(self) -> Node:
        node = self.operand("NOT")
        while self.peek() == "NOT":
            self.pos += 1
            node = ("NOT", node, self.operand())
        return node

    def operand(self, before: str | None = None) -> Node:
        after = self.tokens[self.pos - 1] if self.pos else None
        token = self.peek()
        self.pos += 1
        if isinstance(token, _Term):
            return token
        if token == "(":
            if self.peek() == ")":
                raise self.fail("'( )' holds no word")
            node = self.either()
            if self.peek() != ")":
                raise self.fail("a '(' is never closed")
            self.pos += 1
            return node
        if token is None:
            raise self.fail(f"'{after}' at the end needs a word after it")
        if token == ")":
            raise self.fail("a ')' closes nothing" if after in (None, "(") else f"'{after}' needs a word after it")
        if token == "NOT" and before == "NOT" and after in (None, "(", "AND", "OR"):
            raise self.fail("NOT needs a word before it: write 'reemploi NOT plastique'")
        raise self.fail(f"'{token}' needs a word before it")


def _fts(node: Node) -> str:
    if isinstance(node, _Term):
        return '"' + node.text + '"' + ("*" if node.prefix else "")
    op, left, right = node
    return f"({_fts(left)} {op} {_fts(right)})"


def fts_query(query: str) -> str:
    """The user's query in FTS5 syntax, restricted to the text column: phrases, prefix*, AND,
    OR, NOT and parentheses kept, every term quoted (l'économie, Yves-Armel, NEAR are words).
    A query FTS5 would refuse is a one-line SearchIndexError saying why."""
    return "text : " + _fts(_Parser(_lex(query), query).parse())


def column_words(column: str, text: str, *, prefix: bool = False) -> str | None:
    """`column : ("w1" AND "w2")`: every word of `text` in that column, in any order (the last
    one as a prefix with `prefix`); None when `text` holds no word."""
    words = normalize(clean(text)).split()
    if not words:
        return None
    terms = [f'"{w}"' for w in words]
    if prefix:
        terms[-1] += "*"
    return f"{column} : (" + " AND ".join(terms) + ")"


Unit = tuple[tuple[str, ...], bool]  # folded words of a word or phrase, and its prefix flag


def _units(query: str, *, positive_only: bool = False) -> list[Unit]:
    """The query's words and phrases; with `positive_only`, not those under a NOT. Tolerant:
    any text gives its units, malformed or not (highlighting never fails)."""
    units: list[Unit] = []
    negated_depth = None  # parenthesis depth at which a NOT (...) group ends
    depth, after_not = 0, False
    for token in _QUERY_TOKEN.findall(clean(query)):
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
    for pattern, weight in zip(patterns, idfs, strict=True):
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
